package requestapproval_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/approvaltest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/secret"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/requestapproval"
)

const (
	topic    = "arn:aws:sns:us-east-1:111122223333:ecs-compliance-approvals"
	callback = "https://abc123.lambda-url.us-east-1.on.aws/"
	token    = "AQCEAAAAKgAAAAMAAAAAAAAAAQ==token-1"
)

var now = time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)

// request is the payload of "Wait for approval" for the report package's
// service scenario, with approval required for 24 hours.
func request(t *testing.T) contract.ApprovalRequest {
	t.Helper()
	b, err := os.ReadFile("../../report/testdata/remediated-service.state.json")
	if err != nil {
		t.Fatal(err)
	}
	var st contract.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	st.Remediation = nil
	st.Evaluation.ApprovalRequired, st.Evaluation.ApprovalTimeoutSeconds = true, 86400
	return contract.ApprovalRequest{TaskToken: token, State: st}
}

type fakeSNS struct {
	inputs []*sns.PublishInput
	err    error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sns.PublishOutput{MessageId: aws.String("msg-1")}, nil
}

type staticKey struct {
	key approval.Key
	err error
}

func (s staticKey) Key(context.Context) (approval.Key, error) { return s.key, s.err }

func testKey(t *testing.T) approval.Key {
	k, err := approval.NewKey([]byte("request-approval-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func handler(t *testing.T) (*requestapproval.Handler, *store.Memory, *fakeSNS) {
	m, s := &store.Memory{}, &fakeSNS{}
	return &requestapproval.Handler{Store: m, Keys: staticKey{key: testKey(t)}, SNS: s, ApprovalTopicArn: topic, CallbackURL: callback,
		Now: func() time.Time { return now }}, m, s
}

var linkPattern = regexp.MustCompile(`https://\S+`)

// links are the links of a published message, by action.
func links(t *testing.T, msg string) map[string]approval.Params {
	t.Helper()
	out := map[string]approval.Params{}
	for _, l := range linkPattern.FindAllString(msg, -1) {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l, callback+"?") {
			t.Errorf("link %s is not on the callback URL", l)
		}
		p := approval.ParamsFrom(u.Query())
		out[p.Action] = p
	}
	return out
}

func TestRequestStoresTheTokenAndPublishesSignedLinks(t *testing.T) {
	h, m, s := handler(t)
	got, err := h.Handle(context.Background(), request(t))
	if err != nil {
		t.Fatal(err)
	}
	k := testKey(t)
	ref := k.Reference(token)
	wantExp := now.Add(24 * time.Hour)
	if got != (requestapproval.Result{Reference: ref, ExpiresAt: wantExp.Format(time.RFC3339), MessageID: "msg-1"}) {
		t.Errorf("result = %+v", got)
	}
	rec, ok := m.Lookup(ref)
	if !ok || rec.TaskToken != token || rec.Status != approval.StatusPending || !rec.ExpiresAt.Equal(wantExp) ||
		rec.TaskArn != request(t).State.Task.TaskArn || rec.Summary.Where != "service prod/web" {
		t.Fatalf("record = %+v", rec)
	}
	if len(s.inputs) != 1 {
		t.Fatalf("%d messages published", len(s.inputs))
	}
	in := s.inputs[0]
	if aws.ToString(in.TopicArn) != topic || in.MessageAttributes["outcome"].StringValue == nil ||
		*in.MessageAttributes["outcome"].StringValue != approval.OutcomeApprovalRequested {
		t.Errorf("publish = %+v", in)
	}
	msg := aws.ToString(in.Message)
	if strings.Contains(msg, token) {
		t.Error("the message carries the task token")
	}
	ls := links(t, msg)
	for _, action := range []string{approval.ActionApprove, approval.ActionReject} {
		l, err := k.Verify(ls[action], now)
		if err != nil || l.Ref != ref || !l.Expires.Equal(wantExp) {
			t.Errorf("%s link: %+v, %v", action, l, err)
		}
		if _, err := k.Verify(ls[action], wantExp); !errors.Is(err, approval.ErrExpired) {
			t.Errorf("%s link does not expire with the wait: %v", action, err)
		}
	}
}

func TestARetrySendsTheSameLinks(t *testing.T) {
	h, m, s := handler(t)
	if _, err := h.Handle(context.Background(), request(t)); err != nil {
		t.Fatal(err)
	}
	h.Now = func() time.Time { return now.Add(30 * time.Second) } // the retry runs later
	if _, err := h.Handle(context.Background(), request(t)); err != nil {
		t.Fatal(err)
	}
	if len(m.Records()) != 1 || len(s.inputs) != 2 {
		t.Fatalf("%d records, %d messages; want 1 record and the request sent again", len(m.Records()), len(s.inputs))
	}
	if a, b := links(t, *s.inputs[0].Message), links(t, *s.inputs[1].Message); a[approval.ActionApprove] != b[approval.ActionApprove] {
		t.Errorf("the retry sent other links:\n%+v\n%+v", a, b)
	}
}

func TestRefusesWhatIsNotAnApprovalRequest(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *contract.ApprovalRequest)
	}{
		{"no task token", func(r *contract.ApprovalRequest) { r.TaskToken = "" }},
		{"approval not required", func(r *contract.ApprovalRequest) { r.State.Evaluation.ApprovalRequired = false }},
		{"not a remediation", func(r *contract.ApprovalRequest) { r.State.Evaluation.Outcome = contract.OutcomeReport }},
		{"no evaluation", func(r *contract.ApprovalRequest) { r.State.Evaluation = nil }},
		{"no timeout", func(r *contract.ApprovalRequest) { r.State.Evaluation.ApprovalTimeoutSeconds = 0 }},
		{"no task", func(r *contract.ApprovalRequest) { r.State.Task = nil }},
		{"no violations", func(r *contract.ApprovalRequest) { r.State.Evaluation.Decision.Violations = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, m, s := handler(t)
			req := request(t)
			tt.change(&req)
			_, err := h.Handle(context.Background(), req)
			if step.Name(err) != contract.ErrInvalidInput {
				t.Fatalf("err = %v (%s), want %s", err, step.Name(err), contract.ErrInvalidInput)
			}
			if len(m.Records())+len(s.inputs) != 0 {
				t.Error("something was stored or published")
			}
		})
	}
}

func TestFailures(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttled", Message: "Rate exceeded", Fault: smithy.FaultClient}
	tests := []struct {
		name        string
		change      func(h *requestapproval.Handler, s *fakeSNS)
		want        string
		wantRecords int
	}{
		{"the key cannot be read", func(h *requestapproval.Handler, _ *fakeSNS) {
			h.Keys = staticKey{err: step.Errorf(contract.ErrAccessDenied, "GetSecretValue: AccessDenied")}
		}, contract.ErrAccessDenied, 0},
		{"a throttled publish is retried, and the record waits for the retry", func(_ *requestapproval.Handler, s *fakeSNS) { s.err = throttled },
			contract.ErrTransient, 1},
		{"a callback URL that is not one", func(h *requestapproval.Handler, _ *fakeSNS) { h.CallbackURL = "abc.lambda-url" }, contract.ErrFailed, 1},
		{"a topic ARN that is not one", func(h *requestapproval.Handler, _ *fakeSNS) { h.ApprovalTopicArn = "reports" }, contract.ErrFailed, 1},
		{"no approvers' topic: nothing is stored, nothing published", func(h *requestapproval.Handler, _ *fakeSNS) { h.ApprovalTopicArn = "" },
			contract.ErrFailed, 0},
		{"no store", func(h *requestapproval.Handler, _ *fakeSNS) { h.Store = nil }, contract.ErrFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, m, s := handler(t)
			tt.change(h, s)
			_, err := h.Handle(context.Background(), request(t))
			if step.Name(err) != tt.want {
				t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tt.want)
			}
			if len(m.Records()) != tt.wantRecords {
				t.Errorf("%d records, want %d", len(m.Records()), tt.wantRecords)
			}
		})
	}
}

// The request through the real SDK clients: Secrets Manager, DynamoDB, SNS.
func TestThroughTheSDKClients(t *testing.T) {
	fake := approvaltest.New(t)
	h := &requestapproval.Handler{
		Store:            &store.Table{API: fake.DynamoDB(), Name: approvaltest.Table},
		Keys:             &secret.Source{API: fake.SecretsManager(), SecretID: approvaltest.SecretID},
		SNS:              fake.SNS(),
		ApprovalTopicArn: topic,
		CallbackURL:      callback,
		Now:              func() time.Time { return now },
	}
	got, err := h.Handle(context.Background(), request(t))
	if err != nil {
		t.Fatal(err)
	}
	if ops := strings.Join(fake.Ops(), ","); ops != "GetSecretValue,PutItem,Publish" {
		t.Fatalf("calls = %s", ops)
	}
	item := fake.Item(got.Reference)
	if item["taskToken"]["S"] != token || item["status"]["S"] != approval.StatusPending || item["deleteAt"]["N"] == nil {
		t.Errorf("item = %v", item)
	}
	publish := fake.Calls()[2].Input
	if publish["TopicArn"] != topic || publish["MessageAttributes.entry.1.Name"] == nil || got.MessageID != "msg-3" {
		t.Errorf("publish = %v, result %+v", publish, got)
	}
	k, _ := approval.NewKey([]byte(approvaltest.SecretVal))
	ls := links(t, publish["Message"].(string))
	if _, err := k.Verify(ls[approval.ActionReject], now); err != nil {
		t.Errorf("the published reject link does not verify with the deployment's secret: %v", err)
	}

	// A retry after a throttled publish: the record is found again.
	fake.FailNext("Publish", 1, 400, "Throttling")
	if _, err := h.Handle(context.Background(), request(t)); step.Name(err) != contract.ErrTransient {
		t.Fatalf("throttled publish: %v", err)
	}
	if _, err := h.Handle(context.Background(), request(t)); err != nil {
		t.Fatalf("retry: %v", err)
	}
}
