// Package awsconfig is what every Lambda that calls AWS does first: load
// its AWS configuration and read its settings from the environment. It is
// apart from package step so that a Lambda that calls no AWS API (evaluate)
// does not link the SDK's configuration and credential providers.
package awsconfig

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Load loads the Lambda's AWS configuration (region and credentials from
// the environment), or logs why it cannot and exits: a Lambda without it
// cannot do anything.
func Load() aws.Config {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		step.Logger().Error("load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	return cfg
}

// MustEnv returns the environment variable key, or logs that it is missing
// and exits.
func MustEnv(key string) string {
	v, err := step.Env(key)
	if err != nil {
		step.Logger().Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	return v
}

// Must logs a configuration error and exits; nil does nothing. A Lambda
// with a bad setting fails its cold start with the reason in its log rather
// than acting on a guess.
func Must(err error) {
	if err != nil {
		step.Logger().Error("configuration", "error", err.Error())
		os.Exit(1)
	}
}
