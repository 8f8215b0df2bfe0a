package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The acceptance criteria of the remediation-trust and registration issues,
// through the executor as a user runs it: ecs-compliance --json --mode enforce.

// A task whose group names a service it does not belong to (RunTask accepts
// any group) scales nothing: only the task is stopped, and the report says
// why the service was left alone.
func TestGroupNamingAnotherServiceScalesNothing(t *testing.T) {
	r := run(t, 0, "--mode", "enforce", "--world", "worlds/group-names-another-service.json", "events/dockerhub-service-task.json")[0]
	for _, a := range r.apis() {
		if a == "UpdateService" || a == "RegisterScalableTarget" {
			t.Fatalf("actions %v: a service was changed on the event's word", r.apis())
		}
	}
	if !reflect.DeepEqual(r.apis(), []string{"StopTask", "DeregisterTaskDefinition"}) {
		t.Errorf("actions %v, want the task stopped and its revision deregistered", r.apis())
	}
	if len(r.Notifications) != 1 || !strings.Contains(r.Notifications[0].Message, "does not confirm that the task belongs to service api") {
		t.Errorf("the report does not say why the service was left alone: %+v", r.Notifications)
	}
}

// The account's own ECR through its FIPS and dual-stack endpoints is the
// account's ECR: compliant, nothing changed, in enforce mode.
func TestOwnECRThroughEveryEndpointIsCompliant(t *testing.T) {
	const standard = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	for _, host := range []string{
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
		"123456789012.dkr-ecr.us-east-1.on.aws",
		"123456789012.dkr-ecr-fips.us-east-1.on.aws",
	} {
		t.Run(host, func(t *testing.T) {
			dir := t.TempDir()
			world, event := rehost(t, "worlds/demo.json", standard, host), rehost(t, "events/ecr-service-task.json", standard, host)
			if !strings.Contains(string(event), host) {
				t.Fatal("the event does not use the endpoint")
			}
			wf, ef := filepath.Join(dir, "world.json"), filepath.Join(dir, "event.json")
			if err := os.WriteFile(wf, world, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(ef, event, 0o644); err != nil {
				t.Fatal(err)
			}
			r := run(t, 0, "--mode", "enforce", "--world", wf, ef)[0]
			if r.Decision == nil || !r.Decision.Compliant || len(r.Actions) != 0 {
				t.Errorf("decision %+v, actions %v: the account's own ECR refused", r.Decision, r.apis())
			}
		})
	}
}

// rehost is a fixture with one registry host replaced by another.
func rehost(t *testing.T, path, from, to string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), from, to))
}

// An event too large to carry through the workflow is refused by the
// triage's first step and ends in a failure report, never in silence.
func TestOversizeEventEndsWithAReport(t *testing.T) {
	var ev map[string]any
	readFixture(t, "events/ecr-service-task.json", &ev)
	detail := ev["detail"].(map[string]any)
	var env []any
	for i := range 80 {
		env = append(env, map[string]any{"name": "PAD" + string(rune('A'+i%26)), "value": strings.Repeat("x", 1000)})
	}
	detail["overrides"] = map[string]any{"containerOverrides": []any{map[string]any{"name": "web", "environment": env}}}
	b, _ := json.Marshal(ev)
	name := filepath.Join(t.TempDir(), "oversize.json")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, 1, "--mode", "enforce", "--world", "worlds/demo.json", name)[0]
	if r.Status != "FAILED" || last(r.Triage) != "Triage failed" || !slices.Contains(r.Triage, "Report failure") {
		t.Fatalf("status %s, triage %v: want the failure report", r.Status, r.Triage)
	}
	if len(r.Notifications) != 1 || !strings.Contains(r.Notifications[0].Subject, "FAILED at Record task") ||
		!strings.Contains(r.Notifications[0].Message, "65536-byte limit") {
		t.Errorf("failure report %+v, want one naming the step and the limit", r.Notifications)
	}
	if len(r.Actions) != 0 || len(r.States) != 0 {
		t.Errorf("actions %v, states %v: nothing may run on an event that was refused", r.apis(), r.States)
	}
}

// A service with Application Auto Scaling has its scaling suspended before
// it is scaled to zero, so that scaling does not bring it back, and the
// report gives the command that restores the scaling.
func TestAutoscalingIsSuspended(t *testing.T) {
	r := run(t, 0, "--mode", "enforce", "--world", "worlds/autoscaling.json", "events/dockerhub-service-task.json")[0]
	want := []string{"RegisterScalableTarget", "UpdateService", "StopTask", "DeregisterTaskDefinition"}
	if !reflect.DeepEqual(r.apis(), want) || r.Actions[0].Target != "service/prod/api" {
		t.Fatalf("actions %+v, want %v (the scalable target service/prod/api first)", r.Actions, want)
	}
	if len(r.Notifications) != 1 || !strings.Contains(r.Notifications[0].Message,
		"aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/prod/api --min-capacity 2 --max-capacity 10") {
		t.Errorf("the report does not say how to restore the scaling: %+v", r.Notifications)
	}
}

// A RegisterTaskDefinition CloudTrail event for a violating revision, in
// enforce mode, deregisters exactly that revision and reports it; a later
// task of that revision is stopped on the stored judgement, with no new
// evaluation and no new message.
func TestRegistrationDeregistersTheRevisionBeforeItRuns(t *testing.T) {
	recs := run(t, 0, "--mode", "enforce", "events/register-task-definition.json", "events/task-of-registered-revision.json")
	reg, task := recs[0], recs[1]
	const revision = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
	if len(reg.Actions) != 1 || reg.Actions[0].API != "DeregisterTaskDefinition" || reg.Actions[0].Target != revision {
		t.Errorf("registration: actions %+v, want only DeregisterTaskDefinition of %s", reg.Actions, revision)
	}
	if len(reg.Notifications) != 1 || !strings.Contains(reg.Notifications[0].Subject, "api:8") ||
		strings.Contains(reg.Notifications[0].Message, "task of service") {
		t.Errorf("registration report %+v: want one message about the revision, with no task wording", reg.Notifications)
	}
	if slices.Contains(task.States, "Evaluate task against policy") || task.Judgement == nil {
		t.Errorf("later task: states %v, judgement %+v; want the stored judgement, no evaluation", task.States, task.Judgement)
	}
	if len(task.Notifications) != 0 {
		t.Errorf("later task: %d messages, want none (same incident)", len(task.Notifications))
	}
	if !slices.Contains(task.apis(), "StopTask") {
		t.Errorf("later task: actions %v, want it stopped", task.apis())
	}
}
