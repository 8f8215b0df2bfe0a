package offline

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/policies"
)

// Time to stop, in the deployed machines: a violating task is stopped by the
// fifth Lambda invocation after its event when its task definition is
// judged now (Record task and its look-up; the policy and the task
// definition side by side; Evaluate; Record judgement; the stop beside the
// scaling), and by the second when its revision is a known violation
// (Record task and its look-up; the stop). Before the triage looked the
// judgement up in Record task and the workflow ran those steps side by
// side, they were 8 and 4.
func TestPathToStop(t *testing.T) {
	first := readEvent(t, "dockerhub-service-task.json")
	second := anotherTask(first, "1b2c3d4e5f6a41829304b5c6d7e8f9a0", 2)
	r := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, first, second)

	a := r.Run(context.Background(), first)
	p, ok := r.PathToStop(a)
	// The triage: Record task, First event?, What is known?, Start; the
	// workflow: judged already?, the Parallel and its longest branch,
	// Evaluate, Record judgement, decide?, approval?, a task to stop?, the
	// Parallel, Stop task.
	if want := (StopPath{Invocations: 5, Transitions: 14, Triage: 1}); !ok || p.Invocations != want.Invocations ||
		p.Transitions != want.Transitions || p.Triage != want.Triage || p.HandlerTime <= 0 {
		t.Errorf("first judgement: %+v (ok %v), want %+v and a handler time; states %q", p, ok, want, a.States)
	}
	b := r.Run(context.Background(), second)
	p, ok = r.PathToStop(b)
	// The triage's 4; judged already?, Take the stored judgement,
	// approval?, a task to stop?, the Parallel, Stop task.
	if want := (StopPath{Invocations: 2, Transitions: 10, Triage: 1}); !ok || p.Invocations != want.Invocations ||
		p.Transitions != want.Transitions || p.Triage != want.Triage {
		t.Errorf("known violation: %+v (ok %v), want %+v; states %q", p, ok, want, b.States)
	}
	if len(b.Actions) != 1 || b.Actions[0].API != contract.APIStopTask {
		t.Errorf("known violation: actions %+v, want the stop", b.Actions)
	}

	// Nothing stopped, nothing measured.
	web := newRunner(t, Options{World: testWorld(t), Mode: contract.ModeEnforce}, readEvent(t, "ecr-service-task.json"))
	if p, ok := web.PathToStop(web.Run(context.Background(), readEvent(t, "ecr-service-task.json"))); ok || p.Invocations != 0 {
		t.Errorf("a compliant task: %+v, ok %v", p, ok)
	}
}

// The count follows the histories: a retry on the way is one more
// invocation and transition; only the longest branch of a finished
// Parallel counts; inside the stop's Parallel only its own branch does.
func TestPathToStopCountsRetriesAndTheLongestBranch(t *testing.T) {
	r := newRunner(t, Options{World: testWorld(t)})
	step := func(machine, state, scope string, retries int) StepTiming {
		return StepTiming{Machine: machine, State: state, Scope: scope, Retries: retries, Duration: time.Millisecond}
	}
	const prepare, remediate = "Load policy and describe task definition", "Scale service and stop task"
	rec := &Record{Steps: []StepTiming{
		step("triage", "Record task", "", 2),
		step("triage", "First event for this task?", "", 0),
		step("triage", "What is known about this task definition?", "", 0),
		step("triage", "Start compliance workflow", "", 1),
		step("workflow", "Is the task definition judged already?", "", 0),
		step("workflow", prepare, "", 0),
		step("workflow", "Load policy from Parameter Store", prepare+"/0", 0),
		step("workflow", "Describe task definition", prepare+"/1", 3),
		step("workflow", "Evaluate task against policy", "", 0),
		step("workflow", "Record judgement", "", 0),
		step("workflow", "What does the policy decide?", "", 0),
		step("workflow", "Is approval required?", "", 0),
		step("workflow", "Is there a task to stop?", "", 0),
		step("workflow", remediate, "", 0),
		step("workflow", "Is the task part of a service?", remediate+"/0", 0),
		step("workflow", "Scale service to zero", remediate+"/0", 4),
		step("workflow", "Stop task", remediate+"/1", 1),
		step("workflow", "Were the service scaled and the task stopped?", "", 0),
		step("workflow", "Deregister task definition", "", 0),
	}}
	p, ok := r.PathToStop(rec)
	// Invocations: Record task 3; Describe's branch 4; Evaluate 1; Record
	// judgement 1; Stop task 2 (the scaling's retries are not on the way).
	// Transitions: the triage 4 + 3 retries; judged? 1; the Parallel 1 +
	// Describe 4; Evaluate, Record judgement, decide?, approval?, a task to
	// stop? 5; the Parallel 1; Stop task 2.
	// Handler time: every Lambda step, 8 of them (the Choices, Pass states
	// and StartExecution are not Lambdas).
	if want := (StopPath{Invocations: 11, Transitions: 21, Triage: 3, HandlerTime: 8 * time.Millisecond}); !ok || p != want {
		t.Errorf("%+v (ok %v), want %+v", p, ok, want)
	}
}

// BenchmarkTimeToStop runs a violating task of a revision judged now and
// then one of the same revision (a known violation) through the executor,
// with the shipped policy, and reports the ways to StopTask
// (first-invocations, first-transitions, known-invocations,
// known-transitions; targets: at most 5 and 2 invocations) and the sum of
// the handlers' times of the first, a full remediation and its report
// (remediation-handler-ms).
func BenchmarkTimeToStop(b *testing.B) {
	raw, err := os.ReadFile("../../test/events/dockerhub-service-task.json")
	if err != nil {
		b.Fatal(err)
	}
	first := Event{Name: "first", JSON: raw}
	second := anotherTask(first, "1b2c3d4e5f6a41829304b5c6d7e8f9a0", 2)
	w, err := inmemory.ReadWorldFile("testdata/world.json")
	if err != nil {
		b.Fatal(err)
	}
	base, err := New(Options{World: &w, Mode: contract.ModeEnforce, Policy: policies.FS}, []Event{first, second})
	if err != nil {
		b.Fatal(err)
	}
	var firstPath, knownPath StopPath
	var handlers time.Duration
	for b.Loop() {
		r, err := base.Fork()
		if err != nil {
			b.Fatal(err)
		}
		var ok1, ok2 bool
		firstPath, ok1 = r.PathToStop(r.Run(context.Background(), first))
		knownPath, ok2 = r.PathToStop(r.Run(context.Background(), second))
		if !ok1 || !ok2 {
			b.Fatalf("a task was not stopped: %v %v", ok1, ok2)
		}
		handlers += firstPath.HandlerTime
	}
	b.ReportMetric(float64(firstPath.Invocations), "first-invocations")
	b.ReportMetric(float64(firstPath.Transitions), "first-transitions")
	b.ReportMetric(float64(knownPath.Invocations), "known-invocations")
	b.ReportMetric(float64(knownPath.Transitions), "known-transitions")
	b.ReportMetric(float64(handlers.Microseconds())/1000/float64(b.N), "remediation-handler-ms")
}
