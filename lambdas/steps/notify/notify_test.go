package notify

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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report/reporttest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const topic = "arn:aws:sns:us-east-1:111122223333:ecs-compliance-reports"

func state(t *testing.T, name string) contract.State { return reporttest.State(t, name) }

// fakeSNS records what is published and answers with err, or a message id.
type fakeSNS struct {
	inputs []*sns.PublishInput
	err    error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprintf("msg-%d", len(f.inputs)))}, nil
}

func TestHandlePublishesTheReport(t *testing.T) {
	tests := []struct {
		scenario string
		outcome  string
	}{
		{"remediated-service", report.OutcomeRemediated},
		{"audit-only", report.OutcomeReported},
		{"approval-rejected", report.OutcomeReported},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			st := state(t, tc.scenario)
			want, err := report.Message(st)
			if err != nil {
				t.Fatal(err)
			}
			fake := &fakeSNS{}
			got, err := (&Handler{SNS: fake, TopicArn: topic}).Handle(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			if got != (contract.Notification{MessageID: "msg-1", Subject: want.Subject}) {
				t.Errorf("notification = %+v", got)
			}
			if len(fake.inputs) != 1 {
				t.Fatalf("%d publishes, want 1", len(fake.inputs))
			}
			in := fake.inputs[0]
			if aws.ToString(in.TopicArn) != topic || aws.ToString(in.Subject) != want.Subject || aws.ToString(in.Message) != want.Body {
				t.Errorf("published %s / %q", aws.ToString(in.TopicArn), aws.ToString(in.Subject))
			}
			if got := aws.ToString(in.MessageAttributes[report.AttrOutcome].StringValue); got != tc.outcome {
				t.Errorf("outcome attribute = %q, want %q", got, tc.outcome)
			}
			if len(in.MessageAttributes) != len(want.Attributes) {
				t.Errorf("%d attributes, want %d", len(in.MessageAttributes), len(want.Attributes))
			}
			for name, a := range want.Attributes {
				if got := in.MessageAttributes[name]; aws.ToString(got.DataType) != a.DataType || aws.ToString(got.StringValue) != a.Value {
					t.Errorf("attribute %s = %s %s, want %s %s", name, aws.ToString(got.DataType), aws.ToString(got.StringValue), a.DataType, a.Value)
				}
			}
		})
	}
}

func TestHandleRefusesWhatItCannotPublish(t *testing.T) {
	compliant := state(t, "warnings-only")
	compliant.Evaluation.Decision = &contract.Decision{Compliant: true}
	tests := []struct {
		name  string
		st    contract.State
		topic string
		want  string
	}{
		{"a compliant task has no report", compliant, topic, contract.ErrInvalidInput},
		{"a state without a decision has no report", contract.State{}, topic, contract.ErrInvalidInput},
		{"a topic ARN that is not an SNS ARN", state(t, "remediated-service"), "arn:aws:sqs:us-east-1:111122223333:q", contract.ErrFailed},
		{"an empty topic ARN", state(t, "remediated-service"), "", contract.ErrFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSNS{}
			_, err := (&Handler{SNS: fake, TopicArn: tc.topic}).Handle(context.Background(), tc.st)
			if step.Name(err) != tc.want {
				t.Fatalf("error %v named %s, want %s", err, step.Name(err), tc.want)
			}
			if len(fake.inputs) != 0 {
				t.Errorf("published %d messages", len(fake.inputs))
			}
		})
	}
}

func TestErrorNames(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"SNS Throttled is retried", &types.ThrottledException{Message: aws.String("Rate exceeded")}, contract.ErrTransient},
		{"generic Throttling is retried", &smithy.GenericAPIError{Code: "Throttling", Fault: smithy.FaultClient}, contract.ErrTransient},
		{"KMS throttling is retried", &types.KMSThrottlingException{}, contract.ErrTransient},
		{"internal error is retried", &types.InternalErrorException{}, contract.ErrTransient},
		{"a timeout is retried", context.DeadlineExceeded, contract.ErrTransient},
		{"authorization error is access denied", &types.AuthorizationErrorException{}, contract.ErrAccessDenied},
		{"KMS access denied is access denied", &types.KMSAccessDeniedException{}, contract.ErrAccessDenied},
		{"a missing topic is not found", &types.NotFoundException{}, contract.ErrNotFound},
		{"an invalid parameter is invalid input", &types.InvalidParameterException{}, contract.ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&Handler{SNS: &fakeSNS{err: tc.err}, TopicArn: topic}).Handle(context.Background(), state(t, "exempted"))
			if got := step.Name(err); got != tc.want {
				t.Errorf("%v named %s, want %s", err, got, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap the SDK error", err)
			}
			if !strings.Contains(err.Error(), "Publish "+topic) {
				t.Errorf("%v does not name the call", err)
			}
		})
	}
}

// snsServer is an SNS endpoint speaking the AWS query protocol: it records
// each request's form and answers with status and body.
func snsServer(t *testing.T, status int, body string) (*sns.Client, *[]url.Values) {
	t.Helper()
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("%s with Content-Type %q, want a form POST", r.Method, r.Header.Get("Content-Type"))
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			t.Errorf("request is not signed: %q", r.Header.Get("Authorization"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		forms = append(forms, r.PostForm)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	client := sns.New(sns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
	return client, &forms
}

const publishOK = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>`

func snsError(typ, code, msg string) string {
	return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>` + typ + `</Type><Code>` + code + `</Code><Message>` + msg + `</Message></Error>
  <RequestId>9b2d1c4e-0000-5555-aaaa-123456789012</RequestId>
</ErrorResponse>`
}

func TestPublishOnTheWire(t *testing.T) {
	client, forms := snsServer(t, http.StatusOK, publishOK)
	st := state(t, "remediated-service")
	want, err := report.Message(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&Handler{SNS: client, TopicArn: topic}).Handle(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != "567910cd-659e-55d4-8ccb-5aaf14679dc0" || got.Subject != want.Subject {
		t.Errorf("notification = %+v", got)
	}
	if len(*forms) != 1 {
		t.Fatalf("%d requests, want 1", len(*forms))
	}
	f := (*forms)[0]
	for k, v := range map[string]string{
		"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic, "Subject": want.Subject, "Message": want.Body,
	} {
		if f.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, f.Get(k), v)
		}
	}
	// Message attributes go as MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue}.
	wire := map[string]report.Attribute{}
	for i := 1; f.Has(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)); i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		wire[f.Get(p+"Name")] = report.Attribute{DataType: f.Get(p + "Value.DataType"), Value: f.Get(p + "Value.StringValue")}
	}
	if len(wire) != len(want.Attributes) {
		t.Errorf("wire attributes %v, want %v", wire, want.Attributes)
	}
	for name, a := range want.Attributes {
		if wire[name] != a {
			t.Errorf("wire attribute %s = %+v, want %+v", name, wire[name], a)
		}
	}
	if rules := wire[report.AttrRules]; rules.DataType != "String.Array" {
		t.Errorf("rules attribute %+v is not a String.Array", rules)
	} else {
		var ids []string
		if err := json.Unmarshal([]byte(rules.Value), &ids); err != nil || !slices.Contains(ids, "privileged-container") {
			t.Errorf("rules attribute %q is not a JSON array of rule ids (%v)", rules.Value, err)
		}
	}
}

func TestPublishErrorsOnTheWire(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
		code   string
	}{
		{"throttled is retried", http.StatusBadRequest, snsError("Sender", "Throttled", "Rate exceeded"), contract.ErrTransient, "Throttled"},
		{"generic throttling is retried", http.StatusBadRequest, snsError("Sender", "Throttling", "Rate exceeded"), contract.ErrTransient, "Throttling"},
		{"internal error is retried", http.StatusInternalServerError, snsError("Receiver", "InternalError", "Internal service error"), contract.ErrTransient, "InternalError"},
		{"authorization error is access denied", http.StatusForbidden, snsError("Sender", "AuthorizationError", "User is not authorized to perform: SNS:Publish"), contract.ErrAccessDenied, "AuthorizationError"},
		{"a deleted topic is not found", http.StatusNotFound, snsError("Sender", "NotFound", "Topic does not exist"), contract.ErrNotFound, "NotFound"},
		{"an invalid subject is invalid input", http.StatusBadRequest, snsError("Sender", "InvalidParameter", "Invalid parameter: Subject"), contract.ErrInvalidInput, "InvalidParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, forms := snsServer(t, tc.status, tc.body)
			_, err := (&Handler{SNS: client, TopicArn: topic}).Handle(context.Background(), state(t, "warnings-only"))
			if got := step.Name(err); got != tc.want {
				t.Errorf("%v named %s, want %s", err, got, tc.want)
			}
			if got := step.ErrorCode(err); got != tc.code {
				t.Errorf("error code %q, want %q", got, tc.code)
			}
			if len(*forms) != 1 {
				t.Errorf("%d requests, want 1 (the step does not retry; the state machine does)", len(*forms))
			}
		})
	}
}
