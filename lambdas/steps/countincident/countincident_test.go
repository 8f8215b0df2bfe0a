package countincident_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/judgementtest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/countincident"
)

// TestMain keeps the step's logs out of the test output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

const (
	tdArn   = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	tdArn8  = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
	policy  = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
	policy2 = "9d5e0c3b7a1f4e2d8c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d"
)

var t0 = time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)

func taskArn(id string) string { return "arn:aws:ecs:us-east-1:123456789012:task/prod/" + id }

// remediated is the workflow document when "Count remediated task" runs
// for a task (or, with an empty id, a registration) of td evaluated under
// policyHash.
func remediated(id, td, policyHash string) contract.State {
	task := &contract.Task{Kind: contract.KindTask, TaskArn: taskArn(id), TaskDefinitionArn: td, Cluster: "prod", Service: "api",
		Account: "123456789012", Region: "us-east-1", TaskID: id}
	if id == "" {
		task = &contract.Task{Kind: contract.KindRegistration, TaskDefinitionArn: td, Family: "api", Revision: 7,
			Account: "123456789012", Region: "us-east-1", RegisteredBy: "arn:aws:sts::123456789012:assumed-role/deploy/ci"}
	}
	return contract.State{
		Event: contract.Event{Account: "123456789012", Region: "us-east-1", Time: t0.Format(time.RFC3339)},
		Task:  task,
		Evaluation: &contract.Evaluation{Policy: contract.Bundle{Path: "/ecs-compliance/policy", Hash: policyHash},
			Decision: &contract.Decision{Violations: []contract.Violation{{Rule: "approved_registries", Severity: contract.SeverityHigh}}},
			Mode:     contract.ModeEnforce, Outcome: contract.OutcomeRemediate},
		Remediation: &contract.Remediation{Task: &contract.ActionResult{API: contract.APIStopTask, Target: taskArn(id), Changed: true}},
	}
}

// counted is one call the store got.
type counted struct{ id, td, policy, subject string }

// store is the in-memory store, recording the calls, with an error a test
// injects.
type store struct {
	*judgement.Memory
	mu    sync.Mutex
	calls []counted
	err   error
}

func (s *store) CountIncident(ctx context.Context, id, td, policyHash, subject string, prev *int32, now time.Time) (judgement.Incident, error) {
	s.mu.Lock()
	s.calls = append(s.calls, counted{id, td, policyHash, subject})
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return judgement.Incident{}, err
	}
	return s.Memory.CountIncident(ctx, id, td, policyHash, subject, prev, now)
}

// incidentSteps is one incident's life, step by step: each remediated task
// and what the step must answer.
var incidentSteps = []struct {
	name        string
	st          contract.State
	wantID      string
	wantTasks   int
	wantFirst   bool
	wantReport  string
	wantFirstAt time.Time
	wantSubject string
}{
	{"the first task opens the incident: the message and the findings",
		remediated("1b2c3d4e5f6a41829304b5c6d7e8f9a0", tdArn, policy), judgement.IncidentID(tdArn, policy), 1, true, contract.ReportFull, t0, taskArn("1b2c3d4e5f6a41829304b5c6d7e8f9a0")},
	{"a retry of that task does not count twice and answers the same",
		remediated("1b2c3d4e5f6a41829304b5c6d7e8f9a0", tdArn, policy), judgement.IncidentID(tdArn, policy), 1, true, contract.ReportFull, t0, taskArn("1b2c3d4e5f6a41829304b5c6d7e8f9a0")},
	{"a later task of the incident: its count reaches the findings, no message",
		remediated("8f7e6d5c4b3a49281706f5e4d3c2b1a0", tdArn, policy), judgement.IncidentID(tdArn, policy), 2, false, contract.ReportFindings, t0, taskArn("8f7e6d5c4b3a49281706f5e4d3c2b1a0")},
	{"a retry of the later task: still two",
		remediated("8f7e6d5c4b3a49281706f5e4d3c2b1a0", tdArn, policy), judgement.IncidentID(tdArn, policy), 2, false, contract.ReportFindings, t0, taskArn("8f7e6d5c4b3a49281706f5e4d3c2b1a0")},
	{"a third task: three",
		remediated("0a9b8c7d6e5f40312a1b2c3d4e5f6a7b", tdArn, policy), judgement.IncidentID(tdArn, policy), 3, false, contract.ReportFindings, t0, taskArn("0a9b8c7d6e5f40312a1b2c3d4e5f6a7b")},
	{"the revision under a new policy version: a new incident",
		remediated("1a2b3c4d5e6f40718293a4b5c6d7e8f9", tdArn, policy2), judgement.IncidentID(tdArn, policy2), 1, true, contract.ReportFull, t0.Add(5 * time.Minute), taskArn("1a2b3c4d5e6f40718293a4b5c6d7e8f9")},
	{"a registration counts the revision itself, in a new incident for a new revision",
		remediated("", tdArn8, policy), judgement.IncidentID(tdArn8, policy), 1, true, contract.ReportFull, t0.Add(6 * time.Minute), tdArn8},
	{"a retry of the registration: still one",
		remediated("", tdArn8, policy), judgement.IncidentID(tdArn8, policy), 1, true, contract.ReportFull, t0.Add(6 * time.Minute), tdArn8},
	{"a task of the registered revision joins its incident",
		remediated("2b3c4d5e6f7a48192a3b4c5d6e7f8091", tdArn8, policy), judgement.IncidentID(tdArn8, policy), 2, false, contract.ReportFindings, t0.Add(6 * time.Minute), taskArn("2b3c4d5e6f7a48192a3b4c5d6e7f8091")},
}

// runIncident plays incidentSteps through a handler on s, one minute apart.
func runIncident(t *testing.T, s countincident.Store, calls func() []counted) {
	t.Helper()
	now := t0
	h := &countincident.Handler{Store: s, Now: func() time.Time { return now }}
	for i, tc := range incidentSteps {
		now = t0.Add(time.Duration(i) * time.Minute)
		got, err := h.Handle(context.Background(), tc.st)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, tc.name, err)
		}
		want := contract.Incident{ID: tc.wantID, Tasks: tc.wantTasks, FirstAt: tc.wantFirstAt.Format(time.RFC3339), First: tc.wantFirst, Report: tc.wantReport}
		if got != want {
			t.Errorf("step %d (%s):\n got  %+v\n want %+v", i, tc.name, got, want)
		}
		if calls == nil {
			continue
		}
		if c := calls(); len(c) != i+1 || c[i] != (counted{tc.wantID, tc.st.Task.TaskDefinitionArn, tc.st.Evaluation.Policy.Hash, tc.wantSubject}) {
			t.Errorf("step %d (%s): store calls %+v, want the last one for %s", i, tc.name, c, tc.wantSubject)
		}
	}
}

func TestHandleCountsEachTaskOnceInItsIncident(t *testing.T) {
	s := &store{Memory: &judgement.Memory{}}
	runIncident(t, s, func() []counted {
		s.mu.Lock()
		defer s.mu.Unlock()
		return append([]counted(nil), s.calls...)
	})
}

func TestHandleOpensAnIncidentOnceUnderConcurrentTasks(t *testing.T) {
	concurrently(t, &judgement.Memory{}, 24)
}

// concurrently counts n tasks of one revision at once: every task is
// counted, and exactly one opens the incident.
func concurrently(t *testing.T, s countincident.Store, n int) {
	t.Helper()
	h := &countincident.Handler{Store: s, Now: func() time.Time { return t0 }}
	var wg sync.WaitGroup
	results := make(chan contract.Incident, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := h.Handle(context.Background(), remediated(fmt.Sprintf("%032x", i+1), "arn:aws:ecs:us-east-1:123456789012:task-definition/batch:1", policy))
			if err != nil {
				errs <- err
				return
			}
			results <- got
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	firsts, seen := 0, map[int]bool{}
	for r := range results {
		if r.First != (r.Report == contract.ReportFull) {
			t.Errorf("%+v: first and FULL disagree", r)
		}
		if r.First {
			firsts++
		}
		seen[r.Tasks] = true
	}
	if firsts != 1 || len(seen) != n {
		t.Fatalf("%d tasks opened the incident and the counts seen were %v; want exactly one first and counts 1..%d", firsts, seen, n)
	}
}

func TestHandleNamesItsErrors(t *testing.T) {
	cases := []struct {
		name      string
		edit      func(st *contract.State, h *countincident.Handler, s *store)
		wantErr   string
		wantMsg   string
		wantCalls int
	}{
		{"no $.task", func(st *contract.State, _ *countincident.Handler, _ *store) { st.Task = nil }, contract.ErrInvalidInput, "$.task", 0},
		{"a task without its task definition", func(st *contract.State, _ *countincident.Handler, _ *store) { st.Task.TaskDefinitionArn = "" }, contract.ErrInvalidInput, "$.task", 0},
		{"no $.evaluation", func(st *contract.State, _ *countincident.Handler, _ *store) { st.Evaluation = nil }, contract.ErrInvalidInput, "policy.hash", 0},
		{"an evaluation without the policy's hash", func(st *contract.State, _ *countincident.Handler, _ *store) { st.Evaluation.Policy.Hash = "" }, contract.ErrInvalidInput, "policy.hash", 0},
		{"no store configured", func(_ *contract.State, h *countincident.Handler, _ *store) { h.Store = nil }, contract.ErrFailed, "store", 0},
		{"a throttled store: transient", func(_ *contract.State, _ *countincident.Handler, s *store) {
			s.err = step.Errorf(contract.ErrTransient, "UpdateItem judgements incident: throttled")
		}, contract.ErrTransient, "UpdateItem", 1},
		{"a denied store: access denied", func(_ *contract.State, _ *countincident.Handler, s *store) {
			s.err = step.Errorf(contract.ErrAccessDenied, "UpdateItem judgements incident: denied")
		}, contract.ErrAccessDenied, "denied", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &store{Memory: &judgement.Memory{}}
			h := &countincident.Handler{Store: s}
			st := remediated("1b2c3d4e5f6a41829304b5c6d7e8f9a0", tdArn, policy)
			tc.edit(&st, h, s)
			got, err := h.Handle(context.Background(), st)
			if step.Name(err) != tc.wantErr || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("= %+v, %v (%s); want %s containing %q", got, err, step.Name(err), tc.wantErr, tc.wantMsg)
			}
			if len(s.calls) != tc.wantCalls {
				t.Errorf("%d store calls, want %d", len(s.calls), tc.wantCalls)
			}
		})
	}
	t.Run("without a clock the time is now", func(t *testing.T) {
		before := time.Now().UTC().Truncate(time.Second)
		got, err := (&countincident.Handler{Store: &judgement.Memory{}}).Handle(context.Background(), remediated("1b2c3d4e5f6a41829304b5c6d7e8f9a0", tdArn, policy))
		first, perr := time.Parse(time.RFC3339, got.FirstAt)
		if err != nil || perr != nil || first.Before(before) || first.After(time.Now().Add(time.Second)) {
			t.Fatalf("= %+v, %v; want it opened now", got, err)
		}
	})
}

// TestThroughDynamoDB plays the same incident on the judgements table
// through the real DynamoDB client against moto (its conditional update
// is what makes a retry count once). (Many tasks at once are counted in
// TestHandleOpensAnIncidentOnceUnderConcurrentTasks only: moto's server does
// not serialise concurrent updates of one item as DynamoDB does.)
func TestThroughDynamoDB(t *testing.T) {
	runIncident(t, judgementtest.MotoTable(t), nil)
}
