package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// execRecord is what exec prints.
type execRecord struct {
	Status  string          `json:"status"`
	Output  json.RawMessage `json:"output"`
	Error   string          `json:"error"`
	Cause   string          `json:"cause"`
	States  []string        `json:"states"`
	History []struct {
		Type         string          `json:"type"`
		State        string          `json:"state"`
		Scope        string          `json:"scope"`
		Attempt      int             `json:"attempt"`
		Error        string          `json:"error"`
		Cause        string          `json:"cause"`
		Next         string          `json:"next"`
		DelaySeconds *float64        `json:"delaySeconds"`
		Input        json.RawMessage `json:"input"`
		Output       json.RawMessage `json:"output"`
	} `json:"history"`
}

func execute(t *testing.T, args ...string) (execRecord, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runExec(args, &stdout, &stderr)
	var rec execRecord
	if code == 0 && stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &rec); err != nil {
			t.Fatalf("stdout is not the JSON record: %v\n%s", err, stdout.String())
		}
	}
	return rec, stderr.String(), code
}

// field decodes a JSON document and follows the keys.
func field(t *testing.T, doc json.RawMessage, keys ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %s", doc)
	}
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %q in %s", k, doc)
		}
		v = m[k]
	}
	return v
}

const workflow = "../workflow.asl.json"

func TestExecWorkflow(t *testing.T) {
	event := "testdata/workflow/event.json"
	tests := []struct {
		name, stubs   string
		status, error string
		states        []string
		check         func(t *testing.T, r execRecord)
	}{
		{
			name: "compliant task: retries the throttled policy load and succeeds", stubs: "compliant",
			status: "SUCCEEDED",
			states: []string{"Record task", "First event for this task?", "Load policy from Parameter Store", "Describe task definition",
				"Evaluate task against policy", "What does the policy decide?", "Task is compliant"},
			check: func(t *testing.T, r execRecord) {
				if got := field(t, r.Output, "evaluation", "outcome"); got != "COMPLIANT" {
					t.Errorf("output evaluation.outcome = %v", got)
				}
				if got := field(t, r.Output, "detail", "group"); got != "service:api" {
					t.Errorf("the event is kept in the output: detail.group = %v", got)
				}
				retries := 0
				for _, e := range r.History {
					if e.Type == "TaskRetried" {
						retries++
						if e.State != "Load policy from Parameter Store" || e.Attempt != 2 || e.Error != "Compliance.Transient" ||
							e.DelaySeconds == nil || *e.DelaySeconds < 0 || *e.DelaySeconds > 1 {
							t.Errorf("retry event %+v: want attempt 2 of the policy load after a jittered delay in [0, 1] s", e)
						}
					}
				}
				if retries != 1 {
					t.Errorf("%d retries, want 1", retries)
				}
			},
		},
		{
			name: "duplicate event ends early", stubs: "duplicate",
			status: "SUCCEEDED",
			states: []string{"Record task", "First event for this task?", "Skip duplicate event"},
		},
		{
			name: "failure path: Stop task fails after retries, Report failure gets $.failure.stopTask", stubs: "stop-task-fails",
			status: "FAILED", error: "Compliance.WorkflowFailed",
			states: []string{"Record task", "First event for this task?", "Load policy from Parameter Store", "Describe task definition",
				"Evaluate task against policy", "What does the policy decide?", "Is approval required?", "Is the task part of a service?",
				"Scale service to zero", "Stop task", "Report failure", "Workflow failed"},
			check: func(t *testing.T, r execRecord) {
				var reportInput json.RawMessage
				var stopAttempts []int
				for _, e := range r.History {
					if e.Type == "TaskScheduled" && e.State == "Report failure" {
						reportInput = e.Input
					}
					if e.Type == "TaskScheduled" && e.State == "Stop task" {
						stopAttempts = append(stopAttempts, e.Attempt)
					}
				}
				if !reflect.DeepEqual(stopAttempts, []int{1, 2, 3}) {
					t.Errorf("Stop task attempts %v, want [1 2 3] (two transient retries, then a permanent error)", stopAttempts)
				}
				if reportInput == nil {
					t.Fatal("Report failure was not scheduled")
				}
				if got := field(t, reportInput, "failure", "stopTask", "Error"); got != "Compliance.AccessDenied" {
					t.Errorf("Report failure input failure.stopTask.Error = %v", got)
				}
				if got := field(t, reportInput, "failure", "stopTask", "Cause"); !strings.Contains(got.(string), "ecs:StopTask") {
					t.Errorf("Report failure input failure.stopTask.Cause = %v", got)
				}
				if got := field(t, reportInput, "remediation", "service", "changed"); got != true {
					t.Errorf("the remediation done so far reaches the report: remediation.service.changed = %v", got)
				}
			},
		},
		{
			name: "approval rejected: report only, findings retried inside the Parallel", stubs: "approval-rejected",
			status: "SUCCEEDED",
			states: []string{"Record task", "First event for this task?", "Load policy from Parameter Store", "Describe task definition",
				"Evaluate task against policy", "What does the policy decide?", "Is approval required?", "Wait for approval",
				"Report to SNS and Security Hub", "Notify SNS topic", "Import Security Hub findings"},
			check: func(t *testing.T, r execRecord) {
				if got := field(t, r.Output, "approval", "error", "Error"); got != "Compliance.ApprovalRejected" {
					t.Errorf("approval.error.Error = %v", got)
				}
				if got := field(t, r.Output, "report", "notification", "messageId"); got != "m-2" {
					t.Errorf("report.notification.messageId = %v", got)
				}
				if got := field(t, r.Output, "report", "findings", "ids"); !reflect.DeepEqual(got, []any{"finding-1"}) {
					t.Errorf("report.findings.ids = %v", got)
				}
				for _, e := range r.History {
					if e.State == "Import Security Hub findings" && e.Scope != "Report to SNS and Security Hub/1" {
						t.Errorf("event %s of the second branch has scope %q", e.Type, e.Scope)
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, stderr, code := execute(t, "--definition", workflow, "--input", event,
				"--stubs", filepath.Join("testdata/workflow", tc.stubs+".stubs.json"))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stderr, "not used") {
				t.Errorf("stub entries left over: %s", stderr)
			}
			if r.Status != tc.status || r.Error != tc.error {
				t.Fatalf("status %s error %q (%s), want %s %q", r.Status, r.Error, r.Cause, tc.status, tc.error)
			}
			if !reflect.DeepEqual(r.States, tc.states) {
				t.Fatalf("states\n%q\nwant\n%q", r.States, tc.states)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestExecRetryDefinition(t *testing.T) {
	def, input := "testdata/retry/definition.asl.json", "testdata/retry/input.json"
	tests := []struct {
		name, stubs, status, error, cause, output string
		delays                                    []float64
	}{
		{name: "retries then succeeds", stubs: "ok", status: "SUCCEEDED", output: `{"summary": "item 42 is ready"}`, delays: []float64{2, 6}},
		{name: "exhausted retries go to the Catch", stubs: "exhausted", status: "FAILED", error: "Throttled", cause: "still throttled", delays: []float64{2, 6}},
		{name: "no stub left names the state and the attempt", stubs: "short", status: "FAILED", error: "States.Runtime",
			cause: `no stub left for Task state "Fetch" (attempt 2; the stub file has 1 entry for it)`, delays: []float64{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, stderr, code := execute(t, "--definition", def, "--input", input, "--stubs", "testdata/retry/"+tc.stubs+".stubs.json", "--seed", "3")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if r.Status != tc.status || r.Error != tc.error || !strings.Contains(r.Cause, tc.cause) {
				t.Fatalf("got %s %q %q, want %s %q %q", r.Status, r.Error, r.Cause, tc.status, tc.error, tc.cause)
			}
			if tc.output != "" {
				var got, want any
				_ = json.Unmarshal(r.Output, &got)
				_ = json.Unmarshal([]byte(tc.output), &want)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("output %s, want %s", r.Output, tc.output)
				}
			}
			var delays []float64
			for _, e := range r.History {
				if e.Type == "TaskRetried" {
					delays = append(delays, *e.DelaySeconds)
				}
			}
			if !reflect.DeepEqual(delays, tc.delays) {
				t.Fatalf("retry delays %v, want %v", delays, tc.delays)
			}
		})
	}
	t.Run("history brief drops inputs and outputs; none drops the history", func(t *testing.T) {
		r, _, _ := execute(t, "--definition", def, "--input", input, "--stubs", "testdata/retry/ok.stubs.json", "--history", "brief")
		if len(r.History) == 0 {
			t.Fatal("no history")
		}
		for _, e := range r.History {
			if e.Input != nil || e.Output != nil {
				t.Fatalf("brief history has data: %+v", e)
			}
		}
		r, _, _ = execute(t, "--definition", def, "--input", input, "--stubs", "testdata/retry/ok.stubs.json", "--history", "none")
		if r.History != nil || len(r.States) != 2 {
			t.Fatalf("history none: %d events, states %v", len(r.History), r.States)
		}
	})
	t.Run("unused stub entries are reported on stderr", func(t *testing.T) {
		_, stderr, code := execute(t, "--definition", workflow, "--input", "testdata/workflow/event.json", "--stubs", "testdata/workflow/stop-task-fails.stubs.json",
			"--history", "none")
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		_, stderr, _ = execute(t, "--definition", workflow, "--input", "testdata/workflow/event.json", "--stubs", "testdata/workflow/approval-rejected.stubs.json",
			"--history", "none")
		if stderr != "" {
			t.Fatalf("stderr %q", stderr)
		}
		_, stderr, _ = execute(t, "--definition", workflow, "--input", "testdata/workflow/event.json", "--stubs", "testdata/workflow/compliant.stubs.json",
			"--history", "none")
		if stderr != "" {
			t.Fatalf("stderr %q", stderr)
		}
	})
}

func TestExecUnusedStubs(t *testing.T) {
	dir := t.TempDir()
	stubs := filepath.Join(dir, "stubs.json")
	if err := os.WriteFile(stubs, []byte(`{"Fetch": [{"result": {"status": "ok"}}, {"result": 1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, stderr, code := execute(t, "--definition", "testdata/retry/definition.asl.json", "--input", "testdata/retry/input.json", "--stubs", stubs)
	if code != 0 || r.Status != "SUCCEEDED" {
		t.Fatalf("exit %d status %s", code, r.Status)
	}
	if !strings.Contains(stderr, `1 stub entry for "Fetch" not used`) {
		t.Fatalf("stderr %q, want a note about the unused entry", stderr)
	}
}

func TestExecBadUsage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := "testdata/retry/definition.asl.json"
	badDef := write("bad.asl.json", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}`)
	notJSON := write("not.json", `{nope`)
	unknownState := write("unknown.stubs.json", `{"Nope": [{"result": 1}]}`)
	passState := write("pass.stubs.json", `{"Summarize": [{"result": 1}]}`)
	both := write("both.stubs.json", `{"Fetch": [{"result": 1, "error": "E"}]}`)
	neither := write("neither.stubs.json", `{"Fetch": [{"cause": "c"}]}`)
	extra := write("extra.stubs.json", `{"Fetch": [{"result": 1, "delay": 3}]}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no definition", []string{}, "--definition is required"},
		{"unknown flag", []string{"--definition", def, "--nope"}, "flag provided but not defined"},
		{"positional argument", []string{"--definition", def, "extra"}, `unexpected argument "extra"`},
		{"missing definition file", []string{"--definition", filepath.Join(dir, "missing.json")}, "read the definition"},
		{"invalid definition", []string{"--definition", badDef}, `Next points to "B", which is not a state`},
		{"definition not JSON", []string{"--definition", notJSON}, "not JSON"},
		{"input not JSON", []string{"--definition", def, "--input", notJSON}, "the input is not JSON"},
		{"missing input file", []string{"--definition", def, "--input", filepath.Join(dir, "missing.json")}, "read the input"},
		{"stubs not JSON", []string{"--definition", def, "--stubs", notJSON}, "must be a JSON object"},
		{"stubs for an unknown state", []string{"--definition", def, "--stubs", unknownState}, `no Task state of that name (Task states: "Fetch")`},
		{"stubs for a non-Task state", []string{"--definition", def, "--stubs", passState}, `stubs for "Summarize"`},
		{"stub with result and error", []string{"--definition", def, "--stubs", both}, "both result and error"},
		{"stub with neither", []string{"--definition", def, "--stubs", neither}, "needs a result or an error"},
		{"stub with an unknown field", []string{"--definition", def, "--stubs", extra}, `unknown field "delay"`},
		{"bad history flag", []string{"--definition", def, "--history", "all"}, "--history must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runExec(tc.args, &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q, want it to contain %q", stderr.String(), tc.want)
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout %q, want nothing", stdout.String())
			}
		})
	}
	t.Run("-h prints the usage and exits 0", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := runExec([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "--stubs") {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
	})
}
