// Command approval-callback is the approval endpoint behind a Lambda function
// URL: it verifies the signed links (secret SECRET_ARN), serves the
// confirmation page, takes a decision only from that page's form (with its
// one-time token), records it once in the approvals table (APPROVALS_TABLE)
// and answers the workflow's task token (SendTaskSuccess / SendTaskFailure).
// The stack reserves its concurrency, so that a flood of requests to the
// public URL cannot take the account's concurrency from the workflow.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/secret"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/approvalcallback"
)

func main() {
	cfg := awsconfig.Load()
	h := &approvalcallback.Handler{
		Store: &store.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("APPROVALS_TABLE")},
		Keys:  &secret.Source{API: secretsmanager.NewFromConfig(cfg), SecretID: awsconfig.MustEnv("SECRET_ARN")},
		SFN:   sfn.NewFromConfig(cfg),
	}
	step.Start(h.Handle)
}
