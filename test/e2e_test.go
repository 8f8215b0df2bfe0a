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
	"slices"
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
	build := exec.Command("go", "build", "-o", localBin, "../statemachine/ecs-compliance")
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
	Event     string   `json:"event"`
	Status    string   `json:"status"`
	Error     string   `json:"error"`
	Cause     string   `json:"cause"`
	Filtered  string   `json:"filtered"`
	Triage    []string `json:"triage"`
	States    []string `json:"states"`
	Judgement *struct {
		Key        string `json:"key"`
		PolicyHash string `json:"policyHash"`
		JudgedAt   string `json:"judgedAt"`
	} `json:"judgement"`
	Billing struct {
		StandardExecutions  int `json:"standardExecutions"`
		StandardTransitions int `json:"standardTransitions"`
		ExpressRequests     int `json:"expressRequests"`
		LambdaInvocations   int `json:"lambdaInvocations"`
		FindingsImported    int `json:"findingsImported"`
		SNSPublishes        int `json:"snsPublishes"`
	} `json:"billing"`
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

	if ok.Status != "SUCCEEDED" || len(ok.Actions) != 0 {
		t.Errorf("compliant task: %+v", ok)
	}
	if ok.Decision == nil || !ok.Decision.Compliant || len(ok.Decision.Violations) != 0 {
		t.Errorf("compliant task: decision %+v, states %v", ok.Decision, ok.States)
	}
	// Record task looks the judgement up in the same invocation.
	if want := []string{"Record task", "First event for this task?",
		"What is known about this task definition?", "Start compliance workflow"}; !reflect.DeepEqual(ok.Triage, want) {
		t.Errorf("first task of a revision: triage %v, want %v", ok.Triage, want)
	}
	if ok.Billing.ExpressRequests != 1 || ok.Billing.StandardExecutions != 1 || ok.Billing.StandardTransitions != len(ok.States) {
		t.Errorf("first judgement billing %+v for states %v", ok.Billing, ok.States)
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
	if last(dup.Triage) != "Skip duplicate event" || len(dup.States) != 0 {
		t.Errorf("duplicate event: triage %v, states %v", dup.Triage, dup.States)
	}
	if b := dup.Billing; b.ExpressRequests != 1 || b.LambdaInvocations != 1 || b.StandardExecutions+b.StandardTransitions+b.SNSPublishes+b.FindingsImported != 0 {
		t.Errorf("a duplicate costs one Express request and one Lambda invocation; billing %+v", b)
	}
	// What README.md's excerpt of `make demo` shows for the first two.
	if bad.Decision != nil && len(bad.Decision.Warnings) != 6 {
		t.Errorf("Docker Hub task: %d warnings, README.md's demo shows 6", len(bad.Decision.Warnings))
	}
	checkBilling(t, "compliant task", ok, demoBilling{transitions: 8, lambdas: 5})
	checkBilling(t, "Docker Hub task", bad, demoBilling{transitions: 20, lambdas: 11, sns: 1, findings: 7})
}

// demoBilling is what README.md's demo excerpt says one event of a Standard
// execution cost.
type demoBilling struct{ transitions, lambdas, sns, findings int }

func checkBilling(t *testing.T, what string, r record, want demoBilling) {
	t.Helper()
	b := r.Billing
	if got := (demoBilling{b.StandardTransitions, b.LambdaInvocations, b.SNSPublishes, b.FindingsImported}); got != want ||
		b.ExpressRequests != 1 || b.StandardExecutions != 1 {
		t.Errorf("%s: billing %+v, README.md's demo shows 1 Express request, 1 Standard execution and %+v", what, b, want)
	}
}

// A second task of a revision judged REMEDIATE is stopped on the stored
// judgement: no policy load, no evaluation, no new message; the incident's
// finding is updated in place with the task count.
func TestLaterTaskOfAViolatingRevisionIsStoppedWithoutANewMessage(t *testing.T) {
	recs := run(t, 0, "--mode", "enforce", "--world", "worlds/demo.json",
		"events/dockerhub-service-task.json", "events/dockerhub-service-task-second.json")
	first, second := recs[0], recs[1]
	if len(first.Notifications) != 1 {
		t.Fatalf("first task: %d messages, want 1", len(first.Notifications))
	}
	if !reflect.DeepEqual(second.apis(), []string{"StopTask"}) || second.Actions[0].Target != "arn:aws:ecs:us-east-1:123456789012:task/prod/2c3d4e5f6a7b48293a4b5c6d7e8f9a01" {
		t.Errorf("second task: actions %+v, want only its StopTask (the service is at 0, the revision deregistered)", second.Actions)
	}
	for _, s := range []string{"Load policy from Parameter Store", "Evaluate task against policy", "Notify SNS topic"} {
		if slices.Contains(second.States, s) {
			t.Errorf("second task entered %q: states %v", s, second.States)
		}
	}
	// The record's judgement says which stored judgement applied: none for
	// the first task (evaluated now), the first task's for the second.
	if first.Judgement != nil || !slices.Contains(second.States, "Take the stored judgement") || second.Judgement == nil ||
		second.Judgement.Key == "" || second.Judgement.JudgedAt != "2026-11-27T09:05:00Z" {
		t.Errorf("states %v, judgement %+v (first %+v); want the one stored at the first task's event", second.States, second.Judgement, first.Judgement)
	}
	if len(second.Notifications) != 0 || second.Billing.SNSPublishes != 0 {
		t.Errorf("second task: %d messages, want none (same incident)", len(second.Notifications))
	}
	if len(second.Findings) != 1 {
		t.Fatalf("second task: %d findings, want the violation's finding updated", len(second.Findings))
	}
	f := second.Findings[0]
	pf, _ := f["ProductFields"].(map[string]any)
	if pf["ecs-compliance/PreviousDesiredCount"] != "2" {
		t.Errorf("second task's finding: PreviousDesiredCount %v, want the incident's first (2): the service is at 0 now", pf["ecs-compliance/PreviousDesiredCount"])
	}
	if f["Id"] != first.Findings[0]["Id"] || pf["ecs-compliance/TaskCount"] != "2" {
		t.Errorf("second task's finding: Id %v (first %v), TaskCount %v; want the same finding, 2 tasks", f["Id"], first.Findings[0]["Id"], pf["ecs-compliance/TaskCount"])
	}
	checkBilling(t, "second task", second, demoBilling{transitions: 13, lambdas: 6, findings: 1})
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
		if i > 0 && (last(r.Triage) != "Skip duplicate event" || len(r.States) != 0) {
			t.Errorf("delivery %d: triage %v, states %v", i+1, r.Triage, r.States)
		}
	}
	if actions != 3 || messages != 1 {
		t.Fatalf("%d actions and %d messages over five deliveries, want 3 and 1", actions, messages)
	}
}

// Every simulated AWS call is throttled on its first 3 tries: the SDK's
// own retries (3 attempts) absorb some, the state machines' Retry the rest.
func TestThrottlingIsRetried(t *testing.T) {
	calm := run(t, 0, "--mode", "enforce", "--world", "worlds/demo.json",
		"events/ecr-service-task.json", "events/dockerhub-service-task.json")
	recs := run(t, 0, "--mode", "enforce", "--throttle-first", "3", "--world", "worlds/demo.json",
		"events/ecr-service-task.json", "events/dockerhub-service-task.json")
	for i := range recs {
		if recs[i].Billing.LambdaInvocations <= calm[i].Billing.LambdaInvocations {
			t.Errorf("event %d: %d Lambda invocations under throttling, %d without: nothing was retried",
				i+1, recs[i].Billing.LambdaInvocations, calm[i].Billing.LambdaInvocations)
		}
	}
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
	if !slices.Contains(r.States, "Report failure") || last(r.States) != "Workflow failed" {
		t.Fatalf("states %v", r.States)
	}
	if len(r.Notifications) != 1 || r.Notifications[0].Attributes["outcome"] != "FAILED" ||
		!strings.Contains(r.Notifications[0].Message, "Evaluate task against policy") {
		t.Fatalf("failure report %+v", r.Notifications)
	}
	// The failed execution released the task's claim: the redelivery is
	// evaluated again instead of being skipped as handled.
	if again := recs[1]; !slices.Contains(again.States, "Evaluate task against policy") || slices.Contains(again.Triage, "Skip duplicate event") {
		t.Fatalf("redelivery after a failure: triage %v, states %v", again.Triage, again.States)
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

// An event that cannot be read or is not JSON gets a FAILED record naming
// it; the events after it still run.
func TestBrokenEventsDoNotStopTheRun(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "not-json.json")
	if err := os.WriteFile(notJSON, []byte("{\"source\": "), 0o644); err != nil {
		t.Fatal(err)
	}
	recs := run(t, 1, "--mode", "enforce", "--world", "worlds/demo.json",
		"events/nope.json", notJSON, "events/dockerhub-service-task.json")
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, r := range recs[:2] {
		if r.Status != "FAILED" || !strings.Contains(r.Cause, r.Event) || r.Event == "" {
			t.Errorf("broken event %d: %+v", i+1, r)
		}
	}
	if r := recs[2]; r.Status != "SUCCEEDED" || !reflect.DeepEqual(r.apis(), remediation) {
		t.Errorf("the event after the broken ones: status %s, actions %v", r.Status, r.apis())
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
	c, _ := f["Compliance"].(map[string]any)
	switch c["Status"] {
	case "FAILED":
		if f["RecordState"] != "ACTIVE" {
			t.Errorf("a FAILED finding is %v", f["RecordState"])
		}
	case "PASSED": // resolved: the revision was deregistered or is no longer flagged
		if f["RecordState"] != "ARCHIVED" {
			t.Errorf("a PASSED finding is %v", f["RecordState"])
		}
	default:
		t.Errorf("Compliance %v", f["Compliance"])
	}
	id, _ := f["Id"].(string)
	if !strings.HasPrefix(id, "arn:aws:ecs:us-east-1:123456789012:task-definition/") || !strings.HasSuffix(id, "/"+fmt.Sprint(f["GeneratorId"])) {
		t.Errorf("Id %s is not the task definition revision and the rule id %v", id, f["GeneratorId"])
	}
	res, _ := f["Resources"].([]any)
	types := map[string]bool{}
	for _, r := range res {
		if m, ok := r.(map[string]any); ok {
			types[fmt.Sprint(m["Type"])] = true
		}
	}
	if !types["AwsEcsTaskDefinition"] {
		t.Errorf("resources %v lack AwsEcsTaskDefinition", types)
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
