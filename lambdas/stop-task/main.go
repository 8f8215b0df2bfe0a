// Command stop-task is the "Stop task" Lambda (see package stoptask).
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/stoptask"
)

func main() {
	cfg := awsconfig.Load()
	h := &stoptask.Handler{ECS: ecs.NewFromConfig(cfg)}
	step.Start(h.Handle)
}
