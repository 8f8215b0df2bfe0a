package judgement

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

const detail = `{
  "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f40718293a4b5c6d7e8f9",
  "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
  "group": "service:api", "launchType": "FARGATE", "platformVersion": "1.4.0",
  "lastStatus": "PENDING", "desiredStatus": "RUNNING", "version": 2,
  "createdAt": "2026-11-27T09:15:00Z", "startedBy": "ecs-svc/123",
  "attachments": [{"id": "a1", "type": "eni", "status": "PRECREATED"}],
  "overrides": {"containerOverrides": [{"name": "api", "environment": [{"name": "MODE", "value": "x"}]}]},
  "containers": [
    {"name": "sidecar", "image": "public.ecr.aws/x/y:1", "containerArn": "arn:aws:ecs:us-east-1:123456789012:container/prod/0a1b/aaa", "lastStatus": "PENDING", "runtimeId": "r1"},
    {"name": "api", "image": "nginx:1.25", "containerArn": "arn:aws:ecs:us-east-1:123456789012:container/prod/0a1b/bbb", "lastStatus": "PENDING", "imageDigest": "sha256:aa"}
  ]
}`

func subjectOf(t *testing.T, d string) Subject {
	t.Helper()
	task, err := TaskProjection(json.RawMessage(d))
	if err != nil {
		t.Fatal(err)
	}
	return Subject{Account: "123456789012", Region: "us-east-1",
		TaskDefinitionArn:  "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
		TaskDefinitionTags: map[string]string{"owner": "web"}, Task: task}
}

func hashOf(t *testing.T, s Subject) string {
	t.Helper()
	h, err := s.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mutate returns detail with its top-level member name set to value (JSON).
func mutate(t *testing.T, d, name, value string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(d), &m); err != nil {
		t.Fatal(err)
	}
	if value == "" {
		delete(m, name)
	} else {
		m[name] = json.RawMessage(value)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestSubjectIgnoresPerTaskIdentity(t *testing.T) {
	base := hashOf(t, subjectOf(t, detail))
	for _, c := range []struct{ field, value string }{
		{"taskArn", `"arn:aws:ecs:us-east-1:123456789012:task/prod/ffffffffffffffffffffffffffffffff"`},
		{"version", `7`},
		{"createdAt", `"2026-12-01T00:00:00Z"`},
		{"startedAt", `"2026-12-01T00:00:05Z"`},
		{"lastStatus", `"RUNNING"`},
		{"startedBy", `"ecs-svc/999"`},
		{"attachments", `[]`},
		{"connectivity", `"CONNECTED"`},
		{"updatedAt", `"2026-12-01T00:00:09Z"`},
	} {
		t.Run(c.field, func(t *testing.T) {
			if got := hashOf(t, subjectOf(t, mutate(t, detail, c.field, c.value))); got != base {
				t.Errorf("changing %s changed the subject", c.field)
			}
		})
	}
	t.Run("container runtime fields and order", func(t *testing.T) {
		other := `[{"name": "api", "image": "nginx:1.25", "runtimeId": "zz", "lastStatus": "RUNNING"},
		           {"name": "sidecar", "image": "public.ecr.aws/x/y:1", "containerArn": "other"}]`
		if got := hashOf(t, subjectOf(t, mutate(t, detail, "containers", other))); got != base {
			t.Error("container runtime fields or order changed the subject")
		}
	})
}

func TestSubjectFollowsWhatRulesRead(t *testing.T) {
	base := hashOf(t, subjectOf(t, detail))
	for _, c := range []struct{ field, value string }{
		{"group", `"service:web"`},
		{"group", ``},
		{"launchType", `"EC2"`},
		{"clusterArn", `"arn:aws:ecs:us-east-1:123456789012:cluster/dev"`},
		{"overrides", `{}`},
		{"platformVersion", `"1.3.0"`},
		{"containers", `[{"name": "api", "image": "nginx:1.26"}, {"name": "sidecar", "image": "public.ecr.aws/x/y:1"}]`},
		{"capacityProviderName", `"FARGATE_SPOT"`},
	} {
		t.Run(c.field+"="+c.value, func(t *testing.T) {
			if got := hashOf(t, subjectOf(t, mutate(t, detail, c.field, c.value))); got == base {
				t.Errorf("changing %s did not change the subject", c.field)
			}
		})
	}
	s := subjectOf(t, detail)
	for name, change := range map[string]func(*Subject){
		"task definition":      func(s *Subject) { s.TaskDefinitionArn += "0" },
		"task definition tags": func(s *Subject) { s.TaskDefinitionTags = map[string]string{"owner": "other"} },
		"service tags":         func(s *Subject) { s.ServiceTags = map[string]string{"team": "x"} },
		"service":              func(s *Subject) { s.Service = json.RawMessage(`{"platformVersion": "LATEST"}`) },
		"account":              func(s *Subject) { s.Account = "210987654321" },
		"region":               func(s *Subject) { s.Region = "eu-west-1" },
	} {
		t.Run(name, func(t *testing.T) {
			c := s
			change(&c)
			if hashOf(t, c) == base {
				t.Errorf("changing the %s did not change the subject", name)
			}
		})
	}
}

func TestSubjectIsCanonical(t *testing.T) {
	a := Subject{Account: "1", Region: "r", TaskDefinitionArn: "td", Service: json.RawMessage(`{"b": 1, "a": {"y": 2.50, "x": [1,2]}}`)}
	b := Subject{Account: "1", Region: "r", TaskDefinitionArn: "td", Service: json.RawMessage(` {"a": {"x": [1,2], "y": 2.50}, "b": 1}`)}
	if hashOf(t, a) != hashOf(t, b) {
		t.Error("key order or spacing changed the subject")
	}
	c := b
	c.Service = json.RawMessage(`{"a": {"x": [2,1], "y": 2.50}, "b": 1}`)
	if hashOf(t, a) == hashOf(t, c) {
		t.Error("list order is meaningful but did not change the subject")
	}
	nilTags, emptyTags := a, a
	emptyTags.TaskDefinitionTags = map[string]string{}
	if hashOf(t, nilTags) != hashOf(t, emptyTags) {
		t.Error("no tags and empty tags differ")
	}
}

func TestSubjectErrors(t *testing.T) {
	if _, err := (Subject{Region: "r", TaskDefinitionArn: "td"}).Hash(); err == nil {
		t.Error("no account: want an error")
	}
	if _, err := (Subject{Account: "1", Region: "r", TaskDefinitionArn: "td", Task: json.RawMessage(`{`)}).Hash(); err == nil {
		t.Error("bad task JSON: want an error")
	}
	if _, err := TaskProjection(json.RawMessage(`[]`)); err == nil {
		t.Error("a detail that is not an object: want an error")
	}
	if _, err := TaskProjection(json.RawMessage(`{"containers": {"a": 1}}`)); err == nil {
		t.Error("containers that are not a list: want an error")
	}
	if _, err := ServiceProjection(json.RawMessage(`"x"`)); err == nil {
		t.Error("a service that is not an object: want an error")
	}
}

func TestServiceProjectionDropsRunState(t *testing.T) {
	svc := `{"serviceName": "api", "desiredCount": 3, "runningCount": 2, "pendingCount": 1, "status": "ACTIVE",
	  "deployments": [{"id": "ecs-svc/1"}], "events": [{"message": "x"}], "createdAt": "2026-01-01T00:00:00Z",
	  "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "ENABLED"}}, "platformVersion": "LATEST"}`
	got, err := ServiceProjection(json.RawMessage(svc))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(got, &m)
	for _, f := range ServiceRunState {
		if _, ok := m[f]; ok {
			t.Errorf("%s kept", f)
		}
	}
	for _, f := range []string{"serviceName", "networkConfiguration", "platformVersion"} {
		if _, ok := m[f]; !ok {
			t.Errorf("%s dropped", f)
		}
	}
	if p, _ := ServiceProjection(nil); p != nil {
		t.Errorf("empty service: got %s", p)
	}
}

func TestKey(t *testing.T) {
	k := Key("p", "s", Settings{Mode: contract.ModeAudit})
	if k != Key("p", "s", Settings{}) {
		t.Error("empty mode is audit")
	}
	for name, other := range map[string]string{
		"policy":   Key("q", "s", Settings{Mode: contract.ModeAudit}),
		"subject":  Key("p", "t", Settings{Mode: contract.ModeAudit}),
		"mode":     Key("p", "s", Settings{Mode: contract.ModeEnforce}),
		"approval": Key("p", "s", Settings{Mode: contract.ModeAudit, Approval: true}),
	} {
		if other == k {
			t.Errorf("the %s does not change the key", name)
		}
	}
	if len(k) != 64 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Errorf("key %q is not 64 hex digits", k)
	}
}

func TestExpiry(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	exempt := func(expires string) *contract.Decision {
		return &contract.Decision{Exempted: []contract.Violation{{Rule: "r", Exemption: &contract.Exemption{Reason: "x", Expires: expires}}}}
	}
	for _, c := range []struct {
		name string
		d    *contract.Decision
		ttl  time.Duration
		want time.Time
	}{
		{"no decision: the TTL", nil, time.Hour, at.Add(time.Hour)},
		{"default TTL", &contract.Decision{}, 0, at.Add(DefaultTTL)},
		{"an exemption ending first bounds it (end of its day)", exempt("2026-12-03"), 0, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)},
		{"an exemption ending after the TTL does not", exempt("2027-06-01"), 24 * time.Hour, at.Add(24 * time.Hour)},
		{"an exemption without expiry does not", exempt(""), time.Hour, at.Add(time.Hour)},
		{"an unparsable date ends it at once", exempt("soon"), time.Hour, at},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Expiry(c.d, at, c.ttl); !got.Equal(c.want) {
				t.Errorf("Expiry = %s, want %s", got, c.want)
			}
		})
	}
}

func TestFlaggedBy(t *testing.T) {
	v := func(rule, msg string) contract.Violation {
		return contract.Violation{Rule: rule, Severity: "HIGH", Container: "api", Message: msg}
	}
	a := FlaggedBy(&contract.Decision{Violations: []contract.Violation{v("b", "1")}, Warnings: []contract.Violation{v("a", "2"), v("a", "3")}})
	if strings.Join(a.Rules, ",") != "a,b" || a.Digest == "" {
		t.Fatalf("FlaggedBy = %+v", a)
	}
	same := FlaggedBy(&contract.Decision{Warnings: []contract.Violation{v("a", "3"), v("a", "2")}, Violations: []contract.Violation{v("b", "1")}})
	if same.Digest != a.Digest {
		t.Error("order changed the digest")
	}
	moved := FlaggedBy(&contract.Decision{Warnings: []contract.Violation{v("b", "1"), v("a", "2"), v("a", "3")}})
	if moved.Digest == a.Digest {
		t.Error("a violation becoming a warning did not change the digest")
	}
	if f := FlaggedBy(&contract.Decision{}); f.Digest != "" || f.Rules != nil {
		t.Errorf("nothing flagged: %+v", f)
	}
}
