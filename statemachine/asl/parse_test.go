package asl

import (
	"os"
	"strings"
	"testing"
)

func TestParseWorkflow(t *testing.T) {
	data, err := os.ReadFile("../workflow.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	def, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(workflow.asl.json): %v", err)
	}
	if def.StartAt != "Record task" {
		t.Errorf("StartAt = %q", def.StartAt)
	}
	wait := def.State("Wait for approval")
	if wait == nil || !wait.WaitsForTaskToken() {
		t.Errorf("Wait for approval: %+v, want a waitForTaskToken Task", wait)
	}
	if s := def.State("Notify SNS topic"); s == nil || s.Type != "Task" {
		t.Errorf("State finds states inside Parallel branches: got %+v", s)
	}
	if n := len(def.States()); n != 19 {
		t.Errorf("States() has %d states, want 19", n)
	}
}

// wrap builds a definition whose StartAt is state "A" and whose other states
// are given as JSON members.
func wrap(states string) string {
	return `{"StartAt": "A", "States": {` + states + `}}`
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, def, want string }{
		{"not JSON", `{`, "not JSON"},
		{"trailing data", `{} {}`, "not JSON"},
		{"not an object", `[]`, "must be a JSON object"},
		{"missing StartAt", `{"States": {"A": {"Type": "Succeed"}}}`, "missing StartAt"},
		{"missing States", `{"StartAt": "A"}`, "missing States"},
		{"empty States", `{"StartAt": "A", "States": {}}`, "non-empty object"},
		{"StartAt names no state", `{"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}`, `StartAt "B" is not a state`},
		{"unknown top-level field", `{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "Foo": 1}`, `unknown field "Foo"`},
		{"JSONata", `{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}`, "only JSONPath"},
		{"unknown state type", wrap(`"A": {"Type": "Sleep"}`), `unknown state Type "Sleep"`},
		{"missing Type", wrap(`"A": {"Next": "B"}`), "missing Type"},
		{"unknown field in a state", wrap(`"A": {"Type": "Pass", "End": true, "Resource": "x"}`), `state "A": unknown field "Resource"`},
		{"Assign is not supported", wrap(`"A": {"Type": "Pass", "End": true, "Assign": {}}`), "Assign"},
		{"Next to a missing state", wrap(`"A": {"Type": "Pass", "Next": "B"}`), `Next points to "B", which is not a state`},
		{"Next and End", wrap(`"A": {"Type": "Pass", "Next": "A", "End": true}`), "both Next and End"},
		{"neither Next nor End", wrap(`"A": {"Type": "Pass"}`), "needs Next or"},
		{"unreachable state", wrap(`"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}`), `state "B" is not reachable`},
		{"no terminal state", wrap(`"A": {"Type": "Pass", "Next": "A"}`), "no terminal state"},
		{"Task without Resource", wrap(`"A": {"Type": "Task", "End": true}`), "needs a Resource"},
		{"Choice without Choices", wrap(`"A": {"Type": "Choice", "Default": "B"}, "B": {"Type": "Succeed"}`), "needs Choices"},
		{"Choice Default to a missing state", wrap(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "B"}], "Default": "C"}, "B": {"Type": "Succeed"}`), `Default points to "C"`},
		{"Choice with End", wrap(`"A": {"Type": "Choice", "End": true, "Choices": []}`), `unknown field "End"`},
		{"Choice rule without Next", wrap(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true}]}`), "Choices[0]: a choice rule needs Next"},
		{"States.ALL not alone", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}`), "must appear alone"},
		{"States.ALL retrier not last", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}`), "Retry[0]: a retrier with States.ALL must be the last one"},
		{"States.ALL catcher not last", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}]}`), "Catch[0]: a catcher with States.ALL must be the last one"},
		{"empty ErrorEquals", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": []}]}`), "non-empty array"},
		{"BackoffRate below 1", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}`), "BackoffRate"},
		{"negative MaxAttempts", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}]}`), "MaxAttempts"},
		{"bad JitterStrategy", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}]}`), "JitterStrategy"},
		{"catcher without Next", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["X"]}]}`), "catcher needs Next"},
		{"Retry on a Pass", wrap(`"A": {"Type": "Pass", "End": true, "Retry": []}`), `unknown field "Retry"`},
		{"ResultPath must be a reference path", wrap(`"A": {"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}`), "reference path"},
		{"bad InputPath", wrap(`"A": {"Type": "Pass", "End": true, "InputPath": "a"}`), "InputPath"},
		{"Parameters with a bad path", wrap(`"A": {"Type": "Pass", "End": true, "Parameters": {"x.$": "a.b"}}`), "neither a path"},
		{"Parameters with a non-string dynamic value", wrap(`"A": {"Type": "Pass", "End": true, "Parameters": {"x.$": 1}}`), "must be a path or an intrinsic"},
		{"Parameters with a bad intrinsic", wrap(`"A": {"Type": "Pass", "End": true, "Parameters": {"x.$": "States.Nope()"}}`), "unknown function"},
		{"Parameters with a duplicate key", wrap(`"A": {"Type": "Pass", "End": true, "Parameters": {"x": 1, "x.$": "$"}}`), "both produce"},
		{"ResultSelector not an object", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "ResultSelector": 1}`), "ResultSelector must be an object"},
		{"Timeout and TimeoutPath", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "TimeoutSeconds": 1, "TimeoutSecondsPath": "$.t"}`), "both TimeoutSeconds and TimeoutSecondsPath"},
		{"zero TimeoutSeconds", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "TimeoutSeconds": 0}`), "positive integer"},
		{"heartbeat not below timeout", wrap(`"A": {"Type": "Task", "Resource": "r", "End": true, "TimeoutSeconds": 5, "HeartbeatSeconds": 5}`), "must be smaller"},
		{"Wait with two times", wrap(`"A": {"Type": "Wait", "End": true, "Seconds": 1, "SecondsPath": "$.s"}`), "exactly one of"},
		{"Wait with none", wrap(`"A": {"Type": "Wait", "End": true}`), "exactly one of"},
		{"Wait with a bad timestamp", wrap(`"A": {"Type": "Wait", "End": true, "Timestamp": "tomorrow"}`), "RFC 3339"},
		{"Fail with Error and ErrorPath", wrap(`"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}`), "both Error and ErrorPath"},
		{"Fail with Next", wrap(`"A": {"Type": "Fail", "Next": "A"}`), `unknown field "Next"`},
		{"Parallel without Branches", wrap(`"A": {"Type": "Parallel", "End": true}`), "needs Branches"},
		{"Parallel branch errors name the branch", wrap(`"A": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "B"}]}`), `state "A" Branches[0]: missing States`},
		{"Next out of a branch", wrap(`"A": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "A"}}}]}`), "cannot leave its own States"},
		{"duplicate state name in a branch", wrap(`"A": {"Type": "Parallel", "Next": "B", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}]}, "B": {"Type": "Succeed"}`), `state name "B" is already used`},
		{"Map without processor", wrap(`"A": {"Type": "Map", "End": true}`), "needs an ItemProcessor"},
		{"distributed Map", wrap(`"A": {"Type": "Map", "End": true, "ItemReader": {}, "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}`), "distributed Map"},
		{"state name too long", `{"StartAt": "` + strings.Repeat("x", 81) + `", "States": {"` + strings.Repeat("x", 81) + `": {"Type": "Succeed"}}}`, "at most 80 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.def))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
