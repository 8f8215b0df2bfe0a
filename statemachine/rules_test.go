package statemachine

import (
	"os"
	"testing"
)

func TestTaskEventPattern(t *testing.T) {
	event := func(last, desired, cluster string) []byte {
		return []byte(`{"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {"lastStatus": "` + last +
			`", "desiredStatus": "` + desired + `", "clusterArn": "` + cluster + `"}}`)
	}
	prod, dev := "arn:aws:ecs:us-east-1:1:cluster/prod", "arn:aws:ecs:us-east-1:1:cluster/dev"
	p := TaskEventPattern([]string{dev})
	for _, c := range []struct {
		name string
		ev   []byte
		want bool
	}{
		{"a task being provisioned", event("PROVISIONING", "RUNNING", prod), true},
		{"a pending task", event("PENDING", "RUNNING", prod), true},
		{"a running task", event("RUNNING", "RUNNING", prod), true},
		{"a task being stopped", event("RUNNING", "STOPPED", prod), false},
		{"a stopped task", event("STOPPED", "STOPPED", prod), false},
		{"a deprovisioning task", event("DEPROVISIONING", "STOPPED", prod), false},
		{"an excluded cluster", event("PENDING", "RUNNING", dev), false},
		{"another source", []byte(`{"source": "my.app", "detail-type": "ECS Task State Change", "detail": {"lastStatus": "PENDING", "desiredStatus": "RUNNING"}}`), false},
		{"a container instance change", []byte(`{"source": "aws.ecs", "detail-type": "ECS Container Instance State Change", "detail": {}}`), false},
		{"no detail", []byte(`{"source": "aws.ecs", "detail-type": "ECS Task State Change"}`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := MatchPattern(p, c.ev)
			if err != nil || got != c.want {
				t.Errorf("MatchPattern = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := MatchPattern(p, []byte(`[1]`)); err == nil {
		t.Error("an event that is not an object: want an error")
	}
}

func TestRegistrationEventPattern(t *testing.T) {
	p := RegistrationEventPattern()
	ok := []byte(`{"source": "aws.ecs", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition"}}`)
	failed := []byte(`{"source": "aws.ecs", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition", "errorCode": "ClientException"}}`)
	other := []byte(`{"source": "aws.ecs", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventSource": "ecs.amazonaws.com", "eventName": "DeregisterTaskDefinition"}}`)
	for name, c := range map[string]struct {
		ev   []byte
		want bool
	}{"a registration": {ok, true}, "a failed registration": {failed, false}, "another call": {other, false}} {
		if got, err := MatchPattern(p, c.ev); err != nil || got != c.want {
			t.Errorf("%s: MatchPattern = %v, %v; want %v", name, got, err, c.want)
		}
	}
	if b, err := os.ReadFile("../test/events/register-task-definition.json"); err == nil {
		if m, err := MatchPattern(p, b); !m || err != nil {
			t.Errorf("the sample registration event does not match: %v %v", m, err)
		}
	}
}

func TestMatchPatternOperators(t *testing.T) {
	for _, c := range []struct {
		name    string
		pattern map[string]any
		ev      string
		want    bool
	}{
		{"prefix", map[string]any{"a": []any{map[string]any{"prefix": "arn:aws:"}}}, `{"a": "arn:aws:ecs"}`, true},
		{"prefix misses", map[string]any{"a": []any{map[string]any{"prefix": "arn:aws-cn:"}}}, `{"a": "arn:aws:ecs"}`, false},
		{"anything-but a single value", map[string]any{"a": []any{map[string]any{"anything-but": "x"}}}, `{"a": "y"}`, true},
		{"anything-but on a missing field", map[string]any{"a": []any{map[string]any{"anything-but": "x"}}}, `{}`, false},
		{"exists true", map[string]any{"a": []any{map[string]any{"exists": true}}}, `{"a": 1}`, true},
		{"an array matches any element", map[string]any{"a": []any{"x"}}, `{"a": ["w", "x"]}`, true},
		{"numbers compare as numbers", map[string]any{"a": []any{float64(2)}}, `{"a": 2}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, err := MatchPattern(c.pattern, []byte(c.ev)); err != nil || got != c.want {
				t.Errorf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := MatchPattern(map[string]any{"a": []any{map[string]any{"numeric": []any{">", 1}}}}, []byte(`{"a": 2}`)); err == nil {
		t.Error("an unsupported operator: want an error")
	}
	if _, err := MatchPattern(map[string]any{"a": "x"}, []byte(`{"a": "x"}`)); err == nil {
		t.Error("a scalar pattern value: want an error")
	}
}
