package fleet_test

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
)

// The judgement economics the benchmark measures rest on these profiles:
// under the default policy a hardened family has no finding, a typical one
// warn-level findings only, a violating one a deny-level approved_registries
// violation.
func TestDefaultPolicyJudgesEachProfileAsIntended(t *testing.T) {
	files, err := bundle.ReadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Compile(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []int64{1, 2, 3} {
		f := generate(t, fleet.Spec{Seed: seed, Standalone: 4, Rolls: 2, Redelivery: fleet.None})
		taskDefs := map[string]json.RawMessage{}
		for _, raw := range f.World.TaskDefinitions {
			var h struct{ TaskDefinitionArn string }
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			taskDefs[h.TaskDefinitionArn] = raw
		}
		detail := map[string]json.RawMessage{} // a RUNNING event's detail per task definition
		for _, e := range parse(t, f) {
			if e.detail.LastStatus == "RUNNING" && e.detail.DesiredStatus == "RUNNING" {
				detail[e.detail.TaskDefinitionArn] = e.env.Detail
			}
		}
		findings := 0
		for _, fam := range f.Families {
			for _, arn := range fam.TaskDefinitions {
				tags := maps.Clone(f.World.Tags[arn])
				if fam.Service != "" {
					maps.Copy(tags, f.World.Tags["arn:aws:ecs:us-east-1:123456789012:service/"+fam.Cluster+"/"+fam.Service])
				}
				d, err := p.Decide(context.Background(), policy.Input{
					Task: detail[arn], TaskDefinition: taskDefs[arn], Tags: tags,
					Context: policy.Context{Account: fleet.DefaultAccount, Region: fleet.DefaultRegion, Time: "2026-11-15T00:00:00Z"},
				})
				if err != nil {
					t.Fatalf("%s: %v", arn, err)
				}
				var rules []string
				for _, v := range append(d.Violations, d.Warnings...) {
					rules = append(rules, v.Rule)
				}
				switch fam.Profile {
				case fleet.Hardened:
					if len(rules) > 0 {
						t.Errorf("seed %d: hardened %s is flagged: %v", seed, arn, rules)
					}
				case fleet.Typical:
					if !d.Compliant || len(d.Warnings) == 0 {
						t.Errorf("seed %d: typical %s: compliant %t, warnings %v, want compliant with warnings", seed, arn, d.Compliant, rules)
					}
				case fleet.Violating:
					if d.Compliant || len(d.Violations) == 0 || d.Violations[0].Rule != "approved_registries" {
						t.Errorf("seed %d: violating %s: compliant %t, findings %v", seed, arn, d.Compliant, rules)
					}
				}
				if len(rules) > 0 {
					findings++
				}
			}
		}
		if findings*4 < f.TaskDefinitions*3 {
			t.Errorf("seed %d: %d of %d task definitions have findings, want most", seed, findings, f.TaskDefinitions)
		}
	}
}
