package asl

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// node is what a test expects of a state: its type and where it can go
// (Next, each Choice's Next, Default, each Catch's Next, in that order; "End"
// for a state that ends its branch with End: true).
type node struct {
	typ string
	to  []string
}

// graph is a definition's states as nodes, by name (Parallel branches'
// states included).
func graph(d *Definition) map[string]node {
	out := map[string]node{}
	for _, s := range d.States() {
		n := node{typ: s.Type}
		if s.next != "" {
			n.to = append(n.to, s.next)
		}
		for _, c := range s.choices {
			n.to = append(n.to, c.next)
		}
		if s.defaultNext != "" {
			n.to = append(n.to, s.defaultNext)
		}
		for _, c := range s.catch {
			n.to = append(n.to, c.next)
		}
		if s.end {
			n.to = append(n.to, "End")
		}
		out[s.Name] = n
	}
	return out
}

func parseFile(t *testing.T, path string) *Definition {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	def, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return def
}

// checkGraph compares a definition's graph with the one the design gives,
// state by state, so that a failure names the state that moved.
func checkGraph(t *testing.T, def *Definition, want map[string]node) {
	t.Helper()
	got := graph(def)
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("no state %q", name)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("state %q: %s → %q, want %s → %q", name, g.typ, g.to, w.typ, w.to)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("state %q is not in the design", name)
		}
	}
}

// resultPathOf is a state's ResultPath as written ("$" when absent, "null").
func resultPathOf(s *State) string {
	switch {
	case s.resultPath.null:
		return "null"
	case s.resultPath.path == nil:
		return "$"
	}
	return s.resultPath.path.String()
}

// The Standard workflow: started by the triage with the task claimed and its
// judgement looked up; it judges a key once and remediates every task that
// must be stopped.
func TestParseWorkflow(t *testing.T) {
	def := parseFile(t, "../workflow.asl.json")
	if def.StartAt != "Is the task definition judged already?" {
		t.Errorf("StartAt = %q", def.StartAt)
	}
	checkGraph(t, def, map[string]node{
		"Is the task definition judged already?":   {"Choice", []string{"Take the stored judgement", "Load policy and describe task definition"}},
		"Take the stored judgement":                {"Pass", []string{"Is approval required?"}},
		"Load policy and describe task definition": {"Parallel", []string{"Evaluate task against policy", "Report failure"}},
		"Load policy from Parameter Store":         {"Task", []string{"End"}},
		"Describe task definition":                 {"Task", []string{"End"}},
		"Evaluate task against policy":             {"Task", []string{"Record judgement", "Report failure"}},
		"Record judgement":                         {"Task", []string{"What does the policy decide?", "Report failure"}},
		"What does the policy decide?": {"Choice", []string{"Is approval required?", "Report to SNS and Security Hub",
			"Update Security Hub findings", "Task is compliant", "Reported before"}},
		"Task is compliant":                             {"Succeed", nil},
		"Reported before":                               {"Succeed", nil},
		"Is approval required?":                         {"Choice", []string{"Wait for approval", "Is there a task to stop?"}},
		"Wait for approval":                             {"Task", []string{"Is there a task to stop?", "Report to SNS and Security Hub", "Report failure"}},
		"Is there a task to stop?":                      {"Choice", []string{"Deregister task definition", "Scale service and stop task"}},
		"Scale service and stop task":                   {"Parallel", []string{"Were the service scaled and the task stopped?", "Report failure"}},
		"Is the task part of a service?":                {"Choice", []string{"Scale service to zero", "No service to scale"}},
		"No service to scale":                           {"Pass", []string{"End"}},
		"Scale service to zero":                         {"Task", []string{"Scaling failed", "End"}},
		"Scaling failed":                                {"Pass", []string{"End"}},
		"Stop task":                                     {"Task", []string{"Stopping failed", "End"}},
		"Stopping failed":                               {"Pass", []string{"End"}},
		"Were the service scaled and the task stopped?": {"Choice", []string{"Keep the failed step", "Deregister task definition"}},
		"Keep the failed step":                          {"Pass", []string{"Report failure"}},
		"Deregister task definition":                    {"Task", []string{"Count remediated task", "Report failure"}},
		"Count remediated task":                         {"Task", []string{"Is this a new incident?", "Report failure"}},
		"Is this a new incident?":                       {"Choice", []string{"Report to SNS and Security Hub", "Update Security Hub findings"}},
		"Update Security Hub findings":                  {"Task", []string{"Report failure", "End"}},
		"Report to SNS and Security Hub":                {"Parallel", []string{"Report failure", "End"}},
		"Notify SNS topic":                              {"Task", []string{"End"}},
		"Import Security Hub findings":                  {"Task", []string{"End"}},
		"Report failure":                                {"Task", []string{"Workflow failed", "Workflow failed"}},
		"Workflow failed":                               {"Fail", nil},
	})
	for _, gone := range []string{"Record task", "First event for this task?", "Skip duplicate event"} {
		if def.State(gone) != nil {
			t.Errorf("state %q belongs to the triage now", gone)
		}
	}
	if wait := def.State("Wait for approval"); wait == nil || !wait.WaitsForTaskToken() {
		t.Errorf("Wait for approval: %+v, want a waitForTaskToken Task", wait)
	}
	if s := def.State("Notify SNS topic"); s == nil || s.Type != "Task" {
		t.Errorf("State finds states inside Parallel branches: got %+v", s)
	}
	// Where each step's result goes: the contract's fields. Evaluate returns
	// the whole document (the bundle's files and the raw task definition
	// dropped); the stored judgement becomes $.evaluation. The two
	// Parallels put their branches' results in place (the policy in
	// $.evaluation, the description in $.described; the scaling and the
	// stop in $.remediation.service and .task), checked by running them in
	// package offline's tests.
	for state, want := range map[string]string{
		"Take the stored judgement":                "$.evaluation",
		"Load policy and describe task definition": "$",
		"Describe task definition":                 "$.described",
		"Evaluate task against policy":             "$",
		"Record judgement":                         "$.judgement",
		"Wait for approval":                        "$.approval",
		"Scale service and stop task":              "$.remediation",
		"Keep the failed step":                     "$.failure",
		"Deregister task definition":               "$.remediation.taskDefinition",
		"Count remediated task":                    "$.incident",
		"Update Security Hub findings":             "$.report.findings",
		"Report to SNS and Security Hub":           "$.report",
		"Report failure":                           "$.report",
	} {
		if s := def.State(state); s == nil || resultPathOf(s) != want {
			t.Errorf("%s: ResultPath %q, want %q", state, resultPathOf(s), want)
		}
	}
	if s := def.State("Take the stored judgement"); s.inputPath.path == nil || s.inputPath.path.String() != "$.lookup.evaluation" {
		t.Errorf("Take the stored judgement: InputPath %+v, want $.lookup.evaluation", s.inputPath)
	}
}

// The Express triage: every task event goes through it; it starts the
// Standard workflow only for a first judgement or a task to remediate.
func TestParseTriage(t *testing.T) {
	def := parseFile(t, "../triage.asl.json")
	if def.StartAt != "Record task" {
		t.Errorf("StartAt = %q", def.StartAt)
	}
	checkGraph(t, def, map[string]node{
		"Record task":                {"Task", []string{"First event for this task?", "Report failure"}},
		"First event for this task?": {"Choice", []string{"Skip duplicate event", "What is known about this task definition?"}},
		"Skip duplicate event":       {"Succeed", nil},
		"Look up judgement":          {"Task", []string{"What is known about this task definition?", "Report failure"}},
		"What is known about this task definition?": {"Choice", []string{"Start compliance workflow", "Start compliance workflow",
			"Wait for the judgement", "Judgement known: nothing to do"}},
		"Wait for the judgement":         {"Wait", []string{"Look up judgement"}},
		"Judgement known: nothing to do": {"Succeed", nil},
		"Start compliance workflow":      {"Task", []string{"Workflow already started", "Report failure", "End"}},
		"Workflow already started":       {"Succeed", nil},
		"Report failure":                 {"Task", []string{"Triage failed", "Triage failed"}},
		"Triage failed":                  {"Fail", nil},
	})
	start := def.State("Start compliance workflow")
	if start.Resource != "arn:aws:states:::states:startExecution" {
		t.Errorf("Start compliance workflow: Resource %q, want the startExecution integration", start.Resource)
	}
	if len(start.catch) == 0 || !reflect.DeepEqual(start.catch[0].errors, []string{"StepFunctions.ExecutionAlreadyExistsException"}) {
		t.Errorf("Start compliance workflow: the first catcher must take ExecutionAlreadyExistsException alone")
	}
	for state, want := range map[string]string{
		"Record task":               "$",
		"Look up judgement":         "$.lookup",
		"Start compliance workflow": "$.workflow",
		"Report failure":            "$.report",
	} {
		if s := def.State(state); s == nil || resultPathOf(s) != want {
			t.Errorf("%s: ResultPath %q, want %q", state, resultPathOf(s), want)
		}
	}
	if w := def.State("Wait for the judgement"); w.waitKind != "Seconds" || w.waitSeconds <= 0 {
		t.Errorf("Wait for the judgement: %s %d, want a fixed number of seconds", w.waitKind, w.waitSeconds)
	}
	for _, s := range def.States() {
		if s.Type == "Task" && s.WaitsForTaskToken() {
			t.Errorf("%s: an Express workflow cannot wait for a task token", s.Name)
		}
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
