package lookup

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policystore"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
)

// FromEnv builds the step on real clients from a Lambda's environment: the
// policy under POLICY_PATH, MODE and APPROVAL (judgement.SettingsFromEnv),
// the judgements table JUDGEMENTS_TABLE, and EXCLUDED_CLUSTERS and
// EXCLUDED_SERVICES. Both Lambdas that look judgements up use it: "Look up
// judgement" and "Record task" (which looks up a task's judgement as soon
// as it has claimed it).
func FromEnv(cfg aws.Config, getenv func(string) string) (*Handler, error) {
	settings, err := judgement.SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	excluded, err := remediate.ParseExclusions(getenv("EXCLUDED_CLUSTERS"), getenv("EXCLUDED_SERVICES"))
	if err != nil {
		return nil, err
	}
	table := getenv("JUDGEMENTS_TABLE")
	if table == "" {
		return nil, fmt.Errorf("JUDGEMENTS_TABLE is not set: the judgements table's name")
	}
	return &Handler{
		ECS:      ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.APIOptions = append(o.APIOptions, awsraw.Capture) }),
		Policy:   &policystore.Cache{SSM: ssm.NewFromConfig(cfg), Path: getenv("POLICY_PATH")},
		Store:    &dynamo.Table{API: dynamodb.NewFromConfig(cfg), Name: table},
		Settings: settings,
		Excluded: excluded,
		CacheTTL: DefaultCacheTTL,
	}, nil
}
