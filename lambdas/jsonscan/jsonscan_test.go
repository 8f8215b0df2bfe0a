package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// Strings decode as encoding/json decodes them; what it refuses, String
// refuses.
func TestStringIsEncodingJSONs(t *testing.T) {
	for _, doc := range []string{
		`"plain"`, `""`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`,
		`"\ud800\u0041"`, "\"\xff\xfe\"", `"é中"`, "\"a\x1fb\"", `"abc`, `"\x"`, `"\u12"`, `"\u12G4"`, `"a\`,
	} {
		var want string
		wantErr := json.Unmarshal([]byte(doc), &want)
		s := Scanner{Data: []byte(doc)}
		got, ok := s.String()
		if ok != (wantErr == nil) || (ok && (got != want || s.I != len(doc))) {
			t.Errorf("%q: %q %v at %d, encoding/json %q %v", doc, got, ok, s.I, want, wantErr)
		}
	}
}

// A plain string comes back as a slice of the data, without a copy.
func TestStringBytesDoesNotCopyPlainStrings(t *testing.T) {
	data := []byte(`"name": 1`)
	s := Scanner{Data: data}
	b, ok := s.StringBytes()
	if !ok || string(b) != "name" || &b[0] != &data[1] || cap(b) != len(b) {
		t.Fatalf("%q %v cap %d", b, ok, cap(b))
	}
}

func TestNumber(t *testing.T) {
	for doc, want := range map[string]string{
		"0": "0", "-0": "-0", "12,": "12", "1.5]": "1.5", "1e3": "1e3", "-2.5E-7}": "-2.5E-7", "01": "0",
		"-": "", "1.": "", ".5": "", "1e": "", "1e+": "", "+1": "", "-a": "",
	} {
		s := Scanner{Data: []byte(doc)}
		got, ok := s.Number()
		if ok != (want != "") || got != want {
			t.Errorf("%q: %q %v, want %q", doc, got, ok, want)
		}
	}
}

func TestSeparatorsLiteralsAndNesting(t *testing.T) {
	s := Scanner{Data: []byte(" \t\n, ]x")}
	if c := s.Next(",]"); c != ',' {
		t.Errorf("Next = %q", c)
	}
	if c := s.Next(",]"); c != ']' {
		t.Errorf("Next = %q", c)
	}
	if c := s.Next(",]"); c != 0 || s.Done() {
		t.Errorf("Next = %q, done %v", c, s.Done())
	}
	if l := (Scanner{Data: []byte("nul")}); l.Literal("null") {
		t.Error("a cut literal was read")
	}
	var n Scanner
	for range MaxNesting {
		if !n.Enter() {
			t.Fatal("refused within the limit")
		}
	}
	if n.Enter() {
		t.Error("nesting beyond MaxNesting was allowed")
	}
}

// text renders what Decode reads, to check the members it hands to Object
// and Array — nested objects and arrays share its stacks.
type text struct{}

func (text) Key(b []byte) string            { return string(b) }
func (text) String(b []byte) string         { return `"` + string(b) + `"` }
func (text) Number(s string) (string, bool) { return s, s != "666" }
func (text) Bool(v bool) string             { return map[bool]string{true: "T", false: "F"}[v] }
func (text) Null() string                   { return "N" }
func (text) Array(elems []string) string    { return "[" + strings.Join(elems, " ") + "]" }
func (text) Object(keys, values []string) string {
	var parts []string
	for i, k := range keys {
		parts = append(parts, k+"="+values[i])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func TestDecode(t *testing.T) {
	for doc, want := range map[string]string{
		` {"a": [1, {"b": [true, null]}, []], "c": {}, "d": "x"} `: `{a=[1 {b=[T N]} []] c={} d="x"}`,
		`[[[]], {"k": [{"l": [2]}]}, -0.5e3]`:                      `[[[]] {k=[{l=[2]}]} -0.5e3]`,
		`{"a": 1, "a": 2}`:                                         `{a=1 a=2}`,
		`{"a": 1} x`:                                               "", `[1,]`: "", `{"a" 1}`: "", `[666]`: "", `tru`: "", ``: "",
	} {
		got, ok := Decode[string, string](data(doc), text{})
		if ok != (want != "") || got != want {
			t.Errorf("%q: %q %v, want %q", doc, got, ok, want)
		}
	}
}

func data(s string) []byte { return []byte(s) }
