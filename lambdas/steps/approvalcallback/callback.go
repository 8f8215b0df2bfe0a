// Package approvalcallback is the approval endpoint (a Lambda function URL)
// that the links of an approval request point to.
//
// GET verifies the link and shows a confirmation page with a form; it never
// changes anything (it writes nothing at all), because mail scanners and link
// previews follow links. Only the form's POST acts, and only a POST that is
// that form: content type application/x-www-form-urlencoded, the link's
// hidden fields, and the one-time token of a page this endpoint served for
// this link (approval.FormToken: bound to the reference, action and expiry,
// an hour old at most, single-use). It verifies the link and the token,
// marks the approval record answered with a conditional update that also
// records the token's nonce (so that a link and a form work once, even under
// a double click), and answers the workflow's task token — SendTaskSuccess
// with contract.Approval for approve, SendTaskFailure with
// Compliance.ApprovalRejected and a JSON cause {approver, reason, decidedAt}
// for reject. The approver's name is what the person typed, without control,
// invisible or bidirectional characters (approval.CleanText); it is a claim,
// not an identity: the link is the only authorization.
//
// A link that is malformed (400), forged or altered (403), for an unknown
// reference (404), expired (410) or already used (409); a POST that is not
// the form (415), without its token (400), with a token of another page
// (403), of a page served too long ago (410) or already submitted (409); and
// any method but GET and POST (405), get an error page and change nothing. A
// decision that reaches a workflow that no longer waits (TaskTimedOut,
// TaskDoesNotExist) says so (410). A decision that cannot be delivered for a
// passing reason (throttling, a service error) is undone, so that the link
// can be used again from a reloaded page (503).
package approvalcallback

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Store reads and answers approval records (store.Table and store.Memory fit).
type Store interface {
	Get(ctx context.Context, ref string) (approval.Record, error)
	Decide(ctx context.Context, ref string, d approval.Decision) (approval.Record, error)
	Reopen(ctx context.Context, ref string, d approval.Decision) error
	SetDelivery(ctx context.Context, ref, delivery string) error
}

// Keys gives the signing key (secret.Source fits).
type Keys interface {
	Key(ctx context.Context) (approval.Key, error)
}

// SFNAPI is the Step Functions calls the endpoint makes.
type SFNAPI interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Handler answers the approval links.
type Handler struct {
	Store Store
	Keys  Keys
	SFN   SFNAPI
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// RetryDelay is the first pause between tries to undo an undelivered
	// decision; it doubles after each try (0: 50 ms).
	RetryDelay time.Duration
	// Nonce draws the nonce of a confirmation form's token (nil:
	// approval.NewNonce; tests pass a fixed one).
	Nonce func() string
}

// Form fields beyond the link's parameters.
const (
	FieldApprover = "approver"
	FieldReason   = "reason"
	FieldToken    = approval.FieldToken
)

// formContentType is the only content type a decision is read from: what a
// browser sends for the confirmation page's form.
const formContentType = "application/x-www-form-urlencoded"

// maxBody bounds a POST body: the form has five short fields and two texts.
const maxBody = 16 << 10

// reopenTries is how often an undelivered decision is undone before giving up.
const reopenTries = 3

// Handle answers one request of the function URL. It never returns an error:
// every outcome is a page.
func (h *Handler) Handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	method := strings.ToUpper(req.RequestContext.HTTP.Method)
	var resp events.LambdaFunctionURLResponse
	var ref, action string
	switch method {
	case http.MethodGet:
		resp, ref, action = h.confirm(ctx, req)
	case http.MethodPost:
		resp, ref, action = h.decide(ctx, req)
	default:
		resp = respond(page{Code: http.StatusMethodNotAllowed, Title: "This address only answers approval links",
			Paragraphs: []string{"Open the approval link from the message in a browser: it shows a confirmation page, and the decision is taken only when you press its button. Nothing was changed."}},
			"Allow", "GET, POST")
	}
	slog.InfoContext(ctx, "approval endpoint", "method", method, "status", resp.StatusCode, "reference", ref, "action", action,
		"sourceIp", req.RequestContext.HTTP.SourceIP, "userAgent", req.RequestContext.HTTP.UserAgent)
	return resp, nil
}

// confirm answers a GET: the confirmation page, or why there is none.
func (h *Handler) confirm(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, string, string) {
	q, err := url.ParseQuery(req.RawQueryString)
	if err != nil || repeated(q) {
		return malformed(), "", ""
	}
	p := approval.ParamsFrom(q)
	key, link, bad := h.verify(ctx, p)
	if bad != nil {
		return *bad, p.Ref, p.Action
	}
	rec, err := h.Store.Get(ctx, link.Ref)
	if err != nil {
		return storePage(err, link), link.Ref, link.Action
	}
	if why := approval.Refusal(rec, h.now()); why != nil {
		return storePage(&approval.StoreError{Err: why, Record: rec}, link), link.Ref, link.Action
	}
	// The form's one-time token: issued now, nothing stored until a
	// decision uses it.
	token, err := key.FormToken(link, h.nonce(), h.now())
	if err != nil {
		return unavailable(err), link.Ref, link.Action
	}
	f := &form{
		Path: formPath(req.RawPath), Expires: link.Expires, MaxApprover: approval.MaxApproverRunes, MaxReason: approval.MaxReasonRunes,
		Hidden: []field{{approval.ParamRef, p.Ref}, {approval.ParamAction, p.Action}, {approval.ParamExp, p.Exp}, {approval.ParamSig, p.Sig},
			{FieldToken, token}},
		Lifetime: approval.FormLifetime,
	}
	summary := rec.Summary.Safe()
	pg := page{Code: http.StatusOK, Summary: &summary, Form: f, Reference: rec.Reference, Status: approval.StatusPending}
	if link.Action == approval.ActionApprove {
		pg.Title = "Approve the remediation of " + summary.Where + "?"
		pg.Paragraphs = []string{"The workflow waits for a decision. If you approve, ecs-compliance acts at once, in the order below. Nothing has happened yet: the decision is taken only when you press the button."}
		pg.ShowPlan = true
		f.Button, f.Class = "Approve: remediate now", "approve"
	} else {
		pg.Title = "Reject the remediation of " + summary.Where + "?"
		pg.Paragraphs = []string{"If you reject, nothing is changed: the task keeps running and the violation is reported as rejected, with your name and reason. Nothing has happened yet: the decision is taken only when you press the button."}
		f.Button, f.Class, f.AskReason = "Reject: leave the task running", "reject", true
	}
	return respond(pg), link.Ref, link.Action
}

// decide answers a POST: only the confirmation page's form, with its token,
// records the decision (once) and delivers it.
func (h *Handler) decide(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, string, string) {
	if !isForm(header(req.Headers, "content-type")) {
		return notTheForm(), "", ""
	}
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return malformed(), "", ""
		}
		body = string(b)
	}
	if len(body) > maxBody {
		return respond(page{Code: http.StatusRequestEntityTooLarge, Title: "The form is too large",
			Paragraphs: []string{"Shorten the reason and send the form again. Nothing was changed."}}), "", ""
	}
	// The link comes from the form's hidden fields, never from the query:
	// a decision is the form of a page this endpoint served.
	f, err := url.ParseQuery(body)
	if err != nil || repeated(f) {
		return malformed(), "", ""
	}
	p := approval.ParamsFrom(f)
	key, link, bad := h.verify(ctx, p)
	if bad != nil {
		return *bad, p.Ref, p.Action
	}
	nonce, err := key.VerifyFormToken(f.Get(FieldToken), link, h.now())
	if err != nil {
		return tokenPage(err, p, formPath(req.RawPath)), link.Ref, link.Action
	}

	from := req.RequestContext.HTTP.SourceIP
	d := approval.Decision{
		Status:   approval.StatusApproved,
		Approver: approval.CleanText(f.Get(FieldApprover), approval.MaxApproverRunes),
		Reason:   approval.CleanText(f.Get(FieldReason), approval.MaxReasonRunes),
		From:     from,
		At:       h.now().UTC().Truncate(time.Second),
		Nonce:    nonce,
	}
	if link.Action == approval.ActionReject {
		d.Status = approval.StatusRejected
	} else {
		d.Reason = ""
	}
	if d.Approver == "" {
		d.Approver = "anonymous"
		if from != "" {
			d.Approver += " (from " + from + ")"
		}
	}
	rec, err := h.Store.Decide(ctx, link.Ref, d)
	if errors.Is(err, approval.ErrFormUsed) {
		return tokenPage(err, p, formPath(req.RawPath)), link.Ref, link.Action
	}
	if err != nil {
		return storePage(err, link), link.Ref, link.Action
	}
	return h.deliver(ctx, rec, d, again(p, formPath(req.RawPath))), link.Ref, link.Action
}

// isForm: the content type of an HTML form's POST (with no charset or
// UTF-8, which the page declares).
func isForm(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != formContentType {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// header is a request header by name, in any case (function URLs send
// lower-case names; other front doors may not).
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func notTheForm() events.LambdaFunctionURLResponse {
	return respond(page{Code: http.StatusUnsupportedMediaType, Title: "This address only takes its confirmation form",
		Paragraphs: []string{"A decision is taken only by the form of the confirmation page (" + formContentType + "). Open the approval link from the message in a browser and press the button there. Nothing was changed."}})
}

// tokenPage explains why the form's token was refused. again is the
// confirmation page's address, for a fresh form.
func tokenPage(err error, p approval.Params, path string) events.LambdaFunctionURLResponse {
	open := again(p, path)
	switch {
	case errors.Is(err, approval.ErrNoToken):
		return respond(page{Code: http.StatusBadRequest, Title: "This form did not come from the confirmation page",
			Paragraphs: []string{"A decision is taken only by the form of a confirmation page that this endpoint served, which carries a one-time token; this one has none, or a damaged one. Nothing was changed."},
			Again:      open})
	case errors.Is(err, approval.ErrTokenForged):
		return respond(page{Code: http.StatusForbidden, Title: "This form was not issued for this link",
			Paragraphs: []string{"Its token belongs to another confirmation page (another request, or the other action of this one). Nothing was changed."},
			Again:      open})
	case errors.Is(err, approval.ErrTokenExpired):
		return respond(page{Code: http.StatusGone, Title: "This confirmation page is too old", Status: "EXPIRED",
			Paragraphs: []string{"A confirmation page's form works for " + humanDuration(approval.FormLifetime) + " after the page was opened. Open the confirmation page again and decide there. Nothing was changed."},
			Again:      open})
	case errors.Is(err, approval.ErrFormUsed):
		return respond(page{Code: http.StatusConflict, Title: "This form was already submitted",
			Paragraphs: []string{"Each confirmation form works once. The request is still waiting for a decision: open the confirmation page again for a new form. Nothing was changed."},
			Again:      open})
	}
	return unavailable(err)
}

// again is the confirmation page's address for the link p (a relative URL:
// the endpoint's path and the link's query).
func again(p approval.Params, path string) string { return path + "?" + p.Query() }

func humanDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "an hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// deliver answers the task token with the recorded decision.
// open is the confirmation page's address, offered when the decision was
// undone so that the person can decide again with a new form.
func (h *Handler) deliver(ctx context.Context, rec approval.Record, d approval.Decision, open string) events.LambdaFunctionURLResponse {
	decidedAt := d.At.Format(time.RFC3339)
	var err error
	if d.Status == approval.StatusApproved {
		out, _ := json.Marshal(contract.Approval{Decision: contract.ApprovalApproved, Approver: d.Approver, DecidedAt: decidedAt})
		_, err = h.SFN.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(rec.TaskToken), Output: aws.String(string(out))})
	} else {
		cause, _ := json.Marshal(map[string]string{"approver": d.Approver, "reason": d.Reason, "decidedAt": decidedAt})
		_, err = h.SFN.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(rec.TaskToken),
			Error: aws.String(contract.ErrApprovalRejected), Cause: aws.String(string(cause))})
	}
	word := strings.ToLower(d.Status)
	switch code := step.ErrorCode(err); {
	case err == nil:
		h.setDelivery(ctx, rec.Reference, approval.DeliveryDone)
		summary := rec.Summary.Safe()
		pg := page{Code: http.StatusOK, Status: d.Status, Summary: &summary, Reference: rec.Reference,
			Title: "Remediation " + word + " by " + d.Approver}
		if d.Status == approval.StatusApproved {
			pg.Paragraphs = []string{"Recorded at " + decidedAt + ". The workflow goes on: it remediates " + rec.Summary.Where +
				" now, in the order below, and then sends the report (SNS and Security Hub) that names you as the approver."}
			pg.ShowPlan = true
		} else {
			pg.Paragraphs = []string{"Recorded at " + decidedAt + ". Nothing is changed: the task keeps running, and the report (SNS and Security Hub) says that you rejected the remediation" +
				reasonNote(d.Reason) + "."}
		}
		return respond(pg)
	case code == "TaskTimedOut" || code == "TaskDoesNotExist" || code == "InvalidToken":
		h.setDelivery(ctx, rec.Reference, approval.DeliveryWorkflowEnded)
		slog.WarnContext(ctx, "the workflow no longer waits for this approval", "reference", rec.Reference, "error", code)
		return respond(page{Code: http.StatusGone, Status: "NO EFFECT", Reference: rec.Reference,
			Title: "The workflow no longer waits for this decision",
			Paragraphs: []string{
				"Your decision (" + word + ") was recorded, but the workflow had already stopped waiting (" + code + "): its wait timed out, or the execution ended. It had no effect.",
				"A wait that times out never remediates: the violation was reported as TIMED_OUT and the task was not changed by ecs-compliance.",
			}})
	default:
		slog.ErrorContext(ctx, "the decision could not be delivered", "reference", rec.Reference, "error", err.Error())
		if h.reopen(ctx, rec.Reference, d) {
			return respond(page{Code: http.StatusServiceUnavailable, Title: "The decision could not be delivered: try again", Reference: rec.Reference,
				Paragraphs: []string{"AWS Step Functions did not accept the decision (" + firstNonEmpty(code, "an error") + "). It was not recorded, and the link still works: open the confirmation page again in a moment and press its button."},
				Again:      open},
				"Retry-After", "5")
		}
		return respond(page{Code: http.StatusInternalServerError, Title: "The decision could not be delivered", Reference: rec.Reference,
			Paragraphs: []string{"AWS Step Functions did not accept the decision (" + firstNonEmpty(code, "an error") + "), and the request could not be reopened.",
				"Nothing was changed. If nobody else answers, the request times out and the violation is reported as TIMED_OUT, without remediation."}})
	}
}

// verify checks the link and returns the key that verified it; bad is the
// error page when it fails.
func (h *Handler) verify(ctx context.Context, p approval.Params) (approval.Key, approval.Link, *events.LambdaFunctionURLResponse) {
	if h.Store == nil || h.Keys == nil || h.SFN == nil {
		r := unavailable(errors.New("not configured"))
		return approval.Key{}, approval.Link{}, &r
	}
	key, err := h.Keys.Key(ctx)
	if err != nil {
		slog.ErrorContext(ctx, "approval signing key", "error", err.Error())
		r := unavailable(err)
		return approval.Key{}, approval.Link{}, &r
	}
	link, err := key.Verify(p, h.now())
	var r events.LambdaFunctionURLResponse
	switch {
	case err == nil:
		return key, link, nil
	case errors.Is(err, approval.ErrMalformed):
		r = malformed()
	case errors.Is(err, approval.ErrForged):
		r = respond(page{Code: http.StatusForbidden, Title: "This approval link is not valid",
			Paragraphs: []string{"Its signature does not match its contents: the link was altered (its action, reference or expiry changed) or it was not issued by this deployment. Nothing was changed.",
				"Use the links exactly as they came in the approval request."}})
	case errors.Is(err, approval.ErrExpired):
		r = respond(page{Code: http.StatusGone, Title: "This approval link has expired", Status: "EXPIRED",
			Paragraphs: []string{"It expired at " + link.Expires.Format(time.RFC3339) + ", when the workflow stopped waiting for a decision. Nothing was changed by this link.",
				"An unanswered request never remediates: the violation was reported as TIMED_OUT and the task was left running."}})
	default:
		r = unavailable(err)
	}
	return key, link, &r
}

// storePage explains why the store refused a link's reference.
func storePage(err error, link approval.Link) events.LambdaFunctionURLResponse {
	var se *approval.StoreError
	errors.As(err, &se)
	switch {
	case errors.Is(err, approval.ErrNotFound):
		return respond(page{Code: http.StatusNotFound, Title: "Unknown approval request",
			Paragraphs: []string{"No approval request has the reference " + link.Ref + ": it was never made by this deployment, or it was deleted after it expired. Nothing was changed."}})
	case errors.Is(err, approval.ErrAnswered) && se != nil:
		r := se.Record
		p := "This request was already answered: " + strings.ToLower(firstNonEmpty(r.Status, "answered"))
		if r.Approver != "" {
			p += " by " + r.Approver
		}
		if !r.DecidedAt.IsZero() {
			p += " at " + r.DecidedAt.Format(time.RFC3339)
		}
		p += ". Each link works once; nothing was changed."
		paras := []string{p}
		if r.Delivery == approval.DeliveryWorkflowEnded {
			paras = append(paras, "That decision came after the workflow had stopped waiting, so it had no effect.")
		}
		return respond(page{Code: http.StatusConflict, Title: "This request was already answered", Status: r.Status, Reference: r.Reference, Paragraphs: paras})
	case errors.Is(err, approval.ErrRecordExpired):
		exp := link.Expires
		if se != nil && !se.Record.ExpiresAt.IsZero() {
			exp = se.Record.ExpiresAt
		}
		return respond(page{Code: http.StatusGone, Title: "This approval request has expired", Status: "EXPIRED",
			Paragraphs: []string{"It expired at " + exp.Format(time.RFC3339) + ". Nothing was changed by this link; the violation was reported as TIMED_OUT, without remediation."}})
	default:
		slog.Error("approval store", "error", err.Error())
		return unavailable(err)
	}
}

func malformed() events.LambdaFunctionURLResponse {
	return respond(page{Code: http.StatusBadRequest, Title: "This approval link is incomplete",
		Paragraphs: []string{"It lacks a part (ref, action, exp or sig) or a part is not in its format. Some mail programs cut long links: open the link from the approval request as it is, or copy all of it. Nothing was changed."}})
}

// unavailable is the page for a failure on our side: 503 when it may pass.
func unavailable(err error) events.LambdaFunctionURLResponse {
	if step.Name(err) == contract.ErrTransient {
		return respond(page{Code: http.StatusServiceUnavailable, Title: "Busy: try again in a moment",
			Paragraphs: []string{"An AWS service did not answer in time. Nothing was changed; reload the page in a moment."}}, "Retry-After", "5")
	}
	return respond(page{Code: http.StatusInternalServerError, Title: "The approval endpoint cannot answer",
		Paragraphs: []string{"It could not read the approval request or its signing key (see the approval-callback function's log). Nothing was changed."}})
}

// reopen undoes d, trying a few times: its delivery failed for a passing reason.
func (h *Handler) reopen(ctx context.Context, ref string, d approval.Decision) bool {
	for i := range reopenTries {
		err := h.Store.Reopen(ctx, ref, d)
		if err == nil {
			return true
		}
		slog.ErrorContext(ctx, "reopen the approval request", "reference", ref, "try", i+1, "error", err.Error())
		if errors.Is(err, approval.ErrAnswered) || ctx.Err() != nil {
			return false
		}
		delay := h.RetryDelay
		if delay <= 0 {
			delay = 50 * time.Millisecond
		}
		time.Sleep(delay << i)
	}
	return false
}

func (h *Handler) setDelivery(ctx context.Context, ref, delivery string) {
	if err := h.Store.SetDelivery(ctx, ref, delivery); err != nil {
		slog.WarnContext(ctx, "record the delivery", "reference", ref, "delivery", delivery, "error", err.Error())
	}
}

func (h *Handler) nonce() string {
	if h.Nonce != nil {
		return h.Nonce()
	}
	return approval.NewNonce()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// repeated: a link parameter given twice is ambiguous, so the link is malformed.
func repeated(v url.Values) bool {
	for _, k := range []string{approval.ParamRef, approval.ParamAction, approval.ParamExp, approval.ParamSig, FieldToken, FieldApprover, FieldReason} {
		if len(v[k]) > 1 {
			return true
		}
	}
	return false
}

var safePath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)

// formPath is where the form posts: the page's own path when it is a plain
// one ("/" for a function URL).
func formPath(raw string) string {
	if safePath.MatchString(raw) && !strings.HasPrefix(raw, "//") {
		return raw
	}
	return "/"
}

func reasonNote(reason string) string {
	if reason == "" {
		return ""
	}
	return fmt.Sprintf(" (reason: %s)", reason)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
