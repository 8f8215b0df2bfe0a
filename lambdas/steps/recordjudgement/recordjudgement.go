// Package recordjudgement is the "Record judgement" step: after the policy
// decided, it stores the judgement under its key (so that later tasks with
// the same key need no evaluation) and decides what the reports do, per
// task definition revision rather than per task:
//
//   - FULL (an SNS message and the findings) for a first judgement with
//     findings, or when what the revision is flagged for changed;
//   - FINDINGS when nothing new is to be said but findings must be resolved
//     (rules flagged before and not now, for example under a new policy
//     version);
//   - NONE otherwise (the same findings as reported before).
//
// A violation to remediate is reported per remediation incident instead
// (package countincident); here it is only recorded.
package recordjudgement

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
	Put(ctx context.Context, r judgement.Record) error
	Abandon(ctx context.Context, key, owner string) error
	NoteReport(ctx context.Context, taskDefinitionArn, policyHash string, f judgement.Flagged, noter string, now time.Time) (bool, []string, error)
}

// Handler is the step.
type Handler struct {
	Store    Store
	Settings judgement.Settings
	// TTL is how long a judgement holds (judgement.DefaultTTL when zero);
	// exemptions that expire earlier bound it.
	TTL time.Duration
	// Now is the clock when the event has no time (time.Now when nil).
	Now func() time.Time
}

// Handle stores the judgement of st's evaluation.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Judgement, error) {
	switch {
	case st.Task == nil || st.Task.TaskDefinitionArn == "":
		return contract.Judgement{}, step.Errorf(contract.ErrInvalidInput, "record judgement: $.task is missing")
	case st.Lookup == nil || st.Lookup.Subject == "":
		return contract.Judgement{}, step.Errorf(contract.ErrInvalidInput, "record judgement: $.lookup.subject is missing (the triage's Look up judgement step fills it)")
	case st.Evaluation == nil || st.Evaluation.Decision == nil || st.Evaluation.Policy.Hash == "":
		return contract.Judgement{}, step.Errorf(contract.ErrInvalidInput, "record judgement: $.evaluation has no decision or policy hash")
	case h.Store == nil:
		return contract.Judgement{}, step.Errorf(contract.ErrFailed, "record judgement: no judgement store configured")
	}
	ev := *st.Evaluation
	ev.Policy.Files = nil
	key := judgement.Key(ev.Policy.Hash, st.Lookup.Subject, h.Settings)
	at := judgement.EventTime(st, h.Now)
	rec := judgement.Record{
		Key: key, PolicyHash: ev.Policy.Hash, Subject: st.Lookup.Subject, TaskDefinitionArn: st.Task.TaskDefinitionArn,
		Evaluation: &ev, JudgedAt: at, ExpiresAt: judgement.Expiry(ev.Decision, at, h.TTL),
	}
	if err := h.Store.Put(ctx, rec); err != nil {
		return contract.Judgement{}, err
	}
	if st.Lookup.Key != "" && st.Lookup.Key != key {
		// The policy changed between the lookup and the load: free the key
		// this execution marked as being judged.
		if err := h.Store.Abandon(ctx, st.Lookup.Key, judgement.Owner(st.Task)); err != nil {
			return contract.Judgement{}, err
		}
	}
	flagged := judgement.FlaggedBy(ev.Decision)
	// The judgement notes it: a retry after a lost response gets the same
	// answer (and so the report it was due).
	noter := key + "@" + at.UTC().Format(time.RFC3339)
	news, resolve, err := h.Store.NoteReport(ctx, st.Task.TaskDefinitionArn, ev.Policy.Hash, flagged, noter, at)
	if err != nil {
		return contract.Judgement{}, err
	}
	out := contract.Judgement{JudgementRef: rec.Ref(), Resolve: resolve, Report: Report(ev.Outcome, news, resolve)}
	slog.InfoContext(ctx, "judgement recorded", "taskArn", st.Task.TaskArn, "taskDefinitionArn", st.Task.TaskDefinitionArn,
		"key", key, "outcome", ev.Outcome, "report", out.Report, "resolve", resolve, "expiresAt", out.ExpiresAt)
	return out, nil
}

// Report is what the reports do for a judgement: a remediation is reported
// per incident (NONE here); otherwise FULL for news, FINDINGS when only
// resolutions are due, NONE when nothing changed.
func Report(outcome contract.Outcome, news bool, resolve []string) string {
	switch {
	case outcome == contract.OutcomeRemediate:
		return contract.ReportNone
	case news && outcome == contract.OutcomeReport:
		return contract.ReportFull
	case len(resolve) > 0:
		return contract.ReportFindings
	default:
		return contract.ReportNone
	}
}
