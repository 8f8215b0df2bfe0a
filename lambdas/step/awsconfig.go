package step

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// AWSConfig loads the Lambda's AWS configuration (region and credentials from
// the environment), or logs why it cannot and exits: a Lambda without it
// cannot do anything.
func AWSConfig() aws.Config {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		Logger().Error("load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	return cfg
}

// MustEnv returns the environment variable key, or logs that it is missing
// and exits.
func MustEnv(key string) string {
	v, err := Env(key)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	return v
}
