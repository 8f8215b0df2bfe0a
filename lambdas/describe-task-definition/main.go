// Command describe-task-definition is the "Describe task definition" Lambda:
// DescribeTaskDefinition with tags, in the ECS API's JSON shape, plus the
// service's tags.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/describetaskdef"
)

func main() {
	cfg := awsconfig.Load()
	client := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.APIOptions = append(o.APIOptions, awsraw.Capture) })
	h := &describetaskdef.Handler{ECS: client}
	step.Start(h.Handle)
}
