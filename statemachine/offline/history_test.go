package offline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

// KeepHistories keeps each execution's history with the states' data, on
// the record; without it the record has none (and the histories no data).
func TestKeepHistories(t *testing.T) {
	ev := readEvent(t, "dockerhub-service-task.json")
	for _, keep := range []bool{false, true} {
		r := newRunner(t, Options{Mode: contract.ModeEnforce, KeepHistories: keep}, ev)
		rec := r.Run(context.Background(), ev)
		if rec.Status != asl.StatusSucceeded {
			t.Fatalf("keep %t: %s %s", keep, rec.Error, rec.Cause)
		}
		if !keep {
			if rec.Executions != nil {
				t.Errorf("without KeepHistories: %d executions on the record", len(rec.Executions))
			}
			continue
		}
		if len(rec.Executions) != 2 || rec.Executions[0].Machine != "triage" || rec.Executions[1].Machine != "workflow" {
			t.Fatalf("executions %+v, want the triage's and the workflow's", rec.Executions)
		}
		tr, wf := rec.Executions[0], rec.Executions[1]
		if string(tr.Input) != string(ev.JSON) || !strings.HasSuffix(tr.Arn, ":"+tr.Name) || tr.StateMachineArn != r.stateMachineArn(TriageName) {
			t.Errorf("the triage: name %q, arn %q, machine %q", tr.Name, tr.Arn, tr.StateMachineArn)
		}
		if wf.Name != rec.Task.ExecutionName || wf.Status != asl.StatusSucceeded || len(wf.Output) == 0 {
			t.Errorf("the workflow: name %q (want %q), status %s", wf.Name, rec.Task.ExecutionName, wf.Status)
		}
		var entered []string
		for _, e := range wf.History {
			if e.Type == asl.EventStateEntered {
				entered = append(entered, e.State)
				if len(e.Input) == 0 || !json.Valid(e.Input) {
					t.Errorf("%q entered without its input", e.State)
				}
			}
			if e.Type == asl.EventStateExited && len(e.Output) == 0 {
				t.Errorf("%q left without its output", e.State)
			}
		}
		if strings.Join(entered, "|") != strings.Join(rec.States, "|") {
			t.Errorf("the workflow's history entered %q, the record says %q", entered, rec.States)
		}
	}
}

// An Approver answers in place of the simulated person, from the request
// the approvers' topic got; when it cannot, the wait fails with
// Local.ApproverFailed.
func TestApproverAnswers(t *testing.T) {
	ev := readEvent(t, "dockerhub-service-task.json")
	var got ApprovalRequest
	r := newRunner(t, Options{Mode: contract.ModeEnforce, Approval: ApprovalReject, Approver: func(ctx context.Context, req ApprovalRequest) error {
		got = req
		return errors.New("the browser crashed")
	}}, ev)
	rec := r.Run(context.Background(), ev)
	if got.Action != approval.ActionReject || got.Endpoint == nil || !strings.Contains(got.Message.Message, got.Link) ||
		!strings.Contains(got.Link, "action=reject") || got.Message.TopicArn != r.approvalTopicArn() {
		t.Fatalf("the approver got %+v", got)
	}
	failed := false
	for _, n := range rec.Notifications {
		if strings.Contains(n.Message, ErrLocalApprover) || strings.Contains(n.Message, "the browser crashed") {
			failed = true
		}
	}
	if len(rec.Actions) != 0 || !failed {
		t.Errorf("actions %v, notifications %+v: want nothing changed and the approver's failure reported", rec.Actions, rec.Notifications)
	}
}
