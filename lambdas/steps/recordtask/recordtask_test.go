package recordtask_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

const (
	taskArn    = "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0"
	clusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	tdArn      = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
)

var now = time.Date(2026, 11, 27, 9, 5, 3, 0, time.UTC)

// event builds an ECS Task State Change whose detail fields can be changed.
func event(change func(d map[string]any)) contract.State {
	d := map[string]any{
		"taskArn":           taskArn,
		"clusterArn":        clusterArn,
		"taskDefinitionArn": tdArn,
		"group":             "service:api",
		"lastStatus":        "PENDING",
		"desiredStatus":     "RUNNING",
		"launchType":        "FARGATE",
		"containers":        []any{map[string]any{"name": "api", "image": "nginx:1.25"}},
	}
	if change != nil {
		change(d)
	}
	raw, _ := json.Marshal(d)
	return contract.State{Event: contract.Event{
		Version: "0", ID: "e1", Source: "aws.ecs", DetailType: "ECS Task State Change",
		Account: "123456789012", Region: "us-east-1", Detail: raw,
	}}
}

func TestParseEvent(t *testing.T) {
	cases := []struct {
		name    string
		state   contract.State
		want    contract.Task
		wantErr string // substring of the message; error name is InvalidInput
	}{
		{"a service task names its cluster, family, revision and service", event(nil), contract.Task{
			TaskArn: taskArn, ClusterArn: clusterArn, Cluster: "prod", TaskDefinitionArn: tdArn,
			Family: "api", Revision: 7, Group: "service:api", Service: "api", LaunchType: "FARGATE",
			LastStatus: "PENDING", Account: "123456789012", Region: "us-east-1",
		}, ""},
		{"a standalone task has no service", event(func(d map[string]any) { d["group"] = "family:api" }), contract.Task{
			TaskArn: taskArn, ClusterArn: clusterArn, Cluster: "prod", TaskDefinitionArn: tdArn,
			Family: "api", Revision: 7, Group: "family:api", LaunchType: "FARGATE",
			LastStatus: "PENDING", Account: "123456789012", Region: "us-east-1",
		}, ""},
		{"an old-format task ARN without the cluster is accepted", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef"
			d["group"] = ""
		}), contract.Task{
			TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef", ClusterArn: clusterArn, Cluster: "prod",
			TaskDefinitionArn: tdArn, Family: "api", Revision: 7, LaunchType: "FARGATE",
			LastStatus: "PENDING", Account: "123456789012", Region: "us-east-1",
		}, ""},
		{"account and region come from the task ARN", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:eu-west-1:210987654321:task/prod/x1"
			d["clusterArn"] = "arn:aws:ecs:eu-west-1:210987654321:cluster/prod"
			d["taskDefinitionArn"] = "arn:aws:ecs:eu-west-1:210987654321:task-definition/my-app_v2:12"
		}), contract.Task{
			TaskArn: "arn:aws:ecs:eu-west-1:210987654321:task/prod/x1", ClusterArn: "arn:aws:ecs:eu-west-1:210987654321:cluster/prod",
			Cluster: "prod", TaskDefinitionArn: "arn:aws:ecs:eu-west-1:210987654321:task-definition/my-app_v2:12",
			Family: "my-app_v2", Revision: 12, Group: "service:api", Service: "api", LaunchType: "FARGATE",
			LastStatus: "PENDING", Account: "210987654321", Region: "eu-west-1",
		}, ""},
		{"another source is rejected", func() contract.State { s := event(nil); s.Source = "aws.ec2"; return s }(), contract.Task{}, "not an ECS task state change"},
		{"another detail type is rejected", func() contract.State {
			s := event(nil)
			s.DetailType = "ECS Container Instance State Change"
			return s
		}(), contract.Task{}, "not an ECS task state change"},
		{"an event without detail is rejected", func() contract.State { s := event(nil); s.Detail = nil; return s }(), contract.Task{}, "no detail"},
		{"a detail that is not an object is rejected", func() contract.State { s := event(nil); s.Detail = json.RawMessage(`[1]`); return s }(), contract.Task{}, "not a task"},
		{"a missing taskArn is rejected", event(func(d map[string]any) { delete(d, "taskArn") }), contract.Task{}, "no taskArn"},
		{"a missing clusterArn is rejected", event(func(d map[string]any) { delete(d, "clusterArn") }), contract.Task{}, "no clusterArn"},
		{"a missing taskDefinitionArn is rejected", event(func(d map[string]any) { delete(d, "taskDefinitionArn") }), contract.Task{}, "no taskDefinitionArn"},
		{"a taskArn that is not an ARN is rejected", event(func(d map[string]any) { d["taskArn"] = "1b2c3d4e" }), contract.Task{}, "is not an ARN"},
		{"a taskArn of another resource is rejected", event(func(d map[string]any) { d["taskArn"] = clusterArn }), contract.Task{}, "not an ECS task ARN"},
		{"a task in another cluster than clusterArn is rejected", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/staging/1b2c"
		}), contract.Task{}, `in cluster "staging"`},
		{"a cluster in another account is rejected", event(func(d map[string]any) {
			d["clusterArn"] = "arn:aws:ecs:us-east-1:999999999999:cluster/prod"
		}), contract.Task{}, "not in the task's account"},
		{"a task definition ARN without revision is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/api"
		}), contract.Task{}, "FAMILY:REVISION"},
		{"a task definition revision 0 is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:0"
		}), contract.Task{}, "FAMILY:REVISION"},
		{"a service group without a name is rejected", event(func(d map[string]any) { d["group"] = "service:" }), contract.Task{}, "names no service"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := recordtask.ParseEvent(tc.state.Event)
			if tc.wantErr != "" {
				if err == nil || step.Name(err) != contract.ErrInvalidInput || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v (%s), want InvalidInput containing %q", err, step.Name(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("task =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// fakeClaimer records the claims it is asked for.
type fakeClaimer struct {
	mu     sync.Mutex
	claims []string
	ttls   []time.Duration
	nows   []time.Time
	answer idempotency.Claim
	err    error
}

func (f *fakeClaimer) Claim(_ context.Context, arn string, now time.Time, ttl time.Duration) (idempotency.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims, f.ttls, f.nows = append(f.claims, arn), append(f.ttls, ttl), append(f.nows, now)
	return f.answer, f.err
}

func TestHandle(t *testing.T) {
	first := now.Add(-time.Hour)
	cases := []struct {
		name          string
		ttl           time.Duration
		answer        idempotency.Claim
		err           error
		wantTTL       time.Duration
		wantDuplicate bool
		wantFirstSeen string
		wantExpires   int64
		wantErr       string
	}{
		{"the first event claims the task with the default TTL", 0,
			idempotency.Claim{Claimed: true, FirstSeen: now, ExpiresAt: now.Add(recordtask.DefaultTTL)}, nil,
			recordtask.DefaultTTL, false, "2026-11-27T09:05:03Z", now.Add(recordtask.DefaultTTL).Unix(), ""},
		{"a later event is a duplicate carrying the first claim's times", 2 * time.Hour,
			idempotency.Claim{Claimed: false, FirstSeen: first, ExpiresAt: first.Add(2 * time.Hour)}, nil,
			2 * time.Hour, true, "2026-11-27T08:05:03Z", first.Add(2 * time.Hour).Unix(), ""},
		{"a named store error passes through", 0, idempotency.Claim{},
			step.Errorf(contract.ErrTransient, "throttled"), recordtask.DefaultTTL, false, "", 0, contract.ErrTransient},
		{"an unnamed store error is named", 0, idempotency.Claim{},
			errors.New("boom"), recordtask.DefaultTTL, false, "", 0, contract.ErrFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeClaimer{answer: tc.answer, err: tc.err}
			h := &recordtask.Handler{Store: store, TTL: tc.ttl, Now: func() time.Time { return now }}
			got, err := h.Handle(context.Background(), event(nil))
			if len(store.claims) != 1 || store.claims[0] != taskArn || store.ttls[0] != tc.wantTTL || !store.nows[0].Equal(now) {
				t.Fatalf("claims %v ttl %v now %v", store.claims, store.ttls, store.nows)
			}
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr {
					t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Duplicate != tc.wantDuplicate || got.FirstSeen != tc.wantFirstSeen || got.ExpiresAt != tc.wantExpires ||
				got.TaskArn != taskArn || got.Service != "api" {
				t.Fatalf("task = %+v", got)
			}
		})
	}
}

func TestHandleDoesNotClaimAnInvalidEvent(t *testing.T) {
	store := &fakeClaimer{}
	h := &recordtask.Handler{Store: store}
	_, err := h.Handle(context.Background(), event(func(d map[string]any) { delete(d, "taskArn") }))
	if step.Name(err) != contract.ErrInvalidInput || len(store.claims) != 0 {
		t.Fatalf("err %v, claims %v", err, store.claims)
	}
	if _, err := (&recordtask.Handler{}).Handle(context.Background(), event(nil)); step.Name(err) != contract.ErrFailed {
		t.Fatalf("no store: err = %v", err)
	}
}

func TestTTLFromEnv(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  time.Duration
		err   bool
	}{
		{"unset is a week", "", 168 * time.Hour, false},
		{"a number of hours", "24", 24 * time.Hour, false},
		{"zero is refused", "0", 0, true},
		{"a negative number is refused", "-3", 0, true},
		{"a unit suffix is refused", "24h", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := recordtask.TTLFromEnv(tc.value)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("TTLFromEnv(%q) = %v, %v", tc.value, got, err)
			}
		})
	}
}

// TestThroughDynamoDBClient runs the handler with idempotency.Table on the
// real DynamoDB client against a server that keeps items and applies the
// conditional write: the second event of the task is a duplicate, a
// throttled write is retryable, a denied one is not.
func TestThroughDynamoDBClient(t *testing.T) {
	var mu sync.Mutex
	items := map[string]string{} // taskArn -> item JSON
	fail := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the whole request first, as AWS does
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.PutItem" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#UnknownOperationException"}`)
			return
		}
		if fail != "" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#`+fail+`","message":"injected"}`)
			return
		}
		var req struct {
			TableName string
			Item      map[string]map[string]string
		}
		_ = json.Unmarshal(body, &req)
		key := req.Item["taskArn"]["S"]
		if old, ok := items[key]; ok {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":`+old+`}`)
			return
		}
		b, _ := json.Marshal(req.Item)
		items[key] = string(b)
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1,
	})
	clock := now
	h := &recordtask.Handler{Store: &idempotency.Table{API: client, Name: "claims"}, Now: func() time.Time { return clock }}

	steps := []struct {
		name          string
		fail          string
		wantDuplicate bool
		wantErr       string
	}{
		{"a throttled write is retryable", "ThrottlingException", false, contract.ErrTransient},
		{"the first event claims the task", "", false, ""},
		{"the second event is a duplicate", "", true, ""},
		{"a denied write is not retried", "AccessDeniedException", false, contract.ErrAccessDenied},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			mu.Lock()
			fail = s.fail
			mu.Unlock()
			got, err := h.Handle(context.Background(), event(nil))
			if s.wantErr != "" {
				if step.Name(err) != s.wantErr {
					t.Fatalf("err = %v (%s), want %s", err, step.Name(err), s.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Duplicate != s.wantDuplicate || got.FirstSeen != "2026-11-27T09:05:03Z" ||
				got.ExpiresAt != now.Add(recordtask.DefaultTTL).Unix() {
				t.Fatalf("task = %+v", got)
			}
			clock = clock.Add(time.Minute)
		})
	}
}
