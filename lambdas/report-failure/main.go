// Command report-failure is the "Report failure" Lambda: it publishes the
// failure report to TOPIC_ARN and releases the task's claim in TABLE_NAME.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/reportfailure"
)

func main() {
	cfg := awsconfig.Load()
	h := &reportfailure.Handler{
		SNS:      sns.NewFromConfig(cfg),
		TopicArn: awsconfig.MustEnv("TOPIC_ARN"),
		Claims:   &idempotency.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("TABLE_NAME")},
	}
	step.Start(h.Handle)
}
