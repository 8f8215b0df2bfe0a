// Package test holds the end-to-end tests: the local executor, built as users
// run it, over the fixtures in this folder (events/, worlds/), and each
// Lambda binary under the Lambda Runtime Interface Emulator (rie_test.go).
package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// localBin is the local executor, built once for the package's tests.
var localBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecs-compliance-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	localBin = filepath.Join(dir, "local")
	build := exec.Command("go", "build", "-o", localBin, "../statemachine/local")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the local executor:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// record is the executor's JSON execution record (design.md).
type record struct {
	Event    string   `json:"event"`
	Status   string   `json:"status"`
	Error    string   `json:"error"`
	States   []string `json:"states"`
	Decision *struct {
		Compliant  bool        `json:"compliant"`
		Violations []violation `json:"violations"`
		Warnings   []violation `json:"warnings"`
		Exempted   []violation `json:"exempted"`
	} `json:"decision"`
	Actions []struct {
		API    string `json:"api"`
		Target string `json:"target"`
	} `json:"actions"`
	Notifications []struct {
		Subject    string            `json:"subject"`
		Message    string            `json:"message"`
		Attributes map[string]string `json:"attributes"`
	} `json:"notifications"`
	Findings []map[string]any `json:"findings"`
}

type violation struct {
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	Container string `json:"container"`
	Message   string `json:"message"`
}

func (r record) apis() []string {
	out := []string{}
	for _, a := range r.Actions {
		out = append(out, a.API)
	}
	return out
}

// run runs the executor with --json and returns its records, failing the
// test when it exits with anything but wantExit.
func run(t *testing.T, wantExit int, args ...string) []record {
	t.Helper()
	cmd := exec.Command(localBin, append([]string{"--json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != wantExit {
		t.Fatalf("local %s: exit %d (want %d), err %v\nstderr:\n%s", strings.Join(args, " "), got, wantExit, err, stderr.String())
	}
	var out []record
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var r record
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decode record: %v", err)
		}
		out = append(out, r)
	}
	return out
}

var remediation = []string{"UpdateService", "StopTask", "DeregisterTaskDefinition"}

// The acceptance run of the workflow issue: a compliant ECR service task, a
// Docker Hub service task, and a later event of that task.
func TestCompliantViolatingAndDuplicate(t *testing.T) {
	recs := run(t, 0, "--mode", "enforce", "--world", "worlds/demo.json",
		"events/ecr-service-task.json", "events/dockerhub-service-task.json", "events/dockerhub-service-task-running.json")
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	ok, bad, dup := recs[0], recs[1], recs[2]

	if ok.Status != "SUCCEEDED" || len(ok.Actions) != 0 || len(ok.Notifications) != 0 || len(ok.Findings) != 0 {
		t.Errorf("compliant task: %+v", ok)
	}
	if ok.Decision == nil || !ok.Decision.Compliant || last(ok.States) != "Task is compliant" {
		t.Errorf("compliant task: decision %+v, states %v", ok.Decision, ok.States)
	}

	if bad.Status != "SUCCEEDED" || !reflect.DeepEqual(bad.apis(), remediation) {
		t.Errorf("Docker Hub task: status %s, actions %v, want %v", bad.Status, bad.apis(), remediation)
	}
	wantTargets := []string{
		"arn:aws:ecs:us-east-1:123456789012:service/prod/api",
		"arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0",
		"arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
	}
	for i, a := range bad.Actions {
		if a.Target != wantTargets[i] {
			t.Errorf("action %d target %s, want %s", i, a.Target, wantTargets[i])
		}
	}
	if len(bad.Notifications) != 1 || len(bad.Findings) == 0 {
		t.Fatalf("Docker Hub task: %d notifications, %d findings", len(bad.Notifications), len(bad.Findings))
	}
	if bad.Decision == nil || bad.Decision.Compliant || len(bad.Decision.Violations) != 1 || bad.Decision.Violations[0].Rule != "approved_registries" {
		t.Errorf("Docker Hub task decision: %+v", bad.Decision)
	}
	n := bad.Notifications[0]
	for _, want := range []string{"REMEDIATED", "prod/api", "approved_registries", "docker.io", "--desired-count 2"} {
		if !strings.Contains(n.Subject+n.Message, want) {
			t.Errorf("SNS message lacks %q:\n%s\n%s", want, n.Subject, n.Message)
		}
	}
	if len(n.Subject) >= 100 {
		t.Errorf("subject is %d characters", len(n.Subject))
	}
	for _, f := range bad.Findings {
		checkASFF(t, f)
	}

	if dup.Status != "SUCCEEDED" || len(dup.Actions)+len(dup.Notifications)+len(dup.Findings) != 0 || dup.Decision != nil {
		t.Errorf("duplicate event: %+v", dup)
	}
	if last(dup.States) != "Skip duplicate event" {
		t.Errorf("duplicate event states: %v", dup.States)
	}
}

func TestStandaloneTaskIsStoppedWithoutTouchingAService(t *testing.T) {
	recs := run(t, 0, "--mode", "enforce", "events/standalone-task.json")
	r := recs[0]
	if want := []string{"StopTask", "DeregisterTaskDefinition"}; !reflect.DeepEqual(r.apis(), want) {
		t.Fatalf("actions %v, want %v", r.apis(), want)
	}
	for _, s := range r.States {
		if s == "Scale service to zero" {
			t.Fatalf("a standalone task entered %q", s)
		}
	}
	if len(r.Notifications) != 1 {
		t.Fatalf("%d notifications", len(r.Notifications))
	}
}

// ECS delivers several events per task, each at least once: act once.
func TestFiveDeliveriesActOnce(t *testing.T) {
	ev := "events/dockerhub-service-task.json"
	recs := run(t, 0, "--mode", "enforce", "--world", "worlds/demo.json", ev, ev, ev, ev, ev)
	actions, messages := 0, 0
	for i, r := range recs {
		actions += len(r.Actions)
		messages += len(r.Notifications)
		if i > 0 && last(r.States) != "Skip duplicate event" {
			t.Errorf("delivery %d: states %v", i+1, r.States)
		}
	}
	if actions != 3 || messages != 1 {
		t.Fatalf("%d actions and %d messages over five deliveries, want 3 and 1", actions, messages)
	}
}

// Every simulated AWS call fails twice with ThrottlingException: the
// workflow's retries absorb it.
func TestThrottlingIsRetried(t *testing.T) {
	recs := run(t, 0, "--mode", "enforce", "--throttle-first", "2", "--world", "worlds/demo.json",
		"events/ecr-service-task.json", "events/dockerhub-service-task.json")
	if recs[0].Status != "SUCCEEDED" || len(recs[0].Actions) != 0 {
		t.Errorf("compliant task under throttling: %+v", recs[0])
	}
	if recs[1].Status != "SUCCEEDED" || !reflect.DeepEqual(recs[1].apis(), remediation) || len(recs[1].Notifications) != 1 {
		t.Errorf("violating task under throttling: status %s, actions %v, %d notifications",
			recs[1].Status, recs[1].apis(), len(recs[1].Notifications))
	}
}

// A registry host that merely starts with the account's ECR host is not it.
func TestLookalikeRegistryIsNotApproved(t *testing.T) {
	r := run(t, 0, "--mode", "enforce", "events/lookalike-registry-task.json")[0]
	if r.Decision == nil || len(r.Decision.Violations) == 0 || r.Decision.Violations[0].Rule != "approved_registries" {
		t.Fatalf("decision %+v", r.Decision)
	}
	if !strings.Contains(r.Decision.Violations[0].Message, "amazonaws.com.evil.io") {
		t.Errorf("message does not name the registry: %s", r.Decision.Violations[0].Message)
	}
	if !reflect.DeepEqual(r.apis(), remediation) {
		t.Errorf("actions %v", r.apis())
	}
}

// Audit mode (the deployed default) reports and changes nothing.
func TestAuditModeReportsOnly(t *testing.T) {
	r := run(t, 0, "--world", "worlds/demo.json", "events/dockerhub-service-task.json")[0]
	if len(r.Actions) != 0 {
		t.Fatalf("audit mode changed %v", r.apis())
	}
	if len(r.Notifications) != 1 || r.Notifications[0].Attributes["outcome"] != "REPORTED" {
		t.Fatalf("notifications %+v", r.Notifications)
	}
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
}

// A policy whose decision has the wrong shape fails the workflow with a
// report, and never remediates.
func TestBrokenDecisionGoesToTheFailureReport(t *testing.T) {
	dir := t.TempDir()
	rego := "package ecs.compliance\n\ndecision := {\"compliant\": false, \"violations\": \"not a list\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "decision.rego"), []byte(rego), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := "events/dockerhub-service-task.json"
	recs := run(t, 1, "--mode", "enforce", "--policy", dir, ev, ev)
	r := recs[0]
	if r.Status != "FAILED" || len(r.Actions) != 0 {
		t.Fatalf("status %s, actions %v", r.Status, r.apis())
	}
	if !contains(r.States, "Report failure") {
		t.Fatalf("states %v", r.States)
	}
	if len(r.Notifications) != 1 || r.Notifications[0].Attributes["outcome"] != "FAILED" ||
		!strings.Contains(r.Notifications[0].Message, "Evaluate task against policy") {
		t.Fatalf("failure report %+v", r.Notifications)
	}
	// The failed execution released the task's claim: the redelivery is
	// evaluated again instead of being skipped as handled.
	if again := recs[1]; !contains(again.States, "Evaluate task against policy") || contains(again.States, "Skip duplicate event") {
		t.Fatalf("redelivery after a failure: states %v", again.States)
	}
}

// A policy that does not compile is refused before any event runs, with the
// file and line.
func TestPolicyThatDoesNotCompileIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.rego"), []byte("package ecs.compliance\n\ndecision := {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(localBin, "--policy", dir, "events/ecr-service-task.json")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "bad.rego:") {
		t.Fatalf("exit %d, output:\n%s", cmd.ProcessState.ExitCode(), out)
	}
}

func TestBadUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no event":         {},
		"missing event":    {"events/nope.json"},
		"bad mode":         {"--mode", "strict", "events/ecr-service-task.json"},
		"bad approval":     {"--approval", "maybe", "events/ecr-service-task.json"},
		"bad world":        {"--world", "events/ecr-service-task.json", "events/ecr-service-task.json"},
		"negative retries": {"--throttle-first", "-1", "events/ecr-service-task.json"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(localBin, args...)
			out, _ := cmd.CombinedOutput()
			if cmd.ProcessState.ExitCode() != 2 || len(out) == 0 {
				t.Fatalf("exit %d, output %q", cmd.ProcessState.ExitCode(), out)
			}
		})
	}
}

// checkASFF checks that a finding carries every field Security Hub requires,
// and the ones the workflow promises (compliance, remediation, the task).
func checkASFF(t *testing.T, f map[string]any) {
	t.Helper()
	for _, field := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
		"CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources", "Compliance", "Remediation", "RecordState"} {
		if f[field] == nil {
			t.Errorf("finding %v lacks %s", f["Id"], field)
		}
	}
	if f["ProductArn"] != "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default" {
		t.Errorf("ProductArn %v", f["ProductArn"])
	}
	if c, _ := f["Compliance"].(map[string]any); c["Status"] != "FAILED" {
		t.Errorf("Compliance %v", f["Compliance"])
	}
	id, _ := f["Id"].(string)
	if !strings.HasSuffix(id, "/"+fmt.Sprint(f["GeneratorId"])) {
		t.Errorf("Id %s is not the task ARN and the rule id %v", id, f["GeneratorId"])
	}
	res, _ := f["Resources"].([]any)
	types := map[string]bool{}
	for _, r := range res {
		if m, ok := r.(map[string]any); ok {
			types[fmt.Sprint(m["Type"])] = true
		}
	}
	if !types["AwsEcsTask"] || !types["AwsEcsTaskDefinition"] {
		t.Errorf("resources %v lack AwsEcsTask or AwsEcsTaskDefinition", types)
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
