package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/approvaltest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const (
	refA   = "AAAAAAAAAAAAAAAAAAAA"
	refB   = "BBBBBBBBBBBBBBBBBBBB"
	nonceA = "AAAAAAAAAAAAAAAAAAAAAAAAAA"
	nonceB = "BBBBBBBBBBBBBBBBBBBBBBBBB2"
)

var (
	t0  = time.Date(2026, 11, 27, 9, 5, 0, 700_000_000, time.UTC)
	exp = t0.Add(24 * time.Hour)
)

func record(ref, token string) approval.Record {
	return approval.Record{
		Reference: ref, TaskToken: token, TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/abc",
		CreatedAt: t0, ExpiresAt: exp,
		Summary: approval.Summary{Where: "service prod/api", Cluster: "prod", Service: "api",
			Findings: []approval.Finding{{Severity: "HIGH", Rule: "approved_registries", Message: `container "api" <img src=x>`}},
			Actions:  []string{"Scale service api", "Stop task abc"}},
	}
}

func decision(status string, at time.Time, who string) approval.Decision {
	return approval.Decision{Status: status, Approver: who, Reason: "freeze", From: "203.0.113.9", At: at}
}

// stores are the implementations every scenario runs against.
func stores(t *testing.T) map[string]func() store.Store {
	return map[string]func() store.Store{
		"memory": func() store.Store { return &store.Memory{} },
		"table": func() store.Store {
			return &store.Table{API: approvaltest.New(t).DynamoDB(), Name: approvaltest.Table}
		},
	}
}

func TestScenarios(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"a stored record reads back PENDING, to the second, with its summary", func(t *testing.T, s store.Store) {
			put, err := s.Put(ctx, record(refA, "tok-a"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, refA)
			if err != nil {
				t.Fatal(err)
			}
			want := record(refA, "tok-a")
			want.Status, want.CreatedAt, want.ExpiresAt = approval.StatusPending, t0.Truncate(time.Second), exp.Truncate(time.Second)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(put, want) {
				t.Fatalf("Get = %+v\nPut = %+v\nwant  %+v", got, put, want)
			}
		}},
		{"putting the same token again returns the first record", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			again := record(refA, "tok-a")
			again.CreatedAt, again.ExpiresAt = t0.Add(time.Minute), exp.Add(time.Minute)
			got, err := s.Put(ctx, again)
			if err != nil || !got.ExpiresAt.Equal(exp.Truncate(time.Second)) {
				t.Fatalf("Put again = %+v, %v; want the first record's expiry", got, err)
			}
		}},
		{"another token under a stored reference is a conflict", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			_, err := s.Put(ctx, record(refA, "tok-other"))
			if !errors.Is(err, approval.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if got, _ := s.Get(ctx, refA); got.TaskToken != "tok-a" {
				t.Fatal("the conflicting put replaced the record")
			}
		}},
		{"an unknown reference is not found", func(t *testing.T, s store.Store) {
			if _, err := s.Get(ctx, refB); !errors.Is(err, approval.ErrNotFound) {
				t.Fatalf("Get: %v", err)
			}
			if _, err := s.Decide(ctx, refB, decision(approval.StatusApproved, t0, "ann")); !errors.Is(err, approval.ErrNotFound) {
				t.Fatalf("Decide: %v", err)
			}
			if err := s.SetDelivery(ctx, refB, approval.DeliveryDone); !errors.Is(err, approval.ErrNotFound) {
				t.Fatalf("SetDelivery: %v", err)
			}
		}},
		{"a decision is recorded once; a second is refused and names the first", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			got, err := s.Decide(ctx, refA, decision(approval.StatusApproved, t0.Add(time.Hour), "ann"))
			if err != nil || got.Status != approval.StatusApproved || got.Approver != "ann" || got.TaskToken != "tok-a" ||
				!got.DecidedAt.Equal(t0.Add(time.Hour).Truncate(time.Second)) || got.DecidedFrom != "203.0.113.9" {
				t.Fatalf("Decide = %+v, %v", got, err)
			}
			_, err = s.Decide(ctx, refA, decision(approval.StatusRejected, t0.Add(2*time.Hour), "bob"))
			var se *approval.StoreError
			if !errors.Is(err, approval.ErrAnswered) || !errors.As(err, &se) || se.Record.Approver != "ann" {
				t.Fatalf("second Decide: %v (%+v)", err, se)
			}
			if r, _ := s.Get(ctx, refA); r.Status != approval.StatusApproved || r.Approver != "ann" {
				t.Fatalf("the second decision changed the record: %+v", r)
			}
		}},
		{"a decision at the expiry second is accepted", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			if _, err := s.Decide(ctx, refA, decision(approval.StatusRejected, exp.Truncate(time.Second), "ann")); err != nil {
				t.Fatal(err)
			}
		}},
		{"a decision after the expiry is refused and changes nothing", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			_, err := s.Decide(ctx, refA, decision(approval.StatusApproved, exp.Add(2*time.Second), "ann"))
			if !errors.Is(err, approval.ErrRecordExpired) {
				t.Fatalf("err = %v", err)
			}
			if r, _ := s.Get(ctx, refA); r.Status != approval.StatusPending || r.Approver != "" {
				t.Fatalf("record = %+v", r)
			}
		}},
		{"reopening a decision makes the link work again", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			d := decision(approval.StatusApproved, t0.Add(time.Hour), "ann")
			if _, err := s.Decide(ctx, refA, d); err != nil {
				t.Fatal(err)
			}
			if err := s.Reopen(ctx, refA, d); err != nil {
				t.Fatal(err)
			}
			r, _ := s.Get(ctx, refA)
			if r.Status != approval.StatusPending || r.Approver != "" || !r.DecidedAt.IsZero() || r.DecidedFrom != "" {
				t.Fatalf("reopened record = %+v", r)
			}
			if _, err := s.Decide(ctx, refA, decision(approval.StatusRejected, t0.Add(2*time.Hour), "bob")); err != nil {
				t.Fatalf("decide after reopen: %v", err)
			}
		}},
		{"reopen never undoes another decision", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			if _, err := s.Decide(ctx, refA, decision(approval.StatusApproved, t0.Add(time.Hour), "ann")); err != nil {
				t.Fatal(err)
			}
			err := s.Reopen(ctx, refA, decision(approval.StatusApproved, t0.Add(3*time.Hour), "bob"))
			if !errors.Is(err, approval.ErrAnswered) {
				t.Fatalf("err = %v", err)
			}
			if r, _ := s.Get(ctx, refA); r.Status != approval.StatusApproved || r.Approver != "ann" {
				t.Fatalf("record = %+v", r)
			}
		}},
		{"a form's nonce is recorded with its decision", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			d := decision(approval.StatusApproved, t0.Add(time.Hour), "ann")
			d.Nonce = nonceA
			got, err := s.Decide(ctx, refA, d)
			if err != nil || !reflect.DeepEqual(got.FormNonces, []string{nonceA}) {
				t.Fatalf("Decide = %+v, %v", got, err)
			}
			if r, _ := s.Get(ctx, refA); !reflect.DeepEqual(r.FormNonces, []string{nonceA}) {
				t.Fatalf("Get: nonces %v", r.FormNonces)
			}
		}},
		{"a form works once: after a reopen its nonce is refused and changes nothing", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			d := decision(approval.StatusApproved, t0.Add(time.Hour), "ann")
			d.Nonce = nonceA
			if _, err := s.Decide(ctx, refA, d); err != nil {
				t.Fatal(err)
			}
			if err := s.Reopen(ctx, refA, d); err != nil {
				t.Fatal(err)
			}
			again := decision(approval.StatusRejected, t0.Add(2*time.Hour), "mallory")
			again.Nonce = nonceA
			_, err := s.Decide(ctx, refA, again)
			if !errors.Is(err, approval.ErrFormUsed) {
				t.Fatalf("the same form again: %v, want ErrFormUsed", err)
			}
			if r, _ := s.Get(ctx, refA); r.Status != approval.StatusPending || r.Approver != "" {
				t.Fatalf("the refused form changed the record: %+v", r)
			}
			fresh := decision(approval.StatusRejected, t0.Add(2*time.Hour), "bob")
			fresh.Nonce = nonceB
			got, err := s.Decide(ctx, refA, fresh)
			if err != nil || got.Approver != "bob" || !reflect.DeepEqual(got.FormNonces, []string{nonceA, nonceB}) {
				t.Fatalf("a new form: %+v, %v", got, err)
			}
		}},
		{"a nonce that is not a nonce is invalid input", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			d := decision(approval.StatusApproved, t0, "ann")
			d.Nonce = "not a nonce"
			if _, err := s.Decide(ctx, refA, d); step.Name(err) != contract.ErrInvalidInput {
				t.Fatalf("err = %v", err)
			}
		}},
		{"the delivery is recorded", func(t *testing.T, s store.Store) {
			mustPut(t, s, record(refA, "tok-a"))
			if err := s.SetDelivery(ctx, refA, approval.DeliveryWorkflowEnded); err != nil {
				t.Fatal(err)
			}
			if r, _ := s.Get(ctx, refA); r.Delivery != approval.DeliveryWorkflowEnded {
				t.Fatalf("delivery = %q", r.Delivery)
			}
		}},
		{"bad arguments are invalid input", func(t *testing.T, s store.Store) {
			bad := []error{}
			r := record("not-a-reference", "tok")
			_, err := s.Put(ctx, r)
			bad = append(bad, err)
			_, err = s.Put(ctx, record(refA, ""))
			bad = append(bad, err)
			_, err = s.Decide(ctx, refA, decision("MAYBE", t0, "ann"))
			bad = append(bad, err)
			_, err = s.Decide(ctx, refA, decision(approval.StatusApproved, time.Time{}, "ann"))
			bad = append(bad, err)
			for i, err := range bad {
				if step.Name(err) != contract.ErrInvalidInput {
					t.Errorf("case %d: %v (%s), want %s", i, err, step.Name(err), contract.ErrInvalidInput)
				}
			}
		}},
	}
	for name, newStore := range stores(t) {
		for _, sc := range scenarios {
			t.Run(name+": "+sc.name, func(t *testing.T) { sc.run(t, newStore()) })
		}
	}
}

func mustPut(t *testing.T, s store.Store, r approval.Record) {
	t.Helper()
	if _, err := s.Put(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentDecisionsHaveOneWinner(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore()
			mustPut(t, s, record(refA, "tok-a"))
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.Decide(context.Background(), refA, decision(approval.StatusApproved, t0.Add(time.Duration(i)*time.Second), "p"+strconv.Itoa(i)))
					switch {
					case err == nil:
						wins.Add(1)
					case !errors.Is(err, approval.ErrAnswered):
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d decisions won, want 1", wins.Load())
			}
		})
	}
}

func TestTableWireShape(t *testing.T) {
	fake := approvaltest.New(t)
	tb := &store.Table{API: fake.DynamoDB(), Name: approvaltest.Table}
	ctx := context.Background()
	mustPut(t, tb, record(refA, "tok-a"))
	item := fake.Item(refA)
	want := map[string]approvaltest.AV{
		"reference": {"S": refA},
		"taskToken": {"S": "tok-a"},
		"status":    {"S": "PENDING"},
		"createdAt": {"S": "2026-11-27T09:05:00Z"},
		"expiresAt": {"N": strconv.FormatInt(exp.Unix(), 10)},
		"deleteAt":  {"N": strconv.FormatInt(exp.Add(approval.Retention).Unix(), 10)},
	}
	for k, v := range want {
		if !reflect.DeepEqual(item[k], v) {
			t.Errorf("item[%s] = %v, want %v", k, item[k], v)
		}
	}
	if _, err := tb.Get(ctx, refA); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if in := calls[len(calls)-1].Input; in["ConsistentRead"] != true {
		t.Errorf("GetItem is not strongly consistent: %v", in)
	}
	if _, err := tb.Decide(ctx, refA, decision(approval.StatusApproved, t0, "ann")); err != nil {
		t.Fatal(err)
	}
	calls = fake.Calls()
	in := calls[len(calls)-1].Input
	if in["ConditionExpression"] != store.DecideCondition || in["ReturnValues"] != "ALL_NEW" || in["ReturnValuesOnConditionCheckFailure"] != "ALL_OLD" {
		t.Errorf("UpdateItem = %v", in)
	}
	// DynamoDB refuses unused names and values: a decision without a form
	// sends none of the form's.
	if b, _ := json.Marshal(in); strings.Contains(string(b), "formNonces") || strings.Contains(string(b), ":nonce") {
		t.Errorf("UpdateItem without a form names the form's nonce: %s", b)
	}

	mustPut(t, tb, record(refB, "tok-b"))
	d := decision(approval.StatusApproved, t0, "ann")
	d.Nonce = nonceA
	if _, err := tb.Decide(ctx, refB, d); err != nil {
		t.Fatal(err)
	}
	calls = fake.Calls()
	in = calls[len(calls)-1].Input
	values, _ := in["ExpressionAttributeValues"].(map[string]any)
	if in["ConditionExpression"] != store.DecideFormCondition || in["UpdateExpression"] != store.DecideFormUpdate ||
		!reflect.DeepEqual(values[":nonces"], map[string]any{"SS": []any{nonceA}}) {
		t.Errorf("UpdateItem of a form = %v", in)
	}
	if got := fake.Item(refB)["formNonces"]; !reflect.DeepEqual(got, approvaltest.AV{"SS": []any{nonceA}}) {
		t.Errorf("item[formNonces] = %v", got)
	}
}

func TestTableErrorsAreNamed(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
		want   string
	}{
		{"throttling is retried", 400, "ThrottlingException", contract.ErrTransient},
		{"exceeded throughput is retried", 400, "ProvisionedThroughputExceededException", contract.ErrTransient},
		{"a server error is retried", 500, "InternalServerError", contract.ErrTransient},
		{"access denied is not retried", 400, "AccessDeniedException", contract.ErrAccessDenied},
		{"a missing table is not found", 400, "ResourceNotFoundException", contract.ErrNotFound},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := approvaltest.New(t)
			tb := &store.Table{API: fake.DynamoDB(), Name: approvaltest.Table}
			for _, op := range []string{"PutItem", "GetItem", "UpdateItem"} {
				fake.FailNext(op, 3, tc.status, tc.code)
			}
			_, errPut := tb.Put(ctx, record(refA, "tok"))
			_, errGet := tb.Get(ctx, refA)
			_, errDecide := tb.Decide(ctx, refA, decision(approval.StatusApproved, t0, "ann"))
			errReopen := tb.Reopen(ctx, refA, decision(approval.StatusApproved, t0, "ann"))
			errDelivery := tb.SetDelivery(ctx, refA, approval.DeliveryDone)
			for i, err := range []error{errPut, errGet, errDecide, errReopen, errDelivery} {
				if step.Name(err) != tc.want {
					t.Errorf("call %d: %v named %s, want %s", i, err, step.Name(err), tc.want)
				}
			}
		})
	}
	var unconfigured store.Table
	if _, err := unconfigured.Get(ctx, refA); step.Name(err) != contract.ErrFailed {
		t.Errorf("unconfigured table: %v", err)
	}
}

func TestMemoryHonoursACancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&store.Memory{}).Put(ctx, record(refA, "tok")); step.Name(err) != contract.ErrTransient {
		t.Fatalf("err = %v", err)
	}
}
