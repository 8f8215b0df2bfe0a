package asl

import (
	"strings"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

func TestPathGet(t *testing.T) {
	doc := `{"a": {"b": [10, 20, 30], "c d": "spaced", "x": null}, "items": [{"id": 1}, {"id": 2}, {"id": 3, "sub": {"id": 4}}], "s": "héllo"}`
	tests := []struct {
		name, path string
		want       string // JSON; "" means not found
	}{
		{"root is the document", "$", doc},
		{"dot name", "$.a.c d", `"spaced"`},
		{"bracket name with spaces", "$.a['c d']", `"spaced"`},
		{"double-quoted bracket name", `$["a"]["c d"]`, `"spaced"`},
		{"index", "$.a.b[1]", `20`},
		{"negative index counts from the end", "$.a.b[-1]", `30`},
		{"null value is found", "$.a.x", `null`},
		{"missing field is not found", "$.a.nope", ``},
		{"index out of range is not found", "$.a.b[3]", ``},
		{"name on an array is not found", "$.a.b.c", ``},
		{"index on an object is not found", "$.a[0]", ``},
		{"wildcard over an array gives a list", "$.items[*].id", `[1,2,3]`},
		{"dot wildcard over an object, sorted keys", "$.items[2].*", `[3,{"id":4}]`},
		{"wildcard with no match gives an empty list", "$.nope[*]", `[]`},
		{"slice", "$.a.b[0:2]", `[10,20]`},
		{"open slice with a step", "$.a.b[::2]", `[10,30]`},
		{"negative slice", "$.a.b[-2:]", `[20,30]`},
		{"index union", "$.a.b[0,2]", `[10,30]`},
		{"name union", "$.a['x','c d']", `[null,"spaced"]`},
		{"deep scan", "$..id", `[1,2,3,4]`},
		{"length of an array", "$.a.b.length()", `3`},
		{"length of a string counts characters", "$.s.length()", `5`},
	}
	root := mustDecode(t, doc)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePath(tc.path)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.path, err)
			}
			got, ok := p.Get(root)
			if tc.want == "" {
				if ok {
					t.Fatalf("Get(%q) = %s, want not found", tc.path, encodeJSON(got))
				}
				return
			}
			if !ok {
				t.Fatalf("Get(%q): not found, want %s", tc.path, tc.want)
			}
			if !jsonEqual(got, mustDecode(t, tc.want)) {
				t.Fatalf("Get(%q) = %s, want %s", tc.path, encodeJSON(got), tc.want)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct{ path, want string }{
		{"a.b", "must start with $"},
		{"", "must start with $"},
		{"$.", "ends with a dot"},
		{"$.a..", "ends with a dot"},
		{"$[", "unclosed"},
		{"$['a", "unterminated"},
		{"$[abc]", "not an integer"},
		{"$[?(@.a == 1)]", "filter expressions are not supported"},
		{"$.a.b()", "unsupported expression"},
		{"$[1:2:0]", "step must be positive"},
		{"$x", "workflow variables ($name) are not supported"},
		{"$[0]x", "unexpected"},
		{"$.a.length().b", "must end the path"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			_, err := ParsePath(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePath(%q) error = %v, want it to contain %q", tc.path, err, tc.want)
			}
		})
	}
}

func TestPathKinds(t *testing.T) {
	tests := []struct {
		path           string
		reference, ctx bool
	}{
		{"$", true, false},
		{"$.a['b c'][0]", true, false},
		{"$$.Task.Token", false, true},
		{"$.a[*]", false, false},
		{"$..a", false, false},
		{"$.a[0:1]", false, false},
	}
	for _, tc := range tests {
		p, err := ParsePath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if p.IsReference() != tc.reference || p.IsContext() != tc.ctx {
			t.Errorf("%s: IsReference=%v IsContext=%v, want %v %v", tc.path, p.IsReference(), p.IsContext(), tc.reference, tc.ctx)
		}
	}
}

func TestPathSet(t *testing.T) {
	tests := []struct {
		name, doc, path, value, want, err string
	}{
		{name: "root replaces the document", doc: `{"a":1}`, path: "$", value: `"x"`, want: `"x"`},
		{name: "adds a field", doc: `{"a":1}`, path: "$.b", value: `2`, want: `{"a":1,"b":2}`},
		{name: "replaces a field", doc: `{"a":1}`, path: "$.a", value: `2`, want: `{"a":2}`},
		{name: "creates missing objects on the way", doc: `{"a":1}`, path: "$.failure.stopTask", value: `{"Error":"E"}`, want: `{"a":1,"failure":{"stopTask":{"Error":"E"}}}`},
		{name: "keeps siblings of an existing object", doc: `{"failure":{"x":1}}`, path: "$.failure.y", value: `2`, want: `{"failure":{"x":1,"y":2}}`},
		{name: "bracket names", doc: `{}`, path: "$['a b']['c']", value: `1`, want: `{"a b":{"c":1}}`},
		{name: "sets an array element", doc: `{"l":[1,2,3]}`, path: "$.l[1]", value: `9`, want: `{"l":[1,9,3]}`},
		{name: "null node becomes an object", doc: `{"a":null}`, path: "$.a.b", value: `1`, want: `{"a":{"b":1}}`},
		{name: "a string in the way is an error", doc: `{"a":"s"}`, path: "$.a.b", value: `1`, err: "cannot set field"},
		{name: "a non-object document is an error", doc: `"hello"`, path: "$.a", value: `1`, err: "cannot set field"},
		{name: "index out of range is an error", doc: `{"l":[]}`, path: "$.l[0]", value: `1`, err: "out of range"},
		{name: "index on a missing node is an error", doc: `{}`, path: "$.l[0]", value: `1`, err: "cannot set index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			doc := mustDecode(t, tc.doc)
			before := string(encodeJSON(doc))
			got, err := p.Set(doc, mustDecode(t, tc.value))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Set error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(got, mustDecode(t, tc.want)) {
				t.Fatalf("Set = %s, want %s", encodeJSON(got), tc.want)
			}
			if after := string(encodeJSON(doc)); after != before {
				t.Fatalf("Set modified its input: %s -> %s", before, after)
			}
		})
	}
	wild, _ := ParsePath("$.a[*]")
	if _, err := wild.Set(map[string]any{}, 1); err == nil {
		t.Fatal("Set on a wildcard path: want an error")
	}
}
