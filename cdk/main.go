// Command cdk is the CDK app that deploys ecs-compliance (cdk.json runs
// `go run ./cdk` from the repository root). Settings come from the CDK
// context (see settings.go); the account and region from the CDK CLI's
// CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION, or placeholders when there are no
// credentials, so that `cdk synth` works offline.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecs-compliance/ecs-compliance/statemachine"
)

// Where `make build` writes the bootstraps, relative to the repository root
// (the app's working directory). The workflow (statemachine.Definition) and
// the policy bundle (policies.FS) are embedded.
const (
	assetRoot = ".build/lambdas"
	stackName = "EcsCompliance"
)

// Placeholders for an offline synth (no credentials, so the CLI resolves no
// account): the template is complete, but only a real account deploys.
const (
	offlineAccount = "123456789012"
	offlineRegion  = "us-east-1"
)

func main() {
	// The CDK libraries warn at length on Node 20 (the machines' Node);
	// the Makefile silences it too.
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	}
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ecs-compliance:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	settings, err := ParseSettings(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		return err
	}
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		if account == "" {
			account = offlineAccount
		}
		if region == "" {
			region = offlineRegion
		}
		fmt.Fprintf(os.Stderr, "ecs-compliance: no AWS account/region resolved (no credentials?): synthesizing for %s in %s; deploying needs credentials\n", account, region)
	}
	addNagChecks(app)
	if _, err := NewComplianceStack(app, stackName, &StackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}},
		Settings:   settings,
		AssetRoot:  assetRoot,
		Policy:     policyFS(),
		Definition: statemachine.Definition,
		Triage:     statemachine.Triage,
	}); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}
