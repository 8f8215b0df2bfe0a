// Package countincident is the "Count remediated task" step. A remediation
// incident is a task definition revision remediated under a policy
// version; the step counts the task in its incident and says what the
// reports do: the task that opened the incident gets the SNS message and
// the findings (FULL); later tasks of the same incident are stopped without
// a new message, and their count reaches the findings (FINDINGS).
package countincident

import (
	"context"
	"log/slog"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Store is the part of the judgement store the step uses.
type Store interface {
	CountIncident(ctx context.Context, id, taskDefinitionArn, policyHash, taskArn string, previousDesiredCount *int32, now time.Time) (judgement.Incident, error)
}

// Handler is the step.
type Handler struct {
	Store Store
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Handle counts st's task in its incident.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Incident, error) {
	switch {
	case st.Task == nil || st.Task.TaskDefinitionArn == "":
		return contract.Incident{}, step.Errorf(contract.ErrInvalidInput, "count remediated task: $.task is missing")
	case st.Evaluation == nil || st.Evaluation.Policy.Hash == "":
		return contract.Incident{}, step.Errorf(contract.ErrInvalidInput, "count remediated task: $.evaluation.policy.hash is missing")
	case h.Store == nil:
		return contract.Incident{}, step.Errorf(contract.ErrFailed, "count remediated task: no judgement store configured")
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	subject := st.Task.TaskArn
	if subject == "" { // a registration: the revision itself
		subject = st.Task.TaskDefinitionArn
	}
	id := judgement.IncidentID(st.Task.TaskDefinitionArn, st.Evaluation.Policy.Hash)
	// The desired count this task's remediation scaled the service from,
	// if it scaled one: the incident keeps the first for later reports.
	var prev *int32
	if r := st.Remediation; r != nil && r.Service != nil && r.Service.Changed {
		prev = r.Service.PreviousDesiredCount
	}
	in, err := h.Store.CountIncident(ctx, id, st.Task.TaskDefinitionArn, st.Evaluation.Policy.Hash, subject, prev, now())
	if err != nil {
		return contract.Incident{}, err
	}
	out := contract.Incident{ID: id, Tasks: in.Tasks, FirstAt: in.FirstAt.UTC().Format(time.RFC3339), First: in.First,
		Report: contract.ReportFindings, PreviousDesiredCount: in.PreviousDesiredCount}
	if in.First {
		out.Report = contract.ReportFull
	}
	slog.InfoContext(ctx, "remediated task counted", "taskArn", st.Task.TaskArn, "taskDefinitionArn", st.Task.TaskDefinitionArn,
		"incident", id, "tasks", in.Tasks, "first", in.First)
	return out, nil
}
