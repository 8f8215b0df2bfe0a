package approvalcallback

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// css is the pages' only style. The Content-Security-Policy allows exactly
// this text (by its hash) and nothing else: no script, no image, no frame.
const css = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:46rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #d9dde3;border-radius:8px}
.brand{color:#5b6473;font-size:.85rem;margin:0}
h1{font-size:1.5rem;margin:.3rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
li{margin:.4rem 0}
.msg{color:#3b4350}
.meta{color:#5b6473;font-size:.9rem}
.status{display:inline-block;padding:.1rem .5rem;border-radius:4px;font-weight:600;background:#eef0f3}
form{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #d9dde3}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input[type=text],textarea{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #b9c0ca;border-radius:4px;font:inherit}
button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:4px;font:inherit;font-weight:600;color:#fff;cursor:pointer}
.approve{background:#b3261e}.reject{background:#2d5fa8}`

// contentSecurityPolicy forbids everything but the style above and posting
// the form back to this endpoint.
var contentSecurityPolicy = func() string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}()

// esc makes a value safe in the page: safe.Line drops control, invisible and
// bidirectional characters (a name cannot reorder or hide what the page
// says), then html.EscapeString escapes <, >, &, ' and ", which makes it
// safe both as element text and inside a double-quoted attribute.
func esc(s string) string { return html.EscapeString(safe.Line(s)) }

// render writes the page. Every value that is not a literal of this file goes
// through esc. (html/template would escape too, but its reflection makes the
// linker keep every method of every type in the binary: 5 MB more, and a
// slower cold start.)
func render(b *bytes.Buffer, p page) {
	w := func(parts ...string) {
		for _, s := range parts {
			b.WriteString(s)
		}
	}
	w("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
		"<meta name=\"robots\" content=\"noindex, nofollow\">\n<meta name=\"referrer\" content=\"no-referrer\">\n",
		"<title>", esc(p.Title), " · ecs-compliance</title>\n<style>", css, "</style>\n</head>\n<body>\n<main>\n",
		"<p class=\"brand\">ecs-compliance · remediation approval")
	if p.Status != "" {
		w(" · <span class=\"status\">", esc(p.Status), "</span>")
	}
	w("</p>\n<h1>", esc(p.Title), "</h1>\n")
	for _, para := range p.Paragraphs {
		w("<p>", esc(para), "</p>\n")
	}
	if p.Again != "" {
		w("<p><a href=\"", esc(p.Again), "\">Open the confirmation page again</a></p>\n")
	}
	if s := p.Summary; s != nil {
		w("<h2>What was found in ", esc(s.Where), "</h2>\n<ol>\n")
		for _, f := range s.Findings {
			w("<li><strong>[", esc(f.Severity), "] ", esc(f.Rule), "</strong>")
			if f.Title != "" {
				w(": ", esc(f.Title))
			}
			if f.Container != "" {
				w("<br><span class=\"meta\">Container ", esc(f.Container))
				if f.Image != "" {
					w(" (", esc(f.Image), ")")
				}
				w("</span>")
			}
			w("<br><span class=\"msg\">", esc(f.Message), "</span></li>\n")
		}
		w("</ol>\n")
		if s.MoreFindings > 0 {
			w("<p class=\"meta\">… and ", strconv.Itoa(s.MoreFindings), " more; the report lists them all.</p>\n")
		}
		if p.ShowPlan {
			w("<h2>What approving does, in order</h2>\n<ol>\n")
			for _, a := range s.Actions {
				w("<li>", esc(a), "</li>\n")
			}
			w("</ol>\n")
		}
		w("<p class=\"meta\">Task ", esc(s.TaskArn), "<br>Task definition ", esc(s.TaskDefArn),
			"<br>Account ", esc(s.Account), ", ", esc(s.Region), "</p>\n")
	}
	if f := p.Form; f != nil {
		w("<form method=\"post\" action=\"", esc(f.Path), "\">\n")
		for _, h := range f.Hidden {
			w("<input type=\"hidden\" name=\"", esc(h.Name), "\" value=\"", esc(h.Value), "\">\n")
		}
		w("<label for=\"approver\">Your name or e-mail (recorded in the report and the Security Hub finding)</label>\n",
			"<input type=\"text\" id=\"approver\" name=\"approver\" maxlength=\"", strconv.Itoa(f.MaxApprover), "\" autocomplete=\"email\">\n")
		if f.AskReason {
			w("<label for=\"reason\">Reason (optional)</label>\n",
				"<textarea id=\"reason\" name=\"reason\" rows=\"3\" maxlength=\"", strconv.Itoa(f.MaxReason), "\"></textarea>\n")
		}
		w("<button type=\"submit\" class=\"", esc(f.Class), "\">", esc(f.Button), "</button>\n",
			"<p class=\"meta\">This link expires at ", f.Expires.UTC().Format("2006-01-02 15:04:05 UTC"), " and works once; this page's form works for ",
			esc(humanDuration(f.Lifetime)), ". Your name is recorded as you type it: the link is what allows you to decide, so do not forward the message.</p>\n</form>\n")
	}
	if p.Reference != "" {
		w("<p class=\"meta\">Reference ", esc(p.Reference), "</p>\n")
	}
	w("</main>\n</body>\n</html>\n")
}

// page is what a page shows.
type page struct {
	Code       int
	Title      string
	Status     string
	Paragraphs []string
	Summary    *approval.Summary
	ShowPlan   bool
	Form       *form
	Reference  string
	// Again is the confirmation page's address, offered as a link when a
	// new form is the way on.
	Again string
}

type form struct {
	Path        string
	Hidden      []field
	AskReason   bool
	Button      string
	Class       string
	Expires     time.Time
	Lifetime    time.Duration
	MaxApprover int
	MaxReason   int
}

type field struct{ Name, Value string }

// respond renders p with the security headers every answer carries.
func respond(p page, extra ...string) events.LambdaFunctionURLResponse {
	var b bytes.Buffer
	render(&b, p)
	h := map[string]string{
		"Content-Type":              "text/html; charset=utf-8",
		"Cache-Control":             "no-store, max-age=0",
		"Pragma":                    "no-cache",
		"Content-Security-Policy":   contentSecurityPolicy,
		"X-Frame-Options":           "DENY",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"X-Robots-Tag":              "noindex, nofollow",
		"Strict-Transport-Security": "max-age=31536000",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return events.LambdaFunctionURLResponse{StatusCode: p.Code, Headers: h, Body: b.String()}
}
