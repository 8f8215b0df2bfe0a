package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// text builds a plain-text message body: sections, aligned fields, numbered
// items whose continuation lines are indented, and shell commands set off by
// two more spaces.
type text struct {
	b strings.Builder
}

const fieldWidth = 17 // "Task definition: " and a space

func (t *text) line(format string, args ...any) {
	fmt.Fprintf(&t.b, format, args...)
	t.b.WriteByte('\n')
}

func (t *text) blank() { t.b.WriteByte('\n') }

// para writes a paragraph as it is (mail clients wrap long lines).
func (t *text) para(s string) { t.line("%s", s) }

func (t *text) section(title string) {
	t.blank()
	t.line("%s", title)
}

// field writes "  Label:   value"; an empty label continues the field above.
func (t *text) field(label, value string) {
	if label != "" {
		label += ":"
	}
	t.block("  "+fmt.Sprintf("%-*s", fieldWidth, label), value)
}

// more writes a value under the field above.
func (t *text) more(value string) {
	if value != "" {
		t.field("", value)
	}
}

func (t *text) item(n int, s string) { t.block("  "+fmt.Sprintf("%-3s", strconv.Itoa(n)+"."), s) }

func (t *text) bullet(s string) { t.block("  - ", s) }

func (t *text) indent(s string) { t.block("     ", s) }

// block writes s after prefix; its further lines are indented to the width of
// prefix, and lines that are shell commands ("aws ...") two spaces more.
func (t *text) block(prefix, s string) {
	pad := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	for i, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		switch {
		case i == 0:
			t.b.WriteString(prefix)
		case strings.HasPrefix(l, "aws "):
			t.b.WriteString(pad + "  ")
		default:
			t.b.WriteString(pad)
		}
		t.b.WriteString(strings.TrimRight(l, " \t"))
		t.b.WriteByte('\n')
	}
}

// String is the body, cut to MaxBody bytes when it is longer.
func (t *text) String() string {
	s := t.b.String()
	if len(s) <= MaxBody {
		return s
	}
	note := fmt.Sprintf("\n[message truncated: %d bytes in all]\n", len(s))
	return truncate(s, MaxBody-len(note)) + note
}

// truncate cuts s to at most max bytes on a rune boundary (so it is also at
// most max characters), ending with "..." when cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 3 {
		return s[:0]
	}
	cut := max - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// plural: plural(1, "rule") = "1 rule", plural(2, "rule") = "2 rules".
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}

// joinAnd: "a", "a and b", "a, b and c".
func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	default:
		return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
}
