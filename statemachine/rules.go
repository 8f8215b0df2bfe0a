package statemachine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

// The EventBridge rules that start the triage, as event patterns: CDK
// deploys them and the local executor applies them, so that an event the
// deployed rules would not deliver costs nothing locally either.

// TaskEventPattern matches the ECS task state changes of tasks that are
// about to run, caught at their earliest status (the triage's claim makes
// later events of the same task cheap duplicates), minus the excluded
// clusters (ARNs).
func TaskEventPattern(excludedClusterArns []string) map[string]any {
	statuses := make([]any, len(recordtask.LastStatuses))
	for i, s := range recordtask.LastStatuses {
		statuses[i] = s
	}
	detail := map[string]any{
		"desiredStatus": []any{recordtask.DesiredStatus},
		"lastStatus":    statuses,
	}
	if len(excludedClusterArns) > 0 {
		list := make([]any, len(excludedClusterArns))
		for i, a := range excludedClusterArns {
			list[i] = a
		}
		detail["clusterArn"] = []any{map[string]any{"anything-but": list}}
	}
	return map[string]any{
		"source":      []any{recordtask.EventSource},
		"detail-type": []any{recordtask.EventDetailType},
		"detail":      detail,
	}
}

// RegistrationEventPattern matches CloudTrail's record of a successful
// RegisterTaskDefinition (no errorCode): a new revision, judged before any
// task runs it.
func RegistrationEventPattern() map[string]any {
	return map[string]any{
		"source":      []any{recordtask.EventSource},
		"detail-type": []any{recordtask.CloudTrailDetailType},
		"detail": map[string]any{
			"eventSource": []any{recordtask.CloudTrailEventSource},
			"eventName":   []any{recordtask.RegisterEventName},
			"errorCode":   []any{map[string]any{"exists": false}},
		},
	}
}

// MatchPattern tells whether an event (JSON) matches an EventBridge event
// pattern. It supports what this project's patterns use: exact values,
// "anything-but" (a value or a list), "exists" and "prefix"; a pattern's
// list matches when any element does, and an event's array matches when any
// element does.
func MatchPattern(pattern map[string]any, event []byte) (bool, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return false, fmt.Errorf("event is not a JSON object: %w", err)
	}
	return MatchEvent(pattern, ev)
}

// MatchEvent is MatchPattern for an event already decoded.
func MatchEvent(pattern map[string]any, event map[string]any) (bool, error) {
	return matchObject(pattern, event)
}

func matchObject(pattern map[string]any, ev map[string]any) (bool, error) {
	for key, want := range pattern {
		got, present := ev[key]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok {
				return false, nil
			}
			if m, err := matchObject(w, sub); !m || err != nil {
				return false, err
			}
		case []any:
			m, err := matchValues(w, got, present)
			if !m || err != nil {
				return false, err
			}
		default:
			return false, fmt.Errorf("pattern %q: a value must be an object or a list, not %T", key, want)
		}
	}
	return true, nil
}

// matchValues: any of the pattern's values matches the event's value (or,
// for an array, any of its elements).
func matchValues(want []any, got any, present bool) (bool, error) {
	values := []any{got}
	if arr, ok := got.([]any); ok {
		values = arr
	}
	for _, w := range want {
		if rule, ok := w.(map[string]any); ok {
			m, err := matchRule(rule, values, present)
			if m || err != nil {
				return m, err
			}
			continue
		}
		if present && slices.ContainsFunc(values, func(v any) bool { return v == w }) {
			return true, nil
		}
	}
	return false, nil
}

func matchRule(rule map[string]any, values []any, present bool) (bool, error) {
	for op, arg := range rule {
		switch op {
		case "exists":
			want, ok := arg.(bool)
			if !ok {
				return false, fmt.Errorf(`"exists" takes true or false`)
			}
			return present == want, nil
		case "anything-but":
			if !present {
				return false, nil
			}
			excluded, ok := arg.([]any)
			if !ok {
				excluded = []any{arg}
			}
			for _, v := range values {
				if !slices.Contains(excluded, v) {
					return true, nil
				}
			}
			return false, nil
		case "prefix":
			p, ok := arg.(string)
			if !ok {
				return false, fmt.Errorf(`"prefix" takes a string`)
			}
			for _, v := range values {
				if s, ok := v.(string); ok && present && strings.HasPrefix(s, p) {
					return true, nil
				}
			}
			return false, nil
		default:
			return false, fmt.Errorf("pattern operator %q is not supported here", op)
		}
	}
	return false, nil
}
