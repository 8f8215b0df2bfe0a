package recordjudgement_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordjudgement"
)

// TestMain keeps the step's logs out of the test output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

const (
	tdArn    = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	taskArn  = "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0"
	execName = "1b2c3d4e5f6a41829304b5c6d7e8f9a0-1"
	// The policy the lookup saw, and the one "Load policy" loaded.
	lookedUp = "9d5e0c3b7a1f4e2d8c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d"
	loaded   = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
	subject  = "3b094ac9514f33bcf12145c31c55579514adbd18b7d254a65c4c5e9b61647e69"
	eventAt  = "2026-11-27T09:05:00Z"
)

var t0 = time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)

func violation(kind, rule, msg string) contract.Violation {
	v := contract.Violation{Rule: rule, Title: rule, Severity: contract.SeverityHigh, Container: "api", Message: msg,
		Controls: []string{"NIST 800-190 4.1.1"}}
	switch kind {
	case "deny":
		v.Enforcement = "deny"
	case "warn":
		v.Enforcement, v.Severity = "warn", contract.SeverityLow
	case "exempt":
		v.Enforcement = "deny"
		v.Exemption = &contract.Exemption{Reason: "vendor image, ticket SEC-123", Expires: "2027-03-31"}
	}
	return v
}

// decision builds a decision from violations, warnings and exemptions.
func decision(violations, warnings, exempted []contract.Violation) *contract.Decision {
	nz := func(vs []contract.Violation) []contract.Violation {
		if vs == nil {
			return []contract.Violation{}
		}
		return vs
	}
	return &contract.Decision{Compliant: len(violations) == 0, Violations: nz(violations), Warnings: nz(warnings), Exempted: nz(exempted)}
}

var (
	compliant   = decision(nil, nil, nil)
	unpinned    = decision(nil, []contract.Violation{violation("warn", "image_tag", `container "api" uses the mutable tag 1.25`)}, nil)
	dockerHub   = decision([]contract.Violation{violation("deny", "approved_registries", `container "api" uses nginx:1.25 from docker.io`)}, nil, nil)
	exemptedHub = decision(nil, nil, []contract.Violation{violation("exempt", "approved_registries", `container "api" uses nginx:1.25 from docker.io`)})
)

// outcome is the evaluate step's branch for d in mode.
func outcome(d *contract.Decision, mode contract.Mode) contract.Outcome {
	switch {
	case len(d.Violations) > 0 && mode == contract.ModeEnforce:
		return contract.OutcomeRemediate
	case len(d.Violations) == 0 && len(d.Warnings) == 0 && len(d.Exempted) == 0:
		return contract.OutcomeCompliant
	}
	return contract.OutcomeReport
}

// state is the workflow document when "Record judgement" runs: the task,
// the triage's lookup (of lookupPolicy's key) and the evaluation of d
// under the loaded policy.
func state(d *contract.Decision, mode contract.Mode, lookupPolicy string) contract.State {
	settings := judgement.Settings{Mode: mode}
	return contract.State{
		Event: contract.Event{Source: "aws.ecs", DetailType: "ECS Task State Change", Account: "123456789012", Region: "us-east-1", Time: eventAt},
		Task: &contract.Task{Kind: contract.KindTask, TaskArn: taskArn, TaskDefinitionArn: tdArn, Cluster: "prod", Service: "api",
			Account: "123456789012", Region: "us-east-1", ExecutionName: execName, Attempt: 1},
		Lookup: &contract.Lookup{PolicyHash: lookupPolicy, Subject: subject, Key: judgement.Key(lookupPolicy, subject, settings),
			Next: contract.NextJudge, TaskDefinitionTags: map[string]string{"owner": "team-api"}},
		Evaluation: &contract.Evaluation{
			Policy: contract.Bundle{Path: "/ecs-compliance/policy", Hash: loaded, Versions: map[string]int64{"/ecs-compliance/policy/data.json": 4},
				Files: map[string]string{"data.json": "{}", "ecs/compliance/decision.rego": "package ecs.compliance\n"}},
			Decision: d, Mode: mode, Outcome: outcome(d, mode),
		},
	}
}

// store is the in-memory judgement store with failures a test injects and
// the abandons it was asked for.
type store struct {
	*judgement.Memory
	putErr, abandonErr, noteErr error
	abandons                    []string
	notes                       int
}

func newStore() *store { return &store{Memory: &judgement.Memory{}} }

func (s *store) Put(ctx context.Context, r judgement.Record) error {
	if s.putErr != nil {
		return s.putErr
	}
	return s.Memory.Put(ctx, r)
}

func (s *store) Abandon(ctx context.Context, key, owner string) error {
	s.abandons = append(s.abandons, key+" "+owner)
	if s.abandonErr != nil {
		return s.abandonErr
	}
	return s.Memory.Abandon(ctx, key, owner)
}

func (s *store) NoteReport(ctx context.Context, td, policyHash string, f judgement.Flagged, noter string, now time.Time) (bool, []string, error) {
	s.notes++
	if s.noteErr != nil {
		return false, nil, s.noteErr
	}
	return s.Memory.NoteReport(ctx, td, policyHash, f, noter, now)
}

func TestHandleDecidesWhatTheReportsDo(t *testing.T) {
	// history is what was noted for the revision before (by judgements of
	// other keys: other task-level fields, another service, or an earlier
	// policy version).
	type noted struct {
		td     string
		policy string
		d      *contract.Decision
	}
	changedMessage := decision(nil, []contract.Violation{violation("warn", "image_tag", `container "api" uses the mutable tag 1.27`)}, nil)
	twoRules := decision(nil, []contract.Violation{
		violation("warn", "image_tag", `container "api" uses the mutable tag 1.25`),
		violation("warn", "readonly_root_filesystem", `container "api" has a writable root filesystem`),
	}, nil)
	cases := []struct {
		name        string
		history     []noted
		d           *contract.Decision
		mode        contract.Mode
		wantReport  string
		wantResolve []string
	}{
		{"a first REPORT judgement with findings: the message and the findings", nil,
			unpinned, contract.ModeAudit, contract.ReportFull, nil},
		{"a first REPORT judgement of an exemption: reported too", nil,
			exemptedHub, contract.ModeEnforce, contract.ReportFull, nil},
		{"a first violation in audit mode: reported", nil,
			dockerHub, contract.ModeAudit, contract.ReportFull, nil},
		{"the same findings again, judged under another key of the revision: nothing new", []noted{{tdArn, loaded, unpinned}},
			unpinned, contract.ModeAudit, contract.ReportNone, nil},
		{"the same findings under a new policy version: nothing new", []noted{{tdArn, lookedUp, unpinned}},
			unpinned, contract.ModeAudit, contract.ReportNone, nil},
		{"another revision's findings do not count for this one", []noted{{"arn:aws:ecs:us-east-1:123456789012:task-definition/api:6", loaded, unpinned}},
			unpinned, contract.ModeAudit, contract.ReportFull, nil},
		{"under the same policy, another key's message for the same rule: nothing new", []noted{{tdArn, loaded, unpinned}},
			changedMessage, contract.ModeAudit, contract.ReportNone, nil},
		{"under the same policy, another key flags a rule more: news", []noted{{tdArn, loaded, unpinned}},
			twoRules, contract.ModeAudit, contract.ReportFull, nil},
		{"under the same policy, another key flags less: nothing new, nothing resolved", []noted{{tdArn, loaded, twoRules}},
			unpinned, contract.ModeAudit, contract.ReportNone, nil},
		{"under the same policy, another key is compliant: the revision's findings stand", []noted{{tdArn, loaded, unpinned}},
			compliant, contract.ModeAudit, contract.ReportNone, nil},
		{"a new policy version whose message changed: news", []noted{{tdArn, lookedUp, unpinned}},
			changedMessage, contract.ModeAudit, contract.ReportFull, nil},
		{"a new policy version that flags less: news, and the rule no longer flagged resolved", []noted{{tdArn, lookedUp, twoRules}},
			unpinned, contract.ModeAudit, contract.ReportFull, []string{"readonly_root_filesystem"}},
		{"flagged before, compliant under a new policy version: only the findings, resolving every rule", []noted{{tdArn, lookedUp, twoRules}},
			compliant, contract.ModeAudit, contract.ReportFindings, []string{"image_tag", "readonly_root_filesystem"}},
		{"a first COMPLIANT judgement: nothing to report", nil,
			compliant, contract.ModeAudit, contract.ReportNone, nil},
		{"compliant again: nothing to report", []noted{{tdArn, lookedUp, compliant}},
			compliant, contract.ModeAudit, contract.ReportNone, nil},
		{"a first REMEDIATE judgement: reported per incident, not here", nil,
			dockerHub, contract.ModeEnforce, contract.ReportNone, nil},
		{"REMEDIATE with rules no longer flagged: reported per incident, the resolutions handed on", []noted{{tdArn, lookedUp, twoRules}},
			dockerHub, contract.ModeEnforce, contract.ReportNone, []string{"image_tag", "readonly_root_filesystem"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore()
			for i, n := range tc.history {
				if _, _, err := s.Memory.NoteReport(ctx, n.td, n.policy, judgement.FlaggedBy(n.d), fmt.Sprint("history-", i), t0.Add(time.Duration(i-len(tc.history))*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			h := &recordjudgement.Handler{Store: s, Settings: judgement.Settings{Mode: tc.mode}}
			got, err := h.Handle(ctx, state(tc.d, tc.mode, loaded))
			if err != nil {
				t.Fatal(err)
			}
			if got.Report != tc.wantReport || !reflect.DeepEqual(got.Resolve, tc.wantResolve) {
				t.Fatalf("report %s, resolve %v; want %s, %v", got.Report, got.Resolve, tc.wantReport, tc.wantResolve)
			}
			if got.Outcome != outcome(tc.d, tc.mode) {
				t.Errorf("outcome %s, want the evaluation's %s", got.Outcome, outcome(tc.d, tc.mode))
			}
			// What is noted now: this judgement's rules, added to those of
			// the revision's other judgements under the same policy.
			f := judgement.FlaggedBy(tc.d)
			wantRules := slices.Clone(f.Rules)
			if n := len(tc.history); n > 0 && tc.history[n-1].td == tdArn && tc.history[n-1].policy == loaded {
				for _, r := range judgement.FlaggedBy(tc.history[n-1].d).Rules {
					if !slices.Contains(wantRules, r) {
						wantRules = append(wantRules, r)
					}
				}
				slices.Sort(wantRules)
			}
			rev, ok, _ := s.Revision(ctx, tdArn)
			if !ok || rev.Digest != f.Digest || strings.Join(rev.Rules, ",") != strings.Join(wantRules, ",") || rev.PolicyHash != loaded || !rev.ReportedAt.Equal(t0) {
				t.Errorf("revision noted %+v, want rules %v, digest %s under %s at %s", rev, wantRules, f.Digest, loaded, t0)
			}
		})
	}
}

func TestReport(t *testing.T) {
	cases := []struct {
		name    string
		outcome contract.Outcome
		news    bool
		resolve []string
		want    string
	}{
		{"news of a report: FULL", contract.OutcomeReport, true, nil, contract.ReportFull},
		{"news of a report with resolutions: FULL", contract.OutcomeReport, true, []string{"a"}, contract.ReportFull},
		{"no news, resolutions: FINDINGS", contract.OutcomeCompliant, false, []string{"a"}, contract.ReportFindings},
		{"no news, nothing to resolve: NONE", contract.OutcomeReport, false, nil, contract.ReportNone},
		{"a remediation, whatever else: NONE", contract.OutcomeRemediate, true, []string{"a"}, contract.ReportNone},
		{"compliant: NONE", contract.OutcomeCompliant, false, nil, contract.ReportNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := recordjudgement.Report(tc.outcome, tc.news, tc.resolve); got != tc.want {
				t.Fatalf("Report = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHandleStoresTheJudgementUnderTheLoadedPolicysKey(t *testing.T) {
	ctx := context.Background()
	const other = "8f7e6d5c4b3a49281706f5e4d3c2b1a0-1"
	cases := []struct {
		name         string
		lookupPolicy string
		mode         contract.Mode
		approval     bool
		// mark is who marked the lookup's key (the lookup step's owner);
		// edit changes the state.
		mark         string
		edit         func(st *contract.State)
		wantAbandon  bool // the lookup's key is asked to be freed
		wantFreed    bool // and is gone
		wantLeftWith string
	}{
		{"the lookup's policy: the lookup's own key, now judged", loaded, contract.ModeAudit, false, execName, nil, false, false, ""},
		{"enforce with approval: the key of those settings", loaded, contract.ModeEnforce, true, execName, nil, false, false, ""},
		{"a policy changed since the lookup: stored under the loaded one's key, the lookup's key freed", lookedUp, contract.ModeAudit, false, execName, nil, true, true, ""},
		{"the lookup's key marked by another execution (after waiting): left to it", lookedUp, contract.ModeEnforce, false, other, nil, true, false, other},
		{"the lookup's key marked for a task without an execution name: freed all the same", lookedUp, contract.ModeAudit, false,
			taskArn + tdArn, func(st *contract.State) { st.Task.ExecutionName = "" }, true, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			settings := judgement.Settings{Mode: tc.mode, Approval: tc.approval}
			st := state(unpinned, tc.mode, tc.lookupPolicy)
			st.Lookup.Key = judgement.Key(tc.lookupPolicy, subject, settings)
			if tc.edit != nil {
				tc.edit(&st)
			}
			s := newStore()
			if _, won, err := s.Memory.Begin(ctx, st.Lookup.Key, tc.mark, t0, 10*time.Minute); !won || err != nil {
				t.Fatal(won, err)
			}
			h := &recordjudgement.Handler{Store: s, Settings: settings}
			got, err := h.Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			key := judgement.Key(loaded, subject, settings)
			if got.Key != key || got.PolicyHash != loaded || got.JudgedAt != eventAt || got.Outcome != contract.OutcomeReport {
				t.Fatalf("judgement %+v; want key %s of the loaded policy, judged at %s", got.JudgementRef, key, eventAt)
			}
			rec, ok, _ := s.Memory.Get(ctx, key)
			if !ok || rec.Status != judgement.StatusJudged || rec.PolicyHash != loaded || rec.Subject != subject || rec.TaskDefinitionArn != tdArn ||
				!rec.JudgedAt.Equal(t0) || !rec.Valid(t0) || rec.Evaluation == nil || rec.Evaluation.Outcome != contract.OutcomeReport ||
				!reflect.DeepEqual(rec.Evaluation.Decision, unpinned) {
				t.Fatalf("stored %+v (found %v)", rec, ok)
			}
			if rec.Evaluation.Policy.Files != nil || rec.Evaluation.Policy.Hash != loaded || rec.Evaluation.Policy.Versions == nil {
				t.Errorf("stored policy %+v; want the bundle's hash and versions without its files", rec.Evaluation.Policy)
			}
			if st.Evaluation.Policy.Files == nil {
				t.Errorf("the step changed its input's evaluation")
			}
			if (len(s.abandons) > 0) != tc.wantAbandon {
				t.Errorf("abandons %v; want one: %v", s.abandons, tc.wantAbandon)
			}
			if tc.lookupPolicy != loaded {
				old, found, _ := s.Memory.Get(ctx, st.Lookup.Key)
				switch {
				case tc.wantFreed && found:
					t.Errorf("the lookup's key is still %+v; want it freed for the next task", old)
				case !tc.wantFreed && (!found || old.Owner != tc.wantLeftWith):
					t.Errorf("the lookup's key is %+v (found %v); want it left to %s", old, found, tc.wantLeftWith)
				}
			}
		})
	}
}

func TestHandleExpiry(t *testing.T) {
	withExemption := func(expires string) *contract.Decision {
		v := violation("exempt", "approved_registries", `container "api" uses nginx:1.25 from docker.io`)
		v.Exemption.Expires = expires
		return decision(nil, nil, []contract.Violation{v})
	}
	clock := time.Date(2026, 11, 28, 12, 30, 0, 0, time.UTC)
	cases := []struct {
		name        string
		d           *contract.Decision
		ttl         time.Duration
		eventTime   string
		wantJudged  time.Time
		wantExpires time.Time
	}{
		{"no exemption: the default lifetime from the event's time", unpinned, 0, eventAt, t0, t0.Add(judgement.DefaultTTL)},
		{"the configured lifetime", unpinned, 24 * time.Hour, eventAt, t0, t0.Add(24 * time.Hour)},
		{"an exemption that ends sooner: the end of its last day, UTC", withExemption("2026-11-30"), 0, eventAt, t0,
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"an exemption that ends after the lifetime does not extend it", withExemption("2027-06-30"), 48 * time.Hour, eventAt, t0, t0.Add(48 * time.Hour)},
		{"an exemption date that does not parse: expired at once, judged again next time", withExemption("30/11/2026"), 0, eventAt, t0, t0},
		{"an event time with a fraction: to the second", unpinned, time.Hour, "2026-11-27T09:05:00.734Z", t0, t0.Add(time.Hour)},
		{"an event without a time: the clock", unpinned, time.Hour, "", clock, clock.Add(time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := state(tc.d, contract.ModeAudit, loaded)
			st.Time = tc.eventTime
			s := newStore()
			h := &recordjudgement.Handler{Store: s, TTL: tc.ttl, Now: func() time.Time { return clock }}
			got, err := h.Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if got.JudgedAt != tc.wantJudged.Format(time.RFC3339) || got.ExpiresAt != tc.wantExpires.Format(time.RFC3339) {
				t.Fatalf("judged %s, expires %s; want %s, %s", got.JudgedAt, got.ExpiresAt, tc.wantJudged.Format(time.RFC3339), tc.wantExpires.Format(time.RFC3339))
			}
			rec, _, _ := s.Memory.Get(ctx, got.Key)
			if !rec.ExpiresAt.Equal(tc.wantExpires) || !rec.JudgedAt.Equal(tc.wantJudged) {
				t.Errorf("stored judged %s expires %s", rec.JudgedAt, rec.ExpiresAt)
			}
			if rec.Valid(tc.wantJudged) != tc.wantExpires.After(tc.wantJudged) {
				t.Errorf("valid at its own time: %v", rec.Valid(tc.wantJudged))
			}
		})
	}
}

func TestHandleNamesItsErrors(t *testing.T) {
	transient := step.Errorf(contract.ErrTransient, "PutItem judgements: throttled")
	cases := []struct {
		name      string
		edit      func(st *contract.State, h *recordjudgement.Handler, s *store)
		wantErr   string
		wantMsg   string
		wantNotes int
	}{
		{"no $.task", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Task = nil }, contract.ErrInvalidInput, "$.task", 0},
		{"a task without its task definition", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Task.TaskDefinitionArn = "" }, contract.ErrInvalidInput, "$.task", 0},
		{"no $.lookup", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Lookup = nil }, contract.ErrInvalidInput, "$.lookup.subject", 0},
		{"a lookup without a subject", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Lookup.Subject = "" }, contract.ErrInvalidInput, "$.lookup.subject", 0},
		{"no $.evaluation", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Evaluation = nil }, contract.ErrInvalidInput, "$.evaluation", 0},
		{"an evaluation without a decision", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Evaluation.Decision = nil }, contract.ErrInvalidInput, "$.evaluation", 0},
		{"an evaluation without the policy's hash", func(st *contract.State, _ *recordjudgement.Handler, _ *store) { st.Evaluation.Policy.Hash = "" }, contract.ErrInvalidInput, "policy hash", 0},
		{"no store configured", func(_ *contract.State, h *recordjudgement.Handler, _ *store) { h.Store = nil }, contract.ErrFailed, "store", 0},
		{"the judgement cannot be stored: nothing noted", func(_ *contract.State, _ *recordjudgement.Handler, s *store) { s.putErr = transient }, contract.ErrTransient, "PutItem", 0},
		{"the lookup's key cannot be freed", func(st *contract.State, _ *recordjudgement.Handler, s *store) {
			st.Lookup.Key = judgement.Key(lookedUp, subject, judgement.Settings{})
			s.abandonErr = step.Errorf(contract.ErrAccessDenied, "DeleteItem judgements: denied")
		}, contract.ErrAccessDenied, "DeleteItem", 0},
		{"the revision cannot be noted", func(_ *contract.State, _ *recordjudgement.Handler, s *store) {
			s.noteErr = step.Errorf(contract.ErrTransient, "judgement: note report: 5 concurrent writers in a row")
		}, contract.ErrTransient, "concurrent writers", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := state(unpinned, contract.ModeAudit, loaded)
			s := newStore()
			h := &recordjudgement.Handler{Store: s}
			tc.edit(&st, h, s)
			got, err := h.Handle(context.Background(), st)
			if step.Name(err) != tc.wantErr || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("= %+v, %v (%s); want %s containing %q", got, err, step.Name(err), tc.wantErr, tc.wantMsg)
			}
			if s.notes != tc.wantNotes {
				t.Errorf("%d notes, want %d", s.notes, tc.wantNotes)
			}
		})
	}
}
