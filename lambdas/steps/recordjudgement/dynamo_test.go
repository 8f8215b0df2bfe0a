package recordjudgement_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/judgementtest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordjudgement"
)

// TestThroughDynamoDB runs the step on the judgements table through the
// real DynamoDB client against moto: judgements of several keys of one
// revision, reported once, then resolved.
func TestThroughDynamoDB(t *testing.T) {
	table := judgementtest.MotoTable(t)
	ctx := context.Background()
	h := &recordjudgement.Handler{Store: table, Settings: judgement.Settings{Mode: contract.ModeAudit}, TTL: 72 * time.Hour}

	// The lookup marked its key under the policy it saw; the policy changed
	// before "Load policy".
	first := state(unpinned, contract.ModeAudit, lookedUp)
	if _, won, err := table.Begin(ctx, first.Lookup.Key, execName, t0, 10*time.Minute); !won || err != nil {
		t.Fatal(won, err)
	}
	const newPolicy = "7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b"
	steps := []struct {
		name        string
		st          contract.State
		subject     string
		policy      string
		wantReport  string
		wantResolve []string
	}{
		{"a first REPORT judgement: FULL", first, subject, loaded, contract.ReportFull, nil},
		{"another key of the revision, the same findings: NONE", state(unpinned, contract.ModeAudit, loaded), "another-subject", loaded, contract.ReportNone, nil},
		{"another key, compliant, same policy: NONE, the findings stand", state(compliant, contract.ModeAudit, loaded), "third-subject", loaded, contract.ReportNone, nil},
		{"the revision compliant under a new policy version: FINDINGS resolving the rule", state(compliant, contract.ModeAudit, newPolicy), subject, newPolicy, contract.ReportFindings, []string{"image_tag"}},
	}
	for i, s := range steps {
		st := s.st
		st.Lookup.Subject = s.subject
		st.Evaluation.Policy.Hash = s.policy
		st.Time = t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		got, err := h.Handle(ctx, st)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got.Report != s.wantReport || !reflect.DeepEqual(got.Resolve, s.wantResolve) {
			t.Fatalf("%s: report %s resolve %v; want %s %v", s.name, got.Report, got.Resolve, s.wantReport, s.wantResolve)
		}
		key := judgement.Key(s.policy, s.subject, h.Settings)
		rec, ok, err := table.Get(ctx, key)
		at := t0.Add(time.Duration(i) * time.Minute)
		if err != nil || !ok || rec.Status != judgement.StatusJudged || !rec.JudgedAt.Equal(at) || !rec.ExpiresAt.Equal(at.Add(72*time.Hour)) ||
			rec.Subject != s.subject || rec.PolicyHash != s.policy || !reflect.DeepEqual(rec.Evaluation.Decision, s.st.Evaluation.Decision) ||
			rec.Evaluation.Policy.Files != nil {
			t.Fatalf("%s: stored %+v %v %v", s.name, rec, ok, err)
		}
	}
	if _, found, _ := table.Get(ctx, first.Lookup.Key); found {
		t.Fatal("the key the lookup marked under the old policy is still there")
	}
	rev, ok, _ := table.Revision(ctx, tdArn)
	if !ok || rev.Digest != "" || len(rev.Rules) != 0 || rev.PolicyHash != newPolicy {
		t.Fatalf("revision %+v; want it noted compliant", rev)
	}
}
