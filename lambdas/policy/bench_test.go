package policy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
)

// benchService is the five-container task's service as the evaluate step
// gives it to the policy (input.service: DescribeServices without its
// run-time state), configured as the service rules want it.
const benchService = `{
  "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
  "serviceName": "web",
  "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
  "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0a1b2c3d4e5f6a7b", "containerName": "web", "containerPort": 8080}],
  "serviceRegistries": [],
  "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
  "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}, "maximumPercent": 200, "minimumHealthyPercent": 100},
  "launchType": "FARGATE",
  "platformVersion": "LATEST",
  "platformFamily": "Linux",
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d4e5f60718"], "securityGroups": ["sg-0a1b2c3d4e5f60718"], "assignPublicIp": "DISABLED"}},
  "schedulingStrategy": "REPLICA",
  "deploymentController": {"type": "ECS"},
  "tags": [{"key": "owner", "value": "team-web"}],
  "enableECSManagedTags": true,
  "propagateTags": "SERVICE",
  "enableExecuteCommand": false
}`

// fiveContainerInput is the policy input of the evaluate step's benchmark
// (lambdas/steps/evaluate/testdata/five-containers.state.json: a service
// task with five containers, two hardened, one from public ECR running as
// root, one from Docker Hub with an API key in its environment, one on
// :latest), with its service.
func fiveContainerInput(tb testing.TB) policy.Input {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "steps", "evaluate", "testdata", "five-containers.state.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var st struct {
		Account   string          `json:"account"`
		Region    string          `json:"region"`
		Time      string          `json:"time"`
		Detail    json.RawMessage `json:"detail"`
		Described struct {
			TaskDefinition json.RawMessage   `json:"taskDefinition"`
			Tags           map[string]string `json:"tags"`
		} `json:"described"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		tb.Fatal(err)
	}
	return policy.Input{
		Task: st.Detail, TaskDefinition: st.Described.TaskDefinition, Service: json.RawMessage(benchService),
		Tags: st.Described.Tags, Context: policy.Context{Account: st.Account, Region: st.Region, Time: st.Time},
	}
}

// benchFiles is the shipped library, or the bundle in the folder
// BENCH_POLICY_DIR names (to compare with another version of the policy,
// e.g. `git worktree add /tmp/old HEAD` and BENCH_POLICY_DIR=/tmp/old/policies).
func benchFiles(tb testing.TB) map[string]string {
	tb.Helper()
	dir := os.Getenv("BENCH_POLICY_DIR")
	if dir == "" {
		return libraryFiles(tb)
	}
	files, err := bundle.ReadFS(os.DirFS(dir))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// BenchmarkEvaluate is one judgement of the warm evaluate Lambda: the whole
// library compiled once (outside the timer), then one evaluation of the
// five-container task, converting its input and checking the decision's
// shape.
func BenchmarkEvaluate(b *testing.B) {
	p, err := policy.Compile(context.Background(), benchFiles(b))
	if err != nil {
		b.Fatal(err)
	}
	in := fiveContainerInput(b)
	d, err := p.Decide(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(d.Violations)+len(d.Warnings)+len(d.Exempted)), "findings")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Decide(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFiveContainerJudgement pins what the benchmark's task breaks, so that
// the benchmark measures the evaluation it says it does.
func TestFiveContainerJudgement(t *testing.T) {
	p, err := policy.Compile(context.Background(), libraryFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Decide(context.Background(), fiveContainerInput(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, v := range append(append(d.Violations, d.Warnings...), d.Exempted...) {
		got[v.Rule]++
	}
	want := map[string]int{
		"approved_registries": 2, "readonly_root_filesystem": 1, "secret_env_names": 1, "secret_env_values": 1,
		"image_digest": 3, "image_tag": 1, "non_root_user": 1, "health_check": 4, "awslogs_non_blocking": 5,
	}
	if len(got) != len(want) {
		t.Errorf("findings per rule %v, want %v", got, want)
	}
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("%s: %d finding(s), want %d (all: %v)", rule, got[rule], n, got)
		}
	}
}

// BenchmarkInputValue is the conversion of the five-container input to
// OPA's value, part of every evaluation (valueFromJSON over jsonscan; it was
// ast.ValueFromReader, about five times slower).
func BenchmarkInputValue(b *testing.B) {
	in := fiveContainerInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Value(); err != nil {
			b.Fatal(err)
		}
	}
}
