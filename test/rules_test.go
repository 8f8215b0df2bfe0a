package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/policies"
)

// TestEveryRuleSampleThroughTheExecutor runs each rule's samples (a passing
// task and one per way the rule can fail) through the local executor, as a
// user would: the sample's task definition goes into the world file, its
// task into an ECS event. The executor must report each expected finding,
// and no other finding of the sample's rule.
func TestEveryRuleSampleThroughTheExecutor(t *testing.T) {
	samples, err := policies.Samples()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	world := map[string]any{"account": "123456789012", "region": "us-east-1",
		"taskDefinitions": []json.RawMessage{}, "services": []any{}, "tags": map[string]map[string]string{}}
	var events []string
	rules := map[string]bool{}
	renamed := make([]*strings.Replacer, len(samples))
	for i, s := range samples {
		rules[s.Rule] = true
		td, ev, tdArn, undo, err := sampleWorld(s, i+1)
		renamed[i] = undo
		if err != nil {
			t.Fatalf("%s/%s: %v", s.Rule, s.Name, err)
		}
		world["taskDefinitions"] = append(world["taskDefinitions"].([]json.RawMessage), td)
		if len(s.Input.Tags) > 0 {
			world["tags"].(map[string]map[string]string)[tdArn] = s.Input.Tags
		}
		name := filepath.Join(dir, fmt.Sprintf("%03d-%s-%s.json", i, s.Rule, s.Name))
		if err := os.WriteFile(name, ev, 0o644); err != nil {
			t.Fatal(err)
		}
		events = append(events, name)
	}
	if len(rules) < 16 {
		t.Fatalf("%d rules have samples, want at least 16", len(rules))
	}
	worldFile := filepath.Join(dir, "world.json")
	b, _ := json.Marshal(world)
	if err := os.WriteFile(worldFile, b, 0o644); err != nil {
		t.Fatal(err)
	}

	recs := run(t, 0, append([]string{"--world", worldFile}, events...)...)
	if len(recs) != len(samples) {
		t.Fatalf("%d records for %d samples", len(recs), len(samples))
	}
	for i, s := range samples {
		r := recs[i]
		t.Run(s.Rule+"/"+s.Name, func(t *testing.T) {
			if r.Status != "SUCCEEDED" {
				t.Fatalf("status %s (%s)", r.Status, r.Error)
			}
			var found []violation
			if r.Decision != nil {
				found = append(append(append(found, r.Decision.Violations...), r.Decision.Warnings...), r.Decision.Exempted...)
			}
			matched := map[int]bool{}
			for _, want := range s.Expect {
				ok := false
				for j, v := range found {
					msg := renamed[i].Replace(v.Message)
					if v.Rule == want.Rule && v.Container == want.Container && strings.Contains(msg, want.Message) {
						ok, matched[j] = true, true
						break
					}
				}
				if !ok {
					t.Errorf("missing finding %+v; got %+v", want, found)
				}
			}
			for j, v := range found {
				if v.Rule == s.Rule && !matched[j] {
					t.Errorf("unexpected finding of the sample's rule: %+v", v)
				}
			}
			if s.Name == "pass" && len(s.Expect) == 0 && len(found) != 0 {
				t.Errorf("a passing sample reported %+v", found)
			}
		})
	}
}

// sampleWorld turns a sample into a task definition for the world and an
// EventBridge event, giving each sample its own task definition revision and
// task ID so that all samples run in one account. undo turns the revision
// back into the sample's in a message.
func sampleWorld(s policies.Sample, n int) (td, event json.RawMessage, tdArn string, undo *strings.Replacer, err error) {
	var def map[string]any
	if err := json.Unmarshal(s.Input.TaskDefinition, &def); err != nil {
		return nil, nil, "", nil, fmt.Errorf("task definition: %w", err)
	}
	var task map[string]any
	if err := json.Unmarshal(s.Input.Task, &task); err != nil {
		return nil, nil, "", nil, fmt.Errorf("task: %w", err)
	}
	family, _ := def["family"].(string)
	undo = strings.NewReplacer(fmt.Sprintf("%q", fmt.Sprintf("%s:%d", family, n)), fmt.Sprintf("%q", fmt.Sprintf("%s:%v", family, def["revision"])))
	ctx := s.Input.Context
	tdArn = fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", ctx.Region, ctx.Account, family, n)
	def["taskDefinitionArn"], def["revision"] = tdArn, n
	clusterArn, _ := task["clusterArn"].(string)
	cluster := clusterArn[strings.LastIndex(clusterArn, "/")+1:]
	taskArn := fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%032x", ctx.Region, ctx.Account, cluster, n)
	task["taskArn"], task["taskDefinitionArn"] = taskArn, tdArn
	if cs, ok := task["containers"].([]any); ok {
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				m["taskArn"] = taskArn
			}
		}
	}
	td, err = json.Marshal(def)
	if err != nil {
		return nil, nil, "", nil, err
	}
	event, err = json.Marshal(map[string]any{
		"version": "0", "id": fmt.Sprintf("sample-%d", n), "detail-type": "ECS Task State Change",
		"source": "aws.ecs", "account": ctx.Account, "region": ctx.Region, "time": ctx.Time,
		"resources": []string{taskArn}, "detail": task,
	})
	return td, event, tdArn, undo, err
}
