// Package requestapproval is the Lambda behind "Wait for approval"
// (lambda:invoke.waitForTaskToken): it stores the task token server-side under
// a short reference (the approvals table: token, task ARN, expiry, status
// PENDING) and publishes the approval request — what was found, what
// approving does, and the signed approve and reject links — to the
// approvers' SNS topic (never to the report topic: whoever holds a link can
// decide, so the request goes only to those entitled to), with the message
// attribute outcome=APPROVAL_REQUESTED.
//
// The workflow then waits until the approval-callback endpoint answers the
// token, or until the wait's timeout ($.evaluation.approvalTimeoutSeconds),
// when the links expire too. What this function returns is not used by the
// workflow (the callback's answer is); it is logged.
//
// A retry (the workflow retries Compliance.Transient) is safe: the reference
// is derived from the token, so a retry finds the record it wrote, reuses its
// expiry and sends the same links.
package requestapproval

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/notify"
)

// Store stores a new approval record (store.Table and store.Memory fit).
type Store interface {
	Put(ctx context.Context, r approval.Record) (approval.Record, error)
}

// Keys gives the signing key (secret.Source fits).
type Keys interface {
	Key(ctx context.Context) (approval.Key, error)
}

// Handler publishes approval requests.
type Handler struct {
	Store Store
	Keys  Keys
	SNS   notify.SNSAPI
	// ApprovalTopicArn is the approvers' topic: its subscribers receive the
	// links, and with them the power to decide.
	ApprovalTopicArn string
	// CallbackURL is the approval-callback endpoint (the function URL).
	CallbackURL string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Result is what the function returns (logged; the workflow ignores it).
type Result struct {
	Reference string `json:"reference"`
	ExpiresAt string `json:"expiresAt"`
	MessageID string `json:"messageId"`
}

// Handle stores the token and publishes the request.
func (h *Handler) Handle(ctx context.Context, req contract.ApprovalRequest) (Result, error) {
	st := req.State
	if req.TaskToken == "" {
		return Result{}, step.Errorf(contract.ErrInvalidInput, "missing taskToken: the state's Payload must pass $$.Task.Token")
	}
	ev := st.Evaluation
	if ev == nil || !ev.ApprovalRequired || ev.Outcome != contract.OutcomeRemediate {
		return Result{}, step.Errorf(contract.ErrInvalidInput,
			"refusing to ask for approval: $.evaluation does not require it (outcome %q, approvalRequired %t)", outcome(ev), ev != nil && ev.ApprovalRequired)
	}
	if ev.ApprovalTimeoutSeconds <= 0 {
		return Result{}, step.Errorf(contract.ErrInvalidInput, "missing $.evaluation.approvalTimeoutSeconds: the links must expire with the wait")
	}
	summary, err := approval.NewSummary(st)
	if err != nil {
		return Result{}, step.Wrap(contract.ErrInvalidInput, err)
	}
	if h.Store == nil || h.Keys == nil || h.SNS == nil {
		return Result{}, step.Errorf(contract.ErrFailed, "request-approval: store, key source or SNS client not configured")
	}
	if h.ApprovalTopicArn == "" {
		return Result{}, step.Errorf(contract.ErrFailed, "request-approval: no approvers' topic (APPROVAL_TOPIC_ARN)")
	}
	key, err := h.Keys.Key(ctx)
	if err != nil {
		return Result{}, err
	}

	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	t := now().UTC()
	timeout := time.Duration(ev.ApprovalTimeoutSeconds) * time.Second
	rec, err := h.Store.Put(ctx, approval.Record{
		Reference: key.Reference(req.TaskToken),
		TaskToken: req.TaskToken,
		TaskArn:   st.Task.TaskArn,
		CreatedAt: t,
		ExpiresAt: t.Add(timeout),
		Summary:   summary,
	})
	if errors.Is(err, approval.ErrConflict) {
		return Result{}, step.Wrap(contract.ErrFailed, err)
	}
	if err != nil {
		return Result{}, err
	}

	links := map[string]string{}
	for _, action := range []string{approval.ActionApprove, approval.ActionReject} {
		l, err := key.Link(h.CallbackURL, rec.Reference, action, rec.ExpiresAt)
		if err != nil {
			return Result{}, step.Errorf(contract.ErrFailed, "CALLBACK_URL: %v", err)
		}
		links[action] = l
	}
	msg := approval.RequestMessage(summary, approval.Request{
		Reference:  rec.Reference,
		ApproveURL: links[approval.ActionApprove],
		RejectURL:  links[approval.ActionReject],
		ExpiresAt:  rec.ExpiresAt,
		Timeout:    rec.ExpiresAt.Sub(rec.CreatedAt),
		EventID:    st.ID,
	})
	n, err := notify.Publish(ctx, h.SNS, h.ApprovalTopicArn, msg)
	if err != nil {
		return Result{}, err
	}
	out := Result{Reference: rec.Reference, ExpiresAt: rec.ExpiresAt.Format(time.RFC3339), MessageID: n.MessageID}
	slog.InfoContext(ctx, "approval requested", "reference", out.Reference, "taskArn", rec.TaskArn,
		"expiresAt", out.ExpiresAt, "messageId", out.MessageID, "rules", summary.Rules)
	return out, nil
}

func outcome(ev *contract.Evaluation) contract.Outcome {
	if ev == nil {
		return ""
	}
	return ev.Outcome
}
