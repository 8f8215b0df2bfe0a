// Package awsconfig is what every Lambda that calls AWS does first: build
// its AWS configuration and read its settings from the environment. It is
// apart from package step so that a Lambda that calls no AWS API (evaluate)
// does not link the SDK's clients.
//
// The configuration is built from what Lambda puts in a function's
// environment, without the SDK's config package (config.LoadDefaultConfig):
// that package links the STS, SSO, SSO OIDC and sign-in clients for
// credential sources a Lambda never has (shared files, profiles, SSO, web
// identity, processes, IMDS): their package initialization and size cost
// every Lambda about 1 ms of its cold start (a sixth of most) and 2 MB of
// its binary (test/coldstart_test.go, the README's performance table). What
// it reads:
//
//   - AWS_REGION (else AWS_DEFAULT_REGION): the Region;
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (and
//     AWS_ACCOUNT_ID): the execution role's credentials, as Lambda sets them;
//     without them, AWS_CONTAINER_CREDENTIALS_FULL_URI (with
//     AWS_CONTAINER_AUTHORIZATION_TOKEN or _FILE), a credentials endpoint;
//   - AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (the SDK ID in upper
//     case, spaces as underscores: AWS_ENDPOINT_URL_DYNAMODB), unless
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true;
//   - AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT (true or false);
//   - AWS_MAX_ATTEMPTS, AWS_RETRY_MODE (standard or adaptive);
//   - AWS_SDK_UA_APP_ID.
//
// These mean what they mean to the SDK's config package; any other setting
// of the SDK's environment is ignored.
package awsconfig

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/smithy-go/logging"

	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Load builds the Lambda's AWS configuration from its environment
// (FromEnv), or logs why it cannot and exits: a Lambda without it cannot do
// anything.
func Load() aws.Config {
	cfg, err := FromEnv(os.Getenv)
	if err != nil {
		step.Logger().Error("load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	return cfg
}

// FromEnv builds an AWS configuration from the environment getenv reads (see
// the package's documentation for what it reads). The SDK's clients read
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> from the process's
// environment themselves too, as they do with the config package.
func FromEnv(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("no Region: AWS_REGION is not set")
	}
	provider, err := credentialsFromEnv(getenv)
	if err != nil {
		return aws.Config{}, err
	}

	src := envSource{getenv: getenv}
	if src.ignoreEndpoints, err = boolean(getenv, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); err != nil {
		return aws.Config{}, err
	}
	if src.fips, err = boolean(getenv, "AWS_USE_FIPS_ENDPOINT"); err != nil {
		return aws.Config{}, err
	}
	if src.dualStack, err = boolean(getenv, "AWS_USE_DUALSTACK_ENDPOINT"); err != nil {
		return aws.Config{}, err
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   aws.NewCredentialsCache(provider),
		Logger:        logging.NewStandardLogger(os.Stderr),
		ConfigSources: []any{src},
		AppID:         getenv("AWS_SDK_UA_APP_ID"),
		// The config package's defaults.
		AccountIDEndpointMode:      aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	if ep := getenv("AWS_ENDPOINT_URL"); ep != "" && !isTrue(src.ignoreEndpoints) {
		cfg.BaseEndpoint = aws.String(ep)
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, fmt.Errorf("AWS_MAX_ATTEMPTS %q: want a number of attempts, at least 1", v)
		}
		cfg.RetryMaxAttempts = n
	}
	if v := getenv("AWS_RETRY_MODE"); v != "" {
		mode, err := aws.ParseRetryMode(v)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS_RETRY_MODE: %w", err)
		}
		cfg.RetryMode = mode
	}
	return cfg, nil
}

// credentialsFromEnv are the execution role's credentials: the keys Lambda
// puts in the environment, or — where a runtime gets them from a
// credentials endpoint instead (AWS_CONTAINER_CREDENTIALS_FULL_URI, with
// AWS_CONTAINER_AUTHORIZATION_TOKEN or _FILE), as the config package would
// read them — that endpoint.
func credentialsFromEnv(getenv func(string) string) (aws.CredentialsProvider, error) {
	id, secret := first(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), first(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id != "" && secret != "" {
		creds := credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))
		creds.Value.AccountID = getenv("AWS_ACCOUNT_ID")
		// As the config package names them (aws.Credentials.Source, and the
		// source the User-Agent reports).
		creds.Value.Source = "EnvConfigCredentials"
		creds.Source = []aws.CredentialSource{aws.CredentialSourceEnvVars}
		return creds, nil
	}
	if uri := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"); uri != "" {
		return endpointcreds.New(uri, func(o *endpointcreds.Options) {
			o.AuthorizationToken = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
			if file := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
				o.AuthorizationTokenProvider = tokenFile(file)
			}
			o.CredentialSources = []aws.CredentialSource{aws.CredentialSourceHTTP}
		}), nil
	}
	return nil, fmt.Errorf("no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them to the execution role's), nor AWS_CONTAINER_CREDENTIALS_FULL_URI")
}

// tokenFile reads the credentials endpoint's authorization token from a
// file each time credentials are fetched (the file may be rotated).
type tokenFile string

func (f tokenFile) GetToken() (string, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func first(getenv func(string) string, keys ...string) string {
	for _, k := range keys {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// boolean reads a true/false setting: nil when unset.
func boolean(getenv func(string) string, key string) (*bool, error) {
	v := getenv(key)
	if v == "" {
		return nil, nil
	}
	var b bool
	switch {
	case strings.EqualFold(v, "true"):
		b = true
	case strings.EqualFold(v, "false"):
	default:
		return nil, fmt.Errorf("%s %q: want true or false", key, v)
	}
	return &b, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// envSource gives the SDK's clients the environment's settings they look up
// in aws.Config.ConfigSources (by these methods, as they find the config
// package's EnvConfig's).
type envSource struct {
	getenv                           func(string) string
	ignoreEndpoints, fips, dualStack *bool
}

// GetServiceBaseEndpoint is AWS_ENDPOINT_URL_<SERVICE>.
func (s envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if isTrue(s.ignoreEndpoints) {
		return "", false, nil
	}
	v := s.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints is AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s envSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	if s.ignoreEndpoints == nil {
		return false, false, nil
	}
	return *s.ignoreEndpoints, true, nil
}

// GetUseFIPSEndpoint is AWS_USE_FIPS_ENDPOINT.
func (s envSource) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	switch {
	case s.fips == nil:
		return aws.FIPSEndpointStateUnset, false, nil
	case *s.fips:
		return aws.FIPSEndpointStateEnabled, true, nil
	}
	return aws.FIPSEndpointStateDisabled, true, nil
}

// GetUseDualStackEndpoint is AWS_USE_DUALSTACK_ENDPOINT.
func (s envSource) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	switch {
	case s.dualStack == nil:
		return aws.DualStackEndpointStateUnset, false, nil
	case *s.dualStack:
		return aws.DualStackEndpointStateEnabled, true, nil
	}
	return aws.DualStackEndpointStateDisabled, true, nil
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
