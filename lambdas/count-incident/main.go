// Command count-incident is the "Count remediated task" Lambda: it counts
// the task in its remediation incident in the judgements table
// (JUDGEMENTS_TABLE).
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/countincident"
)

func main() {
	cfg := awsconfig.Load()
	h := &countincident.Handler{Store: &dynamo.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("JUDGEMENTS_TABLE")}}
	step.Start(h.Handle)
}
