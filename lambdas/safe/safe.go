// Package safe makes attacker-controlled text harmless where people and
// terminals read it. Container names, images, family names, tag values and
// the policy's messages (which quote them) come from task definitions that
// anyone allowed to register one controls: a line break in a name would
// forge a line of an SNS report, a terminal escape would rewrite the
// operator's screen, a bidirectional override would make an approval page
// say something other than what it links to.
//
// Line is for a value that belongs on one line: every control character
// (C0, C1, DEL), line and paragraph separator, terminal escape sequence and
// invisible format character (zero-width spaces and joiners, bidirectional
// embeddings, overrides and isolates, the byte-order mark, soft hyphens) is
// removed or, for whitespace controls, replaced by one space. Invalid UTF-8
// becomes U+FFFD. Text does the same but keeps line breaks, for text that is
// meant to have several lines.
package safe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s made safe to show on one line.
func Line(s string) string { return clean(s, false) }

// Text returns s made safe to show, keeping its line breaks ("\n"; "\r\n"
// and "\r" become "\n").
func Text(s string) string { return clean(s, true) }

// Clean reports whether s is already safe on one line (Line(s) == s).
func Clean(s string) bool { return Line(s) == s }

func clean(s string, multiline bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := func() {
		// One space for a run of whitespace controls, none at the start.
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte(' ')
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			i++
			continue
		case r == 0x1b: // ESC: drop the whole escape sequence
			i += escapeLen(s[i:])
			continue
		case r == 0x9b: // C1 CSI
			i += size + csiLen(s[i+size:])
			continue
		case r == '\r' || r == '\n':
			if multiline {
				if r == '\r' && strings.HasPrefix(s[i+size:], "\n") {
					size++
				}
				b.WriteByte('\n')
			} else {
				space()
			}
		case r == '\t' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			space()
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || invisible(r):
			// dropped
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// isPlain: printable ASCII only, the common case, returned as it is.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// invisible are characters outside Cc/Cf that render as nothing or as
// blank space and so can hide or disguise text.
func invisible(r rune) bool {
	switch r {
	case 0x034F, // combining grapheme joiner
		0x115F, 0x1160, 0x3164, 0xFFA0, // Hangul fillers
		0x2800: // braille blank
		return true
	}
	return unicode.In(r, unicode.Variation_Selector)
}

// escapeLen is the length of the escape sequence at the start of s (which
// starts with ESC): CSI (ESC [ … final byte), OSC/DCS/PM/APC strings (ending
// with BEL or ESC \), or ESC and one more character.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		return 2 + csiLen(s[2:])
	case ']', 'P', '^', '_', 'X':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, size := utf8.DecodeRuneInString(s[1:])
	return 1 + size
}

// csiLen is the length of a CSI sequence's parameters and final byte.
func csiLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x40 && c <= 0x7e {
			return i + 1
		}
		if c < 0x20 || c > 0x7e { // not part of a CSI sequence
			return i
		}
	}
	return len(s)
}
