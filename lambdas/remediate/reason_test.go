package remediate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

func rules(ids ...string) []contract.Violation {
	vs := make([]contract.Violation, len(ids))
	for i, id := range ids {
		vs[i] = contract.Violation{Rule: id, Container: fmt.Sprintf("c%d", i)}
	}
	return vs
}

// longIDs are n distinct rule ids of about size bytes each.
func longIDs(n, size int) []string {
	ids := make([]string, n)
	for i := range ids {
		id := fmt.Sprintf("rule_%03d_", i)
		ids[i] = id + strings.Repeat("x", max(size-len(id), 0))
	}
	return ids
}

var moreRE = regexp.MustCompile(`\(\+(\d+) more; see SNS/Security Hub\)$`)

// checkReason asserts what holds for every reason: within the limit, valid
// UTF-8, one line, the prefix and the suffix, and every rule either named or
// counted as left out.
func checkReason(t *testing.T, got string, ids []string) {
	t.Helper()
	if len(got) > MaxStopReason {
		t.Errorf("reason is %d bytes, over ECS's %d: %q", len(got), MaxStopReason, got)
	}
	if !utf8.ValidString(got) {
		t.Errorf("reason is not valid UTF-8: %q", got)
	}
	if strings.ContainsAny(got, "\n\r\t") {
		t.Errorf("reason spans lines: %q", got)
	}
	if !strings.HasPrefix(got, reasonPrefix) || !strings.HasSuffix(got, "see SNS/Security Hub)") {
		t.Errorf("reason lacks the prefix or the pointer to the reports: %q", got)
	}
	uniq := RuleIDs(rules(ids...))
	if len(uniq) == 0 {
		return
	}
	shown := 0
	for _, id := range uniq {
		if strings.Contains(got, id+", ") || strings.Contains(got, id+" (see") {
			shown++
		}
	}
	left := 0
	if m := moreRE.FindStringSubmatch(got); m != nil {
		left, _ = strconv.Atoi(m[1])
	}
	cutOne := 0
	if shown == 0 && strings.Contains(got, "...") {
		cutOne = 1 // the first id, cut
	}
	if shown+left+cutOne != len(uniq) {
		t.Errorf("reason names %d rules whole, %d cut and counts %d left out; want %d in all: %q",
			shown, cutOne, left, len(uniq), got)
	}
}

func TestStopReason(t *testing.T) {
	many := longIDs(40, 30)
	exact := longIDs(1, MaxStopReason-len(reasonPrefix)-len(reasonSuffix))
	tests := []struct {
		name string
		ids  []string
		want string // "" = only the invariants
	}{
		{
			name: "names each broken rule once, in the decision's order",
			ids:  []string{"approved_registries", "privileged", "approved_registries", "privileged"},
			want: "ecs-compliance: violates approved_registries, privileged (see SNS/Security Hub)",
		},
		{
			name: "one rule",
			ids:  []string{"approved_registries"},
			want: "ecs-compliance: violates approved_registries (see SNS/Security Hub)",
		},
		{
			name: "blank rule ids are skipped and spaces trimmed",
			ids:  []string{" ", "  privileged  ", ""},
			want: "ecs-compliance: violates privileged (see SNS/Security Hub)",
		},
		{
			name: "no rule id at all still says why",
			ids:  []string{""},
			want: "ecs-compliance: violates the compliance policy (see SNS/Security Hub)",
		},
		{
			name: "control characters in a rule id do not break the line",
			ids:  []string{"bad\nrule\tid"},
			want: "ecs-compliance: violates bad rule id (see SNS/Security Hub)",
		},
		{
			name: "a reason of exactly 255 bytes is kept whole",
			ids:  exact,
			want: reasonPrefix + exact[0] + reasonSuffix,
		},
		{
			name: "many long rule ids keep the whole ids that fit and count the rest",
			ids:  many,
			want: reasonPrefix + strings.Join(many[:6], ", ") + ", ... (+34 more; see SNS/Security Hub)",
		},
		{
			name: "one byte over the limit drops a rule and counts it",
			ids:  []string{longIDs(1, 100)[0], longIDs(2, 106)[1]}, // 256 bytes whole
			want: reasonPrefix + longIDs(1, 100)[0] + ", ... (+1 more; see SNS/Security Hub)",
		},
		{
			name: "a single rule id longer than the limit is cut with an ellipsis",
			ids:  longIDs(1, 400),
			want: reasonPrefix + longIDs(1, 400)[0][:MaxStopReason-len(reasonPrefix)-len("... (see SNS/Security Hub)")] + "... (see SNS/Security Hub)",
		},
		{
			name: "a huge first rule id is cut and the others counted",
			ids:  append(longIDs(1, 400), "privileged", "root_user"),
		},
		{
			name: "a multi-byte rule id is cut on a character boundary",
			ids:  []string{strings.Repeat("é", 200)},
		},
		{
			name: "hundreds of rules stay within the limit",
			ids:  longIDs(500, 60),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := StopReason(rules(tc.ids...))
			checkReason(t, got, tc.ids)
			if tc.want != "" && got != tc.want {
				t.Errorf("StopReason =\n  %q (%d bytes)\nwant\n  %q (%d bytes)", got, len(got), tc.want, len(tc.want))
			}
		})
	}
}

// Around the limit every length of rule id must come out within it.
func TestStopReasonEveryLengthFits(t *testing.T) {
	for n := 1; n <= 4; n++ {
		for size := 1; size <= 300; size++ {
			ids := longIDs(n, size)
			checkReason(t, StopReason(rules(ids...)), ids)
		}
	}
}

func BenchmarkStopReason(b *testing.B) {
	vs := rules(longIDs(50, 40)...)
	for b.Loop() {
		_ = StopReason(vs)
	}
}
