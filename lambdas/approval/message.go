package approval

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// OutcomeApprovalRequested is the "outcome" message attribute of an approval
// request, as the reports carry REMEDIATED, REPORTED or FAILED. Requests are
// published only to the approvers' topic, never to the report topic (whose
// readers are not all entitled to decide); the attribute tells them apart
// where both topics feed one queue.
const OutcomeApprovalRequested = "APPROVAL_REQUESTED"

// Request is what a request message needs beyond the summary.
type Request struct {
	Reference  string
	ApproveURL string
	RejectURL  string
	ExpiresAt  time.Time
	// Timeout is how long the workflow waits (the links' lifetime).
	Timeout time.Duration
	// EventID is the EventBridge event's id.
	EventID string
}

// RequestMessage is the SNS message that asks for approval: the links first
// (a person reading it on a phone sees them at once), then what was found
// and what approving does. Every text from the task definition, the policy
// or the event is safe.Line — a line break in a container name cannot forge
// a line of the request, an escape cannot restyle a terminal — and inert: a
// URL in an image name is not turned into a link by the mail program, so
// that the request's only links are its own.
func RequestMessage(s Summary, r Request) report.SNSMessage {
	s = s.Safe().mapText(inert)
	r.EventID = inert(safe.Line(r.EventID))
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	if s.Service != "" {
		line("ecs-compliance asks for your approval to remediate a non-compliant ECS task in %s.", s.Where)
	} else {
		line("ecs-compliance asks for your approval to remediate a non-compliant standalone ECS task in cluster %s (task %s).", s.Cluster, s.TaskID)
	}
	line("")
	line("The task breaks %s enforced with deny. Nothing has been changed yet: the workflow waits for a decision until %s (%s).",
		rulesPhrase(s), r.ExpiresAt.UTC().Format(time.RFC3339), humanDuration(r.Timeout))
	line("")
	line("Approve (opens a confirmation page; nothing happens until you confirm there):")
	line("  %s", r.ApproveURL)
	line("")
	line("Reject (leaves the task running; the violation is reported as rejected):")
	line("  %s", r.RejectURL)
	line("")
	line("Each link works once and only until it expires. If nobody answers in time, nothing is changed: the violation is reported as TIMED_OUT and the task keeps running.")
	line("Whoever has these links can decide, under any name: do not forward this message.")

	line("")
	line("What was found (%d %s)", len(s.Findings)+s.MoreFindings, plural(len(s.Findings)+s.MoreFindings, "violation", "violations"))
	for i, f := range s.Findings {
		title := f.Rule
		if f.Title != "" {
			title += ": " + f.Title
		}
		line("  %d. [%s] %s", i+1, f.Severity, title)
		if f.Container != "" {
			c := f.Container
			if f.Image != "" {
				c += " (" + f.Image + ")"
			}
			line("     Container: %s", c)
		}
		line("     %s", oneLine(f.Message))
	}
	if s.MoreFindings > 0 {
		line("  ... and %d more (the report lists them all)", s.MoreFindings)
	}
	if s.Warnings > 0 {
		line("  The task also has %d %s (not enforced); the report lists them.", s.Warnings, plural(s.Warnings, "warning", "warnings"))
	}

	line("")
	line("What approving does, in order")
	for i, a := range s.Actions {
		line("  %d. %s", i+1, a)
	}

	line("")
	line("Task")
	line("  Cluster:         %s", s.Cluster)
	if s.Service != "" {
		line("  Service:         %s", s.Service)
	}
	line("  Task:            %s", s.TaskArn)
	line("  Task definition: %s", s.TaskDefArn)
	line("  Account:         %s / %s", s.Account, s.Region)
	line("")
	line("Reference %s%s", r.Reference, eventNote(r.EventID))

	attrs := map[string]report.Attribute{
		report.AttrOutcome:  {DataType: report.TypeString, Value: OutcomeApprovalRequested},
		report.AttrSeverity: {DataType: report.TypeString, Value: s.Severity},
		report.AttrCluster:  {DataType: report.TypeString, Value: s.Cluster},
	}
	if s.Service != "" {
		attrs[report.AttrService] = report.Attribute{DataType: report.TypeString, Value: s.Service}
	}
	if len(s.Rules) > 0 {
		rules, _ := json.Marshal(s.Rules) // []string always marshals
		attrs[report.AttrRules] = report.Attribute{DataType: report.TypeStringArray, Value: string(rules)}
	}
	for k, a := range attrs {
		if a.Value == "" {
			delete(attrs, k)
		}
	}
	return report.SNSMessage{Subject: subject(s), Body: b.String(), Attributes: attrs}
}

// subject: "[ecs-compliance] APPROVAL NEEDED HIGH: remediate service prod/api",
// ASCII and at most report.MaxSubject characters.
func subject(s Summary) string {
	sub := asciiLine(fmt.Sprintf("[ecs-compliance] APPROVAL NEEDED %s: remediate %s", s.Severity, s.Where))
	if len(sub) > report.MaxSubject {
		sub = sub[:report.MaxSubject-3] + "..."
	}
	return sub
}

func rulesPhrase(s Summary) string {
	n := len(s.Rules)
	if n == 1 {
		return "rule " + s.Rules[0]
	}
	return fmt.Sprintf("%d rules (%s)", n, strings.Join(s.Rules, ", "))
}

func eventNote(id string) string {
	if id == "" {
		return ""
	}
	return " (event " + id + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// humanDuration: 24h, 90m, 45s.
func humanDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s > 0 && s%3600 == 0:
		return fmt.Sprintf("%dh", s/3600)
	case s > 0 && s%60 == 0:
		return fmt.Sprintf("%dm", s/60)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

var wwwPattern = regexp.MustCompile(`(?i)\b(www)\.`)

// inert keeps a mail program from making a link of a URL in untrusted text:
// "https://evil.example" becomes "https[:]//evil.example" and "www.x" "www[.]x"
// (the way security teams defang indicators). Text without a URL is
// unchanged.
func inert(s string) string {
	s = strings.ReplaceAll(s, "://", "[:]//")
	return wwwPattern.ReplaceAllString(s, "${1}[.]")
}

// oneLine folds line breaks so that a message stays one item.
func oneLine(s string) string { return strings.Join(strings.Fields(safe.Line(s)), " ") }

// asciiLine keeps printable ASCII (SNS subjects allow nothing else), after
// dropping escape sequences and invisible characters whole.
func asciiLine(s string) string {
	s = safe.Line(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r >= 0x7f:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
