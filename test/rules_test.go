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

// TestRulesSamplesThroughTheExecutor runs each rule's samples (a passing
// task and one per way the rule can fail) through the local executor, as a
// user would: the sample's task definition goes into the world file, its
// task into an ECS event, its service (if any) into the world's services.
// The executor must report each expected finding, and no other finding of
// the sample's rule.
func TestRulesSamplesThroughTheExecutor(t *testing.T) {
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
		if svc := serviceOfSample(s, i+1, tdArn); svc != nil {
			world["services"] = append(world["services"].([]any), svc.entry)
			world["tags"].(map[string]map[string]string)[svc.arn] = svc.tags
		}
		name := filepath.Join(dir, fmt.Sprintf("%03d-%s-%s.json", i, s.Rule, s.Name))
		if err := os.WriteFile(name, ev, 0o644); err != nil {
			t.Fatal(err)
		}
		events = append(events, name)
	}
	entries, err := os.ReadDir("../policies/ecs/rules")
	folders := 0
	for _, e := range entries {
		if e.IsDir() {
			folders++
		}
	}
	if err != nil || len(rules) != folders {
		t.Fatalf("%d rules have samples, of %d rule folders (%v): every rule's samples go through the executor", len(rules), folders, err)
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
	// Whether the executor gives the policy input.service (the evaluate
	// step's DescribeServices): then a service's tags reach service_tags.
	servicesReachThePolicy := false
	for i, s := range samples {
		if s.Rule == "service_tags" && s.Name == "untagged" && recs[i].Decision != nil {
			for _, v := range recs[i].Decision.Warnings {
				servicesReachThePolicy = servicesReachThePolicy || v.Rule == "service_tags"
			}
		}
	}
	for i, s := range samples {
		r := recs[i]
		t.Run(s.Rule+"/"+s.Name, func(t *testing.T) {
			if r.Status != "SUCCEEDED" {
				t.Fatalf("status %s (%s)", r.Status, r.Error)
			}
			if len(s.Input.Service) > 0 && !servicesReachThePolicy {
				t.Fatal("the executor does not give the policy input.service (the triage's lookup: DescribeServices)")
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

// sampledService is a sample's service in the world: its entry, ARN and
// tags.
type sampledService struct {
	entry map[string]any
	arn   string
	tags  map[string]string
}

// serviceOfSample gives a sample whose task belongs to a service (group
// service:NAME) a service of its own, NAME plus the sample's number, so
// that samples do not share one: tagged as the sample's input.service is,
// or, for a sample without input.service (its service could not be
// described), with the task definition's tags, which leaves input.tags as
// the sample has them. nil for a standalone task.
func serviceOfSample(s policies.Sample, n int, tdArn string) *sampledService {
	var task struct {
		ClusterArn string `json:"clusterArn"`
		Group      string `json:"group"`
	}
	if err := json.Unmarshal(s.Input.Task, &task); err != nil || !strings.HasPrefix(task.Group, "service:") {
		return nil
	}
	tags := map[string]string{}
	for k, v := range s.Input.Tags {
		tags[k] = v
	}
	if len(s.Input.Service) > 0 {
		var svc struct {
			Tags []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"tags"`
		}
		_ = json.Unmarshal(s.Input.Service, &svc)
		tags = map[string]string{}
		for _, tag := range svc.Tags {
			tags[tag.Key] = tag.Value
		}
	}
	cluster := task.ClusterArn[strings.LastIndex(task.ClusterArn, "/")+1:]
	name := fmt.Sprintf("%s-%d", strings.TrimPrefix(task.Group, "service:"), n)
	ctx := s.Input.Context
	entry := map[string]any{"cluster": cluster, "serviceName": name, "desiredCount": 1, "taskDefinition": tdArn}
	if len(s.Input.Service) > 0 {
		// The sample's service configuration (launch type, platform
		// version, network configuration…), which DescribeServices returns.
		var config map[string]json.RawMessage
		_ = json.Unmarshal(s.Input.Service, &config)
		for _, k := range []string{"tags", "serviceName", "serviceArn", "clusterArn"} {
			delete(config, k)
		}
		entry["configuration"] = config
	}
	return &sampledService{
		entry: entry,
		arn:   fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", ctx.Region, ctx.Account, cluster, name),
		tags:  tags,
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
	replacements := []string{fmt.Sprintf("%q", fmt.Sprintf("%s:%d", family, n)), fmt.Sprintf("%q", fmt.Sprintf("%s:%v", family, def["revision"]))}
	if group, _ := task["group"].(string); strings.HasPrefix(group, "service:") {
		// The sample's own service in the world (serviceOfSample).
		name := strings.TrimPrefix(group, "service:")
		task["group"] = fmt.Sprintf("service:%s-%d", name, n)
		replacements = append(replacements, fmt.Sprintf("service %q", fmt.Sprintf("%s-%d", name, n)), fmt.Sprintf("service %q", name))
	}
	undo = strings.NewReplacer(replacements...)
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
