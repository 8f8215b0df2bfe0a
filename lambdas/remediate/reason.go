package remediate

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// MaxStopReason is the longest reason StopTask accepts ("Up to 255
// characters"). StopReason counts bytes, which is never less than characters,
// so its result fits however ECS counts.
const MaxStopReason = 255

const (
	reasonPrefix = "ecs-compliance: violates "
	reasonSuffix = " (see SNS/Security Hub)"
	ellipsis     = "..."
)

// StopReason is the reason the stop-task step gives ECS, which shows it as
// the task's stoppedReason in the console and DescribeTasks:
//
//	ecs-compliance: violates approved_registries, privileged (see SNS/Security Hub)
//
// It names each violated rule once, in the decision's order. When the rules do
// not fit in MaxStopReason bytes it keeps as many whole rule ids as fit and
// says how many it left out:
//
//	ecs-compliance: violates approved_registries, privileged, ... (+7 more; see SNS/Security Hub)
//
// (a single rule id too long to fit on its own is cut, with an ellipsis).
func StopReason(violations []contract.Violation) string {
	ids := RuleIDs(violations)
	if len(ids) == 0 {
		return "ecs-compliance: violates the compliance policy" + reasonSuffix
	}
	full := reasonPrefix + strings.Join(ids, ", ") + reasonSuffix
	if len(full) <= MaxStopReason {
		return full
	}
	// Keep ids[:kept] whole; at least one id is left out, since all of them
	// do not fit.
	used, kept := len(reasonPrefix), 0
	for kept < len(ids)-1 {
		next := used + len(ids[kept])
		if kept > 0 {
			next += len(", ")
		}
		if next+len(more(len(ids)-kept-1, true)) > MaxStopReason {
			break
		}
		used, kept = next, kept+1
	}
	if kept > 0 {
		return reasonPrefix + strings.Join(ids[:kept], ", ") + more(len(ids)-kept, true)
	}
	// Not even the first rule id fits whole: cut it, always visibly (it may
	// fit after "..." and not after ", ...": cut it anyway).
	tail := more(len(ids)-1, false)
	return reasonPrefix + cut(ids[0], min(MaxStopReason-len(reasonPrefix)-len(tail), len(ids[0])-1)) + tail
}

// more is the reason's end after the rules shown: ", ... (+N more; see …)"
// when a list of whole ids precedes it (sep), "... (+N more; see …)" after a
// cut id.
func more(left int, sep bool) string {
	s := ellipsis
	if sep {
		s = ", " + ellipsis
	}
	if left == 0 {
		return s + reasonSuffix
	}
	return s + " (+" + strconv.Itoa(left) + " more; see SNS/Security Hub)"
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// RuleIDs are the rule ids of the violations, each once, in order of first
// appearance; blank ids are skipped and control characters (a newline in a
// rule id would break the one-line reason) become spaces.
func RuleIDs(violations []contract.Violation) []string {
	seen := make(map[string]bool, len(violations))
	ids := make([]string, 0, len(violations))
	for _, v := range violations {
		id := strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, v.Rule))
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}
