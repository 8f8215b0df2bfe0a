// Command record-judgement is the "Record judgement" Lambda: it stores the
// policy's decision under the task's judgement key in the judgements table
// (JUDGEMENTS_TABLE) for JUDGEMENT_TTL_HOURS (default 720) and decides what
// the reports do for the task definition revision.
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordjudgement"
)

func main() {
	settings, err := judgement.SettingsFromEnv(os.Getenv)
	awsconfig.Must(err)
	ttl, err := judgement.TTLFromEnv(os.Getenv("JUDGEMENT_TTL_HOURS"))
	awsconfig.Must(err)
	cfg := awsconfig.Load()
	h := &recordjudgement.Handler{
		Store:    &dynamo.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("JUDGEMENTS_TABLE")},
		Settings: settings,
		TTL:      ttl,
	}
	step.Start(h.Handle)
}
