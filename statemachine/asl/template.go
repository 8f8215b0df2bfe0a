package asl

import (
	"fmt"
	"strings"
)

// A payloadTemplate is a compiled Parameters, ResultSelector or ItemSelector
// value: objects whose keys end in ".$" take their value from a path or an
// intrinsic function; everything else is copied as is.
type payloadTemplate struct {
	static any
	fields []templateField // object (fields != nil or isObject)
	object bool
	items  []*payloadTemplate // array
	array  bool
	// dynamic value of a "key.$" field
	path *Path
	fn   *intrinsic
	key  string
}

type templateField struct {
	name string
	val  *payloadTemplate
}

// compileTemplate compiles a payload template; where names the field for
// errors ("Parameters").
func compileTemplate(v any, where string) (*payloadTemplate, error) {
	switch x := v.(type) {
	case map[string]any:
		t := &payloadTemplate{object: true}
		seen := map[string]string{}
		for _, k := range sortedKeys(x) {
			name := k
			var val *payloadTemplate
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
				s, ok := x[k].(string)
				if !ok {
					return nil, fmt.Errorf("%s: the value of %q must be a path or an intrinsic function (a string), got %s", where, k, kindOf(x[k]))
				}
				d, err := compileDynamic(s)
				if err != nil {
					return nil, fmt.Errorf("%s: field %q: %w", where, k, err)
				}
				d.key = k
				val = d
			} else {
				var err error
				if val, err = compileTemplate(x[k], where+"."+k); err != nil {
					return nil, err
				}
			}
			if other, dup := seen[name]; dup {
				return nil, fmt.Errorf("%s: fields %q and %q both produce %q", where, other, k, name)
			}
			seen[name] = k
			t.fields = append(t.fields, templateField{name: name, val: val})
		}
		return t, nil
	case []any:
		t := &payloadTemplate{array: true}
		for i, e := range x {
			it, err := compileTemplate(e, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, it)
		}
		return t, nil
	default:
		return &payloadTemplate{static: v}, nil
	}
}

// compileDynamic compiles a path ($..., $$...) or an intrinsic (States.X(...)).
func compileDynamic(s string) (*payloadTemplate, error) {
	switch {
	case strings.HasPrefix(s, "$"):
		p, err := ParsePath(s)
		if err != nil {
			return nil, err
		}
		return &payloadTemplate{path: p}, nil
	case strings.HasPrefix(s, "States."):
		fn, err := parseIntrinsic(s)
		if err != nil {
			return nil, err
		}
		return &payloadTemplate{fn: fn}, nil
	}
	return nil, fmt.Errorf("%q is neither a path ($...) nor an intrinsic function (States....)", s)
}

// eval builds the payload. Errors are States.Runtime failures.
func (t *payloadTemplate) eval(env *intrinsicEnv) (any, error) {
	switch {
	case t.path != nil:
		root := env.doc
		if t.path.IsContext() {
			root = env.ctx
		}
		v, ok := t.path.Get(root)
		if !ok {
			// Step Functions' wording; the input is the one the
			// template applies to, even for a $$ path.
			return nil, stepFunctionsErrorf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
				t.path.src, t.key, encodeJSON(env.doc))
		}
		return v, nil
	case t.fn != nil:
		v, err := t.fn.eval(env)
		if err != nil {
			// The whole expression is named, even when a nested call failed.
			return nil, stepFunctionsErrorf("The function '%s' had the following error: %v", t.fn.src, err)
		}
		return v, nil
	case t.object:
		out := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			v, err := f.val.eval(env)
			if err != nil {
				return nil, err
			}
			out[f.name] = v
		}
		return out, nil
	case t.array:
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return t.static, nil
}

// A stepFunctionsError is an error whose text is Step Functions' own
// wording (capitalized, with its punctuation), which ends up in a cause.
type stepFunctionsError string

func (e stepFunctionsError) Error() string { return string(e) }

func stepFunctionsErrorf(format string, args ...any) error {
	return stepFunctionsError(fmt.Sprintf(format, args...))
}
