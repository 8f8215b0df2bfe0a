package fleet_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// run sends the fleet's events, in delivery order, through the local
// executor: the deployed rules, the triage and the workflow with the real
// step handlers, against the fleet's world.
func run(t *testing.T, f fleet.Fleet, mode contract.Mode) (*offline.Runner, []*offline.Record) {
	t.Helper()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	events := make([]offline.Event, len(f.Events))
	for i, ev := range f.Events {
		events[i] = offline.Event{Name: ev.Name, JSON: ev.JSON}
	}
	r, err := offline.New(offline.Options{World: &f.World, Policy: policies.FS, Mode: mode}, events)
	if err != nil {
		t.Fatal(err)
	}
	records := make([]*offline.Record, len(events))
	for i, ev := range events {
		records[i] = r.Run(context.Background(), ev)
		if rec := records[i]; rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %s %s: %s (triage %v, workflow %v)", ev.Name, rec.Status, rec.Error, rec.Cause, rec.Triage, rec.States)
		}
	}
	return r, records
}

var small = fleet.Spec{Seed: 9, Services: 6, Standalone: 2, TaskStarts: 120, Rolls: 2, Violating: 2, StopEvents: true}

// In audit mode the fleet costs what the benchmark expects: the Standard
// workflow runs once per judgement, SNS speaks once per task definition with
// findings at most, and the stop statuses never reach the triage.
func TestFleetRunsThroughTheWorkflowInAuditMode(t *testing.T) {
	f := generate(t, small)
	_, records := run(t, f, contract.ModeAudit)

	withFindings := 0
	for _, fam := range f.Families {
		if fam.Profile != fleet.Hardened {
			withFindings += len(fam.TaskDefinitions)
		}
	}
	stopDeliveries := 0
	for _, e := range parse(t, f) {
		if e.detail.DesiredStatus == "STOPPED" {
			stopDeliveries++
		}
	}
	var bill offline.Billing
	filtered := 0
	for _, rec := range records {
		bill.Add(rec.Billing)
		if rec.Filtered != "" {
			filtered++
		}
		if len(rec.Actions) > 0 {
			t.Errorf("%s: audit mode changed %v", rec.Event, rec.Actions)
		}
	}
	if filtered != stopDeliveries || filtered == 0 {
		t.Errorf("%d events filtered out by the rules, want the %d stop statuses", filtered, stopDeliveries)
	}
	if bill.StandardExecutions > f.TaskDefinitions {
		t.Errorf("%d Standard executions for %d task definitions (judgements)", bill.StandardExecutions, f.TaskDefinitions)
	}
	if bill.SNSPublishes > withFindings || bill.SNSPublishes == 0 {
		t.Errorf("%d SNS messages, want 1 to %d (task definitions with findings)", bill.SNSPublishes, withFindings)
	}
	if bill.ExpressRequests != len(f.Events)-filtered {
		t.Errorf("%d Express requests for %d delivered events", bill.ExpressRequests, len(f.Events)-filtered)
	}
}

// Registrations are judged before any task runs their revision.
func TestFleetWithRegistrationsRunsThroughTheWorkflowInAuditMode(t *testing.T) {
	s := small
	s.Registrations = true
	run(t, generate(t, s), contract.ModeAudit)
}

// In enforce mode every task of a violating task definition is stopped, and
// no other.
func TestFleetRunsThroughTheWorkflowInEnforceMode(t *testing.T) {
	f := generate(t, small)
	r, _ := run(t, f, contract.ModeEnforce)

	violating := map[string]bool{}
	for _, fam := range f.Families {
		if fam.Profile == fleet.Violating {
			for _, arn := range fam.TaskDefinitions {
				violating[arn] = true
			}
		}
	}
	stopped := map[string]bool{}
	for _, a := range r.Account.Actions() {
		if a.API == "StopTask" {
			stopped[a.Target] = true
		}
	}
	want := 0
	for _, task := range f.Tasks {
		if violating[task.TaskDefinitionArn] {
			want++
		}
		if stopped[task.TaskArn] != violating[task.TaskDefinitionArn] {
			t.Errorf("task %s of %s: stopped %t", task.TaskArn, task.TaskDefinitionArn, stopped[task.TaskArn])
		}
	}
	if want == 0 {
		t.Fatal("the fleet has no task of a violating task definition")
	}
}
