package evaluate_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/evaluate"
	"github.com/ecs-compliance/ecs-compliance/policies"
)

// library is the shipped policy bundle, as Load policy returns it.
func library(t testing.TB) contract.Bundle {
	t.Helper()
	files, err := bundle.ReadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	return contract.Bundle{
		Path:     bundle.DefaultPath,
		Hash:     bundle.Hash(files),
		Versions: map[string]int64{bundle.ParameterName(bundle.DefaultPath, "data.json"): 3},
		Files:    files,
	}
}

// withData is the library with data.ecs.config changed by edit.
func withData(t testing.TB, edit func(cfg map[string]any)) contract.Bundle {
	t.Helper()
	b := library(t)
	var data map[string]any
	if err := json.Unmarshal([]byte(b.Files["data.json"]), &data); err != nil {
		t.Fatal(err)
	}
	edit(data["ecs"].(map[string]any)["config"].(map[string]any))
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for k, v := range b.Files {
		files[k] = v
	}
	files["data.json"] = string(raw)
	b.Files, b.Hash = files, bundle.Hash(files)
	return b
}

// fiveContainers is testdata/five-containers.state.json (a service task with
// five containers: two hardened, one from public ECR running as root, one
// from Docker Hub with an API key in its environment, one on :latest) with
// the policy bundle b loaded.
func fiveContainers(t testing.TB, b contract.Bundle) contract.State {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "five-containers.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st contract.State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	st.Evaluation.Policy = b
	return st
}

// sampleState is a state whose task is the input of a library sample.
func sampleState(t testing.TB, b contract.Bundle, rule, name string) contract.State {
	t.Helper()
	raw, err := policies.FS.ReadFile("ecs/rules/" + rule + "/samples/samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var samples map[string]struct {
		Input struct {
			Task           json.RawMessage   `json:"task"`
			TaskDefinition json.RawMessage   `json:"taskDefinition"`
			Tags           map[string]string `json:"tags"`
			Context        policy.Context    `json:"context"`
		} `json:"input"`
	}
	if err := json.Unmarshal(raw, &samples); err != nil {
		t.Fatal(err)
	}
	in, ok := samples[name]
	if !ok {
		t.Fatalf("no sample %s/%s", rule, name)
	}
	return contract.State{
		Event: contract.Event{
			DetailType: "ECS Task State Change", Source: "aws.ecs",
			Account: in.Input.Context.Account, Region: in.Input.Context.Region, Time: in.Input.Context.Time,
			Detail: in.Input.Task,
		},
		Evaluation: &contract.Evaluation{Policy: b},
		Described:  &contract.Described{TaskDefinition: in.Input.TaskDefinition, Tags: in.Input.Tags},
	}
}

func TestOutcome(t *testing.T) {
	lib := library(t)
	exempt := withData(t, func(cfg map[string]any) {
		cfg["exemptions"] = []any{map[string]any{
			"scope": map[string]any{"service": "web"}, "rules": []any{"approved_registries"},
			"reason": "vendor image", "expires": "2026-12-31",
		}}
	})
	tests := []struct {
		name       string
		bundle     contract.Bundle
		rule, smpl string
		mode       contract.Mode
		want       contract.Outcome
	}{
		{"hardened task is compliant", lib, "privileged_container", "pass", contract.ModeEnforce, contract.OutcomeCompliant},
		{"registry violation in enforce mode remediates", lib, "approved_registries", "docker_hub", contract.ModeEnforce, contract.OutcomeRemediate},
		{"registry violation in audit mode reports", lib, "approved_registries", "docker_hub", contract.ModeAudit, contract.OutcomeReport},
		{"no mode means audit", lib, "approved_registries", "docker_hub", "", contract.OutcomeReport},
		{"warnings only report, even in enforce mode", lib, "privileged_container", "privileged", contract.ModeEnforce, contract.OutcomeReport},
		{"an exempted violation reports", exempt, "approved_registries", "docker_hub", contract.ModeEnforce, contract.OutcomeReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: tt.mode}
			got, err := h.Evaluate(context.Background(), sampleState(t, tt.bundle, tt.rule, tt.smpl))
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want {
				t.Errorf("outcome %s, want %s (decision %+v)", got.Outcome, tt.want, got.Decision)
			}
			wantMode := tt.mode
			if wantMode == "" {
				wantMode = contract.ModeAudit
			}
			if got.Mode != wantMode {
				t.Errorf("mode %q, want %q", got.Mode, wantMode)
			}
		})
	}
}

func TestApprovalRequired(t *testing.T) {
	severities := func(labels ...any) contract.Bundle {
		list := append([]any{}, labels...) // never null
		return withData(t, func(cfg map[string]any) { cfg["approval"] = map[string]any{"severities": list} })
	}
	tests := []struct {
		name     string
		bundle   contract.Bundle
		approval bool
		mode     contract.Mode
		smpl     string
		want     bool
	}{
		{"approval on, remediation, every severity", severities(), true, contract.ModeEnforce, "docker_hub", true},
		{"approval on, remediation, the violation's severity listed", severities("CRITICAL", "HIGH"), true, contract.ModeEnforce, "docker_hub", true},
		{"approval on, remediation, severity not listed", severities("CRITICAL"), true, contract.ModeEnforce, "docker_hub", false},
		{"approval off", severities(), false, contract.ModeEnforce, "docker_hub", false},
		{"approval on but audit mode", severities(), true, contract.ModeAudit, "docker_hub", false},
		{"approval on but compliant", severities(), true, contract.ModeEnforce, "pass", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: tt.mode, Approval: tt.approval, ApprovalTimeoutSeconds: 3600}
			got, err := h.Evaluate(context.Background(), sampleState(t, tt.bundle, "approved_registries", tt.smpl))
			if err != nil {
				t.Fatal(err)
			}
			if got.ApprovalRequired != tt.want {
				t.Errorf("ApprovalRequired = %t, want %t", got.ApprovalRequired, tt.want)
			}
			wantTimeout := 0
			if tt.want {
				wantTimeout = 3600
			}
			if got.ApprovalTimeoutSeconds != wantTimeout {
				t.Errorf("ApprovalTimeoutSeconds = %d, want %d", got.ApprovalTimeoutSeconds, wantTimeout)
			}
		})
	}
}

// A registration's judgement holds for every task of the revision only
// through violations that no cluster- or service-scoped exemption could
// lift; a task's judgement never claims it (and does not evaluate the
// task-scoped rules at all).
func TestHoldsForEveryTask(t *testing.T) {
	registration := func(b contract.Bundle) contract.State {
		st := fiveContainers(t, b)
		st.Task.Kind = contract.KindRegistration
		return st
	}
	liftable := withData(t, func(cfg map[string]any) {
		cfg["exemptions"] = []any{map[string]any{
			"scope": map[string]any{"cluster": "prod"}, "rules": []any{"approved_registries"},
			"reason": "vendor images", "expires": "2099-12-31",
		}}
	})
	tests := []struct {
		name string
		st   contract.State
		want bool
	}{
		{"a registration with no task-scoped exemption", registration(library(t)), true},
		{"a registration whose deny-level rule a cluster exemption could lift", registration(liftable), false},
		{"a task", fiveContainers(t, library(t)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: contract.ModeEnforce}
			got, err := h.Evaluate(context.Background(), tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != contract.OutcomeRemediate || got.HoldsForEveryTask != tt.want {
				t.Errorf("outcome %s, HoldsForEveryTask %t; want REMEDIATE, %t", got.Outcome, got.HoldsForEveryTask, tt.want)
			}
		})
	}
}

func TestResultKeepsTheBundleIdentityButNotItsFiles(t *testing.T) {
	b := library(t)
	h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: contract.ModeEnforce}
	got, err := h.Evaluate(context.Background(), fiveContainers(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if got.Policy.Files != nil {
		t.Error("the result carries the bundle's files")
	}
	if got.Policy.Path != b.Path || got.Policy.Hash != b.Hash || len(got.Policy.Versions) != 1 {
		t.Errorf("policy %+v, want path %s, hash %s and the versions", got.Policy, b.Path, b.Hash)
	}
	unhashed := fiveContainers(t, b)
	unhashed.Evaluation.Policy.Hash = ""
	got, err = h.Evaluate(context.Background(), unhashed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Policy.Hash != b.Hash {
		t.Errorf("hash %q for a bundle loaded without one, want the computed %q", got.Policy.Hash, b.Hash)
	}
}

// TestFiveContainersGolden pins the whole $.evaluation for a realistic task,
// as the rest of the workflow (SNS message, Security Hub findings) reads it.
// Regenerate with: go test ./lambdas/steps/evaluate -run Golden -update
func TestFiveContainersGolden(t *testing.T) {
	h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: contract.ModeEnforce, Approval: true, ApprovalTimeoutSeconds: 86400}
	st := fiveContainers(t, library(t))
	payload, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	// Through step.Invoke: the payload contract, byte for byte.
	out, err := step.Invoke(context.Background(), h.Handle, payload)
	if err != nil {
		t.Fatal(err)
	}
	var doc contract.State
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Evaluation == nil || doc.Described == nil || doc.Task == nil || doc.Detail == nil {
		t.Fatalf("the step returns the whole document; got %s", out)
	}
	ev := *doc.Evaluation
	ev.Policy.Hash = "(hash of the shipped bundle)" // changes with every policy edit
	got, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "five-containers.evaluation.golden.json"), got)
	if strings.Contains(string(out), `"files"`) {
		t.Error("the output JSON carries the bundle's files")
	}
	// The raw task definition is summarised: no environment, secrets or
	// commands ride on.
	for _, leak := range []string{`"environment"`, `"secrets"`, `"command"`, `"mountPoints"`} {
		if strings.Contains(string(doc.Described.TaskDefinition), leak) {
			t.Errorf("$.described.taskDefinition keeps %s after evaluation", leak)
		}
	}
	if !strings.Contains(string(doc.Described.TaskDefinition), `"containerDefinitions"`) {
		t.Error("the summary lost the containers")
	}
}

func TestBadInputAndPolicyErrors(t *testing.T) {
	lib := library(t)
	broken := lib
	broken.Files = map[string]string{"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := {\n"}
	broken.Hash = bundle.Hash(broken.Files)
	tests := []struct {
		name     string
		edit     func(st *contract.State)
		wantName string
		want     string
	}{
		{"no bundle files", func(st *contract.State) { st.Evaluation.Policy.Files = nil }, contract.ErrInvalidInput, "$.evaluation.policy.files"},
		{"no evaluation", func(st *contract.State) { st.Evaluation = nil }, contract.ErrInvalidInput, "$.evaluation.policy.files"},
		{"no described", func(st *contract.State) { st.Described = nil }, contract.ErrInvalidInput, "$.described.taskDefinition"},
		{"null task definition", func(st *contract.State) { st.Described.TaskDefinition = json.RawMessage("null") }, contract.ErrInvalidInput, "$.described.taskDefinition"},
		{"no detail", func(st *contract.State) { st.Detail = nil }, contract.ErrInvalidInput, "$.detail"},
		{"no account", func(st *contract.State) { st.Account = ""; st.Task = nil }, contract.ErrInvalidInput, "no account or region"},
		{"bad time", func(st *contract.State) { st.Time = "yesterday" }, contract.ErrInvalidInput, "not RFC 3339"},
		{"detail that is not an object", func(st *contract.State) { st.Detail = json.RawMessage(`"x"`) }, contract.ErrInvalidInput, "input.task is string"},
		{"bundle that does not compile", func(st *contract.State) { st.Evaluation.Policy = broken }, contract.ErrPolicy, "ecs/compliance/decision.rego:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := fiveContainers(t, lib)
			tt.edit(&st)
			h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: contract.ModeEnforce}
			_, err := h.Evaluate(context.Background(), st)
			if err == nil {
				t.Fatal("no error")
			}
			if got := step.Name(err); got != tt.wantName {
				t.Errorf("error name %s, want %s (%v)", got, tt.wantName, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestAccountAndRegionFallBackToTheRecordedTask(t *testing.T) {
	st := fiveContainers(t, library(t))
	st.Account, st.Region = "", ""
	in, err := evaluate.Input(st)
	if err != nil {
		t.Fatal(err)
	}
	if in.Context.Account != "123456789012" || in.Context.Region != "us-east-1" {
		t.Errorf("context %+v, want the account and region of $.task", in.Context)
	}
}

type failingEngine struct{ err error }

func (f failingEngine) Evaluate(context.Context, contract.Bundle, any, bool) (policy.Result, error) {
	return policy.Result{}, f.err
}

func TestEngineErrorsPassThroughNamed(t *testing.T) {
	want := step.Errorf(contract.ErrTransient, "evaluate: context deadline exceeded")
	h := &evaluate.Handler{Engine: failingEngine{want}}
	_, err := h.Evaluate(context.Background(), fiveContainers(t, library(t)))
	if !errors.Is(err, want) || step.Name(err) != contract.ErrTransient {
		t.Fatalf("error %v (%s), want the engine's", err, step.Name(err))
	}
}

func TestMisconfiguredHandler(t *testing.T) {
	st := fiveContainers(t, library(t))
	for name, h := range map[string]*evaluate.Handler{
		"unknown mode": {Engine: policy.NewEngine(0), Mode: "strict"},
		"no engine":    {Mode: contract.ModeAudit},
	} {
		if _, err := h.Evaluate(context.Background(), st); step.Name(err) != contract.ErrFailed {
			t.Errorf("%s: error %v (%s), want %s", name, err, step.Name(err), contract.ErrFailed)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    evaluate.Handler
		wantErr string
	}{
		{"defaults", nil, evaluate.Handler{Mode: contract.ModeAudit, ApprovalTimeoutSeconds: 86400}, ""},
		{"enforce with approval", map[string]string{"MODE": "enforce", "APPROVAL": "on", "APPROVAL_TIMEOUT_SECONDS": "3600"},
			evaluate.Handler{Mode: contract.ModeEnforce, Approval: true, ApprovalTimeoutSeconds: 3600}, ""},
		{"explicit defaults", map[string]string{"MODE": "audit", "APPROVAL": "off"}, evaluate.Handler{Mode: contract.ModeAudit, ApprovalTimeoutSeconds: 86400}, ""},
		{"unknown mode", map[string]string{"MODE": "Enforce"}, evaluate.Handler{}, `MODE is "Enforce"; allowed: audit`},
		{"unknown approval", map[string]string{"APPROVAL": "true"}, evaluate.Handler{}, `APPROVAL is "true"; allowed: off`},
		{"timeout not a number", map[string]string{"APPROVAL_TIMEOUT_SECONDS": "1d"}, evaluate.Handler{}, `APPROVAL_TIMEOUT_SECONDS is "1d"`},
		{"timeout zero", map[string]string{"APPROVAL_TIMEOUT_SECONDS": "0"}, evaluate.Handler{}, "from 1 to 2592000"},
		{"timeout beyond 30 days (the workflow's own limit is 35)", map[string]string{"APPROVAL_TIMEOUT_SECONDS": "2592001"}, evaluate.Handler{}, "from 1 to 2592000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := evaluate.FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *h != tt.want {
				t.Errorf("handler %+v, want %+v", *h, tt.want)
			}
		})
	}
}

// BenchmarkEvaluate is the warm Lambda: the whole library compiled once (by
// the first call, outside the timer), then one evaluation per event of a
// five-container task.
func BenchmarkEvaluate(b *testing.B) {
	st := fiveContainers(b, library(b))
	h := &evaluate.Handler{Engine: policy.NewEngine(0), Mode: contract.ModeEnforce}
	if _, err := h.Evaluate(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Evaluate(context.Background(), st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateCompileEachTime is the same work compiling the policy for
// every event (as the reference AWS sample did): a fresh engine per event.
func BenchmarkEvaluateCompileEachTime(b *testing.B) {
	st := fiveContainers(b, library(b))
	b.ReportAllocs()
	for b.Loop() {
		h := &evaluate.Handler{Engine: policy.NewEngine(1), Mode: contract.ModeEnforce}
		if _, err := h.Evaluate(context.Background(), st); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
