package policies_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/types"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
	"github.com/ecs-compliance/ecs-compliance/policies"
)

func ruleIDs(t *testing.T) []string {
	t.Helper()
	entries, err := fs.ReadDir(policies.FS, "ecs/rules")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

func library(t testing.TB) (map[string]string, *policy.Policy) {
	t.Helper()
	files, err := bundle.ReadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Compile(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	return files, p
}

func TestBundleHoldsModulesAndDataButNoTestsOrSamples(t *testing.T) {
	files, _ := library(t)
	if _, ok := files["data.json"]; !ok {
		t.Error("bundle lacks data.json")
	}
	for _, want := range []string{"ecs/compliance/decision.rego", "ecs/lib/lib.rego", "ecs/rules/approved_registries/approved_registries.rego"} {
		if _, ok := files[want]; !ok {
			t.Errorf("bundle lacks %s", want)
		}
	}
	for name, content := range files {
		if strings.HasSuffix(name, "_test.rego") || strings.Contains(name, "/samples/") {
			t.Errorf("bundle holds %s, which is test material", name)
		}
		// Standard-tier parameters are free; Advanced ones are billed.
		if len(content) > bundle.StandardTierBytes {
			t.Errorf("%s is %d bytes, more than a Standard-tier parameter holds (%d): split it", name, len(content), bundle.StandardTierBytes)
		}
	}
}

// TestSamples runs every sample of every rule through the whole library with
// the shipped configuration: each must report exactly what it expects (a
// passing sample nothing at all), so a sample proves its rule and that no
// other rule fires on it.
func TestSamples(t *testing.T) {
	_, p := library(t)
	samples, err := policies.Samples()
	if err != nil {
		t.Fatal(err)
	}
	passing, failing := map[string]bool{}, map[string]int{}
	for _, s := range samples {
		if s.Name == "pass" {
			passing[s.Rule] = true
		}
		if slices.ContainsFunc(s.Expect, func(e policies.Expectation) bool { return e.Rule == s.Rule }) {
			failing[s.Rule]++
		}
		t.Run(s.Rule+"/"+s.Name, func(t *testing.T) {
			in := policyInput(s)
			d, err := p.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			got := append(append(append([]contract.Violation{}, d.Violations...), d.Warnings...), d.Exempted...)
			if len(got) != len(s.Expect) {
				t.Fatalf("%s: reported %d finding(s), want %d:\n%s", s.Description, len(got), len(s.Expect), render(got))
			}
			for _, e := range s.Expect {
				if !slices.ContainsFunc(got, func(v contract.Violation) bool {
					return v.Rule == e.Rule && v.Container == e.Container && strings.Contains(v.Message, e.Message)
				}) {
					t.Errorf("%s: no %s finding for container %q with message containing %q; got:\n%s",
						s.Description, e.Rule, e.Container, e.Message, render(got))
				}
			}
			wantCompliant := !slices.ContainsFunc(s.Expect, func(e policies.Expectation) bool { return e.Rule == "approved_registries" })
			if d.Compliant != wantCompliant {
				t.Errorf("compliant = %t, want %t (only approved_registries denies by default)", d.Compliant, wantCompliant)
			}
		})
	}
	for _, id := range ruleIDs(t) {
		if !passing[id] {
			t.Errorf("rule %s has no passing sample named \"pass\"", id)
		}
		if failing[id] == 0 {
			t.Errorf("rule %s has no sample that fails it", id)
		}
	}
}

func render(vs []contract.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.Rule + " [" + v.Container + "] " + v.Message + "\n")
	}
	return b.String()
}

// shippedDefaults are the default enforcement levels of the rules the
// project ships: the registry rule denies, hardening rules warn until a team
// opts in. (A rule you add may default to anything.)
var shippedDefaults = map[string]string{
	"approved_registries": "deny", "image_digest": "warn", "image_tag": "warn", "privileged_container": "warn",
	"host_network": "warn", "host_pid": "warn", "host_ipc": "warn", "capabilities_allowed": "warn",
	"capabilities_drop_all": "warn", "readonly_root_filesystem": "warn", "non_root_user": "warn",
	"windows_non_admin_user": "warn", "secret_env_names": "warn", "secret_env_values": "warn",
	"logging_configured": "warn", "host_path_volumes": "warn", "efs_transit_encryption": "warn",
	"resource_limits": "warn", "required_tags": "warn", "network_mode_awsvpc": "warn", "separate_task_role": "warn",
	"health_check": "warn", "awslogs_non_blocking": "warn", "memory_limit": "warn", "service_public_ip": "warn",
	"fargate_platform_version": "warn", "service_tags": "warn",
}

// TestRuleMetadata pins what every rule's METADATA must hold, since reports
// show it: the id is the folder and package name, severity an ASFF label,
// enforcement a level, platform known, controls and remediation present; and
// every rule has tests and samples.
func TestRuleMetadata(t *testing.T) {
	var cfg struct {
		ECS struct {
			Config struct {
				Enforcement map[string]string `json:"enforcement"`
			} `json:"config"`
		} `json:"ecs"`
	}
	b, err := fs.ReadFile(policies.FS, "data.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	ids := ruleIDs(t)
	if len(ids) < 16 {
		t.Errorf("the library has %d rules, want at least 16", len(ids))
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			dir := path.Join("ecs/rules", id)
			src, err := fs.ReadFile(policies.FS, path.Join(dir, id+".rego"))
			if err != nil {
				t.Fatalf("rule folder %s must hold %s.rego: %v", dir, id, err)
			}
			if _, err := fs.Stat(policies.FS, path.Join(dir, id+"_test.rego")); err != nil {
				t.Errorf("rule %s has no %s_test.rego", id, id)
			}
			m, err := ast.ParseModuleWithOpts(id+".rego", string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Package.Path.String(); got != "data.ecs.rules."+id {
				t.Errorf("package is %s, want data.ecs.rules.%s", got, id)
			}
			var meta *ast.Annotations
			for _, a := range m.Annotations {
				if a.Scope == "package" {
					meta = a
				}
			}
			if meta == nil {
				t.Fatal("no package METADATA annotation")
			}
			custom := meta.Custom
			str := func(k string) string { s, _ := custom[k].(string); return s }
			if meta.Title == "" || meta.Description == "" {
				t.Error("METADATA needs a title and a description")
			}
			if str("id") != id {
				t.Errorf("custom.id is %q, want %q (the folder and package name)", str("id"), id)
			}
			if !slices.Contains([]string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"}, str("severity")) {
				t.Errorf("custom.severity %q is not an ASFF label", str("severity"))
			}
			if !slices.Contains([]string{"deny", "warn", "off"}, str("enforcement")) {
				t.Errorf("custom.enforcement %q is not deny, warn or off", str("enforcement"))
			}
			if !slices.Contains([]string{"any", "linux", "windows"}, str("platform")) {
				t.Errorf("custom.platform %q is not any, linux or windows", str("platform"))
			}
			controls, _ := custom["controls"].([]any)
			if len(controls) == 0 {
				t.Error("custom.controls is empty")
			}
			if str("remediation") == "" {
				t.Error("custom.remediation is empty")
			}
			if got := cfg.ECS.Config.Enforcement[id]; got != str("enforcement") {
				t.Errorf("data.json enforcement[%s] = %q, want the rule's default %q listed explicitly", id, got, str("enforcement"))
			}
			if want, shipped := shippedDefaults[id]; shipped && str("enforcement") != want {
				t.Errorf("default enforcement %q, want %q (the registry rule denies, hardening rules warn)", str("enforcement"), want)
			}
		})
	}
	for id := range cfg.ECS.Config.Enforcement {
		if !slices.Contains(ids, id) {
			t.Errorf("data.json enforcement names %q, which is no rule", id)
		}
	}
}

// TestRegalKnowsTheBuiltins compares the custom built-ins' declarations
// Regal reads (policies/.regal/config.yaml) with the Go ones: every built-in
// declared, each with the same type.
func TestRegalKnowsTheBuiltins(t *testing.T) {
	b, err := os.ReadFile(".regal/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Capabilities struct {
			Plus struct {
				Builtins []struct {
					Name string          `json:"name"`
					Decl json.RawMessage `json:"decl"`
				} `json:"builtins"`
			} `json:"plus"`
		} `json:"capabilities"`
	}
	if err := util.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	declared := map[string]json.RawMessage{}
	for _, bi := range cfg.Capabilities.Plus.Builtins {
		declared[bi.Name] = bi.Decl
	}
	for _, fn := range builtins.Functions() {
		t.Run(fn.Name, func(t *testing.T) {
			raw, ok := declared[fn.Name]
			if !ok {
				names := make([]string, 0, len(declared))
				for n := range declared {
					names = append(names, n)
				}
				sort.Strings(names)
				t.Fatalf("Regal config declares %v, not %s", names, fn.Name)
			}
			var decl types.Function
			if err := json.Unmarshal(raw, &decl); err != nil {
				t.Fatal(err)
			}
			if types.Compare(&decl, fn.Decl) != 0 {
				t.Errorf("Regal's %s is %v, Go's is %v", fn.Name, &decl, fn.Decl)
			}
		})
	}
}

// TestDecisionIgnoresPerTaskIdentity: a decision is stored per judgement key
// and reused for every task with that key, so no rule may read what the key
// leaves out of input.task (judgement.TaskFields, judgement.ContainerFields):
// task ARNs, times, version, attachments, container runtime ids, digests….
// Every sample is decided twice — as written, and with every field outside
// the key changed or added — and the decisions must be equal.
func TestDecisionIgnoresPerTaskIdentity(t *testing.T) {
	_, p := library(t)
	samples, err := policies.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		t.Run(s.Rule+"/"+s.Name, func(t *testing.T) {
			in := policyInput(s)
			want, err := p.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			in.Task = otherTask(t, s.Input.Task)
			got, err := p.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the decision changed with per-task identity fields:\ninput.task %s\nwant\n%s\ngot\n%s",
					in.Task, render(all(want)), render(all(got)))
			}
		})
	}
}

// policyInput is a sample's input as the evaluate step gives it to the policy.
func policyInput(s policies.Sample) policy.Input {
	return policy.Input{Task: s.Input.Task, TaskDefinition: s.Input.TaskDefinition, Service: s.Input.Service, Tags: s.Input.Tags,
		Context: policy.Context{Account: s.Input.Context.Account, Region: s.Input.Context.Region, Time: s.Input.Context.Time}}
}

func all(d *contract.Decision) []contract.Violation {
	return append(append(append([]contract.Violation{}, d.Violations...), d.Warnings...), d.Exempted...)
}

// otherTask is task with every member outside the judgement key changed and
// the identity fields ECS sends added: another task of the same key.
func otherTask(t *testing.T, task json.RawMessage) json.RawMessage {
	t.Helper()
	d := map[string]any{}
	if len(task) > 0 {
		if err := json.Unmarshal(task, &d); err != nil {
			t.Fatal(err)
		}
	}
	identity := map[string]any{
		"taskArn":          "arn:aws:ecs:us-east-1:123456789012:task/prod/ffffffffffffffffffffffffffffffff",
		"version":          float64(9),
		"createdAt":        "2031-01-01T00:00:00Z",
		"startedAt":        "2031-01-01T00:00:05Z",
		"pullStartedAt":    "2031-01-01T00:00:01Z",
		"updatedAt":        "2031-01-01T00:00:06Z",
		"lastStatus":       "DEPROVISIONING",
		"desiredStatus":    "STOPPED",
		"startedBy":        "ecs-svc/9999999999999999999",
		"connectivity":     "DISCONNECTED",
		"cpu":              "4096",
		"memory":           "30720",
		"availabilityZone": "us-east-1f",
		"attachments": []any{map[string]any{"id": "eni-attach", "type": "ElasticNetworkInterface", "status": "ATTACHED",
			"details": []any{map[string]any{"name": "privateIPv4Address", "value": "10.9.9.9"}}}},
		"stopCode":      "TaskFailedToStart",
		"stoppedReason": "Essential container in task exited",
		"healthStatus":  "UNHEALTHY",
	}
	for k := range d {
		if !slices.Contains(judgement.TaskFields, k) {
			d[k] = perturb(d[k])
		}
	}
	for k, v := range identity {
		if !slices.Contains(judgement.TaskFields, k) {
			d[k] = v
		}
	}
	if cs, ok := d["containers"].([]any); ok {
		for _, c := range cs {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			for k := range m {
				if !slices.Contains(judgement.ContainerFields, k) {
					m[k] = perturb(m[k])
				}
			}
			m["runtimeId"] = "ffff-runtime"
			m["imageDigest"] = "sha256:" + strings.Repeat("f", 64)
			m["lastStatus"] = "STOPPED"
			m["exitCode"] = float64(137)
			m["containerArn"] = "arn:aws:ecs:us-east-1:123456789012:container/prod/ffff/0000"
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// perturb returns another value of v's type.
func perturb(v any) any {
	switch x := v.(type) {
	case string:
		return x + "-other"
	case float64:
		return x + 7
	case bool:
		return !x
	case []any:
		return append([]any{}, append(x, "other")...)
	case map[string]any:
		m := map[string]any{"other": "x"}
		for k, e := range x {
			m[k] = perturb(e)
		}
		return m
	default:
		return "other"
	}
}
