// Command record-task is the triage's "Record task" Lambda: it checks the
// event against this deployment (ACCOUNT_ID, and AWS_REGION, which Lambda
// sets), claims its task in the idempotency table (TABLE_NAME) for the
// execution, for CLAIM_TTL_HOURS (default 168), and for the first event of
// a task looks up its judgement as "Look up judgement" does (POLICY_PATH,
// MODE, APPROVAL, JUDGEMENTS_TABLE, EXCLUDED_CLUSTERS, EXCLUDED_SERVICES):
// one invocation between the event and the decision to stop a task of a
// known violating revision.
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

func main() {
	ttl, err := recordtask.TTLFromEnv(os.Getenv("CLAIM_TTL_HOURS"))
	awsconfig.Must(err)
	cfg := awsconfig.Load()
	look, err := lookup.FromEnv(cfg, os.Getenv)
	awsconfig.Must(err)
	h := &recordtask.Handler{
		Store:   &idempotency.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("TABLE_NAME")},
		TTL:     ttl,
		Account: awsconfig.MustEnv("ACCOUNT_ID"),
		Region:  awsconfig.MustEnv("AWS_REGION"),
		LookUp:  look,
	}
	step.Start(h.Triage)
}
