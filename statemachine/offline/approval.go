package offline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/secret"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/approvalcallback"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/requestapproval"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

// The local approval setup: the request-approval step and the callback
// endpoint run in-process on the in-memory account (approvals table,
// Secrets Manager, SNS, Step Functions), exactly as deployed, and a simulated
// person answers the request the way a person would — from the message the
// approvers' topic delivered to them.
const (
	// approver is the name the simulated person types into the form.
	approver = "local-approver"
	// approvalSecretName is the in-memory signing secret.
	approvalSecretName = "ecs-compliance/approval-signing-key"
	// callbackURL stands for the function URL; ".invalid" is never resolved:
	// the simulated person hands the request to the handler in-process.
	callbackURL = "https://approval-callback.lambda-url.local.invalid/"
	// personTries is how often the person tries a page that says "try again"
	// (the in-memory account's --throttle-first makes AWS calls fail).
	personTries = 8
)

// ErrLocalApprover is the error the simulated approver fails the wait with
// when it cannot answer (the request or its page is not what a person could
// use): the workflow then reports a failure rather than waiting for nothing.
const ErrLocalApprover = "Local.ApproverFailed"

// approvalHandler is the request-approval Lambda of the local run, on the
// account with a fresh signing secret.
func (r *Runner) approvalHandler() taskFunc {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	secretArn := r.Account.PutSecret(approvalSecretName, hex.EncodeToString(b[:]))
	h := &requestapproval.Handler{
		Store:            r.Account.Approvals(),
		Keys:             &secret.Source{API: r.Account, SecretID: secretArn},
		SNS:              r.Account,
		ApprovalTopicArn: r.approvalTopicArn(),
		CallbackURL:      callbackURL,
	}
	return invoke(h.Handle, nil)
}

// approvalTopicArn is the local approvers' topic: requests go there, the
// reports to topicArn.
func (r *Runner) approvalTopicArn() string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:ecs-compliance-approvals", r.Account.Region(), r.Account.AccountID())
}

// callbackHandler is the approval-callback Lambda of the local run: a new one
// per answer, as a cold Lambda would be.
func (r *Runner) callbackHandler() *approvalcallback.Handler {
	return &approvalcallback.Handler{
		Store: r.Account.Approvals(),
		Keys:  &secret.Source{API: r.Account, SecretID: approvalSecretName},
		SFN:   r.Account,
		// The run's time scale: the wait's timeout is scaled too.
		RetryDelay: r.scaled(50 * time.Millisecond),
	}
}

// scaled is d in the run's time scale, at least a microsecond.
func (r *Runner) scaled(d time.Duration) time.Duration {
	return max(time.Duration(float64(d)*r.opts.TimeScale), time.Microsecond)
}

// An Approver answers an approval request as a person would: it opens the
// request's link and submits the confirmation page's form to the approval
// callback endpoint. Options.Approver puts one in place of the simulated
// person (a test drives a real browser with it).
type Approver func(ctx context.Context, req ApprovalRequest) error

// ApprovalRequest is what the person who answers an approval request has.
type ApprovalRequest struct {
	// Action is the answer Options.Approval asks for: approval.ActionApprove
	// or approval.ActionReject.
	Action string
	// Message is the latest approval request the approvers' topic got, and
	// Link its signed link for Action (on a function URL that is never
	// resolved: Endpoint answers it).
	Message Notification
	Link    string
	// Endpoint is the approval-callback Lambda's handler, on the run's
	// account (a new one per request, as a cold Lambda would be): what the
	// function URL of the link invokes with a LambdaFunctionURLRequest.
	Endpoint *approvalcallback.Handler
}

// answerApproval answers the wait as the --approval flag says a person would.
// It runs after the request-approval function returned. approve and reject:
// the person (Options.Approver, or the simulated one: answerAsPerson) reads
// the latest approval request published to the approvers' topic, opens its
// approve or reject link and submits the confirmation page's form to the
// real callback handler, which answers the task token through the in-memory
// Step Functions API into this execution's callbacks. timeout: nobody
// answers, and the state's timeout fires.
func (r *Runner) answerApproval(ctx context.Context, call asl.TaskCall) {
	var action string
	switch r.opts.Approval {
	case ApprovalApprove:
		action = approval.ActionApprove
	case ApprovalReject:
		action = approval.ActionReject
	default:
		return
	}
	r.Account.SetTaskCallbacks(call.Callbacks)
	approve := r.opts.Approver
	if approve == nil {
		approve = r.answerAsPerson
	}
	req, err := r.approvalRequest(action)
	if err == nil {
		err = approve(ctx, req)
	}
	if err != nil {
		// The answer may have gone through before the failure; then the
		// token is closed and this is a no-op.
		_ = call.Callbacks.SendTaskFailure(call.Token, ErrLocalApprover, err.Error())
	}
}

// approvalRequest is what the approver has: the request and its link.
func (r *Runner) approvalRequest(action string) (ApprovalRequest, error) {
	msg, link, err := r.requestLink(action)
	return ApprovalRequest{Action: action, Message: msg, Link: link, Endpoint: r.callbackHandler()}, err
}

// answerAsPerson is the simulated person: it opens the link (GET: the
// confirmation page) and submits the page's form — its hidden fields, the
// one-time token among them, and a name, as
// application/x-www-form-urlencoded (POST) — to the endpoint, in-process.
func (r *Runner) answerAsPerson(ctx context.Context, req ApprovalRequest) error {
	action, h := req.Action, req.Endpoint
	u, err := url.Parse(req.Link)
	if err != nil {
		return fmt.Errorf("the %s link %q: %w", action, req.Link, err)
	}
	reload := r.scaled(time.Second)
	page, err := browse(ctx, h, http.MethodGet, u, "", reload)
	if err != nil {
		return err
	}
	form, err := readForm(page)
	if err != nil {
		return fmt.Errorf("the confirmation page of the %s link: %w", action, err)
	}
	form.Set(approvalcallback.FieldApprover, approver)
	if action == approval.ActionReject {
		form.Set(approvalcallback.FieldReason, "rejected with --approval reject")
	}
	post := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: firstNonEmpty(form.Get(formActionKey), "/")}
	form.Del(formActionKey)
	_, err = browse(ctx, h, http.MethodPost, post, form.Encode(), reload)
	return err
}

// requestLink is the latest approval request published to the approvers'
// topic (an approver subscribes to that topic only) and its action's link.
func (r *Runner) requestLink(action string) (Notification, string, error) {
	msgs := r.Account.Notifications()
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.TopicArn != r.approvalTopicArn() {
			continue
		}
		n := Notification{TopicArn: m.TopicArn, Subject: m.Subject, Message: m.Message, Attributes: m.Attributes}
		for _, l := range linkPattern.FindAllString(m.Message, -1) {
			if u, err := url.Parse(l); err == nil && u.Query().Get(approval.ParamAction) == action {
				return n, l, nil
			}
		}
		return n, "", fmt.Errorf("the approval request %q has no %s link", m.Subject, action)
	}
	return Notification{}, "", errors.New("no approval request was published to the approvers' topic")
}

var linkPattern = regexp.MustCompile(`https?://\S+`)

// browse sends one request to the callback handler as a function URL would,
// trying again after reload (as a person reloads) while the page says 503.
func browse(ctx context.Context, h *approvalcallback.Handler, method string, u *url.URL, body string, reload time.Duration) (string, error) {
	req := events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: firstNonEmpty(u.Path, "/"), RawQueryString: u.RawQuery,
		Headers: map[string]string{"host": u.Host, "user-agent": "ecs-compliance-local (simulated approver)"},
		RequestContext: events.LambdaFunctionURLRequestContext{
			DomainName: u.Host, RequestID: "local", Time: time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: firstNonEmpty(u.Path, "/"), Protocol: "HTTP/1.1",
				SourceIP: "127.0.0.1", UserAgent: "ecs-compliance-local (simulated approver)"},
		},
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil && len(q) > 0 {
		req.QueryStringParameters = map[string]string{}
		for k := range q {
			req.QueryStringParameters[k] = q.Get(k)
		}
	}
	if method == http.MethodPost {
		// What a browser sends for the page's form.
		req.Body = body
		req.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	var resp events.LambdaFunctionURLResponse
	for try := 1; ; try++ {
		out, err := step.Invoke(ctx, h.Handle, payload)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", method, u.Path, err)
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusServiceUnavailable || try == personTries {
			break
		}
		time.Sleep(reload)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s of the approval link answered %d: %s", method, resp.StatusCode, pageText(resp.Body))
	}
	return resp.Body, nil
}

// formActionKey carries the form's action through readForm's values.
const formActionKey = "\x00action"

var (
	formPattern   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)">(.*?)</form>`)
	hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	tagPattern    = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`)
)

// readForm reads the confirmation page's form: its action and hidden fields.
func readForm(page string) (url.Values, error) {
	m := formPattern.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("no form on the page: %s", pageText(page))
	}
	v := url.Values{formActionKey: {html.UnescapeString(m[1])}}
	for _, f := range hiddenPattern.FindAllStringSubmatch(m[2], -1) {
		v.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return v, nil
}

// pageText is a page's text, for an error message.
func pageText(page string) string {
	t := strings.Join(strings.Fields(html.UnescapeString(tagPattern.ReplaceAllString(page, " "))), " ")
	if len(t) > 400 {
		t = t[:400] + "…"
	}
	return t
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
