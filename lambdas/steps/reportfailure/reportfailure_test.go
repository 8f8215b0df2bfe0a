package reportfailure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency/idempotencytest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report/reporttest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const topic = "arn:aws:sns:us-east-1:111122223333:ecs-compliance-reports"

func state(t *testing.T, name string) contract.State { return reporttest.State(t, name) }

type fakeSNS struct {
	subjects []string
	err      error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.subjects = append(f.subjects, aws.ToString(in.Subject))
	if f.err != nil {
		return nil, f.err
	}
	return &sns.PublishOutput{MessageId: aws.String("msg-1")}, nil
}

// fakeClaims records the releases, as "KEY#ATTEMPT".
type fakeClaims struct {
	released []string
	err      error
}

func (f *fakeClaims) Release(_ context.Context, key string, attempt int) error {
	f.released = append(f.released, fmt.Sprintf("%s#%d", key, attempt))
	return f.err
}

func TestHandle(t *testing.T) {
	const (
		taskArn = "arn:aws:ecs:us-east-1:111122223333:task/prod/8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b"
		tdArn   = "arn:aws:ecs:us-east-1:111122223333:task-definition/web:7"
	)
	tests := []struct {
		name         string
		scenario     string
		mutate       func(*contract.State)
		publishErr   error
		releaseErr   error
		wantErr      string // error name, "" for success
		wantText     []string
		wantReleased []string // "KEY#ATTEMPT"
		wantNotified bool
	}{
		{
			name: "publishes the report and releases the claim's attempt", scenario: "failure-stop-task",
			mutate:       func(st *contract.State) { st.Task.Attempt = 3 },
			wantReleased: []string{taskArn + "#3"}, wantNotified: true,
		},
		{
			name: "a claim recorded before attempts existed is released as attempt 0", scenario: "failure-stop-task",
			wantReleased: []string{taskArn + "#0"}, wantNotified: true,
		},
		{
			name: "a registration's claim is its task definition's", scenario: "failure-stop-task",
			mutate: func(st *contract.State) {
				st.Task.Kind, st.Task.TaskArn, st.Task.ClusterArn, st.Task.Cluster, st.Task.Group, st.Task.Service = contract.KindRegistration, "", "", "", "", ""
				st.Task.Attempt = 1
			},
			wantReleased: []string{tdArn + "#1"}, wantNotified: true,
		},
		{
			name: "a failure in Record task has no claim to release", scenario: "failure-record-task",
			wantNotified: true,
		},
		{
			name: "a duplicate's claim belongs to another execution and is kept", scenario: "failure-stop-task",
			mutate:       func(st *contract.State) { st.Task.Duplicate, st.Task.Attempt = true, 2 },
			wantNotified: true,
		},
		{
			name: "a failed publish still releases the claim", scenario: "failure-stop-task",
			mutate:     func(st *contract.State) { st.Task.Attempt = 1 },
			publishErr: &types.AuthorizationErrorException{Message: aws.String("not authorized")},
			wantErr:    contract.ErrAccessDenied, wantText: []string{"publish the failure report", "not authorized"},
			wantReleased: []string{taskArn + "#1"},
		},
		{
			name: "a failed release still publishes", scenario: "failure-stop-task",
			mutate:     func(st *contract.State) { st.Task.Attempt = 1 },
			releaseErr: step.Errorf(contract.ErrTransient, "UpdateItem: throttled"),
			wantErr:    contract.ErrTransient, wantText: []string{"release the claim of " + taskArn + " (attempt 1)", "throttled"},
			wantReleased: []string{taskArn + "#1"}, wantNotified: true,
		},
		{
			name: "when both fail a transient failure makes the step retried", scenario: "failure-stop-task",
			publishErr: &types.AuthorizationErrorException{Message: aws.String("not authorized")},
			releaseErr: step.Errorf(contract.ErrTransient, "UpdateItem: throttled"),
			wantErr:    contract.ErrTransient, wantText: []string{"not authorized", "throttled"},
			wantReleased: []string{taskArn + "#0"},
		},
		{
			name: "when both fail permanently the first failure names the error", scenario: "failure-stop-task",
			publishErr: &types.NotFoundException{Message: aws.String("Topic does not exist")},
			releaseErr: step.Errorf(contract.ErrAccessDenied, "UpdateItem: denied"),
			wantErr:    contract.ErrNotFound, wantText: []string{"Topic does not exist", "denied"},
			wantReleased: []string{taskArn + "#0"},
		},
		{
			name: "an unnamed throttling error from the store is transient", scenario: "failure-stop-task",
			releaseErr: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down", Fault: smithy.FaultClient},
			wantErr:    contract.ErrTransient, wantReleased: []string{taskArn + "#0"}, wantNotified: true,
		},
		{
			name: "a state without a failure is invalid input but the claim is still released", scenario: "remediated-service",
			wantErr: contract.ErrInvalidInput, wantText: []string{"no failure"},
			wantReleased: []string{taskArn + "#0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := state(t, tc.scenario)
			if tc.mutate != nil {
				tc.mutate(&st)
			}
			pub, claims := &fakeSNS{err: tc.publishErr}, &fakeClaims{err: tc.releaseErr}
			got, err := (&Handler{SNS: pub, TopicArn: topic, Claims: claims}).Handle(context.Background(), st)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr != "" && step.Name(err) != tc.wantErr:
				t.Fatalf("error %v named %s, want %s", err, step.Name(err), tc.wantErr)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if !slices.Equal(claims.released, tc.wantReleased) {
				t.Errorf("released %q, want %q", claims.released, tc.wantReleased)
			}
			if tc.wantNotified != (got.Notification != nil) {
				t.Errorf("notification = %+v, want one: %t", got.Notification, tc.wantNotified)
			}
			if got.Notification != nil {
				want, _ := report.FailureMessage(st)
				if *got.Notification != (contract.Notification{MessageID: "msg-1", Subject: want.Subject}) || len(pub.subjects) != 1 {
					t.Errorf("notification %+v after %d publishes", got.Notification, len(pub.subjects))
				}
			}
		})
	}
}

func TestHandleWithoutAStoreStillPublishes(t *testing.T) {
	pub := &fakeSNS{}
	got, err := (&Handler{SNS: pub, TopicArn: topic}).Handle(context.Background(), state(t, "failure-stop-task"))
	if step.Name(err) != contract.ErrFailed || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("error %v", err)
	}
	if got.Notification == nil || len(pub.subjects) != 1 {
		t.Errorf("not published: %+v", got)
	}
}

// Through the real clients: SNS (query protocol) and DynamoDB (JSON 1.0)
// behind httptest servers, with the real idempotency.Table.

func snsServer(t *testing.T) (*sns.Client, *[]url.Values) {
	t.Helper()
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		forms = append(forms, r.PostForm)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>0f1e2d3c-0000-4000-8000-aaaabbbbcccc</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	t.Cleanup(srv.Close)
	return sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1}), &forms
}

// TestHandleOnTheWire runs the step on the real SNS and DynamoDB clients,
// with the real idempotency.Table on a fake that applies the claim's
// conditional updates.
func TestHandleOnTheWire(t *testing.T) {
	const (
		execA = "arn:aws:states:us-east-1:111122223333:express:triage:a:1"
		execB = "arn:aws:states:us-east-1:111122223333:express:triage:b:2"
		execC = "arn:aws:states:us-east-1:111122223333:express:triage:c:3"
	)
	ctx := context.Background()
	t0 := time.Date(2025, 6, 3, 9, 14, 3, 0, time.UTC)
	tests := []struct {
		name string
		// before prepares the table and returns the attempt $.task names.
		before  func(t *testing.T, table *idempotency.Table, key string) int
		fail    string
		wantErr string
		// after checks the table: who may claim next, with which attempt.
		wantNext     string // the execution holding the claim after execC tries
		wantAttempt  int
		wantReleased bool
	}{
		{"the claim is released and a later event gets the next attempt", func(t *testing.T, table *idempotency.Table, key string) int {
			return claim(t, table, key, execA, t0).Attempt
		}, "", "", execC, 2, true},
		{"a stale failure report leaves the newer claim held", func(t *testing.T, table *idempotency.Table, key string) int {
			claim(t, table, key, execA, t0)
			if err := table.Release(ctx, key, 1); err != nil {
				t.Fatal(err)
			}
			claim(t, table, key, execB, t0.Add(time.Minute))
			return 1
		}, "", "", execB, 2, false},
		{"a task that was never claimed has nothing to release", func(*testing.T, *idempotency.Table, string) int { return 1 },
			"", "", execC, 1, false},
		{"a throttled release is retried after the report went out", func(t *testing.T, table *idempotency.Table, key string) int {
			return claim(t, table, key, execA, t0).Attempt
		}, "ThrottlingException", contract.ErrTransient, execA, 1, false},
		{"a denied release is not retried", func(t *testing.T, table *idempotency.Table, key string) int {
			return claim(t, table, key, execA, t0).Attempt
		}, "AccessDeniedException", contract.ErrAccessDenied, execA, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snsClient, forms := snsServer(t)
			fake := idempotencytest.New(t)
			table := &idempotency.Table{API: fake.Client(), Name: "ecs-compliance-tasks"}
			st := state(t, "failure-stop-task")
			key := st.Task.TaskArn
			st.Task.Attempt = tc.before(t, table, key)
			fake.FailWith(400, tc.fail)
			got, err := (&Handler{SNS: snsClient, TopicArn: topic, Claims: table}).Handle(ctx, st)
			fake.FailWith(0, "")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && step.Name(err) != tc.wantErr {
				t.Fatalf("error %v (%s), want %q", err, step.Name(err), tc.wantErr)
			}
			if got.Notification == nil || got.Notification.MessageID != "0f1e2d3c-0000-4000-8000-aaaabbbbcccc" {
				t.Errorf("notification = %+v", got.Notification)
			}
			if len(*forms) != 1 || (*forms)[0].Get("Action") != "Publish" || !strings.HasPrefix((*forms)[0].Get("Subject"), "[ecs-compliance] FAILED at Stop task") {
				t.Errorf("SNS requests: %v", *forms)
			}
			r := fake.Last()
			key0, _ := json.Marshal(r.Key)
			if r.Target != "DynamoDB_20120810.UpdateItem" || r.TableName != "ecs-compliance-tasks" || string(key0) != `{"taskArn":{"S":"`+key+`"}}` ||
				r.ConditionExpression != idempotency.ReleaseCondition || r.ExpressionAttributeValues[":attempt"]["N"] != fmt.Sprint(st.Task.Attempt) {
				t.Errorf("DynamoDB request %+v", r)
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), fmt.Sprintf("release the claim of %s (attempt %d): UpdateItem ecs-compliance-tasks", key, st.Task.Attempt)) {
				t.Errorf("error %q does not name the release and its call", err)
			}
			if released := fake.Item(key)["released"]["BOOL"] == true; released != tc.wantReleased {
				t.Errorf("item %v: released %t, want %t", fake.Item(key), released, tc.wantReleased)
			}
			next := claim(t, table, key, execC, t0.Add(2*time.Minute))
			if next.ClaimedBy != tc.wantNext || next.Attempt != tc.wantAttempt {
				t.Errorf("the next event's claim %+v, want held by %s with attempt %d", next, tc.wantNext, tc.wantAttempt)
			}
		})
	}
}

func claim(t *testing.T, table *idempotency.Table, key, exec string, at time.Time) idempotency.Claim {
	t.Helper()
	c, err := table.Claim(context.Background(), key, exec, at, 168*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type abandoned struct{ key, owner string }

type fakeAbandoner struct {
	calls []abandoned
	err   error
}

func (f *fakeAbandoner) Abandon(_ context.Context, key, owner string) error {
	f.calls = append(f.calls, abandoned{key, owner})
	return f.err
}

// judging is a task whose workflow was judging its key when it failed.
var judging = &contract.Task{TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f40718293a4b5c6d7e8f9",
	ClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/prod", Cluster: "prod",
	TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7", Family: "api", Revision: 7,
	Account: "123456789012", Region: "us-east-1", Attempt: 1, ExecutionName: "0a1b2c3d4e5f40718293a4b5c6d7e8f9-1"}

// TestFailureFreesTheJudgementKeyItWasJudging: a workflow that fails while
// judging a key must free it, or the tasks that find the key being judged
// would wait for a judgement that never comes.
func TestFailureFreesTheJudgementKeyItWasJudging(t *testing.T) {
	failure := map[string]contract.ErrorInfo{contract.StepEvaluate: {Error: contract.ErrPolicy, Cause: "bad"}}
	unnamed := *judging
	unnamed.ExecutionName = ""
	for _, c := range []struct {
		name string
		task *contract.Task
		next string
		want []abandoned
	}{
		{"the key it was judging is freed", judging, contract.NextJudge, []abandoned{{"k1", judging.ExecutionName}}},
		{"a task without an execution name frees it as the lookup marked it", &unnamed, contract.NextJudge,
			[]abandoned{{"k1", judging.TaskArn + judging.TaskDefinitionArn}}},
		{"a remediation of a stored judgement frees nothing", judging, contract.NextRemediate, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := &fakeAbandoner{}
			h := &Handler{SNS: &fakeSNS{}, TopicArn: topic, Claims: &fakeClaims{}, Judgements: j}
			st := contract.State{Task: c.task, Lookup: &contract.Lookup{Key: "k1", Next: c.next}, Failure: failure}
			if _, err := h.Handle(context.Background(), st); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(j.calls) != fmt.Sprint(c.want) {
				t.Errorf("abandoned %v, want %v", j.calls, c.want)
			}
		})
	}
	t.Run("a failure to free it is reported and retried", func(t *testing.T) {
		j := &fakeAbandoner{err: step.Errorf(contract.ErrTransient, "throttled")}
		h := &Handler{SNS: &fakeSNS{}, TopicArn: topic, Claims: &fakeClaims{}, Judgements: j}
		_, err := h.Handle(context.Background(), contract.State{Task: judging, Lookup: &contract.Lookup{Key: "k1", Next: contract.NextJudge}, Failure: failure})
		if step.Name(err) != contract.ErrTransient {
			t.Fatalf("error %v, want %s", err, contract.ErrTransient)
		}
	})
}

// When the report, the claim's release and the key's freeing all fail, the
// error names all three (it named only the first two before).
func TestEveryFailureIsNamed(t *testing.T) {
	h := &Handler{SNS: &fakeSNS{err: errors.New("sns down")}, TopicArn: topic,
		Claims: &fakeClaims{err: errors.New("claims down")}, Judgements: &fakeAbandoner{err: errors.New("judgements down")}}
	_, err := h.Handle(context.Background(), contract.State{Task: judging, Lookup: &contract.Lookup{Key: "k1", Next: contract.NextJudge},
		Failure: map[string]contract.ErrorInfo{contract.StepEvaluate: {Error: contract.ErrPolicy, Cause: "bad"}}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"sns down", "claims down", "judgements down"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
