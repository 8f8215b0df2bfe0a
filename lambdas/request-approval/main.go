// Command request-approval is the Lambda behind "Wait for approval": it keeps
// the task token in the approvals table (APPROVALS_TABLE) under a short
// reference and publishes the approval request, with links to CALLBACK_URL
// signed with the secret SECRET_ARN, to the approvers' topic
// APPROVAL_TOPIC_ARN (not the report topic's TOPIC_ARN).
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/secret"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/requestapproval"
)

func main() {
	cfg := awsconfig.Load()
	h := &requestapproval.Handler{
		Store:            &store.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("APPROVALS_TABLE")},
		Keys:             &secret.Source{API: secretsmanager.NewFromConfig(cfg), SecretID: awsconfig.MustEnv("SECRET_ARN")},
		SNS:              sns.NewFromConfig(cfg),
		ApprovalTopicArn: awsconfig.MustEnv("APPROVAL_TOPIC_ARN"),
		CallbackURL:      awsconfig.MustEnv("CALLBACK_URL"),
	}
	step.Start(h.Handle)
}
