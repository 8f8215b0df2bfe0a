package safe

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain text is unchanged", "api:7 nginx:1.25", "api:7 nginx:1.25"},
		{"unicode letters are kept", "café-日本", "café-日本"},
		{"a line break cannot forge a line", "api\nOutcome: COMPLIANT", "api Outcome: COMPLIANT"},
		{"CRLF and tabs become one space", "a\r\n\tb", "a b"},
		{"leading control whitespace is dropped", "\n\nx", "x"},
		{"NUL, BEL, DEL are dropped", "a\x00b\x07c\x7fd", "abcd"},
		{"CSI colour escapes are dropped whole", "\x1b[31mred\x1b[0m", "red"},
		{"cursor movement is dropped", "ok\x1b[2K\x1b[1Gfake", "okfake"},
		{"OSC title/hyperlink is dropped (BEL)", "\x1b]0;owned\x07x", "x"},
		{"OSC 8 hyperlink is dropped (ST)", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"C1 CSI is dropped", "a\u009b31mb", "ab"},
		{"lone ESC at the end", "a\x1b", "a"},
		{"bidi override cannot reverse text", "abc\u202Egnp.exe", "abcgnp.exe"},
		{"bidi isolates are dropped", "\u2066x\u2069", "x"},
		{"zero-width characters are dropped", "a\u200Bd\u200Dm\u2060in\uFEFF", "admin"},
		{"soft hyphen is dropped", "ad\u00ADmin", "admin"},
		{"line separator becomes a space", "a\u2028b\u2029c", "a b c"},
		{"NEL becomes a space", "a\u0085b", "a b"},
		{"Hangul filler is dropped", "a\u3164b", "ab"},
		{"variation selectors are dropped", "a\uFE0Fb", "ab"},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb", "a\uFFFDb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Line(c.in); got != c.want {
				t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
			if !Clean(Line(c.in)) {
				t.Errorf("Line(%q) is not clean", c.in)
			}
		})
	}
}

func TestText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"line breaks are kept", "a\nb", "a\nb"},
		{"CRLF and CR become LF", "a\r\nb\rc", "a\nb\nc"},
		{"escapes are still dropped", "a\n\x1b[1mb", "a\nb"},
		{"tab becomes a space", "a\tb", "a b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Text(c.in); got != c.want {
				t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// FuzzLine: whatever the input, the output is valid UTF-8 with no control,
// format or line-breaking character, and cleaning it again changes nothing.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "api", "a\nb", "\x1b[31mx", "\u202Ex", "\xff", "\x1b]8;;u\x1b\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Line(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
				t.Fatalf("Line(%q) = %q keeps %U", s, out, r)
			}
		}
		if Line(out) != out {
			t.Fatalf("Line is not idempotent on %q", s)
		}
	})
}
