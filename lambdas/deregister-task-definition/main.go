// Command deregister-task-definition is the "Deregister task definition" Lambda (see package deregister).
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/deregister"
)

func main() {
	cfg := awsconfig.Load()
	h := &deregister.Handler{ECS: ecs.NewFromConfig(cfg)}
	step.Start(h.Handle)
}
