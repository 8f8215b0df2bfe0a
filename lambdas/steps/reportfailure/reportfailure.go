// Package reportfailure is the "Report failure" step: when a step fails after
// its retries, in the triage or in the workflow, it publishes the failure
// report (report.FailureMessage) and releases the task's idempotency claim so
// that a redelivered or later event of the task gets a new try.
package reportfailure

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/notify"
)

// Releaser releases an idempotency claim (idempotency.Table and
// idempotency.Memory fit).
type Releaser interface {
	Release(ctx context.Context, key string, attempt int) error
}

// Abandoner frees a judgement key marked as being judged
// (judgement.Store's Abandon).
type Abandoner interface {
	Abandon(ctx context.Context, key, owner string) error
}

// Handler publishes failure reports to TopicArn, releases claims in Claims
// and frees judgement keys in Judgements.
type Handler struct {
	SNS      notify.SNSAPI
	TopicArn string
	Claims   Releaser
	// Judgements frees the key this execution was judging ($.lookup.next
	// JUDGE), so that the next task with that key judges it rather than
	// waiting for a judgement that will not come. Nil: nothing to free.
	Judgements Abandoner
}

// Handle publishes the failure report of st and releases the claim of
// $.task (its ClaimKey: the task ARN, or the task definition ARN of a
// registration) for $.task.attempt, so that a later event of the task gets
// a new try with the next attempt. It releases nothing when there is no
// $.task ("Record task" itself failed) and never the claim of another
// execution (a duplicate's); a release of an attempt that is no longer the
// claim's is a no-op in the store. It does both even if one fails; the
// error then names both failures, and is Compliance.Transient if either is,
// so that the state machine retries the step.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Report, error) {
	var errs []error
	var out contract.Report

	msg, err := report.FailureMessage(st)
	if err != nil {
		errs = append(errs, step.Wrap(contract.ErrInvalidInput, err))
	} else if n, err := notify.Publish(ctx, h.SNS, h.TopicArn, msg); err != nil {
		errs = append(errs, fmt.Errorf("publish the failure report: %w", err))
	} else {
		out.Notification = &n
	}

	if t := st.Task; t != nil && t.ClaimKey() != "" && !t.Duplicate {
		if err := h.release(ctx, t.ClaimKey(), t.Attempt); err != nil {
			errs = append(errs, fmt.Errorf("release the claim of %s (attempt %d): %w", t.ClaimKey(), t.Attempt, err))
		}
	}
	if l, t := st.Lookup, st.Task; l != nil && t != nil && l.Next == contract.NextJudge && l.Key != "" && h.Judgements != nil {
		if err := h.Judgements.Abandon(ctx, l.Key, judgement.Owner(t)); err != nil {
			errs = append(errs, fmt.Errorf("free the judgement key %s: %w", l.Key, named("Abandon", err)))
		}
	}
	if len(errs) == 0 {
		return out, nil
	}
	return out, combine(errs)
}

func (h *Handler) release(ctx context.Context, key string, attempt int) error {
	if h.Claims == nil {
		return step.Errorf(contract.ErrFailed, "no idempotency table configured (TABLE_NAME)")
	}
	return named("Release", h.Claims.Release(ctx, key, attempt))
}

// named is err with a step error name: its own, or the AWS error's.
func named(op string, err error) error {
	var e *step.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return step.AWSError(op, err)
}

// combine names the errors together: Compliance.Transient when any of them is
// (a retry may fix it), else the first one's name.
func combine(errs []error) error {
	name := step.Name(errs[0])
	for _, e := range errs {
		if step.Name(e) == contract.ErrTransient {
			name = contract.ErrTransient
		}
	}
	if len(errs) == 1 {
		return &step.Error{Name: name, Err: errs[0]}
	}
	return &step.Error{Name: name, Err: joined(errs)}
}

// joined is the errors as one, each named in its message ("a; and b; and c").
type joined []error

func (j joined) Error() string {
	msgs := make([]string, len(j))
	for i, e := range j {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; and ")
}

func (j joined) Unwrap() []error { return j }
