package offline

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

func readEvent(t *testing.T, name string) Event {
	t.Helper()
	b, err := os.ReadFile("../../test/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return Event{Name: name, JSON: b}
}

func demoWorld(t *testing.T) *inmemory.World {
	t.Helper()
	w, err := inmemory.ReadWorldFile("../../test/worlds/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	return &w
}

func TestNewRejectsBadOptions(t *testing.T) {
	ev := []Event{{Name: "e.json", JSON: []byte(`{"source":"aws.ecs"}`)}}
	for _, tc := range []struct {
		name string
		opts Options
		ev   []Event
		want string
	}{
		{"no policy", Options{}, ev, "no policy"},
		{"bad mode", Options{Policy: policies.FS, Mode: "strict"}, ev, `mode "strict"`},
		{"bad approval", Options{Policy: policies.FS, Approval: "maybe"}, ev, `approval "maybe"`},
		{"negative throttling", Options{Policy: policies.FS, ThrottleFirst: -1}, ev, "throttle-first"},
		{"event not JSON", Options{Policy: policies.FS}, []Event{{Name: "bad.json", JSON: []byte(`{`)}}, "bad.json: not an EventBridge event"},
		{"policy without modules", Options{Policy: fstest.MapFS{"data.json": {Data: []byte(`{}`)}}}, ev, "no .rego module"},
		{"policy that does not compile", Options{Policy: fstest.MapFS{"x.rego": {Data: []byte("package x\n\ny := {\n")}}}, ev, "x.rego:"},
		{"definition with a missing state", Options{Policy: policies.FS, Definition: `{"StartAt": "Nowhere", "States": {}}`}, ev, "workflow definition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts, tc.ev)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRunRecordsWhatEachExecutionDid(t *testing.T) {
	events := []Event{readEvent(t, "ecr-service-task.json"), readEvent(t, "dockerhub-service-task.json")}
	r, err := New(Options{Policy: policies.FS, World: demoWorld(t), Mode: contract.ModeEnforce}, events)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := r.Run(context.Background(), events[0])
	if err != nil {
		t.Fatal(err)
	}
	if ok.Status != asl.StatusSucceeded || len(ok.Actions)+len(ok.Notifications)+len(ok.Findings) != 0 ||
		ok.Decision == nil || !ok.Decision.Compliant {
		t.Fatalf("compliant task: %+v", ok)
	}
	bad, err := r.Run(context.Background(), events[1])
	if err != nil {
		t.Fatal(err)
	}
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
	// The steps' timeline: every state entered has a line, with the Parallel's
	// branches scoped under it.
	if len(bad.Steps) != len(bad.States) {
		t.Fatalf("%d timeline lines for %d states", len(bad.Steps), len(bad.States))
	}
	if last := bad.Steps[len(bad.Steps)-1]; last.Scope == "" || last.State != "Import Security Hub findings" {
		t.Fatalf("last line %+v", last)
	}
}

func TestTimelineCountsRetriesAndFailures(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	got := timeline([]asl.Event{
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
		{State: "Stop task", Duration: 4 * time.Millisecond, Retries: 1, Error: "Compliance.AccessDenied", Failed: true},
		{State: "Report failure", Duration: 2 * time.Millisecond},
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
