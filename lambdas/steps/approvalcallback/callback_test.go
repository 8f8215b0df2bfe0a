package approvalcallback_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/approvaltest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/secret"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/store"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/approvalcallback"
)

const (
	token  = "AQCEAAAAKgAAAAMAAAAAAAAAAQ==callback-test"
	base   = "https://abc123.lambda-url.us-east-1.on.aws/"
	client = "203.0.113.9"
)

var (
	now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	exp = now.Add(23 * time.Hour)
)

func testKey(t testing.TB, s string) approval.Key {
	k, err := approval.NewKey([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var secretText = "approval-callback-test-secret-0123456789"

type staticKey struct {
	key approval.Key
	err error
}

func (s staticKey) Key(context.Context) (approval.Key, error) { return s.key, s.err }

// fakeSFN records the callbacks and answers err.
type fakeSFN struct {
	success []*sfn.SendTaskSuccessInput
	failure []*sfn.SendTaskFailureInput
	err     error
}

func (f *fakeSFN) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.success = append(f.success, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *fakeSFN) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.failure = append(f.failure, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *fakeSFN) calls() int { return len(f.success) + len(f.failure) }

type env struct {
	h      *approvalcallback.Handler
	m      *store.Memory
	sfn    *fakeSFN
	key    approval.Key
	ref    string
	nonces int
}

// nextNonce draws the pages' nonces in order: predictable pages, distinct
// forms.
func (e *env) nextNonce() string {
	e.nonces++
	// 26 base32 characters: the count's digits as the letters A to J.
	return strings.Map(func(r rune) rune { return 'A' + r - '0' }, fmt.Sprintf("%026d", e.nonces))
}

// summary has markup in what the policy wrote: the page must escape it.
var summary = approval.Summary{
	Where: "service prod/api", Cluster: "prod", Service: "api", Account: "123456789012", Region: "us-east-1",
	TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/abc", TaskDefArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
	Findings: []approval.Finding{{Severity: "HIGH", Rule: "approved_registries", Container: "api", Image: "nginx:1.25",
		Message: `container "api" uses <script>alert("policy")</script> from docker.io`}},
	Actions: []string{"Scale service api in cluster prod to 0 tasks", "Stop task abc", "Deregister task definition api:7"},
}

func newEnv(t testing.TB) *env {
	t.Helper()
	k := testKey(t, secretText)
	e := &env{m: &store.Memory{}, sfn: &fakeSFN{}, key: k, ref: k.Reference(token)}
	e.h = &approvalcallback.Handler{Store: e.m, Keys: staticKey{key: k}, SFN: e.sfn, Now: func() time.Time { return now }, RetryDelay: time.Microsecond,
		Nonce: e.nextNonce}
	if _, err := e.m.Put(context.Background(), approval.Record{Reference: e.ref, TaskToken: token, TaskArn: summary.TaskArn,
		CreatedAt: now.Add(-time.Hour), ExpiresAt: exp, Summary: summary}); err != nil {
		t.Fatal(err)
	}
	return e
}

// link is the query of a link the deployment issued.
func (e *env) link(t testing.TB, action string) approval.Params {
	l, err := e.key.Link(base, e.ref, action, exp)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(l)
	return approval.ParamsFrom(u.Query())
}

// form is the confirmation form of link p as a browser posts it: the link's
// hidden fields and the token of a page served now (no name typed yet).
func (e *env) form(t testing.TB, p approval.Params) url.Values {
	t.Helper()
	v := p.Values()
	if l, err := e.key.Verify(p, now); err == nil {
		tok, err := e.key.FormToken(l, e.nextNonce(), now)
		if err != nil {
			t.Fatal(err)
		}
		v.Set(approvalcallback.FieldToken, tok)
	}
	return v
}

func query(p approval.Params) string { return p.Query() }

func request(method, rawQuery, body string) events.LambdaFunctionURLRequest {
	return events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: "/", RawQueryString: rawQuery, Body: body,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"},
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
			Method: method, Path: "/", SourceIP: client, UserAgent: "test"}},
	}
}

func (e *env) do(t *testing.T, req events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error (want a page): %v", err)
	}
	checkHeaders(t, resp)
	return resp
}

func (e *env) get(t *testing.T, rawQuery string) events.LambdaFunctionURLResponse {
	return e.do(t, request(http.MethodGet, rawQuery, ""))
}

func (e *env) post(t *testing.T, form url.Values) events.LambdaFunctionURLResponse {
	return e.do(t, request(http.MethodPost, "", form.Encode()))
}

func (e *env) record(t *testing.T) approval.Record {
	r, ok := e.m.Lookup(e.ref)
	if !ok {
		t.Fatal("the record is gone")
	}
	return r
}

// checkHeaders: every answer is an HTML page that is not cached, framed,
// sniffed or allowed to load anything.
func checkHeaders(t *testing.T, resp events.LambdaFunctionURLResponse) {
	t.Helper()
	want := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store, max-age=0",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if resp.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, resp.Headers[k], v)
		}
	}
	csp := resp.Headers["Content-Security-Policy"]
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
		}
	}
	// The inline style is allowed by its hash, and nothing else inline.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("no style in the page:\n%s", resp.Body)
	}
	sum := sha256.Sum256([]byte(m[1]))
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("the CSP does not allow the page's style by its hash: %s", csp)
	}
	if strings.Contains(strings.ToLower(resp.Body), "<script") {
		t.Errorf("a script element in the page:\n%s", resp.Body)
	}
}

// hidden reads the confirmation form's hidden fields.
func hidden(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	if len(v) != 5 || v.Get(approvalcallback.FieldToken) == "" {
		t.Fatalf("hidden fields %v in:\n%s", v, page)
	}
	return v
}

func TestBadLinksChangeNothing(t *testing.T) {
	e0 := newEnv(t)
	good := e0.link(t, approval.ActionApprove)
	reject := e0.link(t, approval.ActionReject)
	other := testKey(t, "someone-else's-secret-0123456789-abcdef")
	alter := func(f func(p *approval.Params)) string {
		p := good
		f(&p)
		return query(p)
	}
	expiredLink := func(e *env) string {
		past := now.Add(-time.Minute)
		return query(approval.Params{Ref: e.ref, Action: approval.ActionApprove, Exp: strconv.FormatInt(past.Unix(), 10),
			Sig: e.key.Sign(e.ref, approval.ActionApprove, past.Unix())})
	}
	unknown := e0.key.Reference("another token")
	tests := []struct {
		name    string
		query   func(e *env) string
		prepare func(e *env)
		code    int
		says    string
	}{
		{"a forged signature", func(*env) string {
			return alter(func(p *approval.Params) { p.Sig = other.Sign(p.Ref, p.Action, exp.Unix()) })
		}, nil,
			http.StatusForbidden, "not valid"},
		{"the action swapped to reject", func(*env) string { return alter(func(p *approval.Params) { p.Action = approval.ActionReject }) }, nil,
			http.StatusForbidden, "was altered"},
		{"the reject link's signature on approve", func(*env) string { return alter(func(p *approval.Params) { p.Sig = reject.Sig }) }, nil,
			http.StatusForbidden, "not valid"},
		{"another reference", func(*env) string { return alter(func(p *approval.Params) { p.Ref = unknown }) }, nil,
			http.StatusForbidden, "not valid"},
		{"a later expiry", func(*env) string {
			return alter(func(p *approval.Params) { p.Exp = strconv.FormatInt(exp.Unix()+86400, 10) })
		}, nil, http.StatusForbidden, "not valid"},
		{"an expired link", expiredLink, nil, http.StatusGone, "has expired"},
		{"no signature", func(*env) string { return alter(func(p *approval.Params) { p.Sig = "" }) }, nil, http.StatusBadRequest, "incomplete"},
		{"an expiry that is not a number", func(*env) string { return alter(func(p *approval.Params) { p.Exp = "soon" }) }, nil,
			http.StatusBadRequest, "incomplete"},
		{"a truncated link", func(*env) string { return "ref=" + good.Ref + "&action=app" }, nil, http.StatusBadRequest, "incomplete"},
		{"a reference given twice", func(*env) string { return query(good) + "&ref=" + unknown }, nil, http.StatusBadRequest, "incomplete"},
		{"a query that does not parse", func(*env) string { return query(good) + "&%zz" }, nil, http.StatusBadRequest, "incomplete"},
		{"an unknown reference, validly signed", func(e *env) string {
			return query(approval.Params{Ref: unknown, Action: approval.ActionApprove, Exp: good.Exp, Sig: e.key.Sign(unknown, approval.ActionApprove, exp.Unix())})
		}, nil, http.StatusNotFound, "Unknown approval request"},
		{"a link already used (replay)", func(*env) string { return query(good) }, func(e *env) {
			if _, err := e.m.Decide(context.Background(), e.ref, approval.Decision{Status: approval.StatusRejected, Approver: "bob@example.com", At: now.Add(-time.Minute)}); err != nil {
				panic(err)
			}
		}, http.StatusConflict, "already answered: rejected by bob@example.com"},
		{"a record past its expiry", func(*env) string { return query(good) }, func(e *env) {
			m := &store.Memory{}
			r, _ := e.m.Lookup(e.ref)
			r.ExpiresAt = now.Add(-time.Hour)
			if _, err := m.Put(context.Background(), r); err != nil {
				panic(err)
			}
			e.m = m
			e.h.Store = m
		}, http.StatusGone, "has expired"},
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, tt := range tests {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				e := newEnv(t)
				if tt.prepare != nil {
					tt.prepare(e)
				}
				before := e.record(t)
				q := tt.query(e)
				var resp events.LambdaFunctionURLResponse
				if method == http.MethodGet {
					resp = e.get(t, q)
				} else {
					// The form's fields as a browser would post them, with
					// the token of a page served for that link.
					body := q
					if form, err := url.ParseQuery(q); err == nil {
						if tok := e.form(t, approval.ParamsFrom(form)).Get(approvalcallback.FieldToken); tok != "" {
							form.Set(approvalcallback.FieldToken, tok)
						}
						form.Set(approvalcallback.FieldApprover, "mallory")
						body = form.Encode()
					}
					resp = e.do(t, request(http.MethodPost, "", body))
				}
				if resp.StatusCode != tt.code || !strings.Contains(resp.Body, tt.says) {
					t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.code, tt.says, resp.Body)
				}
				if !strings.Contains(resp.Body, "othing was changed") {
					t.Errorf("the page does not say that nothing was changed:\n%s", resp.Body)
				}
				if e.sfn.calls() != 0 {
					t.Errorf("%d SendTask calls", e.sfn.calls())
				}
				if after := e.record(t); !reflect.DeepEqual(after, before) {
					t.Errorf("the record changed:\n%+v\n%+v", before, after)
				}
				if strings.Contains(resp.Body, "<form") {
					t.Error("an error page offers the form")
				}
			})
		}
	}
}

func TestOnlyGetAndPostAreAnswered(t *testing.T) {
	for _, method := range []string{http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "TRACE"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t)
			before := e.record(t)
			form := e.link(t, approval.ActionApprove).Values()
			resp := e.do(t, request(method, form.Encode(), form.Encode()))
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Headers["Allow"] != "GET, POST" {
				t.Fatalf("status %d, Allow %q", resp.StatusCode, resp.Headers["Allow"])
			}
			if e.sfn.calls() != 0 || !reflect.DeepEqual(e.record(t), before) {
				t.Error("something changed")
			}
		})
	}
}

func TestApprove(t *testing.T) {
	e := newEnv(t)
	link := e.link(t, approval.ActionApprove)

	// GET: the confirmation page; nothing happens.
	page := e.get(t, query(link))
	if page.StatusCode != http.StatusOK || e.sfn.calls() != 0 || e.record(t).Status != approval.StatusPending {
		t.Fatalf("GET: %d, %d calls, %s", page.StatusCode, e.sfn.calls(), e.record(t).Status)
	}
	for _, want := range []string{`<form method="post" action="/">`, "Approve: remediate now", "What approving does",
		"Scale service api in cluster prod to 0 tasks", "&lt;script&gt;alert(&#34;policy&#34;)&lt;/script&gt;", `name="approver"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the confirmation page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, `name="reason"`) {
		t.Error("an approval asks for a reason")
	}
	form := hidden(t, page.Body)
	if approval.ParamsFrom(form) != link {
		t.Fatalf("hidden fields %v, want the link's %+v", form, link)
	}

	// A second GET (a mail scanner, a reload) changes nothing either.
	if again := e.get(t, query(link)); again.StatusCode != http.StatusOK || e.sfn.calls() != 0 {
		t.Fatalf("second GET: %d", again.StatusCode)
	}

	// POST: the decision.
	form.Set(approvalcallback.FieldApprover, `  Ann <ann@example.com>  `)
	form.Set(approvalcallback.FieldReason, "ignored for an approval")
	done := e.post(t, form)
	if done.StatusCode != http.StatusOK || !strings.Contains(done.Body, "Remediation approved by Ann &lt;ann@example.com&gt;") {
		t.Fatalf("POST: %d\n%s", done.StatusCode, done.Body)
	}
	if len(e.sfn.success) != 1 || len(e.sfn.failure) != 0 || aws.ToString(e.sfn.success[0].TaskToken) != token {
		t.Fatalf("callbacks: %+v %+v", e.sfn.success, e.sfn.failure)
	}
	var out contract.Approval
	if err := json.Unmarshal([]byte(aws.ToString(e.sfn.success[0].Output)), &out); err != nil {
		t.Fatal(err)
	}
	if out != (contract.Approval{Decision: contract.ApprovalApproved, Approver: "Ann <ann@example.com>", DecidedAt: "2026-11-27T10:00:00Z"}) {
		t.Errorf("output = %+v", out)
	}
	rec := e.record(t)
	if rec.Status != approval.StatusApproved || rec.Approver != "Ann <ann@example.com>" || rec.Reason != "" ||
		rec.DecidedFrom != client || rec.Delivery != approval.DeliveryDone {
		t.Errorf("record = %+v", rec)
	}

	// The link works once.
	replay := e.post(t, form)
	if replay.StatusCode != http.StatusConflict || !strings.Contains(replay.Body, "approved by Ann &lt;ann@example.com&gt; at 2026-11-27T10:00:00Z") {
		t.Fatalf("replay: %d\n%s", replay.StatusCode, replay.Body)
	}
	if e.get(t, query(link)).StatusCode != http.StatusConflict || e.sfn.calls() != 1 {
		t.Error("the used link still works")
	}
	// And the reject link of the same request is dead too.
	rf := e.form(t, e.link(t, approval.ActionReject))
	if r := e.post(t, rf); r.StatusCode != http.StatusConflict || e.sfn.calls() != 1 {
		t.Errorf("reject after approve: %d, %d calls", r.StatusCode, e.sfn.calls())
	}
}

func TestReject(t *testing.T) {
	e := newEnv(t)
	page := e.get(t, query(e.link(t, approval.ActionReject)))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `name="reason"`) || strings.Contains(page.Body, "What approving does") {
		t.Fatalf("GET: %d\n%s", page.StatusCode, page.Body)
	}
	form := hidden(t, page.Body)
	form.Set(approvalcallback.FieldApprover, "bob@example.com")
	form.Set(approvalcallback.FieldReason, "change freeze\nuntil Monday")
	done := e.post(t, form)
	if done.StatusCode != http.StatusOK || !strings.Contains(done.Body, "Remediation rejected by bob@example.com") {
		t.Fatalf("POST: %d\n%s", done.StatusCode, done.Body)
	}
	if len(e.sfn.failure) != 1 || len(e.sfn.success) != 0 {
		t.Fatalf("callbacks: %+v %+v", e.sfn.success, e.sfn.failure)
	}
	in := e.sfn.failure[0]
	if aws.ToString(in.Error) != contract.ErrApprovalRejected || aws.ToString(in.TaskToken) != token {
		t.Errorf("SendTaskFailure = %+v", in)
	}
	var cause map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Cause)), &cause); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"approver": "bob@example.com", "reason": "change freeze until Monday", "decidedAt": "2026-11-27T10:00:00Z"}
	if !reflect.DeepEqual(cause, want) {
		t.Errorf("cause = %v, want %v", cause, want)
	}
	if r := e.record(t); r.Status != approval.StatusRejected || r.Reason != "change freeze until Monday" {
		t.Errorf("record = %+v", r)
	}
}

func TestAnApproverWithoutANameIsRecordedByAddress(t *testing.T) {
	e := newEnv(t)
	if r := e.post(t, e.form(t, e.link(t, approval.ActionApprove))); r.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d", r.StatusCode)
	}
	if got := e.record(t).Approver; got != "anonymous (from "+client+")" {
		t.Errorf("approver = %q", got)
	}
}

func TestMarkupFromThePersonIsEscaped(t *testing.T) {
	e := newEnv(t)
	form := e.form(t, e.link(t, approval.ActionReject))
	form.Set(approvalcallback.FieldApprover, `<img src=x onerror=alert(1)>`)
	form.Set(approvalcallback.FieldReason, `"><script>alert(2)</script>`)
	done := e.post(t, form)
	if strings.Contains(done.Body, "<img") || !strings.Contains(done.Body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the approver is not escaped:\n%s", done.Body)
	}
	replay := e.post(t, form)
	if strings.Contains(replay.Body, "<img") {
		t.Errorf("the replay page does not escape the recorded approver:\n%s", replay.Body)
	}
}

func TestDelivery(t *testing.T) {
	throttled := &smithy.OperationError{ServiceID: "SFN", OperationName: "SendTaskSuccess",
		Err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}}
	tests := []struct {
		name         string
		err          error
		code         int
		says         string
		wantStatus   string
		wantDelivery string
	}{
		{"the wait timed out", &types.TaskTimedOut{Message: aws.String("Task Timed Out")}, http.StatusGone,
			"no longer waits", approval.StatusApproved, approval.DeliveryWorkflowEnded},
		{"the execution is gone", &types.TaskDoesNotExist{Message: aws.String("Task does not exist")}, http.StatusGone,
			"no longer waits", approval.StatusApproved, approval.DeliveryWorkflowEnded},
		{"throttled: the decision is undone so that the link works again", throttled, http.StatusServiceUnavailable,
			"try again", approval.StatusPending, ""},
		{"a server error: the decision is undone", &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer},
			http.StatusServiceUnavailable, "try again", approval.StatusPending, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.sfn.err = tt.err
			link := e.link(t, approval.ActionApprove)
			form := e.form(t, link)
			form.Set(approvalcallback.FieldApprover, "ann")
			resp := e.post(t, form)
			if resp.StatusCode != tt.code || !strings.Contains(resp.Body, tt.says) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.code, tt.says, resp.Body)
			}
			if r := e.record(t); r.Status != tt.wantStatus || r.Delivery != tt.wantDelivery {
				t.Fatalf("record = %+v", r)
			}
			e.sfn.err = nil
			again := e.post(t, form)
			if tt.wantStatus != approval.StatusPending {
				if again.StatusCode != http.StatusConflict || !strings.Contains(again.Body, "had no effect") {
					t.Errorf("the replay after a late decision: %d\n%s", again.StatusCode, again.Body)
				}
				return
			}
			// The decision was undone: the page offers the confirmation
			// page again; the same form does not work twice, a new one does.
			if !strings.Contains(resp.Body, `<a href="/?`+html.EscapeString(query(link))+`">`) {
				t.Errorf("the page does not link to the confirmation page:\n%s", resp.Body)
			}
			if again.StatusCode != http.StatusConflict || !strings.Contains(again.Body, "already submitted") || len(e.sfn.success) != 1 {
				t.Errorf("the same form again: %d, %d calls\n%s", again.StatusCode, len(e.sfn.success), again.Body)
			}
			fresh := hidden(t, e.get(t, query(link)).Body)
			fresh.Set(approvalcallback.FieldApprover, "ann")
			if r := e.post(t, fresh); r.StatusCode != http.StatusOK || len(e.sfn.success) != 2 {
				t.Errorf("a new form: %d, %d calls", r.StatusCode, len(e.sfn.success))
			}
		})
	}
}

// failingReopen is a store whose Reopen always fails.
type failingReopen struct{ *store.Memory }

func (failingReopen) Reopen(context.Context, string, approval.Decision) error {
	return step.Errorf(contract.ErrTransient, "UpdateItem: ThrottlingException")
}

func TestAnUndeliveredDecisionThatCannotBeUndoneSaysSo(t *testing.T) {
	e := newEnv(t)
	e.h.Store = failingReopen{e.m}
	e.sfn.err = &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}
	resp := e.post(t, e.form(t, e.link(t, approval.ActionApprove)))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(resp.Body, "TIMED_OUT") {
		t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
	}
}

func TestFailuresToReadTheKey(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"throttled", step.Errorf(contract.ErrTransient, "GetSecretValue: ThrottlingException"), http.StatusServiceUnavailable},
		{"access denied", step.Errorf(contract.ErrAccessDenied, "GetSecretValue: AccessDeniedException"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.h.Keys = staticKey{err: tt.err}
			before := e.record(t)
			for _, r := range []events.LambdaFunctionURLResponse{
				e.get(t, query(e.link(t, approval.ActionApprove))),
				e.post(t, e.form(t, e.link(t, approval.ActionApprove))),
			} {
				if r.StatusCode != tt.code {
					t.Errorf("status %d, want %d", r.StatusCode, tt.code)
				}
			}
			if e.sfn.calls() != 0 || !reflect.DeepEqual(e.record(t), before) {
				t.Error("something changed")
			}
		})
	}
}

func TestBodies(t *testing.T) {
	t.Run("a base64 body (as function URLs send some) is read", func(t *testing.T) {
		e := newEnv(t)
		req := request(http.MethodPost, "", base64.StdEncoding.EncodeToString([]byte(e.form(t, e.link(t, approval.ActionApprove)).Encode())))
		req.IsBase64Encoded = true
		if r := e.do(t, req); r.StatusCode != http.StatusOK || len(e.sfn.success) != 1 {
			t.Fatalf("status %d", r.StatusCode)
		}
	})
	t.Run("a POST to the link itself, without the form's fields, decides nothing", func(t *testing.T) {
		e := newEnv(t)
		before := e.record(t)
		if r := e.do(t, request(http.MethodPost, query(e.link(t, approval.ActionApprove)), "approver=ann")); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", r.StatusCode)
		}
		if e.sfn.calls() != 0 || !reflect.DeepEqual(e.record(t), before) {
			t.Error("something changed")
		}
	})
	t.Run("an oversized body is refused", func(t *testing.T) {
		e := newEnv(t)
		form := e.form(t, e.link(t, approval.ActionReject))
		form.Set(approvalcallback.FieldReason, strings.Repeat("x", 20000))
		if r := e.post(t, form); r.StatusCode != http.StatusRequestEntityTooLarge || e.sfn.calls() != 0 {
			t.Fatalf("status %d", r.StatusCode)
		}
	})
	t.Run("a body that is not base64 is malformed", func(t *testing.T) {
		e := newEnv(t)
		req := request(http.MethodPost, "", "%%%")
		req.IsBase64Encoded = true
		if r := e.do(t, req); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", r.StatusCode)
		}
	})
}

func TestTheFormPostsToAPlainPath(t *testing.T) {
	for raw, want := range map[string]string{"/": "/", "/approve": "/approve", "//evil.example/x": "/", "/a?b": "/", "": "/", `/"onmouseover=x`: "/"} {
		e := newEnv(t)
		req := request(http.MethodGet, query(e.link(t, approval.ActionApprove)), "")
		req.RawPath = raw
		page := e.do(t, req)
		if !strings.Contains(page.Body, `<form method="post" action="`+want+`">`) {
			t.Errorf("path %q: the form does not post to %q", raw, want)
		}
	}
}

// The whole flow through the real SDK clients: Secrets Manager, DynamoDB and
// Step Functions on a fake endpoint, with their error codes.
func TestThroughTheSDKClients(t *testing.T) {
	tests := []struct {
		name       string
		action     string
		token      string // the token's state at Step Functions
		fail       string // an error the first SendTask call gets
		code       int
		wantOps    string
		wantStatus string
		wantToken  string
	}{
		{"approve", approval.ActionApprove, approvaltest.TokenWaiting, "", http.StatusOK,
			"GetSecretValue,UpdateItem,SendTaskSuccess,UpdateItem", approval.StatusApproved, approvaltest.TokenAnswered},
		{"reject", approval.ActionReject, approvaltest.TokenWaiting, "", http.StatusOK,
			"GetSecretValue,UpdateItem,SendTaskFailure,UpdateItem", approval.StatusRejected, approvaltest.TokenAnswered},
		{"TaskTimedOut", approval.ActionApprove, approvaltest.TokenTimedOut, "", http.StatusGone,
			"GetSecretValue,UpdateItem,SendTaskSuccess,UpdateItem", approval.StatusApproved, approvaltest.TokenTimedOut},
		{"TaskDoesNotExist", approval.ActionReject, "", "", http.StatusGone,
			"GetSecretValue,UpdateItem,SendTaskFailure,UpdateItem", approval.StatusRejected, ""},
		{"ThrottlingException", approval.ActionApprove, approvaltest.TokenWaiting, "ThrottlingException", http.StatusServiceUnavailable,
			"GetSecretValue,UpdateItem,SendTaskSuccess,UpdateItem", approval.StatusPending, approvaltest.TokenWaiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := approvaltest.New(t)
			k := testKey(t, approvaltest.SecretVal)
			ref := k.Reference(token)
			tb := &store.Table{API: fake.DynamoDB(), Name: approvaltest.Table}
			if _, err := tb.Put(context.Background(), approval.Record{Reference: ref, TaskToken: token, TaskArn: summary.TaskArn,
				CreatedAt: now, ExpiresAt: exp, Summary: summary}); err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				fake.SetToken(token, tt.token)
			}
			if tt.fail != "" {
				fake.FailNext("SendTaskSuccess", 1, 400, tt.fail)
			}
			h := &approvalcallback.Handler{Store: tb, Keys: &secret.Source{API: fake.SecretsManager(), SecretID: approvaltest.SecretID},
				SFN: fake.SFN(), Now: func() time.Time { return now }}
			l, _ := k.Link(base, ref, tt.action, exp)
			u, _ := url.Parse(l)
			form := u.Query()
			vl, _ := k.Verify(approval.ParamsFrom(form), now)
			tok, _ := k.FormToken(vl, approval.NewNonce(), now)
			form.Set(approvalcallback.FieldToken, tok)
			form.Set(approvalcallback.FieldApprover, "ann@example.com")
			start := len(fake.Calls())
			resp, _ := h.Handle(context.Background(), request(http.MethodPost, "", form.Encode()))
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tt.code, resp.Body)
			}
			var ops []string
			for _, c := range fake.Calls()[start:] {
				ops = append(ops, c.Op)
			}
			if got := strings.Join(ops, ","); got != tt.wantOps {
				t.Errorf("calls = %s, want %s", got, tt.wantOps)
			}
			if got := fake.Item(ref)["status"]["S"]; got != tt.wantStatus {
				t.Errorf("status = %s, want %s", got, tt.wantStatus)
			}
			if got := fake.Token(token); got != tt.wantToken {
				t.Errorf("token = %q, want %q", got, tt.wantToken)
			}
			for _, c := range fake.Calls() {
				switch c.Op {
				case "SendTaskSuccess":
					var out contract.Approval
					_ = json.Unmarshal([]byte(c.Input["output"].(string)), &out)
					if c.Input["taskToken"] != token || out.Decision != contract.ApprovalApproved || out.Approver != "ann@example.com" {
						t.Errorf("SendTaskSuccess = %v", c.Input)
					}
				case "SendTaskFailure":
					var cause map[string]string
					_ = json.Unmarshal([]byte(c.Input["cause"].(string)), &cause)
					keys := make([]string, 0, len(cause))
					for k := range cause {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					if c.Input["error"] != contract.ErrApprovalRejected || strings.Join(keys, ",") != "approver,decidedAt,reason" {
						t.Errorf("SendTaskFailure = %v", c.Input)
					}
				}
			}
		})
	}
}

func TestGetThroughTheSDKClientsReadsOnly(t *testing.T) {
	fake := approvaltest.New(t)
	k := testKey(t, approvaltest.SecretVal)
	ref := k.Reference(token)
	tb := &store.Table{API: fake.DynamoDB(), Name: approvaltest.Table}
	if _, err := tb.Put(context.Background(), approval.Record{Reference: ref, TaskToken: token, CreatedAt: now, ExpiresAt: exp, Summary: summary}); err != nil {
		t.Fatal(err)
	}
	h := &approvalcallback.Handler{Store: tb, Keys: &secret.Source{API: fake.SecretsManager(), SecretID: approvaltest.SecretID},
		SFN: fake.SFN(), Now: func() time.Time { return now }}
	l, _ := k.Link(base, ref, approval.ActionApprove, exp)
	u, _ := url.Parse(l)
	resp, _ := h.Handle(context.Background(), request(http.MethodGet, u.RawQuery, ""))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "service prod/api") {
		t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
	}
	if got := strings.Join(fake.Ops(), ","); got != "PutItem,GetSecretValue,GetItem" {
		t.Errorf("calls = %s", got)
	}
}

// BenchmarkConfirmationPage is a GET of a genuine link: verify, read the
// record, render the page (the in-memory store: no network).
func BenchmarkConfirmationPage(b *testing.B) {
	e := newEnv(b)
	req := request(http.MethodGet, query(e.link(b, approval.ActionApprove)), "")
	ctx := context.Background()
	for b.Loop() {
		if resp, _ := e.h.Handle(ctx, req); resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// Only the confirmation page's form decides: a POST of another content
// type, without the page's token, with the token of another page, of a page
// served too long ago, or of a form already submitted, changes nothing.
func TestOnlyTheConfirmationFormDecides(t *testing.T) {
	type post struct {
		contentType string
		form        url.Values
	}
	tests := []struct {
		name    string
		post    func(t *testing.T, e *env) post
		prepare func(t *testing.T, e *env)
		code    int
		says    string
	}{
		{"no content type", func(t *testing.T, e *env) post {
			return post{"", e.form(t, e.link(t, approval.ActionApprove))}
		}, nil, http.StatusUnsupportedMediaType, "only takes its confirmation form"},
		{"a JSON body", func(t *testing.T, e *env) post {
			return post{"application/json", e.form(t, e.link(t, approval.ActionApprove))}
		}, nil, http.StatusUnsupportedMediaType, "only takes its confirmation form"},
		{"text/plain (a cross-site form can send it without a preflight)", func(t *testing.T, e *env) post {
			return post{"text/plain", e.form(t, e.link(t, approval.ActionApprove))}
		}, nil, http.StatusUnsupportedMediaType, "only takes its confirmation form"},
		{"multipart/form-data", func(t *testing.T, e *env) post {
			return post{"multipart/form-data; boundary=x", e.form(t, e.link(t, approval.ActionApprove))}
		}, nil, http.StatusUnsupportedMediaType, "only takes its confirmation form"},
		{"a form in another charset", func(t *testing.T, e *env) post {
			return post{"application/x-www-form-urlencoded; charset=iso-8859-1", e.form(t, e.link(t, approval.ActionApprove))}
		}, nil, http.StatusUnsupportedMediaType, "only takes its confirmation form"},
		{"a content type that does not parse", func(t *testing.T, e *env) post {
			return post{"application/x-www-form-urlencoded; charset", e.form(t, e.link(t, approval.ActionApprove))}
		}, nil, http.StatusUnsupportedMediaType, "only takes its confirmation form"},
		{"the link's fields without the page's token", func(t *testing.T, e *env) post {
			return post{"application/x-www-form-urlencoded", e.link(t, approval.ActionApprove).Values()}
		}, nil, http.StatusBadRequest, "did not come from the confirmation page"},
		{"a damaged token", func(t *testing.T, e *env) post {
			f := e.form(t, e.link(t, approval.ActionApprove))
			f.Set(approvalcallback.FieldToken, f.Get(approvalcallback.FieldToken)[:30])
			return post{"application/x-www-form-urlencoded", f}
		}, nil, http.StatusBadRequest, "did not come from the confirmation page"},
		{"the reject page's token on the approve link", func(t *testing.T, e *env) post {
			f := e.link(t, approval.ActionApprove).Values()
			f.Set(approvalcallback.FieldToken, e.form(t, e.link(t, approval.ActionReject)).Get(approvalcallback.FieldToken))
			return post{"application/x-www-form-urlencoded", f}
		}, nil, http.StatusForbidden, "not issued for this link"},
		{"a token signed with another secret", func(t *testing.T, e *env) post {
			f := e.link(t, approval.ActionApprove).Values()
			l, _ := e.key.Verify(e.link(t, approval.ActionApprove), now)
			tok, _ := testKey(t, "someone-else's-secret-0123456789-abcdef").FormToken(l, e.nextNonce(), now)
			f.Set(approvalcallback.FieldToken, tok)
			return post{"application/x-www-form-urlencoded", f}
		}, nil, http.StatusForbidden, "not issued for this link"},
		{"a page served more than an hour ago", func(t *testing.T, e *env) post {
			f := e.link(t, approval.ActionApprove).Values()
			l, _ := e.key.Verify(e.link(t, approval.ActionApprove), now)
			tok, _ := e.key.FormToken(l, e.nextNonce(), now.Add(-approval.FormLifetime))
			f.Set(approvalcallback.FieldToken, tok)
			return post{"application/x-www-form-urlencoded", f}
		}, nil, http.StatusGone, "too old"},
		{"a form submitted before, whose decision was undone", func(t *testing.T, e *env) post {
			return post{"application/x-www-form-urlencoded", e.form(t, e.link(t, approval.ActionApprove))}
		}, func(t *testing.T, e *env) {
			// The same nonce carried a decision that could not be delivered.
			d := approval.Decision{Status: approval.StatusApproved, Approver: "ann", At: now.Add(-time.Minute), Nonce: e.nextNonceAfter()}
			if _, err := e.m.Decide(context.Background(), e.ref, d); err != nil {
				t.Fatal(err)
			}
			if err := e.m.Reopen(context.Background(), e.ref, d); err != nil {
				t.Fatal(err)
			}
		}, http.StatusConflict, "already submitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.prepare != nil {
				tt.prepare(t, e)
			}
			before := e.record(t)
			p := tt.post(t, e)
			p.form.Set(approvalcallback.FieldApprover, "mallory")
			req := request(http.MethodPost, "", p.form.Encode())
			req.Headers = map[string]string{}
			if p.contentType != "" {
				req.Headers["content-type"] = p.contentType
			}
			resp := e.do(t, req)
			if resp.StatusCode != tt.code || !strings.Contains(resp.Body, tt.says) || !strings.Contains(resp.Body, "Nothing was changed") {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.code, tt.says, resp.Body)
			}
			if e.sfn.calls() != 0 {
				t.Errorf("%d SendTask calls", e.sfn.calls())
			}
			if after := e.record(t); !reflect.DeepEqual(after, before) {
				t.Errorf("the record changed:\n%+v\n%+v", before, after)
			}
			if strings.Contains(resp.Body, "<form") {
				t.Error("an error page offers a form")
			}
		})
	}
}

// nextNonceAfter is the nonce the next page will draw, without drawing it.
func (e *env) nextNonceAfter() string {
	n := e.nextNonce()
	e.nonces--
	return n
}

func TestTheFormIsReadWhateverTheContentTypesCaseAndCharset(t *testing.T) {
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8",
		"Application/X-WWW-Form-URLEncoded;charset=utf-8"} {
		t.Run(ct, func(t *testing.T) {
			e := newEnv(t)
			req := request(http.MethodPost, "", e.form(t, e.link(t, approval.ActionApprove)).Encode())
			req.Headers = map[string]string{"Content-Type": ct}
			if r := e.do(t, req); r.StatusCode != http.StatusOK || len(e.sfn.success) != 1 {
				t.Fatalf("status %d, %d calls", r.StatusCode, len(e.sfn.success))
			}
		})
	}
}

// A name cannot carry what would reorder, hide or restyle text where it is
// shown: the page, the report, the finding, a terminal.
func TestNamesLoseInvisibleBidirectionalAndControlCharacters(t *testing.T) {
	tests := []struct {
		name, typed, recorded string
	}{
		{"a right-to-left override", "ann\u202Eeci.lla", "anneci.lla"},
		{"isolates and a zero-width joiner", "\u2066Bob\u2069 Lee\u200D", "Bob Lee"},
		{"a terminal escape", "\x1b[1;31mroot\x1b[0m", "root"},
		{"a line break that would forge a report line", "ann\r\nApprover: ciso@example.com", "ann Approver: ciso@example.com"},
		{"nothing visible", "\u200B\u202E", "anonymous (from " + client + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			form := e.form(t, e.link(t, approval.ActionApprove))
			form.Set(approvalcallback.FieldApprover, tt.typed)
			resp := e.post(t, form)
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "approved by "+html.EscapeString(tt.recorded)) {
				t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
			}
			if got := e.record(t).Approver; got != tt.recorded {
				t.Errorf("recorded %q, want %q", got, tt.recorded)
			}
			var out contract.Approval
			_ = json.Unmarshal([]byte(aws.ToString(e.sfn.success[0].Output)), &out)
			if out.Approver != tt.recorded {
				t.Errorf("the workflow gets approver %q, want %q", out.Approver, tt.recorded)
			}
		})
	}
}

// hostileSummary is a summary as a version before the summary was made safe
// stored it: names with line breaks, escapes and bidirectional overrides.
var hostileSummary = approval.Summary{
	Where: "service prod/api\u202Eipa", Cluster: "prod", Service: "api", Account: "123456789012", Region: "us-east-1",
	TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/abc", TaskDefArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
	Findings: []approval.Finding{{Severity: "HIGH", Rule: "approved_registries", Title: "Image from an unapproved registry",
		Container: "api\nApproved by: ciso", Image: "\x1b[8mnginx:1.25\x1b[0m",
		Message: "container \"api\" uses <b>nginx</b> from docker.io\u2067 (allowed: ecr)\u2069"}},
	Actions: []string{"Scale service api in cluster prod to 0 tasks", "Stop task abc", "Deregister task definition api:7"},
}

// The confirmation pages people read, byte for byte (go test -update).
func TestConfirmationPages(t *testing.T) {
	for _, action := range []string{approval.ActionApprove, approval.ActionReject} {
		t.Run(action, func(t *testing.T) {
			e := newEnv(t)
			e.m = &store.Memory{}
			e.h.Store = e.m
			if _, err := e.m.Put(context.Background(), approval.Record{Reference: e.ref, TaskToken: token, TaskArn: hostileSummary.TaskArn,
				CreatedAt: now.Add(-time.Hour), ExpiresAt: exp, Summary: hostileSummary}); err != nil {
				t.Fatal(err)
			}
			page := e.get(t, query(e.link(t, action)))
			if page.StatusCode != http.StatusOK {
				t.Fatalf("status %d", page.StatusCode)
			}
			golden.Check(t, filepath.Join("testdata", "confirm-"+action+".html"), []byte(page.Body))
			for _, r := range page.Body {
				if r != '\n' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)) {
					t.Errorf("the page keeps %U", r)
				}
			}
		})
	}
}
