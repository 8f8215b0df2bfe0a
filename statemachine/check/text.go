package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// JSON writes the report as one indented JSON document.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Text writes the report for people: per file, per task definition, the
// decision with every finding's message, what is unknown or unmapped, and a
// summary line. Names, images and messages come from the files and are
// made safe to print (package safe).
func (r *Report) Text(w io.Writer) error {
	var b strings.Builder
	ctx := "no account or region given"
	if r.Context.Account != "" || r.Context.Region != "" {
		ctx = fmt.Sprintf("account %s, region %s", orDash(r.Context.Account), orDash(r.Context.Region))
	}
	fmt.Fprintf(&b, "ecs-compliance check: policy %s (%.12s), mode %s, %s\n", safe.Line(r.Policy.Source), r.Policy.Hash, r.Mode, ctx)
	for _, f := range r.Files {
		b.WriteString("\n")
		kind := ""
		if f.Kind != "" {
			kind = "  (" + f.Kind + ")"
		}
		fmt.Fprintf(&b, "%s%s\n", safe.Line(f.File), kind)
		for _, e := range f.Errors {
			where := ""
			if e.Line > 0 {
				where = fmt.Sprintf("line %d", e.Line)
				if e.Column > 0 {
					where += fmt.Sprintf(", column %d", e.Column)
				}
			}
			if e.Pointer != "" {
				if where != "" {
					where += ", "
				}
				where += e.Pointer
			}
			if where != "" {
				where += ": "
			}
			fmt.Fprintf(&b, "  ERROR  %s%s\n", safe.Line(where), safe.Line(e.Message))
		}
		if len(f.TaskDefinitions) == 0 && len(f.Errors) == 0 {
			b.WriteString("  no ECS task definition\n")
		}
		for _, td := range f.TaskDefinitions {
			writeTaskDefinition(&b, td)
		}
	}
	b.WriteString("\n" + r.summaryLine() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTaskDefinition(b *strings.Builder, td TaskDefinition) {
	d := td.Decision
	mark, verdict := "✓", "compliant"
	switch {
	case len(d.Violations) > 0:
		mark, verdict = "✗", "NOT compliant"
	case len(d.Warnings) > 0 || len(d.Exempted) > 0:
		mark = "!"
	}
	fmt.Fprintf(b, "  %s %s — %s: %s, %s, %s\n", mark, describe(td), verdict,
		count(len(d.Violations), "violation"), count(len(d.Warnings), "warning"), count(len(d.Exempted), "exemption"))
	fmt.Fprintf(b, "      %s\n", td.AtRuntime)
	list := func(mark string, vs []contract.Violation) {
		for _, v := range vs {
			where := "task definition"
			if v.Container != "" {
				where = "container " + safe.Line(v.Container)
			}
			fmt.Fprintf(b, "      %s %-26s %-8s %s: %s\n", mark, v.Rule, v.Severity, where, safe.Line(v.Message))
			if v.Exemption != nil {
				exp := "no expiry"
				if v.Exemption.Expires != "" {
					exp = "until " + v.Exemption.Expires
				}
				fmt.Fprintf(b, "        exempted (%s): %s\n", safe.Line(exp), safe.Line(v.Exemption.Reason))
			}
		}
	}
	list("✗", d.Violations)
	list("!", d.Warnings)
	list("~", d.Exempted)
	for _, u := range td.Unknown {
		fmt.Fprintf(b, "      ? unknown  %s%s = %s: %s; left out, not guessed\n",
			strings.TrimPrefix(safe.Line(u.Field), "/"), lineNote(u.Line), safe.Line(u.Expression), safe.Line(u.Reason))
	}
	for _, u := range td.Unmapped {
		fmt.Fprintf(b, "      ? unmapped %s%s: %s\n", safe.Line(u.Property), lineNote(u.Line), safe.Line(u.Message))
	}
	for _, n := range td.Notes {
		fmt.Fprintf(b, "      note: %s\n", safe.Line(n))
	}
}

// describe names a task definition: "task definition web:3" or "WebTask
// (line 12, family web)".
func describe(td TaskDefinition) string {
	if td.LogicalID == "" {
		return "task definition " + safe.Line(td.Name)
	}
	var extra []string
	if td.Line > 0 {
		extra = append(extra, fmt.Sprintf("line %d", td.Line))
	}
	if td.Family != "" {
		extra = append(extra, "family "+safe.Line(td.Family))
	}
	if td.CDKPath != "" {
		extra = append(extra, safe.Line(td.CDKPath))
	}
	s := safe.Line(td.LogicalID)
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

func lineNote(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", line)
}

func (r *Report) summaryLine() string {
	s := r.Summary
	var parts []string
	parts = append(parts, count(s.Files, "file"), count(s.TaskDefinitions, "task definition"))
	parts = append(parts, fmt.Sprintf("%d not compliant", s.NonCompliant))
	parts = append(parts, count(s.Violations, "violation"), count(s.Warnings, "warning"), count(s.Exempted, "exemption"))
	if s.Unknown > 0 {
		parts = append(parts, count(s.Unknown, "unknown value"))
	}
	if s.Unmapped > 0 {
		parts = append(parts, count(s.Unmapped, "unmapped property", "unmapped properties"))
	}
	if s.Errors > 0 {
		parts = append(parts, count(s.Errors, "input error"))
	}
	var why string
	switch r.ExitCode {
	case ExitBadInput:
		why = "bad input"
	case ExitViolations:
		why = "deny-level violations"
	default:
		why = "no deny-level violation"
	}
	return fmt.Sprintf("%s → exit %d (%s)", strings.Join(parts, ", "), r.ExitCode, why)
}

// count is "1 violation", "2 violations" (or the plural given).
func count(n int, word string, plural ...string) string {
	if n == 1 {
		return "1 " + word
	}
	if len(plural) > 0 {
		return fmt.Sprintf("%d %s", n, plural[0])
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
