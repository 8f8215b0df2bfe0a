package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// textPrinter prints an execution record for people.
type textPrinter struct {
	w     io.Writer
	total int
	n     int
}

func (p *textPrinter) print(r *offline.Record) error {
	p.n++
	var b strings.Builder
	fmt.Fprintf(&b, "\n── event %d/%d  %s\n", p.n, p.total, safe.Line(r.Event))
	if t := r.Task; t != nil {
		switch {
		case t.Kind == contract.KindRegistration:
			fmt.Fprintf(&b, "   registration of task definition %s:%d by %s\n", safe.Line(t.Family), t.Revision, safe.Line(t.RegisteredBy))
		default:
			what := "standalone task"
			if t.Service != "" {
				what = "task of service " + safe.Line(t.Service)
			}
			fmt.Fprintf(&b, "   %s %s in cluster %s, task definition %s:%d (event: %s)\n",
				what, shortID(t.TaskArn), safe.Line(t.Cluster), safe.Line(t.Family), t.Revision, safe.Line(t.LastStatus))
		}
	}
	if r.Filtered != "" {
		fmt.Fprintf(&b, "   not delivered: %s\n", r.Filtered)
	}
	machine := ""
	for _, s := range r.Steps {
		if s.Machine != machine {
			machine = s.Machine
			fmt.Fprintf(&b, "   %s\n", map[string]string{"triage": "triage (Express)", "workflow": "workflow (Standard)"}[machine])
		}
		mark := "✓"
		if s.Failed {
			mark = "✗"
		}
		indent := "     "
		if s.Scope != "" {
			indent += strings.Repeat("  ", strings.Count(s.Scope, "/")+1)
		}
		line := fmt.Sprintf("%s%s %-42s %8s", indent, mark, s.State, duration(s.Duration))
		if s.Retries > 0 {
			line += fmt.Sprintf("  retried %d× (%s)", s.Retries, s.Error)
		} else if s.Failed && s.Error != "" {
			line += "  " + s.Error
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if r.Task != nil && r.Task.Duplicate {
		fmt.Fprintf(&b, "   duplicate: this task was claimed at %s; nothing evaluated, nothing changed\n", r.Task.FirstSeen)
	}
	if l := r.Lookup; l != nil {
		fmt.Fprintf(&b, "   judgement  %s (key %.12s, policy %.12s)\n", l.Reason, l.Key, l.PolicyHash)
	}
	if d := r.Decision; d != nil {
		verdict := "compliant"
		if !d.Compliant {
			verdict = "NOT compliant"
		}
		fmt.Fprintf(&b, "   decision   %s: %s, %s, %s\n", verdict,
			count(len(d.Violations), "violation"), count(len(d.Warnings), "warning"), count(len(d.Exempted), "exemption"))
		list := func(mark string, vs []contract.Violation) {
			for _, v := range vs {
				where := v.Container
				if where == "" {
					where = "task"
				}
				fmt.Fprintf(&b, "     %s %-28s %-13s %s: %s\n", mark, safe.Line(v.Rule), safe.Line(v.Severity), safe.Line(where), safe.Line(v.Message))
			}
		}
		list("✗", d.Violations)
		list("!", d.Warnings)
		list("~", d.Exempted)
	}
	if a := r.Approval; a != nil {
		switch {
		case a.Decision != "":
			fmt.Fprintf(&b, "   approval   %s by %s at %s\n", safe.Line(a.Decision), safe.Line(a.Approver), safe.Line(a.DecidedAt))
		case a.Error != nil && a.Error.Error == "States.Timeout":
			fmt.Fprintf(&b, "   approval   TIMED OUT: nobody answered; the violation is reported, nothing changed\n")
		case a.Error != nil:
			var why struct{ Approver, Reason string }
			if json.Unmarshal([]byte(a.Error.Cause), &why) == nil && why.Approver != "" {
				fmt.Fprintf(&b, "   approval   REJECTED by %s: %s; nothing changed\n", safe.Line(why.Approver), safe.Line(why.Reason))
			} else {
				fmt.Fprintf(&b, "   approval   REJECTED (%s); nothing changed\n", safe.Line(a.Error.Cause))
			}
		}
	}
	if r.Evaluation != nil && r.Evaluation.Outcome != "" {
		fmt.Fprintf(&b, "   outcome    %s (mode %s)\n", r.Evaluation.Outcome, r.Evaluation.Mode)
	}
	if len(r.Actions) == 0 {
		b.WriteString("   changes    none\n")
	}
	for i, a := range r.Actions {
		label := "changes   "
		if i > 0 {
			label = "          "
		}
		note := ""
		if res, ok := r.Results[a.API]; ok && res.PreviousDesiredCount != nil {
			note = fmt.Sprintf("  (desired count %d → 0)", *res.PreviousDesiredCount)
		}
		fmt.Fprintf(&b, "   %s %-25s %s%s\n", label, a.API, a.Target, note)
	}
	if in := r.Incident; in != nil {
		fmt.Fprintf(&b, "   incident   %s: %s so far\n", in.ID, count(in.Tasks, "task"))
	}
	for _, n := range r.Notifications {
		fmt.Fprintf(&b, "   SNS        %s\n", safe.Line(n.Subject))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(&b, "   Security Hub  %s imported\n", count(len(r.Findings), "finding"))
	}
	bl := r.Billing
	fmt.Fprintf(&b, "   billing    %s, %s (%s), %s, %s, %s\n",
		count(bl.ExpressRequests, "Express request"), count(bl.StandardExecutions, "Standard execution"),
		count(bl.StandardTransitions, "transition"), count(bl.LambdaInvocations, "Lambda invocation"),
		count(bl.SNSPublishes, "SNS message"), count(bl.FindingsImported, "finding"))
	fmt.Fprintf(&b, "   → %s", r.Status)
	if r.Error != "" {
		fmt.Fprintf(&b, " (%s: %s)", safe.Line(r.Error), safe.Line(r.Cause))
	}
	b.WriteString("\n")
	_, err := io.WriteString(p.w, b.String())
	return err
}

func shortID(taskArn string) string {
	if i := strings.LastIndex(taskArn, "/"); i >= 0 {
		id := taskArn[i+1:]
		if len(id) > 12 {
			return id[:12] + "…"
		}
		return id
	}
	return taskArn
}

func duration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// count is "1 violation", "2 violations".
func count(n int, word string) string {
	return fmt.Sprintf("%d %s", n, plural(n, word, word+"s"))
}
