// Package judgementtest holds the behaviour every judgement.Store must
// have, run against the in-memory store and the DynamoDB table alike, and
// the judgements table on moto that the DynamoDB tests share.
package judgementtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/moto"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/dynamo"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// MotoTable is an empty judgements table ("judgements", partition key
// dynamo.AttrPK) on a moto server started for the test, behind the real
// DynamoDB client (see package moto for when the test is skipped).
func MotoTable(t testing.TB) *dynamo.Table {
	t.Helper()
	client := dynamodb.NewFromConfig(moto.Start(t).Config())
	table := &dynamo.Table{API: client, Name: "judgements"}
	if _, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table.Name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(dynamo.AttrPK), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(dynamo.AttrPK), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	return table
}

// T0 is the tests' clock.
var T0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// Judged is a judged record for tests.
func Judged(key string, expires time.Time) judgement.Record {
	return judgement.Record{Key: key, PolicyHash: "p1", Subject: "s1", TaskDefinitionArn: "td:1",
		Evaluation: &contract.Evaluation{Decision: &contract.Decision{Compliant: true}, Outcome: contract.OutcomeCompliant},
		JudgedAt:   T0, ExpiresAt: expires}
}

// StoreBehaviour is what every judgement.Store must do, step by step.
func StoreBehaviour(t *testing.T, st judgement.Store) {
	ctx := context.Background()
	lease := 10 * time.Minute

	if _, ok, err := st.Get(ctx, "k1"); ok || err != nil {
		t.Fatalf("Get on an empty store = %v, %v", ok, err)
	}
	// The first execution wins, a second waits, a retry of the first wins again.
	if _, won, err := st.Begin(ctx, "k1", "exec-a", T0, lease); !won || err != nil {
		t.Fatalf("first Begin: won=%v err=%v", won, err)
	}
	rec, won, err := st.Begin(ctx, "k1", "exec-b", T0.Add(time.Minute), lease)
	if won || err != nil || rec.Status != judgement.StatusPending || rec.Owner != "exec-a" || !rec.LeaseUntil.Equal(T0.Add(lease)) {
		t.Fatalf("second Begin = %+v, won=%v, err=%v; want exec-a's pending record", rec, won, err)
	}
	if _, won, _ := st.Begin(ctx, "k1", "exec-a", T0.Add(time.Minute), lease); !won {
		t.Fatal("the owner's retry of Begin must win")
	}
	// After the lease another execution takes over.
	if _, won, _ := st.Begin(ctx, "k1", "exec-b", T0.Add(lease+2*time.Minute), lease); !won {
		t.Fatal("Begin after the lease ran out must win")
	}
	// Abandon by someone else does nothing; by the owner frees the key.
	if err := st.Abandon(ctx, "k1", "exec-a"); err != nil {
		t.Fatal(err)
	}
	if rec, ok, _ := st.Get(ctx, "k1"); !ok || rec.Owner != "exec-b" {
		t.Fatalf("Abandon by a non-owner removed the record: %+v %v", rec, ok)
	}
	if err := st.Abandon(ctx, "k1", "exec-b"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Get(ctx, "k1"); ok {
		t.Fatal("Abandon by the owner left the record")
	}
	if err := st.Abandon(ctx, "absent", "x"); err != nil {
		t.Fatalf("Abandon of nothing: %v", err)
	}

	// A judgement stands until it expires.
	exp := T0.Add(time.Hour)
	if err := st.Put(ctx, Judged("k2", exp)); err != nil {
		t.Fatal(err)
	}
	got, ok, err := st.Get(ctx, "k2")
	if !ok || err != nil || got.Status != judgement.StatusJudged || got.Evaluation.Outcome != contract.OutcomeCompliant ||
		!got.ExpiresAt.Equal(exp) || !got.JudgedAt.Equal(T0) || got.PolicyHash != "p1" || got.TaskDefinitionArn != "td:1" {
		t.Fatalf("Get after Put = %+v %v %v", got, ok, err)
	}
	if !got.Valid(T0.Add(59*time.Minute)) || got.Valid(exp) {
		t.Error("Valid does not follow ExpiresAt")
	}
	if _, won, _ := st.Begin(ctx, "k2", "exec-c", T0.Add(30*time.Minute), lease); won {
		t.Fatal("Begin must not replace a valid judgement")
	}
	if _, won, _ := st.Begin(ctx, "k2", "exec-c", exp, lease); !won {
		t.Fatal("Begin must replace an expired judgement")
	}

	// Reports per revision.
	f1 := judgement.Flagged{Rules: []string{"a", "b"}, Digest: "d1"}
	news, resolve, err := st.NoteReport(ctx, "td:1", "p1", f1, "noter-1", T0)
	if !news || len(resolve) != 0 || err != nil {
		t.Fatalf("first NoteReport = %v %v %v", news, resolve, err)
	}
	if news, _, _ := st.NoteReport(ctx, "td:1", "p1", f1, "noter-2", T0.Add(time.Minute)); news {
		t.Fatal("the same digest again is not news")
	}
	// Under the same policy, another subject of the revision (a task of
	// another service) adds what it flags; flagging less resolves nothing.
	news, resolve, _ = st.NoteReport(ctx, "td:1", "p1", judgement.Flagged{Rules: []string{"a"}, Digest: "d1a"}, "noter-a", T0.Add(time.Minute))
	if news || len(resolve) != 0 {
		t.Fatalf("a subset under the same policy: news=%v resolve=%v; want neither", news, resolve)
	}
	news, resolve, _ = st.NoteReport(ctx, "td:1", "p1", judgement.Flagged{Rules: []string{"a", "z"}, Digest: "d1z"}, "noter-z", T0.Add(time.Minute))
	if !news || len(resolve) != 0 {
		t.Fatalf("a new rule under the same policy: news=%v resolve=%v; want news only", news, resolve)
	}
	if rev, _, _ := st.Revision(ctx, "td:1"); strings.Join(rev.Rules, ",") != "a,b,z" {
		t.Fatalf("rules under one policy add up: %v, want a,b,z", rev.Rules)
	}
	news, resolve, _ = st.NoteReport(ctx, "td:1", "p2", judgement.Flagged{Rules: []string{"b", "c"}, Digest: "d2"}, "noter-p2", T0.Add(2*time.Minute))
	if !news || strings.Join(resolve, ",") != "a,z" {
		t.Fatalf("a new policy: news=%v resolve=%v; want news and a, z resolved", news, resolve)
	}
	// A retry of the same judgement (its response was lost) gets the same
	// answer: the news and resolutions it was due.
	if news, resolve, _ := st.NoteReport(ctx, "td:1", "p2", judgement.Flagged{Rules: []string{"b", "c"}, Digest: "d2"}, "noter-p2", T0.Add(2*time.Minute)); !news || strings.Join(resolve, ",") != "a,z" {
		t.Fatalf("a retry of the same judgement: news=%v resolve=%v; want the first answer", news, resolve)
	}
	news, resolve, _ = st.NoteReport(ctx, "td:1", "p3", judgement.Flagged{}, "noter-3", T0.Add(3*time.Minute))
	if news || strings.Join(resolve, ",") != "b,c" {
		t.Fatalf("compliant now: news=%v resolve=%v; want no news and b,c resolved", news, resolve)
	}
	rev, ok, _ := st.Revision(ctx, "td:1")
	if !ok || rev.PolicyHash != "p3" || len(rev.Rules) != 0 || rev.Digest != "" {
		t.Fatalf("Revision = %+v %v", rev, ok)
	}
	if _, ok, _ := st.Revision(ctx, "td:other"); ok {
		t.Fatal("Revision of an unknown revision")
	}

	// Incidents count tasks once each. The first service scaled keeps its
	// desired count for every later report.
	prev3, prev0 := int32(3), int32(0)
	in, err := st.CountIncident(ctx, "i1", "td:1", "p1", "task-1", nil, T0)
	if err != nil || !in.First || in.Tasks != 1 || in.LastTaskArn != "task-1" || !in.FirstAt.Equal(T0) {
		t.Fatalf("first CountIncident = %+v %v", in, err)
	}
	if in, _ := st.CountIncident(ctx, "i1", "td:1", "p1", "task-1", nil, T0); !in.First || in.Tasks != 1 {
		t.Fatalf("a retry of the first task = %+v; want still first, 1 task", in)
	}
	in, _ = st.CountIncident(ctx, "i1", "td:1", "p1", "task-2", &prev3, T0.Add(time.Minute))
	if in.First || in.Tasks != 2 || in.LastTaskArn != "task-2" || !in.FirstAt.Equal(T0) ||
		in.PreviousDesiredCount == nil || *in.PreviousDesiredCount != 3 {
		t.Fatalf("second task = %+v; want 2 tasks, desired count 3 kept", in)
	}
	in, _ = st.CountIncident(ctx, "i1", "td:1", "p1", "task-3", &prev0, T0.Add(time.Minute))
	if in.Tasks != 3 || in.PreviousDesiredCount == nil || *in.PreviousDesiredCount != 3 {
		t.Fatalf("third task = %+v; want 3 tasks, the first desired count (3) kept", in)
	}
	// The first task's retry after another task was counted: still first
	// (its message is still due), nothing counted.
	if in, _ := st.CountIncident(ctx, "i1", "td:1", "p1", "task-1", nil, T0.Add(2*time.Minute)); !in.First || in.Tasks != 3 {
		t.Fatalf("a late retry of the first task = %+v; want first, 3 tasks", in)
	}
	if in, _ := st.CountIncident(ctx, "i2", "td:2", "p1", "task-2", &prev3, T0); !in.First || in.Tasks != 1 {
		t.Fatalf("another incident = %+v", in)
	}
}

func StoreErrors(t *testing.T, st judgement.Store) {
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Begin without key":     func() error { _, _, err := st.Begin(ctx, "", "o", T0, time.Minute); return err },
		"Begin without owner":   func() error { _, _, err := st.Begin(ctx, "k", "", T0, time.Minute); return err },
		"Put without decision":  func() error { return st.Put(ctx, judgement.Record{Key: "k", ExpiresAt: T0}) },
		"Put without expiry":    func() error { r := Judged("k", time.Time{}); return st.Put(ctx, r) },
		"NoteReport without TD": func() error { _, _, err := st.NoteReport(ctx, "", "p", judgement.Flagged{}, "n", T0); return err },
		"CountIncident no task": func() error { _, err := st.CountIncident(ctx, "i", "td", "p", "", nil, T0); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			if step.Name(err) != contract.ErrInvalidInput {
				t.Errorf("error %v (%s), want %s", err, step.Name(err), contract.ErrInvalidInput)
			}
		})
	}
	if _, _, err := st.Begin(ctx, "k", "o", T0, time.Millisecond); err == nil {
		t.Error("a lease under a second: want an error")
	}
}
