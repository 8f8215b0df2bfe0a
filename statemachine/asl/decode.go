package asl

import (
	"encoding/json"

	"github.com/ecs-compliance/ecs-compliance/lambdas/jsonscan"
)

// fastDecode parses one JSON value (surrounding whitespace allowed) into
// what encoding/json's Decoder with UseNumber gives — map[string]any, []any,
// string, json.Number, bool, nil — in one pass and without reflection:
// every state's task result and every execution's input is decoded, so this
// is the interpreter's other hot path. Strings decode as encoding/json
// decodes them (invalid UTF-8 and unpaired surrogates become U+FFFD), a
// repeated key keeps its last value, and nesting is limited as encoding/json
// limits it (jsonscan.Decode). false for anything that is not exactly one
// valid JSON value: decodeJSON then asks encoding/json for its error.
func fastDecode(data []byte) (any, bool) {
	return jsonscan.Decode[string, any](data, goValues{})
}

// goValues makes encoding/json's values (with UseNumber).
type goValues struct{}

func (goValues) Key(b []byte) string            { return string(b) }
func (goValues) String(b []byte) any            { return string(b) }
func (goValues) Number(text string) (any, bool) { return json.Number(text), true }
func (goValues) Bool(v bool) any                { return v }
func (goValues) Null() any                      { return nil }
func (goValues) Array(elems []any) any          { return append([]any{}, elems...) }
func (goValues) Object(keys []string, values []any) any {
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		m[k] = values[i]
	}
	return m
}
