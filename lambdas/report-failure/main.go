// Command report-failure is the "Report failure" Lambda: it publishes the
// failure report to TOPIC_ARN, releases the task's claim in TABLE_NAME and
// frees the judgement key the execution was judging in JUDGEMENTS_TABLE.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/reportfailure"
)

func main() {
	cfg := awsconfig.Load()
	h := &reportfailure.Handler{
		SNS:        sns.NewFromConfig(cfg),
		TopicArn:   awsconfig.MustEnv("TOPIC_ARN"),
		Claims:     &idempotency.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("TABLE_NAME")},
		Judgements: &dynamo.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("JUDGEMENTS_TABLE")},
	}
	step.Start(h.Handle)
}
