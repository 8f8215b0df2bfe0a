// Command look-up-judgement is the triage's "Look up judgement" Lambda: it
// computes the task's judgement key (the policy under POLICY_PATH, MODE,
// APPROVAL, the task definition and service from ECS) and looks it up in the
// judgements table (JUDGEMENTS_TABLE); tasks of EXCLUDED_CLUSTERS and
// EXCLUDED_SERVICES are left alone.
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policystore"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
)

func main() {
	settings, err := judgement.SettingsFromEnv(os.Getenv)
	awsconfig.Must(err)
	excluded, err := remediate.ParseExclusions(os.Getenv("EXCLUDED_CLUSTERS"), os.Getenv("EXCLUDED_SERVICES"))
	awsconfig.Must(err)
	cfg := awsconfig.Load()
	h := &lookup.Handler{
		ECS:      ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.APIOptions = append(o.APIOptions, awsraw.Capture) }),
		Policy:   &policystore.Cache{SSM: ssm.NewFromConfig(cfg), Path: os.Getenv("POLICY_PATH")},
		Store:    &dynamo.Table{API: dynamodb.NewFromConfig(cfg), Name: awsconfig.MustEnv("JUDGEMENTS_TABLE")},
		Settings: settings,
		Excluded: excluded,
		CacheTTL: lookup.DefaultCacheTTL,
	}
	step.Start(h.Handle)
}
