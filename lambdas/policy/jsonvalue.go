package policy

import (
	"bytes"
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ecs-compliance/ecs-compliance/lambdas/jsonscan"
)

// valueFromJSON converts JSON text to an OPA value in one pass (package
// jsonscan), giving what ast.ValueFromReader gives — numbers keep their
// text, a repeated key keeps its last value, strings decode as
// encoding/json decodes them — without its detour through map[string]any:
// the input's task definition is converted for every evaluation, and this
// takes a third of the time and half of the allocations. Text that is not
// exactly one JSON value gets ast.ValueFromReader's error.
func valueFromJSON(data []byte) (ast.Value, error) {
	d := astDecoder{Scanner: jsonscan.Scanner{Data: data}}
	d.Space()
	if t, ok := d.term(); ok && d.Done() {
		return t.Value, nil
	}
	return ast.ValueFromReader(bytes.NewReader(data))
}

type astDecoder struct {
	jsonscan.Scanner
	// strings are the short strings seen, as terms: a task definition
	// repeats its keys (name, value, image…) and many values (log driver
	// options, regions, protocols) many times.
	strings map[string]*ast.Term
	// stack holds the members of the objects and arrays being read, so
	// that each gets one exact allocation.
	items []*ast.Term
}

// maxShared is the longest string shared between its occurrences.
const maxShared = 64

// string reads a string (a key or a value).
func (d *astDecoder) string() (*ast.Term, bool) {
	b, ok := d.StringBytes()
	if !ok {
		return nil, false
	}
	if len(b) > maxShared {
		return ast.StringTerm(string(b)), true
	}
	if t, ok := d.strings[string(b)]; ok {
		return t, true
	}
	if d.strings == nil {
		d.strings = map[string]*ast.Term{}
	}
	t := ast.InternedTerm(string(b))
	d.strings[string(b)] = t
	return t, true
}

func (d *astDecoder) term() (*ast.Term, bool) {
	c, ok := d.Peek()
	if !ok {
		return nil, false
	}
	switch {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == '-' || (c >= '0' && c <= '9'):
		n, ok := d.Number()
		return ast.NumberTerm(json.Number(n)), ok
	case c == 't':
		return ast.InternedTerm(true), d.Literal("true")
	case c == 'f':
		return ast.InternedTerm(false), d.Literal("false")
	case c == 'n':
		return ast.InternedNullTerm, d.Literal("null")
	}
	return nil, false
}

func (d *astDecoder) object() (*ast.Term, bool) {
	if !d.Enter() {
		return nil, false
	}
	defer d.Leave()
	d.I++ // {
	d.Space()
	if c, _ := d.Peek(); c == '}' {
		d.I++
		return ast.NewTerm(ast.NewObject()), true
	}
	base := len(d.items)
	defer func() { d.items = d.items[:base] }()
	for {
		if c, _ := d.Peek(); c != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok || d.Next(":") == 0 {
			return nil, false
		}
		d.Space()
		v, ok := d.term()
		if !ok {
			return nil, false
		}
		d.items = append(d.items, k, v)
		switch d.Next(",}") {
		case ',':
			d.Space()
		case '}':
			members := d.items[base:]
			obj := ast.NewObjectWithCapacity(len(members) / 2)
			for i := 0; i < len(members); i += 2 {
				obj.Insert(members[i], members[i+1]) // a repeated key: the last value
			}
			return ast.NewTerm(obj), true
		default:
			return nil, false
		}
	}
}

func (d *astDecoder) array() (*ast.Term, bool) {
	if !d.Enter() {
		return nil, false
	}
	defer d.Leave()
	d.I++ // [
	d.Space()
	if c, _ := d.Peek(); c == ']' {
		d.I++
		return ast.NewTerm(ast.NewArray()), true
	}
	base := len(d.items)
	defer func() { d.items = d.items[:base] }()
	for {
		v, ok := d.term()
		if !ok {
			return nil, false
		}
		d.items = append(d.items, v)
		switch d.Next(",]") {
		case ',':
			d.Space()
		case ']':
			return ast.NewTerm(ast.NewArray(append([]*ast.Term(nil), d.items[base:]...)...)), true
		default:
			return nil, false
		}
	}
}
