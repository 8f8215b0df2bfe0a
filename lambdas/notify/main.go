// Command notify is the "Notify SNS topic" Lambda: it publishes the report of
// an evaluated task to the topic TOPIC_ARN.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/notify"
)

func main() {
	cfg := awsconfig.Load()
	h := &notify.Handler{SNS: sns.NewFromConfig(cfg), TopicArn: awsconfig.MustEnv("TOPIC_ARN")}
	step.Start(h.Handle)
}
