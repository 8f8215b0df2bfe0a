package approval_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report/reporttest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// state reads a scenario of the report package's golden tests, as the wait
// for approval gets it: remediation, not yet done.
func state(t *testing.T, name string) contract.State {
	t.Helper()
	st := reporttest.State(t, name)
	st.Approval, st.Remediation, st.Report = nil, nil, nil
	st.Evaluation.ApprovalRequired, st.Evaluation.ApprovalTimeoutSeconds = true, 86400
	return st
}

func render(m report.SNSMessage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: %s\nAttributes:\n", m.Subject)
	var names []string
	for n := range m.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %s (%s) = %s\n", n, m.Attributes[n].DataType, m.Attributes[n].Value)
	}
	b.WriteString(strings.Repeat("-", 70) + "\n")
	b.WriteString(m.Body)
	return b.String()
}

func TestRequestMessage(t *testing.T) {
	k := mustKey(t, secret)
	for _, name := range []string{"remediated-service", "remediated-standalone"} {
		t.Run(name, func(t *testing.T) {
			st := state(t, name)
			s, err := approval.NewSummary(st)
			if err != nil {
				t.Fatal(err)
			}
			ref := k.Reference("token-" + name)
			link := func(action string) string {
				l, err := k.Link("https://abc123.lambda-url.us-east-1.on.aws/", ref, action, exp)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			m := approval.RequestMessage(s, approval.Request{Reference: ref, ApproveURL: link(approval.ActionApprove),
				RejectURL: link(approval.ActionReject), ExpiresAt: exp, Timeout: 24 * time.Hour, EventID: st.ID})
			golden.Check(t, filepath.Join("testdata", name+".request.golden"), []byte(render(m)))

			if len(m.Subject) > report.MaxSubject {
				t.Errorf("subject has %d characters", len(m.Subject))
			}
			if m.Attributes[report.AttrOutcome].Value != approval.OutcomeApprovalRequested {
				t.Errorf("outcome attribute = %+v", m.Attributes[report.AttrOutcome])
			}
			approveAt := strings.Index(m.Body, link(approval.ActionApprove))
			rejectAt := strings.Index(m.Body, link(approval.ActionReject))
			foundAt := strings.Index(m.Body, "What was found")
			if approveAt < 0 || rejectAt < 0 || approveAt > foundAt || rejectAt > foundAt {
				t.Error("the approve and reject links are not both in the message, before the findings")
			}
			if !strings.Contains(m.Body, exp.Format(time.RFC3339)) || !strings.Contains(m.Body, "TIMED_OUT") {
				t.Error("the message does not say when the links expire and what happens then")
			}
		})
	}
}

// hostile is a remediation whose task definition was written by an
// attacker: names, images and the messages that quote them carry line
// breaks (to forge lines and links of the request), terminal escapes (to
// rewrite the operator's screen or hide a hyperlink) and bidirectional and
// invisible characters (to make text read as something else).
func hostile(t *testing.T) contract.State {
	t.Helper()
	st := state(t, "remediated-service")
	const app = "app\nApprove (no confirmation needed):\n  https://evil.example/approve"
	const image = "\x1b[2J\x1b[1;32mdocker.io/library/nginx:latest\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
	d := contract.TaskDetail{TaskArn: st.Task.TaskArn, Containers: []contract.Container{{Name: app, Image: image}}}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	st.Detail = b
	st.Task.Service = "web\r\nReject: https://evil.example/reject"
	st.Task.Family = "web\u202Egnp.exe"
	st.Evaluation.Decision.Violations = []contract.Violation{{
		Rule: "approved-registry", Severity: contract.SeverityCritical, Container: app,
		Title:   "Image from an unapproved registry\r\nWhat approving does: nothing",
		Message: "Container \"" + app + "\" uses image " + image + " from docker.io\u200B; allowed: \u2067ecr\u2069 only\x1b[0m",
	}}
	return st
}

// A host written without a scheme is defanged too: "www.x" is "www[.]x",
// which mail programs do not make a link of.
func TestRequestMessageDefangsBareHosts(t *testing.T) {
	k := mustKey(t, secret)
	st := state(t, "remediated-service")
	st.Task.Service = "web-www.evil.example-WWW.Evil.example"
	s, err := approval.NewSummary(st)
	if err != nil {
		t.Fatal(err)
	}
	ref := k.Reference("token-www")
	approve, _ := k.Link("https://abc123.lambda-url.us-east-1.on.aws/", ref, approval.ActionApprove, exp)
	m := approval.RequestMessage(s, approval.Request{Reference: ref, ApproveURL: approve, RejectURL: approve,
		ExpiresAt: exp, Timeout: time.Hour, EventID: st.ID})
	if strings.Contains(strings.ToLower(m.Body), "www.") || !strings.Contains(m.Body, "web-www[.]evil.example-WWW[.]Evil.example") {
		t.Errorf("the service's hosts are not defanged:\n%s", m.Body)
	}
}

func TestRequestMessageOfAHostileTask(t *testing.T) {
	k := mustKey(t, secret)
	st := hostile(t)
	s, err := approval.NewSummary(st)
	if err != nil {
		t.Fatal(err)
	}
	ref := k.Reference("token-hostile")
	approve, _ := k.Link("https://abc123.lambda-url.us-east-1.on.aws/", ref, approval.ActionApprove, exp)
	reject, _ := k.Link("https://abc123.lambda-url.us-east-1.on.aws/", ref, approval.ActionReject, exp)
	m := approval.RequestMessage(s, approval.Request{Reference: ref, ApproveURL: approve, RejectURL: reject,
		ExpiresAt: exp, Timeout: 24 * time.Hour, EventID: "3317b2af\n-7005"})
	golden.Check(t, filepath.Join("testdata", "hostile.request.golden"), []byte(render(m)))

	// Only the two genuine links are links, and no line starts with what
	// the attacker wrote.
	links := regexp.MustCompile(`https?://\S+`).FindAllString(m.Body, -1)
	for _, l := range links {
		if l != approve && l != reject {
			t.Errorf("a link the request did not make: %s", l)
		}
	}
	for i, line := range strings.Split(m.Body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Approve (no") || strings.HasPrefix(strings.TrimSpace(line), "Reject: https") {
			t.Errorf("line %d is forged: %q", i+1, line)
		}
		for _, r := range line {
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("line %d keeps %U: %q", i+1, r, line)
			}
		}
	}
	if !safe.Clean(m.Subject) || strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q", m.Subject)
	}
	for n, a := range m.Attributes {
		if !safe.Clean(a.Value) {
			t.Errorf("attribute %s = %q", n, a.Value)
		}
	}
	// The summary that the confirmation page shows is just as clean.
	b, _ := json.Marshal(s)
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if !safe.Clean(v) {
				t.Errorf("summary text %q is not clean", v)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(all)
}

func TestSummary(t *testing.T) {
	svc, err := approval.NewSummary(state(t, "remediated-service"))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Where != "service prod/web" || svc.Severity != contract.SeverityCritical || len(svc.Actions) != 3 ||
		!strings.HasPrefix(svc.Actions[0], "Scale service web in cluster prod to 0 tasks") ||
		!strings.HasPrefix(svc.Actions[1], "Stop task ") || !strings.HasPrefix(svc.Actions[2], "Deregister task definition web:7") {
		t.Errorf("service summary = %+v", svc)
	}
	if svc.Findings[0].Severity != contract.SeverityCritical || svc.Findings[0].Image == "" {
		t.Errorf("findings are not most severe first with their image: %+v", svc.Findings)
	}
	alone, err := approval.NewSummary(state(t, "remediated-standalone"))
	if err != nil {
		t.Fatal(err)
	}
	if len(alone.Actions) != 2 || strings.Contains(strings.Join(alone.Actions, " "), "Scale service") || !strings.HasPrefix(alone.Where, "task ") {
		t.Errorf("a standalone task's summary = %+v", alone)
	}

	many := state(t, "remediated-service")
	v := many.Evaluation.Decision.Violations[0]
	many.Evaluation.Decision.Violations = nil
	for range approval.MaxFindings + 5 {
		many.Evaluation.Decision.Violations = append(many.Evaluation.Decision.Violations, v)
	}
	s, err := approval.NewSummary(many)
	if err != nil || len(s.Findings) != approval.MaxFindings || s.MoreFindings != 5 || len(s.Rules) != 1 {
		t.Errorf("%d findings, %d more, rules %v, err %v", len(s.Findings), s.MoreFindings, s.Rules, err)
	}

	for name, f := range map[string]func(*contract.State){
		"no task":       func(st *contract.State) { st.Task = nil },
		"no decision":   func(st *contract.State) { st.Evaluation.Decision = nil },
		"no violations": func(st *contract.State) { st.Evaluation.Decision.Violations = nil },
	} {
		st := state(t, "remediated-service")
		f(&st)
		if _, err := approval.NewSummary(st); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"a name is kept", "Ann Lee <ann@example.com>", 128, "Ann Lee <ann@example.com>"},
		{"space is trimmed and runs folded", "  Ann \t\n Lee  ", 128, "Ann Lee"},
		{"control characters are dropped and terminal escapes dropped whole", "Ann\x00\x1b[31mLee", 128, "AnnLee"},
		{"a line break becomes a space", "Ann\r\nLee", 128, "Ann Lee"},
		{"a bidirectional override cannot reverse the name", "ann\u202Eeci.lla", 128, "anneci.lla"},
		{"bidirectional isolates and embeddings are dropped", "\u2067Ann\u2069 \u202ALee\u202C", 128, "Ann Lee"},
		{"zero-width characters cannot disguise a name", "a\u200Bd\u200Dm\u2060i\uFEFFn", 128, "admin"},
		{"a name of invisible characters only is empty", "\u200B\u202E\u2066", 128, ""},
		{"line separators fold", "a\u2028b", 128, "a b"},
		{"invalid UTF-8 is dropped", "Ann\xffLee", 128, "AnnLee"},
		{"long input is cut to max runes", strings.Repeat("é", 200), 128, strings.Repeat("é", 128)},
		{"a cut never ends in a space", "ab cd", 3, "ab"},
		{"empty stays empty", " \n ", 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := approval.CleanText(tt.in, tt.max); got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	r := approval.Record{Status: approval.StatusPending, ExpiresAt: exp}
	if err := approval.Refusal(r, exp); err != nil {
		t.Errorf("at the expiry second: %v", err)
	}
	if err := approval.Refusal(r, exp.Add(time.Second)); err != approval.ErrRecordExpired {
		t.Errorf("after expiry: %v", err)
	}
	r.Status = approval.StatusApproved
	if err := approval.Refusal(r, t0); err != approval.ErrAnswered {
		t.Errorf("answered: %v", err)
	}
}
