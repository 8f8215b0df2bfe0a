// Package jsonscan reads JSON text in one pass, without reflection, for
// decoders that build their own values from it: the ASL interpreter's
// documents (statemachine/asl) and the policy's input as OPA values
// (lambdas/policy). A Scanner reads one token at a time; what it accepts
// and how it decodes strings is what encoding/json does, and a decoder built
// on it hands anything the Scanner refuses to encoding/json for the error.
package jsonscan

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxNesting is encoding/json's limit on nested arrays and objects.
const MaxNesting = 10000

// Scanner is a position in JSON text.
type Scanner struct {
	Data []byte
	I    int
	// Depth is the nesting of the arrays and objects being read (Enter,
	// Leave).
	Depth int
}

// Space skips white space.
func (s *Scanner) Space() {
	for s.I < len(s.Data) {
		switch s.Data[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Peek is the byte at the position; false at the end.
func (s *Scanner) Peek() (byte, bool) {
	if s.I >= len(s.Data) {
		return 0, false
	}
	return s.Data[s.I], true
}

// Done tells whether only white space is left.
func (s *Scanner) Done() bool {
	s.Space()
	return s.I == len(s.Data)
}

// Literal reads word (true, false, null) at the position.
func (s *Scanner) Literal(word string) bool {
	if len(s.Data)-s.I < len(word) || string(s.Data[s.I:s.I+len(word)]) != word {
		return false
	}
	s.I += len(word)
	return true
}

// Enter counts one more level of nesting, refusing more than MaxNesting;
// Leave undoes it.
func (s *Scanner) Enter() bool {
	s.Depth++
	return s.Depth <= MaxNesting
}

// Leave ends a level of nesting Enter began.
func (s *Scanner) Leave() { s.Depth-- }

// Next reads white space and then one of the bytes in seps (',' and '}' or
// ']' after a member), returning it; 0 for anything else.
func (s *Scanner) Next(seps string) byte {
	s.Space()
	if s.I >= len(s.Data) {
		return 0
	}
	c := s.Data[s.I]
	for i := 0; i < len(seps); i++ {
		if c == seps[i] {
			s.I++
			return c
		}
	}
	return 0
}

// Number reads a number at the position (a '-' or a digit) and returns its
// text, which encoding/json would accept as a json.Number.
func (s *Scanner) Number() (string, bool) {
	start, b := s.I, s.Data
	i := s.I
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return "", false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.I = i
	return string(b[start:i]), true
}

// String reads a string at the position (its opening quote) and decodes it
// as encoding/json does: invalid UTF-8 and unpaired surrogates become
// U+FFFD.
func (s *Scanner) String() (string, bool) {
	b, ok := s.StringBytes()
	return string(b), ok
}

// StringBytes is String's bytes. A string without escapes or non-ASCII
// bytes (most keys and values) comes back as a slice of Data, without
// copying: the caller must not change it.
func (s *Scanner) StringBytes() ([]byte, bool) {
	b := s.Data
	start := s.I + 1
	i := start
	for i < len(b) {
		c := b[i]
		if c == '"' {
			s.I = i + 1
			return b[start:i:i], true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	// Escapes or non-ASCII: decode into a new buffer.
	out := make([]byte, 0, i-start+16)
	out = append(out, b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s.I = i + 1
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			i++
			if i >= len(b) {
				return nil, false
			}
			switch b[i] {
			case '"', '\\', '/':
				out = append(out, b[i])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(b[i+1:])
				if r < 0 {
					return nil, false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if len(b) > i+2 && b[i+1] == '\\' && b[i+2] == 'u' {
						if r2 := hex4(b[i+3:]); r2 >= 0 {
							if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
								out = utf8.AppendRune(out, dec)
								i += 7
								continue
							}
						}
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, false
			}
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, unicode.ReplacementChar)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	return nil, false
}

// hex4 is the value of four hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Builder makes a decoder's values, of type V, and object keys, of type K,
// from what Decode reads.
type Builder[K, V any] interface {
	// Key makes an object's key, String a string value. b is the decoded
	// string; it may be a slice of the data (StringBytes): copy it to keep
	// it.
	Key(b []byte) K
	String(b []byte) V
	// Number makes a number from its text (as json.Number keeps it); false
	// refuses it (a number the decoder's values cannot hold).
	Number(text string) (V, bool)
	Bool(v bool) V
	Null() V
	// Object makes an object from its members in the order read (a
	// repeated key is there twice: the last value wins); Array an array.
	// Neither may keep the slices it is given.
	Object(keys []K, values []V) V
	Array(elems []V) V
}

// Decode reads one JSON value (white space around it allowed) and makes it
// with b, in one pass; false when data is not exactly one JSON value.
func Decode[K, V any, B Builder[K, V]](data []byte, b B) (V, bool) {
	d := decoder[K, V, B]{Scanner: Scanner{Data: data}, b: b}
	d.Space()
	v, ok := d.value()
	if !ok || !d.Done() {
		var zero V
		return zero, false
	}
	return v, true
}

type decoder[K, V any, B Builder[K, V]] struct {
	Scanner
	b B
	// keys and values hold the members of the objects and arrays being
	// read, so that each is made from one slice.
	keys   []K
	values []V
}

func (d *decoder[K, V, B]) value() (V, bool) {
	var zero V
	c, ok := d.Peek()
	if !ok {
		return zero, false
	}
	switch {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, ok := d.StringBytes()
		if !ok {
			return zero, false
		}
		return d.b.String(s), true
	case c == '-' || (c >= '0' && c <= '9'):
		n, ok := d.Number()
		if !ok {
			return zero, false
		}
		return d.b.Number(n)
	case c == 't' && d.Literal("true"):
		return d.b.Bool(true), true
	case c == 'f' && d.Literal("false"):
		return d.b.Bool(false), true
	case c == 'n' && d.Literal("null"):
		return d.b.Null(), true
	}
	return zero, false
}

func (d *decoder[K, V, B]) object() (V, bool) {
	var zero V
	if !d.Enter() {
		return zero, false
	}
	defer d.Leave()
	d.I++ // {
	keyBase, valueBase := len(d.keys), len(d.values)
	defer func() { d.keys, d.values = d.keys[:keyBase], d.values[:valueBase] }()
	d.Space()
	if c, _ := d.Peek(); c == '}' {
		d.I++
		return d.b.Object(nil, nil), true
	}
	for {
		if c, _ := d.Peek(); c != '"' {
			return zero, false
		}
		k, ok := d.StringBytes()
		if !ok || d.Next(":") == 0 {
			return zero, false
		}
		key := d.b.Key(k)
		d.Space()
		v, ok := d.value()
		if !ok {
			return zero, false
		}
		d.keys, d.values = append(d.keys, key), append(d.values, v)
		switch d.Next(",}") {
		case ',':
			d.Space()
		case '}':
			return d.b.Object(d.keys[keyBase:], d.values[valueBase:]), true
		default:
			return zero, false
		}
	}
}

func (d *decoder[K, V, B]) array() (V, bool) {
	var zero V
	if !d.Enter() {
		return zero, false
	}
	defer d.Leave()
	d.I++ // [
	base := len(d.values)
	defer func() { d.values = d.values[:base] }()
	d.Space()
	if c, _ := d.Peek(); c == ']' {
		d.I++
		return d.b.Array(nil), true
	}
	for {
		v, ok := d.value()
		if !ok {
			return zero, false
		}
		d.values = append(d.values, v)
		switch d.Next(",]") {
		case ',':
			d.Space()
		case ']':
			return d.b.Array(d.values[base:]), true
		default:
			return zero, false
		}
	}
}
