// Command load-policy is the "Load policy from Parameter Store" Lambda: it
// reads the policy bundle under POLICY_PATH (default /ecs-compliance/policy).
package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/loadpolicy"
)

func main() {
	cfg := awsconfig.Load()
	h := &loadpolicy.Handler{SSM: ssm.NewFromConfig(cfg), Path: os.Getenv("POLICY_PATH")}
	step.Start(h.Handle)
}
