package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

const (
	workflow = "../workflow.asl.json"
	triage   = "../triage.asl.json"
)

// scheduled are the effective inputs of a Task state's attempts (what the
// Lambda or the integration received), in order.
func scheduled(r execRecord, state string) []json.RawMessage {
	var out []json.RawMessage
	for _, e := range r.History {
		if e.Type == "TaskScheduled" && e.State == state {
			out = append(out, e.Input)
		}
	}
	return out
}

// attempts are the attempt numbers of a Task state's TaskScheduled events.
func attempts(r execRecord, state string) []int {
	var out []int
	for _, e := range r.History {
		if e.Type == "TaskScheduled" && e.State == state {
			out = append(out, e.Attempt)
		}
	}
	return out
}

// has tells whether a JSON document has a member at the keys' path.
func has(t *testing.T, doc json.RawMessage, keys ...string) bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %s", doc)
	}
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// execScenario is one run of exec over a real definition with a stub file.
type execScenario struct {
	name          string
	input, stubs  string // files under testdata
	status, error string
	states        []string
	check         func(t *testing.T, r execRecord)
}

func runScenarios(t *testing.T, definition string, tests []execScenario) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, stderr, code := execute(t, "--definition", definition, "--input", filepath.Join("testdata", tc.input),
				"--stubs", filepath.Join("testdata", tc.stubs), "--name", "exec-test", "--seed", "7")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr (stub entries left over?): %s", stderr)
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

// The Standard workflow, started by the triage: its input is the event with
// the claimed task ($.task) and what the lookup found ($.lookup).
func TestExecWorkflow(t *testing.T) {
	judge := []string{"Is the task definition judged already?", "Load policy and describe task definition",
		"Load policy from Parameter Store", "Describe task definition",
		"Evaluate task against policy", "Record judgement", "What does the policy decide?"}
	// The service is scaled and the task stopped at the same time.
	scaleAndStop := []string{"Is there a task to stop?", "Scale service and stop task", "Is the task part of a service?",
		"Scale service to zero", "Stop task", "Were the service scaled and the task stopped?"}
	then := func(states ...string) []string { return append(slices.Clone(judge), states...) }
	runScenarios(t, workflow, []execScenario{
		{
			name: "compliant task: retries the throttled policy load, judges and succeeds", input: "workflow/triaged.json", stubs: "workflow/compliant.stubs.json",
			status: "SUCCEEDED", states: then("Task is compliant"),
			check: func(t *testing.T, r execRecord) {
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
				// Evaluate gets the whole document (the triage's lookup, the
				// bundle with its files, the raw task definition) and returns
				// the whole document (ResultPath "$"): what Record judgement
				// gets is Evaluate's result, without the files or the
				// environment values.
				in := scheduled(r, "Evaluate task against policy")
				if len(in) != 1 {
					t.Fatalf("Evaluate scheduled %d times", len(in))
				}
				if got := field(t, in[0], "lookup", "key"); got != "k-api-7" {
					t.Errorf("Evaluate input lookup.key = %v", got)
				}
				if got := field(t, in[0], "task", "executionName"); got != "1b2c3d4e5f6a41829304b5c6d7e8f9a0-1" {
					t.Errorf("Evaluate input task.executionName = %v", got)
				}
				if !has(t, in[0], "evaluation", "policy", "files") || !strings.Contains(string(in[0]), "DB_PASSWORD") {
					t.Errorf("Evaluate input lacks the bundle's files or the raw task definition: %s", in[0])
				}
				rj := scheduled(r, "Record judgement")
				if len(rj) != 1 {
					t.Fatalf("Record judgement scheduled %d times", len(rj))
				}
				if has(t, rj[0], "evaluation", "policy", "files") || strings.Contains(string(rj[0]), "DB_PASSWORD") {
					t.Errorf("Record judgement input still has the bundle's files or the environment: %s", rj[0])
				}
				if got := field(t, r.Output, "evaluation", "outcome"); got != "COMPLIANT" {
					t.Errorf("output evaluation.outcome = %v", got)
				}
				if got := field(t, r.Output, "judgement", "report"); got != "NONE" {
					t.Errorf("output judgement.report = %v", got)
				}
			},
		},
		{
			name: "report-only first judgement with findings: SNS and Security Hub in parallel", input: "workflow/triaged.json", stubs: "workflow/report-full.stubs.json",
			status: "SUCCEEDED", states: then("Report to SNS and Security Hub", "Notify SNS topic", "Import Security Hub findings"),
			check: func(t *testing.T, r execRecord) {
				if got := field(t, r.Output, "report", "notification", "messageId"); got != "m-1" {
					t.Errorf("report.notification.messageId = %v", got)
				}
			},
		},
		{
			name: "report-only, rules to resolve and nothing new: findings only, no message", input: "workflow/triaged.json", stubs: "workflow/report-findings.stubs.json",
			status: "SUCCEEDED", states: then("Update Security Hub findings"),
			check: func(t *testing.T, r execRecord) {
				in := scheduled(r, "Update Security Hub findings")
				if len(in) != 1 || !reflect.DeepEqual(field(t, in[0], "judgement", "resolve"), []any{"non_root_user"}) {
					t.Errorf("Update Security Hub findings input: %s", in)
				}
				if got := field(t, r.Output, "report", "findings", "ids"); !reflect.DeepEqual(got, []any{"finding-1", "finding-2"}) {
					t.Errorf("report.findings.ids = %v", got)
				}
			},
		},
		{
			name: "report-only, reported before: nothing sent", input: "workflow/triaged.json", stubs: "workflow/reported-before.stubs.json",
			status: "SUCCEEDED", states: then("Reported before"),
		},
		{
			name: "failure path: Stop task fails after retries, Report failure gets $.failure.stopTask", input: "workflow/triaged.json", stubs: "workflow/stop-task-fails.stubs.json",
			status: "FAILED", error: "Compliance.WorkflowFailed",
			states: then("Is approval required?", "Is there a task to stop?", "Scale service and stop task", "Is the task part of a service?",
				"Scale service to zero", "Stop task", "Stopping failed", "Were the service scaled and the task stopped?", "Keep the failed step",
				"Report failure", "Workflow failed"),
			check: func(t *testing.T, r execRecord) {
				if got := attempts(r, "Stop task"); !reflect.DeepEqual(got, []int{1, 2, 3}) {
					t.Errorf("Stop task attempts %v, want [1 2 3] (two transient retries, then a permanent error)", got)
				}
				in := scheduled(r, "Report failure")
				if len(in) != 1 {
					t.Fatal("Report failure was not scheduled once")
				}
				if got := field(t, in[0], "failure", "stopTask", "Error"); got != "Compliance.AccessDenied" {
					t.Errorf("Report failure input failure.stopTask.Error = %v", got)
				}
				if got := field(t, in[0], "failure", "stopTask", "Cause"); !strings.Contains(got.(string), "ecs:StopTask") {
					t.Errorf("Report failure input failure.stopTask.Cause = %v", got)
				}
				if got := field(t, in[0], "remediation", "service", "changed"); got != true {
					t.Errorf("the remediation done so far reaches the report: remediation.service.changed = %v", got)
				}
				if got := field(t, in[0], "judgement", "key"); got != "k-api-7" {
					t.Errorf("the judgement being made reaches the report (its claim is released): judgement.key = %v", got)
				}
			},
		},
		{
			name: "failure path: the scaling fails, the stop beside it takes effect; the report gets both", input: "workflow/triaged.json",
			stubs: "workflow/scale-fails.stubs.json", status: "FAILED", error: "Compliance.WorkflowFailed",
			states: then("Is approval required?", "Is there a task to stop?", "Scale service and stop task", "Is the task part of a service?",
				"Scale service to zero", "Scaling failed", "Stop task", "Were the service scaled and the task stopped?", "Keep the failed step",
				"Report failure", "Workflow failed"),
			check: func(t *testing.T, r execRecord) {
				in := scheduled(r, "Report failure")
				if len(in) != 1 {
					t.Fatal("Report failure was not scheduled once")
				}
				if got := field(t, in[0], "failure", "scaleService", "Error"); got != "Compliance.AccessDenied" {
					t.Errorf("Report failure input failure.scaleService.Error = %v", got)
				}
				if has(t, in[0], "failure", "stopTask") {
					t.Errorf("the stop succeeded, yet failure.stopTask is set: %s", field(t, in[0], "failure"))
				}
				if got := field(t, in[0], "remediation", "task", "changed"); got != true {
					t.Errorf("the stop that took effect reaches the report: remediation.task.changed = %v", got)
				}
				if got := field(t, in[0], "remediation", "service"); got != nil {
					t.Errorf("remediation.service = %v, want null (the scaling failed)", got)
				}
			},
		},
		{
			name: "failure path: both the scaling and the stop fail; the report gets both errors", input: "workflow/triaged.json",
			stubs: "workflow/scale-and-stop-fail.stubs.json", status: "FAILED", error: "Compliance.WorkflowFailed",
			states: then("Is approval required?", "Is there a task to stop?", "Scale service and stop task", "Is the task part of a service?",
				"Scale service to zero", "Scaling failed", "Stop task", "Stopping failed", "Were the service scaled and the task stopped?",
				"Keep the failed step", "Report failure", "Workflow failed"),
			check: func(t *testing.T, r execRecord) {
				in := scheduled(r, "Report failure")
				if len(in) != 1 {
					t.Fatal("Report failure was not scheduled once")
				}
				for _, step := range []string{"scaleService", "stopTask"} {
					if got := field(t, in[0], "failure", step, "Error"); got != "Compliance.AccessDenied" {
						t.Errorf("Report failure input failure.%s.Error = %v", step, got)
					}
				}
			},
		},
		{
			name: "approval rejected: report only, findings retried inside the Parallel", input: "workflow/triaged.json", stubs: "workflow/approval-rejected.stubs.json",
			status: "SUCCEEDED",
			states: then("Is approval required?", "Wait for approval", "Report to SNS and Security Hub", "Notify SNS topic", "Import Security Hub findings"),
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
				if got := attempts(r, "Import Security Hub findings"); !reflect.DeepEqual(got, []int{1, 2}) {
					t.Errorf("Import Security Hub findings attempts %v, want [1 2]", got)
				}
				for _, e := range r.History {
					if e.State == "Import Security Hub findings" && e.Scope != "Report to SNS and Security Hub/1" {
						t.Errorf("event %s of the second branch has scope %q", e.Type, e.Scope)
					}
				}
				if has(t, r.Output, "remediation") {
					t.Errorf("a rejected remediation changed something: %s", field(t, r.Output, "remediation"))
				}
			},
		},
		{
			name: "a later task of a revision judged REMEDIATE: remediated with the stored judgement, findings updated", input: "workflow/triaged-remediate.json",
			stubs:  "workflow/stored-judgement.stubs.json",
			status: "SUCCEEDED",
			states: slices.Concat([]string{"Is the task definition judged already?", "Take the stored judgement", "Is approval required?"},
				scaleAndStop, []string{"Deregister task definition", "Count remediated task", "Is this a new incident?",
					"Update Security Hub findings"}),
			check: func(t *testing.T, r execRecord) {
				in := scheduled(r, "Scale service to zero")
				if len(in) != 1 {
					t.Fatalf("Scale service to zero scheduled %d times", len(in))
				}
				want, _ := json.Marshal(field(t, in[0], "lookup", "evaluation"))
				got, _ := json.Marshal(field(t, in[0], "evaluation"))
				if string(got) != string(want) {
					t.Errorf("$.evaluation = %s, want the stored judgement's %s", got, want)
				}
				if got := field(t, r.Output, "incident", "tasks"); got != float64(2) {
					t.Errorf("incident.tasks = %v", got)
				}
			},
		},
		{
			name: "a registration judged REMEDIATE: nothing to scale or stop, deregistered, a new incident reported", input: "workflow/registration.json",
			stubs:  "workflow/registration.stubs.json",
			status: "SUCCEEDED",
			states: then("Is approval required?", "Is there a task to stop?", "Deregister task definition", "Count remediated task",
				"Is this a new incident?", "Report to SNS and Security Hub", "Notify SNS topic", "Import Security Hub findings"),
			check: func(t *testing.T, r execRecord) {
				if got := field(t, r.Output, "remediation", "taskDefinition", "target"); got != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8" {
					t.Errorf("remediation.taskDefinition.target = %v", got)
				}
			},
		},
	})
}

// The Express triage: every task event the rule delivers; it starts the
// Standard workflow only for a first judgement or a task to stop.
func TestExecTriage(t *testing.T) {
	const event = "workflow/event.json" // the EventBridge event, as the rule delivers it
	// Record task looks up the judgement of a task it claimed: Look up
	// judgement runs only after a wait.
	start := []string{"Record task", "First event for this task?", "What is known about this task definition?"}
	then := func(states ...string) []string { return append(slices.Clone(start), states...) }
	runScenarios(t, triage, []execScenario{
		{
			name: "duplicate event ends early", input: event, stubs: "triage/duplicate.stubs.json",
			status: "SUCCEEDED", states: []string{"Record task", "First event for this task?", "Skip duplicate event"},
			check: func(t *testing.T, r execRecord) {
				// Record task gets the event as delivered and the execution's
				// id (its claim's owner).
				in := scheduled(r, "Record task")
				if len(in) != 1 {
					t.Fatalf("Record task scheduled %d times", len(in))
				}
				if got := field(t, in[0], "executionId"); got != "arn:aws:states:us-east-1:123456789012:execution:local:exec-test" {
					t.Errorf("Record task executionId = %v", got)
				}
				if got := field(t, in[0], "event", "detail", "taskArn"); got != "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0" {
					t.Errorf("Record task event.detail.taskArn = %v", got)
				}
			},
		},
		{
			name: "a key not judged yet starts the compliance workflow, named for the claim", input: event, stubs: "triage/judge.stubs.json",
			status: "SUCCEEDED", states: then("Start compliance workflow"),
			check: func(t *testing.T, r execRecord) {
				in := scheduled(r, "Start compliance workflow")
				if len(in) != 1 {
					t.Fatalf("Start compliance workflow scheduled %d times", len(in))
				}
				if got := field(t, in[0], "Name"); got != "1b2c3d4e5f6a41829304b5c6d7e8f9a0-1" {
					t.Errorf("StartExecution Name = %v, want $.task.executionName", got)
				}
				if got := field(t, in[0], "StateMachineArn"); got != "${WorkflowArn}" {
					t.Errorf("StartExecution StateMachineArn = %v", got)
				}
				// The workflow's input is the triaged document.
				if got := field(t, in[0], "Input", "lookup", "next"); got != "JUDGE" {
					t.Errorf("StartExecution Input lookup.next = %v", got)
				}
				if got := field(t, in[0], "Input", "detail", "group"); got != "service:api" {
					t.Errorf("StartExecution Input detail.group = %v", got)
				}
				if got := field(t, r.Output, "workflow", "executionArn"); got != "arn:aws:states:us-east-1:123456789012:execution:ecs-compliance-workflow:1b2c3d4e5f6a41829304b5c6d7e8f9a0-1" {
					t.Errorf("output workflow.executionArn = %v", got)
				}
			},
		},
		{
			name: "a task of a revision judged REMEDIATE starts the workflow too; a throttled StartExecution is retried", input: event,
			stubs: "triage/remediate.stubs.json", status: "SUCCEEDED", states: then("Start compliance workflow"),
			check: func(t *testing.T, r execRecord) {
				if got := attempts(r, "Start compliance workflow"); !reflect.DeepEqual(got, []int{1, 2}) {
					t.Errorf("Start compliance workflow attempts %v, want [1 2]", got)
				}
				in := scheduled(r, "Start compliance workflow")
				if got := field(t, in[len(in)-1], "Input", "lookup", "evaluation", "outcome"); got != "REMEDIATE" {
					t.Errorf("the stored evaluation rides to the workflow: Input.lookup.evaluation.outcome = %v", got)
				}
			},
		},
		{
			name: "a key judged compliant or report-only: nothing to do, no workflow", input: event, stubs: "triage/done.stubs.json",
			status: "SUCCEEDED", states: then("Judgement known: nothing to do"),
		},
		{
			name: "a key being judged: wait and look again until the judging execution is gone, then judge", input: event,
			stubs: "triage/wait-then-judge.stubs.json", status: "SUCCEEDED",
			states: then("Wait for the judgement", "Look up judgement", "What is known about this task definition?",
				"Wait for the judgement", "Look up judgement", "What is known about this task definition?", "Start compliance workflow"),
			check: func(t *testing.T, r execRecord) {
				var waits []float64
				for _, e := range r.History {
					if e.Type == "WaitStarted" {
						waits = append(waits, *e.DelaySeconds)
					}
				}
				if !reflect.DeepEqual(waits, []float64{5, 5}) {
					t.Errorf("waits %v, want two of 5 s", waits)
				}
				in := scheduled(r, "Look up judgement")
				if len(in) != 2 {
					t.Fatalf("Look up judgement scheduled %d times, want 2 (the first lookup is Record task's)", len(in))
				}
				// Each lookup sees the one before (the subject, the waits so far).
				for i, want := range []float64{1, 2} {
					if got := field(t, in[i], "lookup", "next"); got != "WAIT" {
						t.Errorf("lookup %d: $.lookup.next = %v", i+2, got)
					}
					if got := field(t, in[i], "lookup", "waits"); got != want {
						t.Errorf("lookup %d: $.lookup.waits = %v, want %v", i+2, got, want)
					}
				}
				if got := field(t, scheduled(r, "Start compliance workflow")[0], "Input", "lookup", "next"); got != "JUDGE" {
					t.Errorf("the workflow's input lookup.next = %v", got)
				}
			},
		},
		{
			name: "StartExecution refuses a name it has seen: the claim's workflow runs already", input: event, stubs: "triage/already-started.stubs.json",
			status: "SUCCEEDED", states: then("Start compliance workflow", "Workflow already started"),
			check: func(t *testing.T, r execRecord) {
				if got := field(t, r.Output, "failure", "startWorkflow", "Error"); got != "StepFunctions.ExecutionAlreadyExistsException" {
					t.Errorf("failure.startWorkflow.Error = %v", got)
				}
				if got := attempts(r, "Start compliance workflow"); !reflect.DeepEqual(got, []int{1}) {
					t.Errorf("Start compliance workflow attempts %v: ExecutionAlreadyExists is not retried", got)
				}
			},
		},
		{
			name: "Record task fails after its retries: Report failure, then Triage failed", input: event, stubs: "triage/record-task-fails.stubs.json",
			status: "FAILED", error: "Compliance.TriageFailed", states: []string{"Record task", "Report failure", "Triage failed"},
			check: func(t *testing.T, r execRecord) {
				if got := attempts(r, "Record task"); !reflect.DeepEqual(got, []int{1, 2, 3}) {
					t.Errorf("Record task attempts %v, want [1 2 3]", got)
				}
				in := scheduled(r, "Report failure")
				if len(in) != 1 {
					t.Fatalf("Report failure scheduled %d times", len(in))
				}
				if got := field(t, in[0], "failure", "recordTask", "Error"); got != "Compliance.AccessDenied" {
					t.Errorf("Report failure input failure.recordTask.Error = %v", got)
				}
				if got := field(t, in[0], "detail", "taskArn"); got != "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0" {
					t.Errorf("Report failure gets the event: detail.taskArn = %v", got)
				}
			},
		},
	})
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
	t.Run("stubs of the states an input does not reach are reported on stderr", func(t *testing.T) {
		// A stored judgement skips the judging states the stub file has
		// entries for.
		r, stderr, code := execute(t, "--definition", workflow, "--input", "testdata/workflow/triaged-remediate.json",
			"--stubs", "testdata/workflow/stop-task-fails.stubs.json", "--history", "none")
		if code != 0 || r.Status != "FAILED" || r.History != nil {
			t.Fatalf("exit %d, status %s, %d history events", code, r.Status, len(r.History))
		}
		for _, state := range []string{"Load policy from Parameter Store", "Describe task definition", "Evaluate task against policy", "Record judgement"} {
			if want := `1 stub entry for "` + state + `" not used`; !strings.Contains(stderr, want) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
		}
		if strings.Contains(stderr, "Stop task") {
			t.Errorf("stderr %q: the Stop task entries were all used", stderr)
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
