package policy_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/policies"
)

// decisionModule is a minimal policy whose decision is the given Rego
// expression (input is available).
func decisionModule(expr string) map[string]string {
	return map[string]string{
		"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := " + expr + "\n",
	}
}

const okItem = `{"rule": "r", "title": "T", "severity": "HIGH", "container": "web", "message": "m", "controls": ["C"], "remediation": "fix", "enforcement": "deny"}`

func libraryFiles(t testing.TB) map[string]string {
	t.Helper()
	files, err := bundle.ReadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustName(t *testing.T, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a %s", name)
	}
	if got := step.Name(err); got != name {
		t.Fatalf("error name %s, want %s (error: %v)", got, name, err)
	}
}

func TestCompileErrorsNameTheModuleAndLine(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "syntax error",
			files: map[string]string{
				"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := {\n",
			},
			want: []string{"ecs/compliance/decision.rego:4", "rego_parse_error"},
		},
		{
			name: "unsafe variable",
			files: map[string]string{
				"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := x if {\n\ty := 1\n}\n",
			},
			want: []string{"ecs/compliance/decision.rego:3", "var x is unsafe"},
		},
		{
			name: "wrong argument type for image.parse",
			files: map[string]string{
				"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := image.parse(1)\n",
			},
			want: []string{"ecs/compliance/decision.rego:3", "rego_type_error", "image.parse"},
		},
		{
			name: "a rule where data.json already holds a value",
			files: map[string]string{
				"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := 1\n",
				"data.json":                    `{"ecs": {"compliance": {"decision": 2}}}`,
			},
			want: []string{"conflict", "ecs/compliance"},
		},
		{
			name:  "no decision rule",
			files: map[string]string{"ecs/other.rego": "package ecs.other\n\nx := 1\n"},
			want:  []string{"defines no data.ecs.compliance.decision"},
		},
		{
			name: "a data.json that is not JSON",
			files: map[string]string{
				"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := 1\n",
				"data.json":                    `{"ecs": `,
			},
			want: []string{"data.json"},
		},
		{
			name:  "a file that is neither a module nor data.json",
			files: map[string]string{"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := 1\n", "notes.txt": "x"},
			want:  []string{"notes.txt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Compile(context.Background(), tt.files)
			mustName(t, err, contract.ErrPolicy)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDataJSONLandsAtItsFolderPath(t *testing.T) {
	files := map[string]string{
		"ecs/compliance/decision.rego": `package ecs.compliance

decision := {"compliant": true, "violations": [], "warnings": [], "exempted": []} if {
	data.ecs.compliance.settings.answer == 42
	data.top == "root"
}
`,
		"ecs/compliance/settings/data.json": `{"answer": 42}`,
		"data.json":                         `{"top": "root"}`,
	}
	p, err := policy.Compile(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Decide(context.Background(), map[string]any{}); err != nil {
		t.Fatalf("decision undefined: data.json files did not land at their folders' paths: %v", err)
	}
}

func TestConfigurationErrorsRefuseTheBundle(t *testing.T) {
	files := libraryFiles(t)
	var data map[string]any
	if err := json.Unmarshal([]byte(files["data.json"]), &data); err != nil {
		t.Fatal(err)
	}
	cfg := data["ecs"].(map[string]any)["config"].(map[string]any)
	cfg["enforcement"].(map[string]any)["privileged_containr"] = "deny"
	cfg["approval"] = map[string]any{"severities": []any{"SEVERE"}}
	b, _ := json.Marshal(data)
	files["data.json"] = string(b)

	_, err := policy.Compile(context.Background(), files)
	mustName(t, err, contract.ErrPolicy)
	for _, w := range []string{"2 error(s)", `names rule "privileged_containr", which does not exist`, `approval.severities has "SEVERE"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestApprovalSeveritiesAreReadFromData(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []string
		wantErr string
	}{
		{"absent means every severity", `{}`, nil, ""},
		{"empty list means every severity", `{"ecs": {"config": {"approval": {"severities": []}}}}`, []string{}, ""},
		{"a list of labels", `{"ecs": {"config": {"approval": {"severities": ["CRITICAL", "HIGH"]}}}}`, []string{"CRITICAL", "HIGH"}, ""},
		{"not a list", `{"ecs": {"config": {"approval": {"severities": "HIGH"}}}}`, nil, "not a list of severities"},
		{"not a label", `{"ecs": {"config": {"approval": {"severities": ["high"]}}}}`, nil, `severities[0] is high`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := decisionModule(`{"compliant": true, "violations": [], "warnings": [], "exempted": []}`)
			files["data.json"] = tt.data
			p, err := policy.Compile(context.Background(), files)
			if tt.wantErr != "" {
				mustName(t, err, contract.ErrPolicy)
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(p.ApprovalSeverities, ",") != strings.Join(tt.want, ",") || (tt.want == nil) != (p.ApprovalSeverities == nil) {
				t.Fatalf("ApprovalSeverities = %#v, want %#v", p.ApprovalSeverities, tt.want)
			}
		})
	}
}

func TestDecisionOfTheWrongShapeIsAPolicyError(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string
	}{
		{"not an object", `[1]`, "is a list, not an object"},
		{"missing compliant", `{"violations": [], "warnings": [], "exempted": []}`, "compliant is missing, not a boolean"},
		{"compliant not boolean", `{"compliant": "yes", "violations": [], "warnings": [], "exempted": []}`, `compliant is a string ("yes")`},
		{"violations not a list", `{"compliant": true, "violations": {}, "warnings": [], "exempted": []}`, "violations is an object, not a list"},
		{"missing warnings", `{"compliant": true, "violations": [], "exempted": []}`, "warnings is missing"},
		{"item not an object", `{"compliant": false, "violations": ["bad"], "warnings": [], "exempted": []}`, `violations[0] is a string ("bad"), not an object`},
		{"item without rule", `{"compliant": true, "violations": [], "warnings": [{"severity": "LOW"}], "exempted": []}`, "warnings[0] has no rule"},
		{"item with empty rule", `{"compliant": true, "violations": [], "warnings": [{"rule": "", "severity": "LOW"}], "exempted": []}`, "warnings[0].rule is empty"},
		{"item without severity", `{"compliant": true, "violations": [], "warnings": [{"rule": "r"}], "exempted": []}`, "warnings[0] has no severity"},
		{"severity not an ASFF label", `{"compliant": true, "violations": [], "warnings": [{"rule": "r", "severity": "high"}], "exempted": []}`, `severity is "high" (rule r); allowed: CRITICAL, HIGH`},
		{"message not a string", `{"compliant": true, "violations": [], "warnings": [{"rule": "r", "severity": "LOW", "message": 3}], "exempted": []}`, "message is a number (3), not a string"},
		{"controls not a list", `{"compliant": true, "violations": [], "warnings": [{"rule": "r", "severity": "LOW", "controls": "ECS.4"}], "exempted": []}`, "controls is a string"},
		{"control not a string", `{"compliant": true, "violations": [], "warnings": [{"rule": "r", "severity": "LOW", "controls": [4]}], "exempted": []}`, "controls[0] is a number (4)"},
		{"unknown enforcement", `{"compliant": true, "violations": [], "warnings": [{"rule": "r", "severity": "LOW", "enforcement": "block"}], "exempted": []}`, `enforcement is "block"`},
		{"exempted item without exemption", `{"compliant": true, "violations": [], "warnings": [], "exempted": [{"rule": "r", "severity": "LOW"}]}`, "exempted[0] has no exemption"},
		{"exemption without reason", `{"compliant": true, "violations": [], "warnings": [], "exempted": [{"rule": "r", "severity": "LOW", "exemption": {"expires": "2026-01-01"}}]}`, "exemption must be {reason"},
		{"compliant with violations", `{"compliant": true, "violations": [` + okItem + `], "warnings": [], "exempted": []}`, "compliant is true with 1 violation(s)"},
		{"not compliant without violations", `{"compliant": false, "violations": [], "warnings": [], "exempted": []}`, "compliant is false with 0 violation(s)"},
		{"undefined for the input", `{"compliant": true, "violations": [], "warnings": [], "exempted": []} if input.never`, "undefined for this input"},
		{"evaluation error", `{"compliant": conflict, "violations": [], "warnings": [], "exempted": []}
conflict := object.get(input, "a", true)
conflict := object.get(input, "b", false)`, "eval_conflict_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Compile(context.Background(), decisionModule(tt.expr))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Decide(context.Background(), map[string]any{})
			mustName(t, err, contract.ErrPolicy)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestWellFormedDecisionConverts(t *testing.T) {
	expr := `{"compliant": false, "violations": [` + okItem + `], "warnings": [{"rule": "w", "severity": "LOW"}],
		"exempted": [{"rule": "e", "severity": "INFORMATIONAL", "exemption": {"reason": "why"}}]}`
	p, err := policy.Compile(context.Background(), decisionModule(expr))
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Decide(context.Background(), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	want := contract.Decision{
		Violations: []contract.Violation{{Rule: "r", Title: "T", Severity: "HIGH", Container: "web", Message: "m", Controls: []string{"C"}, Remediation: "fix", Enforcement: "deny"}},
		Warnings:   []contract.Violation{{Rule: "w", Severity: "LOW", Controls: []string{}}},
		Exempted:   []contract.Violation{{Rule: "e", Severity: "INFORMATIONAL", Controls: []string{}, Exemption: &contract.Exemption{Reason: "why"}}},
	}
	got, _ := json.Marshal(d)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("decision\n%s\nwant\n%s", got, wantJSON)
	}
}

func TestInputDocuments(t *testing.T) {
	files := decisionModule(`{"compliant": true, "violations": [], "warnings": [], "exempted": [], "echo": input}`)
	files["ecs/compliance/echo.rego"] = "package ecs.compliance\n\necho := input\n"
	p, err := policy.Compile(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      policy.Input
		wantErr bool
	}{
		{"raw documents are passed as parsed JSON", policy.Input{
			Task:           json.RawMessage(`{"taskArn": "t"}`),
			TaskDefinition: json.RawMessage(`{"family": "web"}`),
			Tags:           map[string]string{"owner": "me"},
			Context:        policy.Context{Account: "1", Region: "r", Time: "2026-01-01T00:00:00Z"},
		}, false},
		{"task that is not JSON", policy.Input{Task: json.RawMessage(`{"taskArn": `)}, true},
		{"task definition that is not an object", policy.Input{TaskDefinition: json.RawMessage(`[1]`)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Decide(context.Background(), tt.in)
			if tt.wantErr {
				mustName(t, err, contract.ErrInvalidInput)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := tt.in.Value()
			if err != nil {
				t.Fatal(err)
			}
			want := `{"context": {"account": "1", "region": "r", "time": "2026-01-01T00:00:00Z"}, "tags": {"owner": "me"}, "task": {"taskArn": "t"}, "taskDefinition": {"family": "web"}}`
			if v.String() != want {
				t.Errorf("input %s, want %s", v, want)
			}
		})
	}
}

func TestCancelledEvaluationIsTransient(t *testing.T) {
	p, err := policy.Compile(context.Background(), libraryFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Decide(ctx, map[string]any{})
	mustName(t, err, contract.ErrTransient)
}

func bundleOf(files map[string]string) contract.Bundle {
	return contract.Bundle{Path: "/p", Hash: bundle.Hash(files), Files: files}
}

func TestEngineCompilesOncePerHash(t *testing.T) {
	e := policy.NewEngine(2)
	ctx := context.Background()
	a := bundleOf(decisionModule(`{"compliant": true, "violations": [], "warnings": [], "exempted": []}`))
	b := bundleOf(decisionModule(`{"compliant": true, "violations": [], "warnings": [], "exempted": [], "v": 2}`))
	c := bundleOf(decisionModule(`{"compliant": true, "violations": [], "warnings": [], "exempted": [], "v": 3}`))

	pa, err := e.Policy(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := e.Policy(ctx, a); again != pa {
		t.Error("the same hash was compiled twice")
	}
	noHash := a
	noHash.Hash = ""
	if again, _ := e.Policy(ctx, noHash); again != pa {
		t.Error("a bundle without hash was not recognized by its content")
	}
	pb, _ := e.Policy(ctx, b)
	if pb == pa {
		t.Error("different bundles share a compiled policy")
	}
	if _, err := e.Policy(ctx, a); err != nil { // a is now the most recently used
		t.Fatal(err)
	}
	if _, err := e.Policy(ctx, c); err != nil { // evicts b, the least recently used
		t.Fatal(err)
	}
	if e.Cached() != 2 {
		t.Errorf("%d bundles cached, want 2", e.Cached())
	}
	if again, _ := e.Policy(ctx, a); again != pa {
		t.Error("the most recently used bundle was evicted")
	}
	if again, _ := e.Policy(ctx, b); again == pb {
		t.Error("the least recently used bundle was kept beyond the cache size")
	}
}

func TestEngineRefusesABundleThatDoesNotMatchItsHash(t *testing.T) {
	b := bundleOf(decisionModule(`{"compliant": true, "violations": [], "warnings": [], "exempted": []}`))
	b.Hash = strings.Repeat("0", 64)
	_, err := policy.NewEngine(0).Policy(context.Background(), b)
	mustName(t, err, contract.ErrPolicy)
	if !strings.Contains(err.Error(), "does not match its files") {
		t.Errorf("error %q", err)
	}
}

func TestEngineRequiresFiles(t *testing.T) {
	_, err := policy.NewEngine(0).Evaluate(context.Background(), contract.Bundle{Path: "/p", Hash: "abc"}, map[string]any{}, false)
	mustName(t, err, contract.ErrInvalidInput)
}

func TestEngineDoesNotKeepFailures(t *testing.T) {
	e := policy.NewEngine(0)
	bad := bundleOf(map[string]string{"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := {\n"})
	for range 2 {
		_, err := e.Policy(context.Background(), bad)
		mustName(t, err, contract.ErrPolicy)
	}
	if e.Cached() != 0 {
		t.Errorf("%d bundles cached after failures, want 0", e.Cached())
	}
}

func TestEngineIsSafeForConcurrentUse(t *testing.T) {
	e := policy.NewEngine(0)
	b := bundleOf(libraryFiles(t))
	var input map[string]any
	if err := json.Unmarshal(sampleInput(t), &input); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	policiesSeen := make([]*policy.Policy, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			policiesSeen[i], errs[i] = e.Policy(context.Background(), b)
			if errs[i] == nil {
				_, errs[i] = e.Evaluate(context.Background(), b, input, false)
			}
		}()
	}
	wg.Wait()
	for i := range 8 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if policiesSeen[i] != policiesSeen[0] {
			t.Fatal("concurrent callers compiled the bundle more than once")
		}
	}
}

func sampleInput(t testing.TB) []byte {
	t.Helper()
	raw, err := policies.FS.ReadFile("ecs/rules/approved_registries/samples/samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]struct {
		Input json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s["docker_hub"].Input
}

func TestEvaluateTheLibrary(t *testing.T) {
	var in struct {
		Task           json.RawMessage   `json:"task"`
		TaskDefinition json.RawMessage   `json:"taskDefinition"`
		Tags           map[string]string `json:"tags"`
		Context        policy.Context    `json:"context"`
	}
	if err := json.Unmarshal(sampleInput(t), &in); err != nil {
		t.Fatal(err)
	}
	e := policy.NewEngine(0)
	input := policy.Input{Task: in.Task, TaskDefinition: in.TaskDefinition, Tags: in.Tags, Context: in.Context}
	res, err := e.Evaluate(context.Background(), bundleOf(libraryFiles(t)), input, false)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Decision
	if d.Compliant || len(d.Violations) != 1 || d.Violations[0].Rule != "approved_registries" || len(d.Warnings) != 0 {
		t.Fatalf("decision %+v, want one approved_registries violation", d)
	}
	if res.ApprovalSeverities == nil || len(res.ApprovalSeverities) != 0 {
		t.Errorf("ApprovalSeverities = %#v, want the shipped empty list", res.ApprovalSeverities)
	}
	if res.TaskScopedKnown || res.TaskScopedRules != nil {
		t.Errorf("task-scoped rules %v (known %t) evaluated without being asked for", res.TaskScopedRules, res.TaskScopedKnown)
	}
	// Asked for: the shipped library has no exemptions, so none.
	scoped, err := e.Evaluate(context.Background(), bundleOf(libraryFiles(t)), &input, true)
	if err != nil {
		t.Fatal(err)
	}
	if !scoped.TaskScopedKnown || len(scoped.TaskScopedRules) != 0 || len(scoped.Decision.Violations) != 1 {
		t.Errorf("task-scoped rules %v (known %t), decision %+v; want none, known, the same decision",
			scoped.TaskScopedRules, scoped.TaskScopedKnown, scoped.Decision)
	}
}

// A rule package added without METADATA must not vanish silently: its
// findings reach the decision with markers the shape check rejects.
func TestRuleWithoutMetadataIsAnErrorNotSilence(t *testing.T) {
	files := libraryFiles(t)
	files["ecs/rules/custom/custom.rego"] = `package ecs.rules.custom

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", "always")
`
	p, err := policy.Compile(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Decide(context.Background(), map[string]any{})
	mustName(t, err, contract.ErrPolicy)
	if !strings.Contains(err.Error(), "no METADATA custom.severity") {
		t.Errorf("error %q does not point at the missing METADATA", err)
	}
}
