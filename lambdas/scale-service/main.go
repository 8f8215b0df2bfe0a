// Command scale-service is the "Scale service to zero" Lambda (see package
// scaleservice): ECS, and Application Auto Scaling for the service's
// scalable target.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/scaleservice"
)

func main() {
	cfg := awsconfig.Load()
	h := &scaleservice.Handler{ECS: ecs.NewFromConfig(cfg), AutoScaling: applicationautoscaling.NewFromConfig(cfg)}
	step.Start(h.Handle)
}
