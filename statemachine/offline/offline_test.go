package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

// Task ids of the fixtures' tasks.
const (
	apiTaskID = "1b2c3d4e5f6a41829304b5c6d7e8f9a0" // dockerhub-service-task.json: service api, api:7 (docker.io image)
	webTaskID = "0a1b2c3d4e5f40718293a4b5c6d7e8f9" // ecr-service-task.json: service web, web:3 (an ECR image)
)

func readEvent(t *testing.T, name string) Event {
	t.Helper()
	b, err := os.ReadFile("../../test/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return Event{Name: name, JSON: b}
}

// anotherTask is ev for another task of the same task definition and
// service: only the task's identity (its id, in every ARN) and the event's
// id differ, so that its judgement key is ev's.
func anotherTask(ev Event, oldID string, n int) Event {
	newID := fmt.Sprintf("%s%02d", oldID[:len(oldID)-2], n)
	s := strings.ReplaceAll(string(ev.JSON), oldID, newID)
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err == nil {
		m["id"] = fmt.Sprintf("%v-%d", m["id"], n)
		b, _ := json.Marshal(m)
		s = string(b)
	}
	return Event{Name: fmt.Sprintf("%s (task %s)", ev.Name, newID), JSON: []byte(s)}
}

// edit is ev with its detail changed by f.
func edit(t *testing.T, ev Event, name string, f func(ev, detail map[string]any)) Event {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.JSON, &m); err != nil {
		t.Fatal(err)
	}
	d, _ := m["detail"].(map[string]any)
	f(m, d)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Event{Name: name, JSON: b}
}

// testWorld is the account the tests run in: services web (web:3, an ECR
// image pinned by digest) and api (api:7, nginx:1.25 from Docker Hub), each
// with a desired count, in cluster prod. With testPolicy, web:3 has a
// warning (no health check) and api:7 a violation and a warning.
func testWorld(t *testing.T) *inmemory.World {
	t.Helper()
	w, err := inmemory.ReadWorldFile("testdata/world.json")
	if err != nil {
		t.Fatal(err)
	}
	return &w
}

func newRunner(t *testing.T, opts Options, events ...Event) *Runner {
	t.Helper()
	if opts.Policy == nil {
		opts.Policy = testPolicy
	}
	r, err := New(opts, events)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testPolicy is testdata/policy: the workflow's branches in these tests do
// not change with the project's rules (policies/).
var testPolicy = os.DirFS("testdata/policy")

// compliantPolicy judges every task compliant.
var compliantPolicy = fstest.MapFS{"compliant.rego": {Data: []byte(`package ecs.compliance

decision := {"compliant": true, "violations": [], "warnings": [], "exempted": []}
`)}}

// The triage's Lambda states; every other Task state of the triage is an
// integration (startExecution), every Task state of the workflow a Lambda.
var triageLambdas = []string{"Record task", "Look up judgement", "Report failure"}

func TestNewRejectsBadOptions(t *testing.T) {
	ev := []Event{{Name: "e.json", JSON: []byte(`{"source":"aws.ecs"}`)}}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no policy", Options{}, "no policy"},
		{"bad mode", Options{Policy: testPolicy, Mode: "strict"}, `mode "strict"`},
		{"bad approval", Options{Policy: testPolicy, Approval: "maybe"}, `approval "maybe"`},
		{"negative throttling", Options{Policy: testPolicy, ThrottleFirst: -1}, "throttle-first"},
		{"policy without modules", Options{Policy: fstest.MapFS{"data.json": {Data: []byte(`{}`)}}}, "no .rego module"},
		{"policy that does not compile", Options{Policy: fstest.MapFS{"x.rego": {Data: []byte("package x\n\ny := {\n")}}}, "x.rego:"},
		{"workflow definition with a missing state", Options{Policy: testPolicy, Definition: `{"StartAt": "Nowhere", "States": {}}`}, "workflow definition"},
		{"triage definition with a missing state", Options{Policy: testPolicy, Triage: `{"StartAt": "Nowhere", "States": {}}`}, "triage definition"},
		{"definition with a placeholder nobody fills", Options{Policy: testPolicy,
			Triage: `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${NoSuchFunctionArn}", "End": true}}}`}, "NoSuchFunctionArn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts, ev)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A fork starts from the account New built, whatever its parent did since,
// and keeps its own judgements and execution names: the same event runs in
// it as it first ran in the parent.
func TestForkStartsFromTheAccountNewBuilt(t *testing.T) {
	api := readEvent(t, "dockerhub-service-task.json")
	r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, api)
	first := r.Run(context.Background(), api)
	if len(first.Actions) == 0 || first.Judged == nil {
		t.Fatalf("the parent's run: actions %v, judged %+v; want a first judgement and a remediation", first.Actions, first.Judged)
	}
	if again := r.Run(context.Background(), api); !again.Task.Duplicate {
		t.Fatalf("the parent's second run is not a duplicate: %+v", again.Task)
	}
	f, err := r.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if f.Account == r.Account || f.Judgements == r.Judgements || f.Bundle.Hash != r.Bundle.Hash {
		t.Fatal("the fork shares the parent's account or judgements, or has another policy")
	}
	rec := f.Run(context.Background(), api)
	if rec.Status != first.Status || !reflect.DeepEqual(rec.Triage, first.Triage) || !reflect.DeepEqual(rec.States, first.States) ||
		!reflect.DeepEqual(rec.Actions, first.Actions) || rec.Billing != first.Billing || rec.Judged == nil || rec.Task.Duplicate {
		t.Fatalf("the fork's run differs from the parent's first:\n%+v\n%+v", rec, first)
	}
}

func TestRunRecordsWhatEachExecutionDid(t *testing.T) {
	web, api := readEvent(t, "ecr-service-task.json"), readEvent(t, "dockerhub-service-task.json")
	r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, web, api)

	// Warnings only: a first judgement with findings is reported (once), and
	// nothing changes.
	rep := r.Run(context.Background(), web)
	if rep.Status != asl.StatusSucceeded || len(rep.Actions) != 0 || rep.Decision == nil || !rep.Decision.Compliant ||
		rep.Evaluation == nil || rep.Evaluation.Outcome != contract.OutcomeReport {
		t.Fatalf("report-only task: %+v", rep)
	}
	if last(rep.States) != "Import Security Hub findings" || len(rep.Notifications) != 1 || len(rep.Findings) != len(rep.Decision.Warnings) {
		t.Fatalf("report-only task: states %v, %d notifications, %d findings for %d warnings", rep.States, len(rep.Notifications), len(rep.Findings), len(rep.Decision.Warnings))
	}
	if rep.Judged == nil || rep.Judged.Report != contract.ReportFull || rep.Stored || rep.Judgement != nil {
		t.Fatalf("a first judgement: judged %+v, stored %v, judgement %+v", rep.Judged, rep.Stored, rep.Judgement)
	}

	bad := r.Run(context.Background(), api)
	var apis []string
	for _, a := range bad.Actions {
		apis = append(apis, a.API)
	}
	if want := []string{"UpdateService", "StopTask", "DeregisterTaskDefinition"}; !reflect.DeepEqual(apis, want) {
		t.Fatalf("actions %v, want %v", apis, want)
	}
	if prev := bad.Results["UpdateService"].PreviousDesiredCount; prev == nil || *prev != 2 {
		t.Fatalf("previous desired count %v, want 2", prev)
	}
	if bad.Task == nil || bad.Task.Service != "api" || bad.Evaluation == nil || bad.Evaluation.Outcome != contract.OutcomeRemediate {
		t.Fatalf("task %+v, evaluation %+v", bad.Task, bad.Evaluation)
	}
	if bad.Incident == nil || !bad.Incident.First || bad.Incident.Tasks != 1 {
		t.Fatalf("incident %+v, want the first task of a new one", bad.Incident)
	}
	if len(bad.Notifications) != 1 || len(bad.Findings) == 0 {
		t.Fatalf("%d notifications, %d findings", len(bad.Notifications), len(bad.Findings))
	}
	var finding map[string]any
	if err := json.Unmarshal(bad.Findings[0], &finding); err != nil {
		t.Fatal(err)
	}
	if finding["SchemaVersion"] != "2018-10-08" || finding["GeneratorId"] == nil {
		t.Fatalf("finding is not ASFF: %s", bad.Findings[0])
	}
	// The timeline: every state entered, the triage's then the workflow's,
	// with the Parallel's branches scoped under it.
	if len(bad.Steps) != len(bad.Triage)+len(bad.States) {
		t.Fatalf("%d timeline lines for %d + %d states", len(bad.Steps), len(bad.Triage), len(bad.States))
	}
	for i, s := range bad.Steps {
		machine, want := "triage", ""
		if i < len(bad.Triage) {
			want = bad.Triage[i]
		} else {
			machine, want = "workflow", bad.States[i-len(bad.Triage)]
		}
		if s.Machine != machine || s.State != want {
			t.Errorf("timeline line %d: %s %q, want %s %q", i, s.Machine, s.State, machine, want)
		}
	}
	if l := bad.Steps[len(bad.Steps)-1]; l.Scope == "" || l.State != "Import Security Hub findings" {
		t.Fatalf("last line %+v", l)
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// An event that no deployed rule delivers starts nothing and costs
// nothing: no triage, no claim, no call.
func TestRunFiltersWhatTheRulesDoNotDeliver(t *testing.T) {
	api := readEvent(t, "dockerhub-service-task.json")
	reg := readEvent(t, "register-task-definition.json")
	for _, tc := range []struct {
		name     string
		ev       Event
		excluded []string
	}{
		{"a task being stopped", edit(t, api, "stopping", func(_, d map[string]any) { d["desiredStatus"] = "STOPPED"; d["lastStatus"] = "RUNNING" }), nil},
		{"a stopped task", edit(t, api, "stopped", func(_, d map[string]any) { d["desiredStatus"] = "STOPPED"; d["lastStatus"] = "STOPPED" }), nil},
		{"a task in an excluded cluster", api, []string{"arn:aws:ecs:us-east-1:123456789012:cluster/prod"}},
		{"another source", edit(t, api, "other source", func(ev, _ map[string]any) { ev["source"] = "my.app" }), nil},
		{"a container instance change", edit(t, api, "instance", func(ev, _ map[string]any) { ev["detail-type"] = "ECS Container Instance State Change" }), nil},
		{"a failed registration", edit(t, reg, "failed registration", func(_, d map[string]any) {
			d["errorCode"], d["errorMessage"], d["responseElements"] = "ClientException", "Too many concurrent attempts to create a new revision", nil
		}), nil},
		{"an object that is not an event", Event{Name: "empty", JSON: []byte(`{}`)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce, ExcludedClusters: tc.excluded}, tc.ev)
			calls := r.Account.Calls()
			rec := r.Run(context.Background(), tc.ev)
			if rec.Filtered == "" || rec.Status != asl.StatusSucceeded || rec.Error != "" {
				t.Fatalf("filtered %q, status %s %s: want a filtered, successful record", rec.Filtered, rec.Status, rec.Error)
			}
			if len(rec.Triage)+len(rec.States)+len(rec.Actions)+len(rec.Notifications)+len(rec.Findings) != 0 || rec.Task != nil || rec.Decision != nil {
				t.Fatalf("something ran: %+v", rec)
			}
			if rec.Billing != (Billing{}) {
				t.Fatalf("billing %+v, want zero", rec.Billing)
			}
			if got := r.Account.Calls(); !reflect.DeepEqual(got, calls) {
				t.Fatalf("AWS calls %v, before %v", got, calls)
			}
			b, err := json.Marshal(rec)
			if err != nil || !strings.Contains(string(b), `"filtered":"no rule matches it`) || !strings.Contains(string(b), `"triage":[]`) {
				t.Fatalf("--json record %s (%v)", b, err)
			}
		})
	}
	t.Run("a later event the rule delivers is not a duplicate", func(t *testing.T) {
		stopping := edit(t, api, "stopping", func(_, d map[string]any) { d["desiredStatus"] = "STOPPED"; d["lastStatus"] = "RUNNING" })
		r := newRunner(t, Options{World: testWorld(t)}, stopping, api)
		r.Run(context.Background(), stopping)
		if rec := r.Run(context.Background(), api); rec.Task == nil || rec.Task.Duplicate || len(rec.States) == 0 {
			t.Fatalf("the filtered event claimed the task: %+v", rec.Task)
		}
	})
}

// A broken event gets a FAILED record naming it, and the events after it
// still run.
func TestRunBrokenEventGetsAFailedRecord(t *testing.T) {
	web := readEvent(t, "ecr-service-task.json")
	badAccount := edit(t, readEvent(t, "dockerhub-service-task.json"), "bad-account.json", func(ev, _ map[string]any) { ev["account"] = "prod" })
	for _, tc := range []struct {
		name, error string
		ev          Event
		billing     Billing
		triage      []string
	}{
		{name: "not JSON", ev: Event{Name: "truncated.json", JSON: []byte(`{"source": "aws.ecs"`)}, error: "Local.InvalidEvent"},
		{name: "empty", ev: Event{Name: "empty.json", JSON: []byte{}}, error: "Local.InvalidEvent"},
		{name: "an array", ev: Event{Name: "array.json", JSON: []byte(`[{"source": "aws.ecs"}]`)}, error: "Local.InvalidEvent"},
		{name: "null", ev: Event{Name: "null.json", JSON: []byte(`null`)}, error: "Local.InvalidEvent"},
		{name: "delivered, but Record task refuses it", ev: badAccount, error: "Compliance.TriageFailed",
			billing: Billing{ExpressRequests: 1, LambdaInvocations: 2, SNSPublishes: 1},
			triage:  []string{"Record task", "Report failure", "Triage failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, Options{World: testWorld(t)}, tc.ev, web)
			rec := r.Run(context.Background(), tc.ev)
			if rec.Status != asl.StatusFailed || rec.Error != tc.error || rec.Event != tc.ev.Name {
				t.Fatalf("record %s %s %q: want FAILED %s for %s", rec.Event, rec.Status, rec.Error, tc.error, tc.ev.Name)
			}
			if tc.error == "Local.InvalidEvent" && !strings.Contains(rec.Cause, tc.ev.Name) {
				t.Errorf("cause %q does not name the event", rec.Cause)
			}
			if rec.Billing != tc.billing {
				t.Errorf("billing %+v, want %+v", rec.Billing, tc.billing)
			}
			if tc.triage == nil {
				tc.triage = []string{}
			}
			if !reflect.DeepEqual(rec.Triage, tc.triage) || len(rec.States) != 0 {
				t.Errorf("triage %q, states %q; want %q and none", rec.Triage, rec.States, tc.triage)
			}
			if next := r.Run(context.Background(), web); next.Status != asl.StatusSucceeded || len(next.States) == 0 {
				t.Fatalf("the next event: %s %s %v", next.Status, next.Error, next.States)
			}
		})
	}
	t.Run("FailedRecord", func(t *testing.T) {
		rec := FailedRecord("gone.json", "Local.UnreadableEvent", "open gone.json: no such file or directory")
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["status"] != "FAILED" || m["error"] != "Local.UnreadableEvent" || !strings.Contains(m["cause"].(string), "gone.json") {
			t.Fatalf("record %s", b)
		}
		// The lists are empty, not null, as in every record.
		for _, k := range []string{"triage", "states", "actions", "notifications", "findings"} {
			if l, ok := m[k].([]any); !ok || len(l) != 0 {
				t.Errorf("%s = %v, want []", k, m[k])
			}
		}
	})
}

// Billing is what AWS would bill for the event: Standard transitions are
// the workflow's states entered plus its retries, Express requests one per
// triage, Lambda invocations one per attempt.
func TestRunBillsWhatEachEventCaused(t *testing.T) {
	api := readEvent(t, "dockerhub-service-task.json")
	running := readEvent(t, "dockerhub-service-task-running.json")

	t.Run("a first judgement that remediates, then a duplicate", func(t *testing.T) {
		r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, api, running)
		first := r.Run(context.Background(), api)
		// Triage: Record task (which looks the judgement up); workflow:
		// Load policy, Describe, Evaluate, Record judgement, Scale, Stop,
		// Deregister, Count, Notify, Import. Every state entered is a
		// transition, the two Parallels' branch states included.
		want := Billing{StandardExecutions: 1, StandardTransitions: 20, ExpressRequests: 1, LambdaInvocations: 11,
			SNSPublishes: 1, FindingsImported: len(first.Findings)}
		if first.Billing != want || len(first.States) != 20 || first.Billing.FindingsImported == 0 {
			t.Fatalf("first judgement: billing %+v, want %+v (states %d)", first.Billing, want, len(first.States))
		}
		dup := r.Run(context.Background(), running)
		if want := (Billing{ExpressRequests: 1, LambdaInvocations: 1}); dup.Billing != want || dup.Task == nil || !dup.Task.Duplicate {
			t.Fatalf("duplicate: billing %+v, want %+v; task %+v", dup.Billing, want, dup.Task)
		}
		if !reflect.DeepEqual(dup.Triage, []string{"Record task", "First event for this task?", "Skip duplicate event"}) || len(dup.States) != 0 {
			t.Fatalf("duplicate: triage %v, states %v", dup.Triage, dup.States)
		}
	})

	t.Run("retries are transitions and invocations", func(t *testing.T) {
		// Past what the SDK's own retryer absorbs: every distinct AWS call
		// costs its step one retry.
		r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce, ThrottleFirst: SDKAttempts + 1}, api)
		rec := r.Run(context.Background(), api)
		if rec.Status != asl.StatusSucceeded {
			t.Fatalf("status %s %s: %s", rec.Status, rec.Error, rec.Cause)
		}
		var workflowRetries, lambdas, lambdaRetries int
		for _, s := range rec.Steps {
			lambda := s.Machine == "workflow" && r.workflow.State(s.State).Type == "Task" ||
				s.Machine == "triage" && slices.Contains(triageLambdas, s.State)
			if s.Machine == "workflow" {
				workflowRetries += s.Retries
			}
			if lambda {
				lambdas++
				lambdaRetries += s.Retries
			}
		}
		if workflowRetries == 0 || lambdaRetries == 0 {
			t.Fatalf("nothing was retried (%d, %d): the test throttles nothing", workflowRetries, lambdaRetries)
		}
		if got, want := rec.Billing.StandardTransitions, len(rec.States)+workflowRetries; got != want {
			t.Errorf("standard transitions %d, want %d states + %d retries", got, len(rec.States), workflowRetries)
		}
		if got, want := rec.Billing.LambdaInvocations, lambdas+lambdaRetries; got != want {
			t.Errorf("lambda invocations %d, want %d Lambda states + %d retries", got, lambdas, lambdaRetries)
		}
		if rec.Billing.ExpressRequests != 1 || rec.Billing.StandardExecutions != 1 {
			t.Errorf("billing %+v: one triage, one workflow", rec.Billing)
		}
	})
}

// A second task of a revision judged compliant or report-only ends in the
// triage: no Standard execution, no message, no finding; its record names
// the stored judgement and its decision.
func TestRunSecondTaskOfAJudgedRevisionEndsInTheTriage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		ev      string
		taskID  string
		outcome contract.Outcome
	}{
		{"compliant", Options{Policy: compliantPolicy, Mode: contract.ModeEnforce}, "dockerhub-service-task.json", apiTaskID, contract.OutcomeCompliant},
		{"warnings only (report)", Options{Mode: contract.ModeEnforce}, "ecr-service-task.json", webTaskID, contract.OutcomeReport},
		{"violations in audit mode (report)", Options{Mode: contract.ModeAudit}, "dockerhub-service-task.json", apiTaskID, contract.OutcomeReport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := readEvent(t, tc.ev)
			second := anotherTask(first, tc.taskID, 2)
			tc.opts.World = testWorld(t)
			r := newRunner(t, tc.opts, first, second)
			a := r.Run(context.Background(), first)
			if a.Status != asl.StatusSucceeded || a.Billing.StandardExecutions != 1 || a.Evaluation == nil || a.Evaluation.Outcome != tc.outcome {
				t.Fatalf("first task: %s, billing %+v, evaluation %+v", a.Status, a.Billing, a.Evaluation)
			}
			b := r.Run(context.Background(), second)
			if b.Status != asl.StatusSucceeded || b.Task == nil || b.Task.Duplicate || b.Task.TaskArn == a.Task.TaskArn {
				t.Fatalf("second task: %s %s, task %+v", b.Status, b.Error, b.Task)
			}
			if want := []string{"Record task", "First event for this task?", "What is known about this task definition?",
				"Judgement known: nothing to do"}; !reflect.DeepEqual(b.Triage, want) || len(b.States) != 0 {
				t.Fatalf("second task: triage %q, states %q", b.Triage, b.States)
			}
			if want := (Billing{ExpressRequests: 1, LambdaInvocations: 1}); b.Billing != want {
				t.Fatalf("second task: billing %+v, want %+v", b.Billing, want)
			}
			if len(b.Actions)+len(b.Notifications)+len(b.Findings) != 0 {
				t.Fatalf("second task: %d actions, %d messages, %d findings", len(b.Actions), len(b.Notifications), len(b.Findings))
			}
			if !b.Stored || b.Judgement == nil || b.Judgement.Outcome != tc.outcome || b.Judgement.Key != b.Lookup.Key || b.Lookup.Key != a.Lookup.Key {
				t.Fatalf("second task: stored %v, judgement %+v", b.Stored, b.Judgement)
			}
			if !reflect.DeepEqual(b.Decision, a.Decision) {
				t.Fatalf("second task: decision %+v, want the stored one %+v", b.Decision, a.Decision)
			}
		})
	}
	t.Run("a revision judged REMEDIATE: the workflow stops the second task with the stored judgement", func(t *testing.T) {
		first := readEvent(t, "dockerhub-service-task.json")
		second := anotherTask(first, apiTaskID, 2)
		r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, first, second)
		a := r.Run(context.Background(), first)
		b := r.Run(context.Background(), second)
		if b.Status != asl.StatusSucceeded || b.Billing.StandardExecutions != 1 || slices.Contains(b.States, "Evaluate task against policy") ||
			!slices.Contains(b.States, "Take the stored judgement") {
			t.Fatalf("second task: %s, billing %+v, states %q", b.Status, b.Billing, b.States)
		}
		if len(b.Actions) != 1 || b.Actions[0].API != "StopTask" || b.Actions[0].Target != b.Task.TaskArn {
			t.Fatalf("second task: actions %+v, want its StopTask only (the service is at 0, the revision INACTIVE)", b.Actions)
		}
		if b.Incident == nil || b.Incident.First || b.Incident.Tasks != 2 || b.Incident.ID != a.Incident.ID || len(b.Notifications) != 0 {
			t.Fatalf("second task: incident %+v (first %+v), %d messages", b.Incident, a.Incident, len(b.Notifications))
		}
		if !b.Stored || b.Judgement == nil || b.Judgement.Outcome != contract.OutcomeRemediate || !reflect.DeepEqual(b.Decision, a.Decision) {
			t.Fatalf("second task: stored %v, judgement %+v", b.Stored, b.Judgement)
		}
	})
}

// CloudTrail's RegisterTaskDefinition: the revision is judged before any
// task runs it (the revision comes from the event into the world).
func TestRunJudgesARegistration(t *testing.T) {
	reg := readEvent(t, "register-task-definition.json")
	r := newRunner(t, Options{Mode: contract.ModeEnforce}, reg)
	rec := r.Run(context.Background(), reg)
	if rec.Status != asl.StatusSucceeded || rec.Task == nil || rec.Task.Kind != contract.KindRegistration {
		t.Fatalf("%s %s: %s (task %+v)", rec.Status, rec.Error, rec.Cause, rec.Task)
	}
	if slices.Contains(rec.States, "Scale service to zero") || slices.Contains(rec.States, "Stop task") || !slices.Contains(rec.States, "Deregister task definition") {
		t.Fatalf("states %q: nothing to scale or stop, the revision deregistered", rec.States)
	}
	if len(rec.Actions) != 1 || rec.Actions[0].API != "DeregisterTaskDefinition" || rec.Actions[0].Target != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8" {
		t.Fatalf("actions %+v", rec.Actions)
	}
	again := r.Run(context.Background(), Event{Name: "redelivered", JSON: reg.JSON})
	if again.Task == nil || !again.Task.Duplicate || len(again.States) != 0 {
		t.Fatalf("a redelivered registration: task %+v, states %q", again.Task, again.States)
	}
}

// StartExecution refuses a name it has seen (Standard execution names are
// unique for 90 days); the triage ends as "Workflow already started".
func TestStartExecutionRefusesANameItHasSeen(t *testing.T) {
	api := readEvent(t, "dockerhub-service-task.json")
	r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, api)
	// The name Record task gives the task's first claim.
	name := apiTaskID + "-1"
	start := func() error {
		input, _ := json.Marshal(map[string]any{"StateMachineArn": r.stateMachineArn(WorkflowName), "Name": name, "Input": map[string]any{}})
		_, err := r.task(context.Background(), asl.TaskCall{State: "Start compliance workflow", Resource: startExecution, Input: input, Attempt: 1})
		return err
	}
	if err := start(); err != nil {
		t.Fatalf("first StartExecution: %v", err)
	}
	err := start()
	var named interface{ ErrorName() string }
	if !errors.As(err, &named) || named.ErrorName() != "StepFunctions.ExecutionAlreadyExistsException" {
		t.Fatalf("second StartExecution: %v, want StepFunctions.ExecutionAlreadyExistsException", err)
	}

	rec := r.Run(context.Background(), api)
	if rec.Status != asl.StatusSucceeded || last(rec.Triage) != "Workflow already started" || len(rec.States) != 0 ||
		rec.Billing.StandardExecutions != 0 || len(rec.Actions) != 0 {
		t.Fatalf("record %s %s, triage %q, states %q, billing %+v, actions %v", rec.Status, rec.Error, rec.Triage, rec.States, rec.Billing, rec.Actions)
	}
	if rec.Task == nil || rec.Task.ExecutionName != name {
		t.Fatalf("task %+v: the test's name is not the claim's", rec.Task)
	}

	for _, tc := range []struct{ name, arn, execName, input, want string }{
		{"another state machine", strings.Replace(r.stateMachineArn(WorkflowName), "workflow", "other", 1), "x", "{}", "StepFunctions.StateMachineDoesNotExistException"},
		{"an empty name", r.stateMachineArn(WorkflowName), "", "{}", "StepFunctions.InvalidNameException"},
		{"a name over 80 characters", r.stateMachineArn(WorkflowName), strings.Repeat("x", 81), "{}", "StepFunctions.InvalidNameException"},
		{"an input that is not JSON", r.stateMachineArn(WorkflowName), "not-json", `{"task": `, "StepFunctions.InvalidExecutionInputException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input, _ := json.Marshal(map[string]any{"StateMachineArn": tc.arn, "Name": tc.execName, "Input": tc.input})
			_, err := r.task(context.Background(), asl.TaskCall{State: "Start compliance workflow", Resource: startExecution, Input: input, Attempt: 1})
			if !errors.As(err, &named) || named.ErrorName() != tc.want {
				t.Fatalf("StartExecution: %v, want %s", err, tc.want)
			}
		})
	}
}

// Tasks start at once: Run is called from several goroutines (go test
// -race). Each task is claimed once, a key is judged once in audit mode,
// and in enforce mode every task of a violating revision is stopped.
func TestRunIsSafeFromSeveralGoroutines(t *testing.T) {
	const tasks = 6
	for _, mode := range []contract.Mode{contract.ModeAudit, contract.ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			api := readEvent(t, "dockerhub-service-task.json")
			var events []Event
			for i := range tasks {
				ev := anotherTask(api, apiTaskID, i+10)
				// Each task's event twice: ECS delivers at least once.
				events = append(events, ev, Event{Name: ev.Name + " (again)", JSON: ev.JSON})
			}
			r := newRunner(t, Options{World: testWorld(t), Mode: mode}, events...)
			recs := make([]*Record, len(events))
			var wg sync.WaitGroup
			for i, ev := range events {
				wg.Go(func() { recs[i] = r.Run(context.Background(), ev) })
			}
			wg.Wait()

			claimed := map[string]int{}
			var total Billing
			for _, rec := range recs {
				if rec.Status != asl.StatusSucceeded || rec.Task == nil {
					t.Fatalf("%s: %s %s: %s", rec.Event, rec.Status, rec.Error, rec.Cause)
				}
				if !rec.Task.Duplicate {
					claimed[rec.Task.TaskArn]++
				}
				total.Add(rec.Billing)
			}
			if len(claimed) != tasks {
				t.Fatalf("%d tasks claimed, want %d", len(claimed), tasks)
			}
			for arn, n := range claimed {
				if n != 1 {
					t.Errorf("%s claimed %d times", arn, n)
				}
			}
			if total.ExpressRequests != len(events) {
				t.Errorf("%d Express requests for %d events", total.ExpressRequests, len(events))
			}
			switch mode {
			case contract.ModeAudit:
				// One task judges the key; the others find it judged, or
				// being judged by an execution that reports it.
				if total.StandardExecutions != 1 {
					t.Errorf("audit: %d Standard executions, want 1", total.StandardExecutions)
				}
			case contract.ModeEnforce:
				if total.StandardExecutions != tasks {
					t.Errorf("enforce: %d Standard executions, want one per task (%d)", total.StandardExecutions, tasks)
				}
				stopped := 0
				for _, wt := range r.Account.World().Tasks {
					if claimed[wt.TaskArn] == 1 && wt.LastStatus == "STOPPED" {
						stopped++
					}
				}
				if stopped != tasks {
					t.Errorf("enforce: %d of %d tasks stopped", stopped, tasks)
				}
			}
			// One message: the new judgement's (audit) or the remediation
			// incident's (enforce). (Records that overlap in time each count
			// what was published meanwhile, so the account is asked.)
			if n := len(r.Account.Notifications()); n != 1 {
				t.Errorf("%d SNS messages, want 1", n)
			}
		})
	}
}

func TestTransitionsCountStatesEnteredAndRetries(t *testing.T) {
	h := []asl.Event{
		{Type: asl.EventExecutionStarted},
		{Type: asl.EventStateEntered, State: "A"},
		{Type: asl.EventTaskScheduled, State: "A"},
		{Type: asl.EventTaskFailed, State: "A"},
		{Type: asl.EventTaskRetried, State: "A"},
		{Type: asl.EventTaskScheduled, State: "A"},
		{Type: asl.EventTaskSucceeded, State: "A"},
		{Type: asl.EventStateExited, State: "A"},
		{Type: asl.EventStateEntered, State: "P"},
		{Type: asl.EventStateEntered, State: "B", Scope: "P/0"},
		{Type: asl.EventStateEntered, State: "C", Scope: "P/1"},
		{Type: asl.EventParallelRetried, State: "P"},
		{Type: asl.EventStateEntered, State: "B", Scope: "P/0"},
		{Type: asl.EventStateEntered, State: "C", Scope: "P/1"},
		{Type: asl.EventMapRetried, State: "M"},
		{Type: asl.EventWaitStarted, State: "W"},
		{Type: asl.EventErrorCaught, State: "P"},
		{Type: asl.EventExecutionSucceeded},
	}
	if got := Transitions(h); got != 9 {
		t.Fatalf("Transitions = %d, want 9 (6 states entered, 3 retries)", got)
	}
	if got := Transitions(nil); got != 0 {
		t.Fatalf("Transitions(nil) = %d", got)
	}
}

func TestTimelineCountsRetriesAndFailures(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	got := timeline("workflow", []asl.Event{
		{Type: asl.EventExecutionStarted, Time: at(0)},
		{Type: asl.EventStateEntered, State: "Stop task", Time: at(0)},
		{Type: asl.EventTaskFailed, State: "Stop task", Time: at(1), Error: "Compliance.Transient"},
		{Type: asl.EventTaskRetried, State: "Stop task", Time: at(1), Error: "Compliance.Transient"},
		{Type: asl.EventTaskFailed, State: "Stop task", Time: at(2), Error: "Compliance.AccessDenied"},
		{Type: asl.EventErrorCaught, State: "Stop task", Time: at(3), Error: "Compliance.AccessDenied"},
		{Type: asl.EventStateExited, State: "Stop task", Time: at(4)},
		{Type: asl.EventStateEntered, State: "Report failure", Time: at(4)},
		{Type: asl.EventStateExited, State: "Report failure", Time: at(6)},
	})
	want := []StepTiming{
		{Machine: "workflow", State: "Stop task", Duration: 4 * time.Millisecond, Retries: 1, Error: "Compliance.AccessDenied", Failed: true},
		{Machine: "workflow", State: "Report failure", Duration: 2 * time.Millisecond},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline = %+v\nwant %+v", got, want)
	}
}

func TestASFFJSONDropsWhatIsNotSet(t *testing.T) {
	type resource struct {
		Type    *string
		Details map[string]any
		Tags    []string
	}
	typ := "AwsEcsTask"
	b, err := asffJSON(struct {
		Id        *string
		Title     string
		Count     int
		Resources []resource
	}{Resources: []resource{{Type: &typ, Details: map[string]any{"x": nil}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"Count":0,"Resources":[{"Type":"AwsEcsTask"}]}`; got != want {
		t.Fatalf("asffJSON = %s, want %s", got, want)
	}
}

func TestMain(m *testing.M) {
	// The steps log every call (JSON lines in Lambda); tests read records.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
