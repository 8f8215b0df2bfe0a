// Command deregister-task-definition is the "Deregister task definition"
// Lambda (see package deregister). EXCLUDED_CLUSTERS (cluster names or ARNs)
// and EXCLUDED_SERVICES (CLUSTER/SERVICE or service ARNs), both
// comma-separated and optional, name what it must not deregister a task
// definition from under.
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/deregister"
)

func main() {
	excluded, err := remediate.ParseExclusions(os.Getenv("EXCLUDED_CLUSTERS"), os.Getenv("EXCLUDED_SERVICES"))
	if err != nil {
		step.Logger().Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	cfg := awsconfig.Load()
	h := &deregister.Handler{ECS: ecs.NewFromConfig(cfg), Excluded: excluded}
	step.Start(h.Handle)
}
