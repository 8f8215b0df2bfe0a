package idempotency_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency/idempotencytest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const (
	taskA = "arn:aws:ecs:us-east-1:123456789012:task/prod/aaaa"
	taskB = "arn:aws:ecs:us-east-1:123456789012:task/prod/bbbb"

	execA = "arn:aws:states:us-east-1:123456789012:express:triage:a:1"
	execB = "arn:aws:states:us-east-1:123456789012:express:triage:b:2"
	execC = "arn:aws:states:us-east-1:123456789012:express:triage:c:3"
)

var t0 = time.Date(2026, 11, 27, 9, 5, 0, 500_000_000, time.UTC)

// op is one call in a scenario and what it must answer. A release names
// its attempt; a claim says what it must return: Claimed, Own, the
// holder, the attempt, and the times (as offsets from t0, to the second).
type op struct {
	release bool
	key     string
	exec    string
	attempt int // release: the attempt released; claim: the attempt wanted
	at      time.Duration
	ttl     time.Duration

	wantClaimed bool
	wantOwn     bool
	wantBy      string
	wantFirst   time.Duration // FirstSeen - t0
	wantExpires time.Duration // ExpiresAt - t0
}

const hour = time.Hour

// claim is a claim that this call wins anew: by exec, at at, for an hour.
func won(key, exec string, at time.Duration, attempt int, first time.Duration) op {
	return op{key: key, exec: exec, at: at, ttl: hour, wantClaimed: true, wantBy: exec, attempt: attempt,
		wantFirst: first, wantExpires: at + hour}
}

// held is a claim that finds the key held since first (expiring at
// expires) by holder with attempt.
func held(key, exec string, at time.Duration, holder string, attempt int, first, expires time.Duration) op {
	own := exec == holder
	return op{key: key, exec: exec, at: at, ttl: hour, wantClaimed: own, wantOwn: own, wantBy: holder,
		attempt: attempt, wantFirst: first, wantExpires: expires}
}

func release(key string, attempt int) op { return op{release: true, key: key, attempt: attempt} }

// scenarios pin the claim semantics; every store must pass all of them.
var scenarios = []struct {
	name string
	ops  []op
}{
	{"the first claim of a task wins with attempt 1", []op{
		won(taskA, execA, 0, 1, 0),
	}},
	{"a later claim by another execution within the TTL is a duplicate naming the holder", []op{
		won(taskA, execA, 0, 1, 0),
		held(taskA, execB, 10*time.Minute, execA, 1, 0, hour),
	}},
	{"a retry of the claiming execution recognises its own claim and writes nothing", []op{
		won(taskA, execA, 0, 1, 0),
		held(taskA, execA, 2*time.Minute, execA, 1, 0, hour),
		held(taskA, execB, 3*time.Minute, execA, 1, 0, hour),
	}},
	{"claims of different tasks do not interfere", []op{
		won(taskA, execA, 0, 1, 0),
		won(taskB, execB, time.Second, 1, time.Second),
	}},
	{"a claim at its exact expiry second still holds", []op{
		won(taskA, execA, 0, 1, 0),
		held(taskA, execB, hour, execA, 1, 0, hour),
	}},
	{"an expired claim is replaced with the next attempt although TTL deletion has not run", []op{
		won(taskA, execA, 0, 1, 0),
		won(taskA, execB, hour+2*time.Second, 2, hour+2*time.Second),
		held(taskA, execC, hour+3*time.Second, execB, 2, hour+2*time.Second, 2*hour+2*time.Second),
	}},
	{"an expired claim of the same execution is claimed anew, not as its own", []op{
		won(taskA, execA, 0, 1, 0),
		won(taskA, execA, 2*hour, 2, 2*hour),
	}},
	{"a released claim is claimed again with the next attempt and keeps its firstSeen", []op{
		won(taskA, execA, 0, 1, 0),
		release(taskA, 1),
		won(taskA, execB, time.Minute, 2, 0),
		held(taskA, execC, 2*time.Minute, execB, 2, 0, time.Minute+hour),
	}},
	{"a released claim is no longer the releasing execution's own", []op{
		won(taskA, execA, 0, 1, 0),
		release(taskA, 1),
		won(taskA, execA, time.Minute, 2, 0),
	}},
	{"a stale release of an older attempt leaves the newer claim held", []op{
		won(taskA, execA, 0, 1, 0),
		release(taskA, 1),
		won(taskA, execB, time.Minute, 2, 0),
		release(taskA, 1),
		held(taskA, execC, 2*time.Minute, execB, 2, 0, time.Minute+hour),
	}},
	{"releasing twice counts once", []op{
		won(taskA, execA, 0, 1, 0),
		release(taskA, 1),
		release(taskA, 1),
		won(taskA, execB, time.Minute, 2, 0),
		held(taskA, execC, 2*time.Minute, execB, 2, 0, time.Minute+hour),
	}},
	{"a release of attempt 0 does not release a claim with attempts", []op{
		won(taskA, execA, 0, 1, 0),
		release(taskA, 0),
		held(taskA, execB, time.Minute, execA, 1, 0, hour),
	}},
	{"a released claim that has expired starts anew with the next attempt", []op{
		won(taskA, execA, 0, 1, 0),
		release(taskA, 1),
		won(taskA, execB, 3*hour, 2, 3*hour),
	}},
	{"releasing a task that was never claimed is not an error and creates nothing", []op{
		release(taskB, 1),
		release(taskB, 0),
		won(taskB, execA, 0, 1, 0),
	}},
}

func runScenario(t *testing.T, store idempotency.Store, ops []op) {
	t.Helper()
	ctx := context.Background()
	for i, o := range ops {
		if o.release {
			if err := store.Release(ctx, o.key, o.attempt); err != nil {
				t.Fatalf("op %d: Release(%d): %v", i, o.attempt, err)
			}
			continue
		}
		c, err := store.Claim(ctx, o.key, o.exec, t0.Add(o.at), o.ttl)
		if err != nil {
			t.Fatalf("op %d: Claim: %v", i, err)
		}
		want := idempotency.Claim{
			Claimed: o.wantClaimed, Own: o.wantOwn, ClaimedBy: o.wantBy, Attempt: o.attempt,
			FirstSeen: t0.Add(o.wantFirst).Truncate(time.Second),
			ExpiresAt: time.Unix(t0.Add(o.wantExpires).Unix(), 0).UTC(),
		}
		if c != want {
			t.Fatalf("op %d: Claim =\n%+v\nwant\n%+v", i, c, want)
		}
	}
}

func TestMemoryScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, &idempotency.Memory{}, sc.ops) })
	}
}

func TestTableScenariosThroughDynamoDBClient(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			fake := idempotencytest.New(t)
			runScenario(t, &idempotency.Table{API: fake.Client(), Name: "claims"}, sc.ops)
		})
	}
}

func TestMemoryReleaseKeepsTheItem(t *testing.T) {
	var m idempotency.Memory
	ctx := context.Background()
	if _, err := m.Claim(ctx, taskA, execA, t0, hour); err != nil {
		t.Fatal(err)
	}
	if err := m.Release(ctx, taskA, 1); err != nil {
		t.Fatal(err)
	}
	it, ok := m.Lookup(taskA)
	if !ok || !it.Released || it.Attempt != 1 || it.ClaimedBy != execA || it.Key != taskA {
		t.Fatalf("Lookup = %+v, %v; want the item kept, released, attempt 1", it, ok)
	}
	if _, ok := m.Lookup(taskB); ok {
		t.Fatal("Lookup found a task never claimed")
	}
}

// TestTableLegacyItems: items written before attempts and owners were
// recorded (a PutItem of taskArn, firstSeen, expiresAt) keep working.
func TestTableLegacyItems(t *testing.T) {
	legacy := func(expires time.Duration) idempotencytest.Item {
		return idempotencytest.Item{
			"taskArn":   {"S": taskA},
			"firstSeen": {"S": t0.Truncate(time.Second).Format(time.RFC3339)},
			"expiresAt": {"N": strconv.FormatInt(t0.Add(expires).Unix(), 10)},
		}
	}
	ctx := context.Background()
	t.Run("an unexpired legacy claim is a duplicate held by nobody known", func(t *testing.T) {
		fake := idempotencytest.New(t)
		fake.SetItem(taskA, legacy(hour))
		c, err := (&idempotency.Table{API: fake.Client(), Name: "claims"}).Claim(ctx, taskA, execA, t0.Add(time.Minute), hour)
		if err != nil || c.Claimed || c.Own || c.Attempt != 0 || c.ClaimedBy != "" || !c.FirstSeen.Equal(t0.Truncate(time.Second)) {
			t.Fatalf("Claim = %+v, %v", c, err)
		}
	})
	t.Run("attempt 0 releases a legacy claim, and the next claim is attempt 1 keeping firstSeen", func(t *testing.T) {
		fake := idempotencytest.New(t)
		fake.SetItem(taskA, legacy(hour))
		table := &idempotency.Table{API: fake.Client(), Name: "claims"}
		if err := table.Release(ctx, taskA, 0); err != nil {
			t.Fatal(err)
		}
		c, err := table.Claim(ctx, taskA, execA, t0.Add(time.Minute), hour)
		if err != nil || !c.Claimed || c.Attempt != 1 || c.ClaimedBy != execA || !c.FirstSeen.Equal(t0.Truncate(time.Second)) {
			t.Fatalf("Claim = %+v, %v", c, err)
		}
	})
	t.Run("an expired legacy claim is claimed anew with attempt 1", func(t *testing.T) {
		fake := idempotencytest.New(t)
		fake.SetItem(taskA, legacy(hour))
		c, err := (&idempotency.Table{API: fake.Client(), Name: "claims"}).Claim(ctx, taskA, execA, t0.Add(2*hour), hour)
		if err != nil || !c.Claimed || c.Attempt != 1 || !c.FirstSeen.Equal(t0.Add(2*hour).Truncate(time.Second)) {
			t.Fatalf("Claim = %+v, %v", c, err)
		}
	})
}

// TestTableExpiredClaimTakenInBetween: between the failed claim (which
// read the expired item) and the reclaim, another execution claims the
// item; the reclaim's condition fails and the claim ends as a duplicate of
// that execution, not as a second winner.
func TestTableExpiredClaimTakenInBetween(t *testing.T) {
	fake := idempotencytest.New(t)
	table := &idempotency.Table{API: fake.Client(), Name: "claims"}
	ctx := context.Background()
	if _, err := table.Claim(ctx, taskA, execA, t0, hour); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(2 * hour)
	fake.BeforeReclaim(func() {
		if c, err := table.Claim(ctx, taskA, execB, later, hour); err != nil || !c.Claimed || c.Attempt != 2 {
			t.Errorf("the other claim: %+v, %v", c, err)
		}
	})
	c, err := table.Claim(ctx, taskA, execC, later, hour)
	if err != nil || c.Claimed || c.ClaimedBy != execB || c.Attempt != 2 {
		t.Fatalf("Claim = %+v, %v; want a duplicate of execB's attempt 2", c, err)
	}
}

func TestTableGivesUpWhenNoConditionCanHold(t *testing.T) {
	fake := idempotencytest.New(t)
	table := &idempotency.Table{API: fake.Client(), Name: "claims"}
	// An item with no expiry reads as expired, and no reclaim condition
	// can hold on it: every try fails.
	fake.SetItem(taskA, idempotencytest.Item{"taskArn": {"S": taskA}, "attempt": {"N": "1"}, "claimedBy": {"S": execA}})
	_, err := table.Claim(context.Background(), taskA, execB, t0, hour)
	if step.Name(err) != contract.ErrTransient {
		t.Fatalf("err = %v (%s), want Compliance.Transient", err, step.Name(err))
	}
}

func TestTableRefusesAnAnswerWithoutTheClaim(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), Retryer: aws.NopRetryer{}})
	_, err := (&idempotency.Table{API: client, Name: "claims"}).Claim(context.Background(), taskA, execA, t0, hour)
	if step.Name(err) != contract.ErrFailed {
		t.Fatalf("err = %v (%s), want Compliance.Failed", err, step.Name(err))
	}
}

func TestBadArguments(t *testing.T) {
	stores := map[string]idempotency.Store{
		"memory": &idempotency.Memory{},
		"table":  &idempotency.Table{API: idempotencytest.New(t).Client(), Name: "claims"},
	}
	long := string(make([]byte, idempotency.MaxExecutionIDBytes+1))
	cases := []struct {
		name string
		call func(s idempotency.Store) error
		want string
	}{
		{"an empty key is invalid input", func(s idempotency.Store) error {
			_, err := s.Claim(context.Background(), "", execA, t0, hour)
			return err
		}, contract.ErrInvalidInput},
		{"an empty execution id is invalid input", func(s idempotency.Store) error {
			_, err := s.Claim(context.Background(), taskA, "", t0, hour)
			return err
		}, contract.ErrInvalidInput},
		{"an oversized execution id is invalid input", func(s idempotency.Store) error {
			_, err := s.Claim(context.Background(), taskA, long, t0, hour)
			return err
		}, contract.ErrInvalidInput},
		{"a TTL under a second is a configuration failure", func(s idempotency.Store) error {
			_, err := s.Claim(context.Background(), taskA, execA, t0, 0)
			return err
		}, contract.ErrFailed},
		{"releasing an empty key is invalid input", func(s idempotency.Store) error {
			return s.Release(context.Background(), "", 1)
		}, contract.ErrInvalidInput},
		{"releasing a negative attempt is invalid input", func(s idempotency.Store) error {
			return s.Release(context.Background(), taskA, -1)
		}, contract.ErrInvalidInput},
	}
	for storeName, s := range stores {
		for _, tc := range cases {
			t.Run(storeName+": "+tc.name, func(t *testing.T) {
				err := tc.call(s)
				if err == nil || step.Name(err) != tc.want {
					t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tc.want)
				}
			})
		}
	}
	var unconfigured idempotency.Table
	if _, err := unconfigured.Claim(context.Background(), taskA, execA, t0, hour); step.Name(err) != contract.ErrFailed {
		t.Fatalf("unconfigured table: err = %v", err)
	}
	if err := unconfigured.Release(context.Background(), taskA, 1); step.Name(err) != contract.ErrFailed {
		t.Fatalf("unconfigured table: err = %v", err)
	}
}

func TestMemoryConcurrentClaimsHaveOneWinner(t *testing.T) {
	var m idempotency.Memory
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := m.Claim(context.Background(), taskA, fmt.Sprintf("exec-%d", i), t0.Add(time.Duration(i)*time.Millisecond), hour)
			if err != nil {
				t.Error(err)
			}
			if c.Claimed {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want 1", wins.Load())
	}
	if it, ok := m.Lookup(taskA); !ok || it.Attempt != 1 || it.Released {
		t.Fatalf("Lookup = %+v, %v", it, ok)
	}
}

func TestTableErrorsAreNamed(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		errType  string
		wantName string
	}{
		{"throttling is retried", 400, "ThrottlingException", contract.ErrTransient},
		{"exceeded provisioned throughput is retried", 400, "ProvisionedThroughputExceededException", contract.ErrTransient},
		{"a server error is retried", 500, "InternalServerError", contract.ErrTransient},
		{"access denied is not retried", 400, "AccessDeniedException", contract.ErrAccessDenied},
		{"a missing table is not found", 400, "ResourceNotFoundException", contract.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := idempotencytest.New(t)
			fake.FailWith(tc.status, tc.errType)
			table := &idempotency.Table{API: fake.Client(), Name: "claims"}
			_, err := table.Claim(context.Background(), taskA, execA, t0, hour)
			if got := step.Name(err); got != tc.wantName {
				t.Fatalf("Claim: %v named %s, want %s", err, got, tc.wantName)
			}
			if got := step.Name(table.Release(context.Background(), taskA, 1)); got != tc.wantName {
				t.Fatalf("Release named %s, want %s", got, tc.wantName)
			}
		})
	}
}

func TestTableWireShape(t *testing.T) {
	fake := idempotencytest.New(t)
	table := &idempotency.Table{API: fake.Client(), Name: "claims"}
	if _, err := table.Claim(context.Background(), taskA, execA, t0, 168*hour); err != nil {
		t.Fatal(err)
	}
	req := fake.Last()
	if req.Target != "DynamoDB_20120810.UpdateItem" || req.TableName != "claims" ||
		req.UpdateExpression != idempotency.ClaimUpdate || req.ConditionExpression != idempotency.ClaimCondition ||
		req.ReturnValues != "ALL_NEW" || req.ReturnValuesOnConditionCheckFailure != "ALL_OLD" {
		t.Fatalf("claim request = %+v", req)
	}
	wantValues := map[string]idempotencytest.AV{
		":executionId": {"S": execA},
		":firstSeen":   {"S": "2026-11-27T09:05:00Z"},
		":expiresAt":   {"N": strconv.FormatInt(t0.Add(168*hour).Unix(), 10)},
		":now":         {"N": strconv.FormatInt(t0.Unix(), 10)},
		":zero":        {"N": "0"},
		":one":         {"N": "1"},
		":true":        {"BOOL": true},
	}
	if !equalJSON(req.Key, idempotencytest.Item{"taskArn": {"S": taskA}}) || !equalJSON(req.ExpressionAttributeValues, wantValues) {
		t.Fatalf("key %v values %v", req.Key, req.ExpressionAttributeValues)
	}
	stored := fake.Item(taskA)
	if !equalJSON(stored, idempotencytest.Item{
		"taskArn": {"S": taskA}, "claimedBy": {"S": execA}, "attempt": {"N": "1"},
		"firstSeen": {"S": "2026-11-27T09:05:00Z"}, "expiresAt": {"N": strconv.FormatInt(t0.Add(168*hour).Unix(), 10)},
	}) {
		t.Fatalf("item stored %v", stored)
	}

	if err := table.Release(context.Background(), taskA, 1); err != nil {
		t.Fatal(err)
	}
	req = fake.Last()
	if req.UpdateExpression != idempotency.ReleaseUpdate || req.ConditionExpression != idempotency.ReleaseCondition ||
		!equalJSON(req.ExpressionAttributeValues, map[string]idempotencytest.AV{":true": {"BOOL": true}, ":attempt": {"N": "1"}}) {
		t.Fatalf("release request %+v", req)
	}
	if it := fake.Item(taskA); !equalJSON(it["released"], idempotencytest.AV{"BOOL": true}) || it["attempt"]["N"] != "1" {
		t.Fatalf("item after release %v", it)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
