package idempotency_test

import (
	"context"
	"encoding/json"
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
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const (
	taskA = "arn:aws:ecs:us-east-1:123456789012:task/prod/aaaa"
	taskB = "arn:aws:ecs:us-east-1:123456789012:task/prod/bbbb"
)

var t0 = time.Date(2026, 11, 27, 9, 5, 0, 500_000_000, time.UTC)

// op is one call in a scenario and what it must answer.
type op struct {
	release     bool
	task        string
	at          time.Duration // after t0
	ttl         time.Duration
	wantClaimed bool
	wantFirst   time.Duration // FirstSeen - t0 (truncated to the second)
}

// scenarios pin the claim semantics; every store must pass all of them.
var scenarios = []struct {
	name string
	ops  []op
}{
	{"the first claim of a task wins", []op{
		{task: taskA, ttl: time.Hour, wantClaimed: true},
	}},
	{"a later claim within the TTL is a duplicate and reports the first claim's time", []op{
		{task: taskA, ttl: time.Hour, wantClaimed: true},
		{task: taskA, at: 10 * time.Minute, ttl: time.Hour, wantClaimed: false},
	}},
	{"claims of different tasks do not interfere", []op{
		{task: taskA, ttl: time.Hour, wantClaimed: true},
		{task: taskB, at: time.Second, ttl: time.Hour, wantClaimed: true, wantFirst: time.Second},
	}},
	{"a claim at its exact expiry second still holds", []op{
		{task: taskA, ttl: time.Hour, wantClaimed: true},
		{task: taskA, at: time.Hour, ttl: time.Hour, wantClaimed: false},
	}},
	{"an expired claim is replaced although TTL deletion has not run", []op{
		{task: taskA, ttl: time.Hour, wantClaimed: true},
		{task: taskA, at: time.Hour + 2*time.Second, ttl: time.Hour, wantClaimed: true, wantFirst: time.Hour + 2*time.Second},
	}},
	{"a released claim can be claimed again", []op{
		{task: taskA, ttl: time.Hour, wantClaimed: true},
		{release: true, task: taskA},
		{task: taskA, at: time.Minute, ttl: time.Hour, wantClaimed: true, wantFirst: time.Minute},
	}},
	{"releasing a task that was never claimed is not an error", []op{
		{release: true, task: taskB},
		{task: taskB, ttl: time.Hour, wantClaimed: true},
	}},
}

func runScenario(t *testing.T, store idempotency.Store, ops []op) {
	t.Helper()
	ctx := context.Background()
	for i, o := range ops {
		if o.release {
			if err := store.Release(ctx, o.task); err != nil {
				t.Fatalf("op %d: Release: %v", i, err)
			}
			continue
		}
		c, err := store.Claim(ctx, o.task, t0.Add(o.at), o.ttl)
		if err != nil {
			t.Fatalf("op %d: Claim: %v", i, err)
		}
		if c.Claimed != o.wantClaimed {
			t.Fatalf("op %d: Claimed = %v, want %v", i, c.Claimed, o.wantClaimed)
		}
		wantFirst := t0.Add(o.wantFirst).Truncate(time.Second)
		if !c.FirstSeen.Equal(wantFirst) {
			t.Fatalf("op %d: FirstSeen = %s, want %s", i, c.FirstSeen, wantFirst)
		}
		if want := time.Unix(wantFirst.Add(o.ttl).Unix(), 0); !c.ExpiresAt.Equal(want) {
			t.Fatalf("op %d: ExpiresAt = %s, want %s", i, c.ExpiresAt, want)
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
			fake := newFakeDynamo(t)
			runScenario(t, &idempotency.Table{API: fake.client(), Name: "claims"}, sc.ops)
		})
	}
}

func TestBadArguments(t *testing.T) {
	stores := map[string]idempotency.Store{
		"memory": &idempotency.Memory{},
		"table":  &idempotency.Table{API: newFakeDynamo(t).client(), Name: "claims"},
	}
	cases := []struct {
		name string
		call func(s idempotency.Store) error
		want string
	}{
		{"an empty task ARN is invalid input", func(s idempotency.Store) error {
			_, err := s.Claim(context.Background(), "", t0, time.Hour)
			return err
		}, contract.ErrInvalidInput},
		{"a TTL under a second is a configuration failure", func(s idempotency.Store) error {
			_, err := s.Claim(context.Background(), taskA, t0, 0)
			return err
		}, contract.ErrFailed},
		{"releasing an empty task ARN is invalid input", func(s idempotency.Store) error {
			return s.Release(context.Background(), "")
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
	if _, err := unconfigured.Claim(context.Background(), taskA, t0, time.Hour); step.Name(err) != contract.ErrFailed {
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
			c, err := m.Claim(context.Background(), taskA, t0.Add(time.Duration(i)*time.Millisecond), time.Hour)
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
	if c, ok := m.Lookup(taskA); !ok || !c.Claimed {
		t.Fatalf("Lookup = %+v, %v", c, ok)
	}
}

func TestTableErrorsAreNamed(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		errType  string
		wantName string
	}{
		{"throttling is retried", 400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", contract.ErrTransient},
		{"exceeded provisioned throughput is retried", 400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", contract.ErrTransient},
		{"a server error is retried", 500, "com.amazonaws.dynamodb.v20120810#InternalServerError", contract.ErrTransient},
		{"access denied is not retried", 400, "com.amazonaws.dynamodb.v20120810#AccessDeniedException", contract.ErrAccessDenied},
		{"a missing table is not found", 400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", contract.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeDynamo(t)
			fake.failWith(tc.status, tc.errType)
			table := &idempotency.Table{API: fake.client(), Name: "claims"}
			_, err := table.Claim(context.Background(), taskA, t0, time.Hour)
			if got := step.Name(err); got != tc.wantName {
				t.Fatalf("Claim: %v named %s, want %s", err, got, tc.wantName)
			}
			if got := step.Name(table.Release(context.Background(), taskA)); got != tc.wantName {
				t.Fatalf("Release named %s, want %s", got, tc.wantName)
			}
		})
	}
}

func TestTableWireShape(t *testing.T) {
	fake := newFakeDynamo(t)
	table := &idempotency.Table{API: fake.client(), Name: "claims"}
	if _, err := table.Claim(context.Background(), taskA, t0, 168*time.Hour); err != nil {
		t.Fatal(err)
	}
	req := fake.last
	if req.TableName != "claims" || req.ReturnValuesOnConditionCheckFailure != "ALL_OLD" ||
		req.ConditionExpression != idempotency.ClaimCondition {
		t.Fatalf("request = %+v", req)
	}
	want := map[string]map[string]string{
		"taskArn":   {"S": taskA},
		"firstSeen": {"S": "2026-11-27T09:05:00Z"},
		"expiresAt": {"N": strconv.FormatInt(t0.Add(168*time.Hour).Unix(), 10)},
	}
	for k, v := range want {
		if got := req.Item[k]; len(got) != 1 || got[firstKey(v)] != v[firstKey(v)] {
			t.Fatalf("item[%s] = %v, want %v", k, got, v)
		}
	}
	if req.ExpressionAttributeValues[":now"]["N"] != strconv.FormatInt(t0.Unix(), 10) {
		t.Fatalf(":now = %v", req.ExpressionAttributeValues[":now"])
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// fakeDynamo is a DynamoDB JSON-protocol endpoint holding one table, which
// implements the claim's conditional put the way DynamoDB does.
type fakeDynamo struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	items   map[string]map[string]map[string]string
	last    dynamoRequest
	failSt  int
	failErr string
}

type dynamoRequest struct {
	TableName                           string
	Item                                map[string]map[string]string
	Key                                 map[string]map[string]string
	ConditionExpression                 string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]map[string]string
	ReturnValuesOnConditionCheckFailure string
}

func newFakeDynamo(t *testing.T) *fakeDynamo {
	f := &fakeDynamo{t: t, items: map[string]map[string]map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDynamo) failWith(status int, errType string) {
	f.failSt, f.failErr = status, errType
}

func (f *fakeDynamo) client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:      aws.NopRetryer{},
	})
}

func (f *fakeDynamo) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	body, _ := io.ReadAll(r.Body)
	var req dynamoRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, 400, "com.amazonaws.dynamodb.v20120810#SerializationException", err.Error(), nil)
		return
	}
	f.last = req
	if f.failErr != "" {
		writeErr(w, f.failSt, f.failErr, "injected", nil)
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "DynamoDB_20120810.PutItem":
		key := req.Item["taskArn"]["S"]
		old, exists := f.items[key]
		if req.ConditionExpression != idempotency.ClaimCondition ||
			req.ExpressionAttributeNames["#taskArn"] != "taskArn" || req.ExpressionAttributeNames["#expiresAt"] != "expiresAt" {
			writeErr(w, 400, "com.amazonaws.dynamodb.v20120810#ValidationException", "unexpected condition "+req.ConditionExpression, nil)
			return
		}
		// attribute_not_exists(taskArn) OR expiresAt < :now
		now, _ := strconv.ParseInt(req.ExpressionAttributeValues[":now"]["N"], 10, 64)
		if exists {
			exp, _ := strconv.ParseInt(old["expiresAt"]["N"], 10, 64)
			if !(exp < now) {
				var item map[string]map[string]string
				if req.ReturnValuesOnConditionCheckFailure == "ALL_OLD" {
					item = old
				}
				writeErr(w, 400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed", item)
				return
			}
		}
		f.items[key] = req.Item
		_, _ = w.Write([]byte(`{}`))
	case "DynamoDB_20120810.DeleteItem":
		delete(f.items, req.Key["taskArn"]["S"])
		_, _ = w.Write([]byte(`{}`))
	default:
		writeErr(w, 400, "com.amazonaws.dynamodb.v20120810#UnknownOperationException", r.Header.Get("X-Amz-Target"), nil)
	}
}

func writeErr(w http.ResponseWriter, status int, errType, msg string, item map[string]map[string]string) {
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"__type": errType, "message": msg, "Item": item})
	_, _ = w.Write(b)
}
