package policy

import (
	"bytes"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// valueFromJSON gives what ast.ValueFromReader gives, value for value, and
// its error for what is not one JSON value.
func TestValueFromJSONIsValueFromReader(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `{"a": 1}`, ` {"a" : [1, 2.50, -0, 1e3, 1E-2, true, false, null, "x"]} `,
		`{"a": 1, "a": 2}`, `{"b": {"c": {"d": []}}, "a": ""}`,
		`"\u00e9\ud83d\ude00 \n\t\"\\\/"`, `"\ud800"`, "\"\xff\"", `"é"`, `123456789012345678901234567890`,
		`{"containerDefinitions": [{"name": "web", "environment": [{"name": "A", "value": "1"}]}], "revision": 7}`,
		`{"a": 1,}`, `[1,]`, `{"a"}`, `{'a': 1}`, `01`, `1.`, `-`, `tru`, `nul`, `"abc`, `{"a": 1} x`, ``, `  `, `[1] [2]`,
		"\"a\x01b\"", `1E100000`, `{"a": [1e-400000]}`, `1e308`, `{"a":` + string(bytes.Repeat([]byte("["), 10001)),
	} {
		want, wantErr := ast.ValueFromReader(bytes.NewReader([]byte(doc)))
		got, err := (&opaValues{}).valueFromJSON([]byte(doc))
		if (err == nil) != (wantErr == nil) {
			t.Errorf("%.40q: error %v, ValueFromReader's %v", doc, err, wantErr)
			continue
		}
		if err == nil && got.Compare(want) != 0 {
			t.Errorf("%.40q: %v, ValueFromReader gives %v", doc, got, want)
		}
	}
}

func FuzzValueFromJSONIsValueFromReader(f *testing.F) {
	for _, s := range []string{`{"a": [1, "b", null, true]}`, `"\u00e9"`, `{"a": 1, "a": {"b": 2}}`, `[-1.5e10]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		want, wantErr := ast.ValueFromReader(bytes.NewReader(doc))
		got, err := (&opaValues{}).valueFromJSON(doc)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, ValueFromReader's %v", doc, err, wantErr)
		}
		if err == nil && got.Compare(want) != 0 {
			t.Fatalf("%q: %v, ValueFromReader gives %v", doc, got, want)
		}
	})
}
