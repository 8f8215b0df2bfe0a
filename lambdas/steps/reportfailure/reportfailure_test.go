package reportfailure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
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

type fakeClaims struct {
	released []string
	err      error
}

func (f *fakeClaims) Release(_ context.Context, taskArn string) error {
	f.released = append(f.released, taskArn)
	return f.err
}

func TestHandle(t *testing.T) {
	const taskArn = "arn:aws:ecs:us-east-1:111122223333:task/prod/8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b"
	tests := []struct {
		name         string
		scenario     string
		mutate       func(*contract.State)
		publishErr   error
		releaseErr   error
		wantErr      string // error name, "" for success
		wantText     []string
		wantReleased []string
		wantNotified bool
	}{
		{
			name: "publishes the report and releases the claim", scenario: "failure-stop-task",
			wantReleased: []string{taskArn}, wantNotified: true,
		},
		{
			name: "a failure in Record task has no claim to release", scenario: "failure-record-task",
			wantNotified: true,
		},
		{
			name: "a duplicate's claim belongs to another execution and is kept", scenario: "failure-stop-task",
			mutate:       func(st *contract.State) { st.Task.Duplicate = true },
			wantNotified: true,
		},
		{
			name: "a failed publish still releases the claim", scenario: "failure-stop-task",
			publishErr: &types.AuthorizationErrorException{Message: aws.String("not authorized")},
			wantErr:    contract.ErrAccessDenied, wantText: []string{"publish the failure report", "not authorized"},
			wantReleased: []string{taskArn},
		},
		{
			name: "a failed release still publishes", scenario: "failure-stop-task",
			releaseErr: step.Errorf(contract.ErrTransient, "DeleteItem: throttled"),
			wantErr:    contract.ErrTransient, wantText: []string{"release the claim of " + taskArn, "throttled"},
			wantReleased: []string{taskArn}, wantNotified: true,
		},
		{
			name: "when both fail a transient failure makes the step retried", scenario: "failure-stop-task",
			publishErr: &types.AuthorizationErrorException{Message: aws.String("not authorized")},
			releaseErr: step.Errorf(contract.ErrTransient, "DeleteItem: throttled"),
			wantErr:    contract.ErrTransient, wantText: []string{"not authorized", "throttled"},
			wantReleased: []string{taskArn},
		},
		{
			name: "when both fail permanently the first failure names the error", scenario: "failure-stop-task",
			publishErr: &types.NotFoundException{Message: aws.String("Topic does not exist")},
			releaseErr: step.Errorf(contract.ErrAccessDenied, "DeleteItem: denied"),
			wantErr:    contract.ErrNotFound, wantText: []string{"Topic does not exist", "denied"},
			wantReleased: []string{taskArn},
		},
		{
			name: "an unnamed throttling error from the store is transient", scenario: "failure-stop-task",
			releaseErr: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down", Fault: smithy.FaultClient},
			wantErr:    contract.ErrTransient, wantReleased: []string{taskArn}, wantNotified: true,
		},
		{
			name: "a state without a failure is invalid input but the claim is still released", scenario: "remediated-service",
			wantErr: contract.ErrInvalidInput, wantText: []string{"no failure"},
			wantReleased: []string{"arn:aws:ecs:us-east-1:111122223333:task/prod/8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b"},
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

type dynamoRequest struct {
	target string
	body   map[string]any
}

func dynamoServer(t *testing.T, status int, body string) (*dynamodb.Client, *[]dynamoRequest) {
	t.Helper()
	var reqs []dynamoRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("request body: %v", err)
		}
		reqs = append(reqs, dynamoRequest{r.Header.Get("X-Amz-Target"), m})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1}), &reqs
}

func TestHandleOnTheWire(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"the claim is deleted", http.StatusOK, `{}`, ""},
		{"a throttled delete is retried after the report went out", http.StatusBadRequest,
			`{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`, contract.ErrTransient},
		{"a denied delete is not retried", http.StatusBadRequest,
			`{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User is not authorized to perform: dynamodb:DeleteItem"}`, contract.ErrAccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snsClient, forms := snsServer(t)
			ddb, reqs := dynamoServer(t, tc.status, tc.body)
			st := state(t, "failure-stop-task")
			h := &Handler{SNS: snsClient, TopicArn: topic, Claims: &idempotency.Table{API: ddb, Name: "ecs-compliance-tasks"}}
			got, err := h.Handle(context.Background(), st)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && step.Name(err) != tc.wantErr {
				t.Fatalf("error %v (%s), want %q", err, step.Name(err), tc.wantErr)
			}
			if got.Notification == nil || got.Notification.MessageID != "0f1e2d3c-0000-4000-8000-aaaabbbbcccc" {
				t.Errorf("notification = %+v", got.Notification)
			}
			if len(*forms) != 1 || (*forms)[0].Get("Action") != "Publish" || !strings.HasPrefix((*forms)[0].Get("Subject"), "[ecs-compliance] FAILED at Stop task") {
				t.Errorf("SNS requests: %v", *forms)
			}
			if len(*reqs) != 1 {
				t.Fatalf("%d DynamoDB requests, want 1", len(*reqs))
			}
			r := (*reqs)[0]
			key, _ := json.Marshal(r.body["Key"])
			if r.target != "DynamoDB_20120810.DeleteItem" || r.body["TableName"] != "ecs-compliance-tasks" ||
				string(key) != `{"taskArn":{"S":"`+st.Task.TaskArn+`"}}` {
				t.Errorf("DynamoDB request %s %v", r.target, r.body)
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), "release the claim of "+st.Task.TaskArn+": DeleteItem ecs-compliance-tasks") {
				t.Errorf("error %q does not name the release and its call", err)
			}
		})
	}
}
