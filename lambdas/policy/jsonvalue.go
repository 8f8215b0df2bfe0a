package policy

import (
	"bytes"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ecs-compliance/ecs-compliance/lambdas/jsonscan"
)

// valueFromJSON converts JSON text to an OPA value in one pass
// (jsonscan.Decode), giving what ast.ValueFromReader gives — numbers keep
// their text, a repeated key keeps its last value, strings decode as
// encoding/json decodes them — without its detour through map[string]any:
// the input's task definition is converted for every evaluation, and this
// takes a fifth of the time. Text that is not exactly one JSON value gets
// ast.ValueFromReader's error.
func (o *opaValues) valueFromJSON(data []byte) (ast.Value, error) {
	if t, ok := jsonscan.Decode[*ast.Term, *ast.Term](data, o); ok {
		return t.Value, nil
	}
	return ast.ValueFromReader(bytes.NewReader(data))
}

// opaValues makes OPA terms.
type opaValues struct {
	// strings are the short strings seen, as terms: a task definition
	// repeats its keys (name, value, image…) and many values (log driver
	// options, regions, protocols) many times.
	strings map[string]*ast.Term
}

// maxShared is the longest string shared between its occurrences.
const maxShared = 64

func (o *opaValues) Key(b []byte) *ast.Term { return o.String(b) }

func (o *opaValues) String(b []byte) *ast.Term {
	if len(b) > maxShared {
		return ast.StringTerm(string(b))
	}
	if t, ok := o.strings[string(b)]; ok {
		return t
	}
	if o.strings == nil {
		o.strings = map[string]*ast.Term{}
	}
	t := ast.InternedTerm(string(b))
	o.strings[string(b)] = t
	return t
}

// Number refuses what OPA refuses to evaluate: an exponent out of its range
// (1e100000), whose arithmetic would cost without bound.
func (o *opaValues) Number(text string) (*ast.Term, bool) {
	n, err := ast.NumberChecked(text)
	return ast.NewTerm(n), err == nil
}
func (o *opaValues) Bool(v bool) *ast.Term { return ast.InternedTerm(v) }
func (o *opaValues) Null() *ast.Term       { return ast.InternedNullTerm }

func (o *opaValues) Array(elems []*ast.Term) *ast.Term {
	return ast.NewTerm(ast.NewArray(append([]*ast.Term(nil), elems...)...))
}

func (o *opaValues) Object(keys, values []*ast.Term) *ast.Term {
	obj := ast.NewObjectWithCapacity(len(keys))
	for i, k := range keys {
		obj.Insert(k, values[i]) // a repeated key: the last value
	}
	return ast.NewTerm(obj)
}
