package policy_test

import (
	"fmt"
	"io/fs"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/policies"
)

func TestRulesComeFromMetadataAnnotations(t *testing.T) {
	rules, err := policy.Rules(libraryFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	folders, err := fs.ReadDir(policies.FS, "ecs/rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(folders) {
		t.Errorf("%d rules, want one per folder of ecs/rules (%d)", len(rules), len(folders))
	}
	byID := map[string]policy.Rule{}
	for i, r := range rules {
		if i > 0 && rules[i-1].ID >= r.ID {
			t.Errorf("rules not ordered by id: %s before %s", rules[i-1].ID, r.ID)
		}
		if r.Title == "" || r.Severity == "" || r.Description == "" || r.Remediation == "" || len(r.Controls) == 0 {
			t.Errorf("rule %s lacks metadata: %+v", r.ID, r)
		}
		byID[r.ID] = r
	}
	reg := byID["approved_registries"]
	if reg.Title != "Images come from approved registries" || reg.Severity != "HIGH" ||
		reg.DefaultEnforcement != "deny" || reg.Enforcement != "deny" || reg.Platform != "any" ||
		reg.File != "ecs/rules/approved_registries/approved_registries.rego" || reg.Row != 1 {
		t.Errorf("approved_registries = %+v", reg)
	}
	if w := byID["windows_non_admin_user"]; w.Platform != "windows" || w.Enforcement != "warn" {
		t.Errorf("windows_non_admin_user = %+v", w)
	}
}

func TestRuleEnforcementFollowsTheBundleData(t *testing.T) {
	rule := `# METADATA
# title: T
# custom:
#   id: %s
#   severity: LOW
#   enforcement: %s
package ecs.rules.%s
`
	files := map[string]string{
		"ecs/rules/a/a.rego": fmt.Sprintf(rule, "a", "warn", "a"),
		"ecs/rules/b/b.rego": fmt.Sprintf(rule, "b", "deny", "b"),
		"ecs/rules/c/c.rego": fmt.Sprintf(rule, "c", "bogus", "c"),
		"data.json":          `{"ecs": {"config": {"enforcement": {"a": "deny", "b": "nonsense"}}}}`,
	}
	rules, err := policy.Rules(files)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rules {
		got[r.ID] = r.DefaultEnforcement + "→" + r.Enforcement
	}
	want := map[string]string{"a": "warn→deny", "b": "deny→deny", "c": "warn→warn"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("rule %s: default→effective %s, want %s", id, got[id], w)
		}
	}
	data, err := policy.Data(files)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := data["ecs"].(map[string]any)["config"]; !ok {
		t.Errorf("Data() = %v, want ecs.config", data)
	}
}
