package test

// What the tests and benchmarks of the Lambda binaries share: the list of
// Lambdas, their build (once per architecture and test process) and the
// environment Lambda gives a function.

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// lambdaNames are the Lambdas: every lambdas/<name>/main.go, sorted.
func lambdaNames(tb testing.TB) []string {
	tb.Helper()
	mains, err := filepath.Glob("../lambdas/*/main.go")
	if err != nil || len(mains) == 0 {
		tb.Fatalf("no lambdas/*/main.go found: %v", err)
	}
	names := make([]string, len(mains))
	for i, m := range mains {
		names[i] = filepath.Base(filepath.Dir(m))
	}
	sort.Strings(names)
	return names
}

// deployBuildFlags are `make build`'s flags for a Lambda: what is deployed
// (with CGO_ENABLED=0 GOOS=linux).
var deployBuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

var (
	builtMu sync.Mutex
	built   = map[string]string{} // GOARCH -> folder of the binaries
)

// buildLambdas builds every Lambda for linux/goarch with the deploy flags
// (deployBuildFlags: stripped, trimmed, no RPC) and returns the folder that
// holds them, one binary per Lambda under its name. It builds once per
// architecture and test process (one go build of all the packages): the RIE
// test, the cold start benchmark and the size benchmark share the build. The
// folder is under TestMain's temporary folder, removed when the tests end.
func buildLambdas(tb testing.TB, goarch string) string {
	tb.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	if dir, ok := built[goarch]; ok {
		return dir
	}
	if localBin == "" {
		tb.Fatal("buildLambdas: TestMain did not run")
	}
	dir := filepath.Join(filepath.Dir(localBin), "lambdas-linux-"+goarch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	args := append([]string{"build"}, deployBuildFlags...)
	args = append(args, "-o", dir+string(filepath.Separator))
	for _, n := range lambdaNames(tb) {
		args = append(args, "../lambdas/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build the Lambdas for linux/%s: %v\n%s", goarch, err, out)
	}
	built[goarch] = dir
	return dir
}

// memoryMB is each Lambda's memory as the stack deploys it (cdk/lambdas.go):
// 256 MB, evaluate 1024.
func memoryMB(name string) int {
	if name == "evaluate" {
		return 1024
	}
	return 256
}

// lambdaEnv is the environment of a Lambda function as Lambda sets it (a
// provided.al2023 function of memoryMB), with fake credentials and every AWS
// client pointed at endpoint (AWS_ENDPOINT_URL), plus the function's own
// settings.
func lambdaEnv(name, endpoint string, settings map[string]string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/opt/bin",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=/var/task",
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"AWS_REGION=" + rieRegion, "AWS_DEFAULT_REGION=" + rieRegion,
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(memoryMB(name)),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_ACCESS_KEY_ID=AKIDRIETEST", "AWS_SECRET_ACCESS_KEY=rie-test-secret", "AWS_SESSION_TOKEN=rie-test-token",
		"AWS_ENDPOINT_URL=" + endpoint,
	}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	return env
}
