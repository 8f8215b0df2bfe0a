package awsconfig_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsconfig"
)

// lambdaEnv is what Lambda sets for a function's AWS clients.
var lambdaEnv = map[string]string{
	"AWS_REGION":            "eu-west-3",
	"AWS_DEFAULT_REGION":    "eu-west-3",
	"AWS_ACCESS_KEY_ID":     "ASIAEXAMPLE",
	"AWS_SECRET_ACCESS_KEY": "secret",
	"AWS_SESSION_TOKEN":     "token",
}

// sdkEnv are the SDK's environment settings awsconfig reads, cleared before
// each case.
var sdkEnv = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_SESSION_TOKEN", "AWS_ACCOUNT_ID", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_DYNAMODB",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_MAX_ATTEMPTS",
	"AWS_RETRY_MODE", "AWS_SDK_UA_APP_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_DEFAULTS_MODE",
}

// setEnv makes the process's environment Lambda's plus extra, with no
// shared config files.
func setEnv(t *testing.T, extra map[string]string) {
	t.Helper()
	for _, k := range sdkEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for k, v := range lambdaEnv {
		t.Setenv(k, v)
	}
	for k, v := range extra {
		if v == "" {
			os.Unsetenv(k)
			continue
		}
		t.Setenv(k, v)
	}
}

// TestSameAsTheSDKsConfigInLambda checks, for Lambda's environment and each
// setting awsconfig reads, that the configuration and the clients built
// from it are the ones config.LoadDefaultConfig gives.
func TestSameAsTheSDKsConfigInLambda(t *testing.T) {
	for name, extra := range map[string]map[string]string{
		"lambda":                   nil,
		"account id":               {"AWS_ACCOUNT_ID": "123456789012"},
		"endpoint":                 {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
		"service endpoint":         {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"},
		"service endpoint alone":   {"AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:9000"},
		"endpoints ignored":        {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:9000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
		"fips and dual-stack":      {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "TRUE"},
		"fips off":                 {"AWS_USE_FIPS_ENDPOINT": "false"},
		"retries":                  {"AWS_MAX_ATTEMPTS": "5", "AWS_RETRY_MODE": "adaptive"},
		"app id":                   {"AWS_SDK_UA_APP_ID": "ecs-compliance"},
		"default region only":      {"AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-south-2"},
		"no session token":         {"AWS_SESSION_TOKEN": ""},
		"old credential variables": {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_ACCESS_KEY": "AKIAOLD", "AWS_SECRET_KEY": "old"},
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, extra)
			ctx := context.Background()
			want, err := config.LoadDefaultConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := awsconfig.FromEnv(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if got.Region != want.Region || !reflect.DeepEqual(got.BaseEndpoint, want.BaseEndpoint) ||
				got.RetryMaxAttempts != want.RetryMaxAttempts || got.RetryMode != want.RetryMode || got.AppID != want.AppID ||
				got.AccountIDEndpointMode != want.AccountIDEndpointMode ||
				got.RequestChecksumCalculation != want.RequestChecksumCalculation || got.ResponseChecksumValidation != want.ResponseChecksumValidation {
				t.Errorf("config\n got %+v\nwant %+v", got, want)
			}
			gc, err := got.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wc, err := want.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if gc != wc {
				t.Errorf("credentials %+v, want %+v", gc, wc)
			}
			ge, we := ecs.NewFromConfig(got).Options(), ecs.NewFromConfig(want).Options()
			gd, wd := dynamodb.NewFromConfig(got).Options(), dynamodb.NewFromConfig(want).Options()
			for _, c := range []struct {
				name      string
				got, want any
			}{
				{"ECS endpoint", ge.BaseEndpoint, we.BaseEndpoint},
				{"DynamoDB endpoint", gd.BaseEndpoint, wd.BaseEndpoint},
				{"ECS endpoint options", ge.EndpointOptions, we.EndpointOptions},
				{"DynamoDB endpoint options", gd.EndpointOptions, wd.EndpointOptions},
				{"ECS retries", []any{ge.RetryMode, ge.RetryMaxAttempts}, []any{we.RetryMode, we.RetryMaxAttempts}},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s: %v, want %v", c.name, deref(c.got), deref(c.want))
				}
			}
		})
	}
}

func deref(v any) any {
	if s, ok := v.(*string); ok && s != nil {
		return *s
	}
	return v
}

// TestRefusesWhatItCannotUse: without a Region or credentials, or with a
// setting it cannot read, the Lambda's cold start fails with the reason.
func TestRefusesWhatItCannotUse(t *testing.T) {
	for name, c := range map[string]struct {
		extra map[string]string
		want  string
	}{
		"no region":          {map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, "AWS_REGION"},
		"no credentials":     {map[string]string{"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID"},
		"bad fips":           {map[string]string{"AWS_USE_FIPS_ENDPOINT": "yes"}, "AWS_USE_FIPS_ENDPOINT"},
		"bad attempts":       {map[string]string{"AWS_MAX_ATTEMPTS": "0"}, "AWS_MAX_ATTEMPTS"},
		"bad retry mode":     {map[string]string{"AWS_RETRY_MODE": "eager"}, "AWS_RETRY_MODE"},
		"bad ignore setting": {map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "1"}, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range lambdaEnv {
				env[k] = v
			}
			for k, v := range c.extra {
				env[k] = v
			}
			_, err := awsconfig.FromEnv(func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one naming %s", err, c.want)
			}
		})
	}
}

// Without keys in the environment, the role's credentials come from the
// credentials endpoint a runtime may be given instead, with its token.
func TestCredentialsFromTheContainerEndpoint(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"AccessKeyId": "AKIDENDPOINT", "SecretAccessKey": "secret", "Token": "session", "Expiration": %q}`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	defer srv.Close()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]map[string]string{
		"the token":           {"AWS_CONTAINER_AUTHORIZATION_TOKEN": "tok"},
		"the token from file": {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token},
	} {
		t.Run(name, func(t *testing.T) {
			env["AWS_REGION"] = "us-east-1"
			env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = srv.URL
			cfg, err := awsconfig.FromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"the token": "tok", "the token from file": "from-file"}[name]
			if creds.AccessKeyID != "AKIDENDPOINT" || creds.SessionToken != "session" || auth != want {
				t.Errorf("credentials %+v, Authorization %q (want %q)", creds, auth, want)
			}
		})
	}
}
