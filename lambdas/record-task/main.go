// Command record-task is the "Record task" Lambda: it checks the event
// against this deployment (ACCOUNT_ID, and AWS_REGION, which Lambda sets) and
// claims its task in the idempotency table (TABLE_NAME) for the execution,
// for CLAIM_TTL_HOURS (default 168).
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

func main() {
	ttl, err := recordtask.TTLFromEnv(os.Getenv("CLAIM_TTL_HOURS"))
	if err != nil {
		step.Logger().Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	cfg := awsconfig.Load()
	store := &idempotency.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("TABLE_NAME")}
	h := &recordtask.Handler{
		Store:   store,
		TTL:     ttl,
		Account: awsconfig.MustEnv("ACCOUNT_ID"),
		Region:  awsconfig.MustEnv("AWS_REGION"),
	}
	step.Start(h.Handle)
}
