// Command record-task is the "Record task" Lambda: it claims the task of an
// ECS task state change in the idempotency table (TABLE_NAME) for
// CLAIM_TTL_HOURS (default 168).
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
	h := &recordtask.Handler{Store: store, TTL: ttl}
	step.Start(h.Handle)
}
