package asl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// A choiceRule is a compiled Choice rule: a boolean expression (And, Or,
// Not) or a data-test expression (Variable + one comparison operator).
type choiceRule struct {
	next string

	and, or []*choiceRule
	not     *choiceRule

	variable  *Path
	op        string // e.g. "StringEquals"; for *Path operators, without "Path"
	byPath    bool
	value     any
	valuePath *Path
	pattern   []patternToken
	ts        time.Time
}

type patternToken struct {
	star bool
	lit  rune
}

var comparisonOps = map[string]string{ // operator -> type of operand
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

// operatorOf returns the comparison operator named by key: "StringEqualsPath"
// gives ("StringEquals", true).
func operatorOf(key string) (op string, byPath, ok bool) {
	if _, ok := comparisonOps[key]; ok {
		return key, false, true
	}
	if base, found := strings.CutSuffix(key, "Path"); found {
		if _, ok := comparisonOps[base]; ok && base != "StringMatches" && !strings.HasPrefix(base, "Is") {
			return base, true, true
		}
	}
	return "", false, false
}

// compileChoiceRule compiles one rule; top is true for the entries of
// Choices (which need a Next), false for nested rules (which must not have one).
func compileChoiceRule(raw any, where string, top bool) (*choiceRule, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a choice rule must be an object, got %s", where, kindOf(raw))
	}
	r := &choiceRule{}
	var ops []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "Next":
			if !top {
				return nil, fmt.Errorf("%s: a nested choice rule must not have Next", where)
			}
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%s: Next must be a non-empty string", where)
			}
			r.next = s
		case "Comment":
			if _, ok := v.(string); !ok {
				return nil, fmt.Errorf("%s: Comment must be a string", where)
			}
		case "Variable":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: Variable must be a path string", where)
			}
			p, err := ParsePath(s)
			if err != nil {
				return nil, fmt.Errorf("%s: Variable: %w", where, err)
			}
			r.variable = p
		case "And", "Or":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s: %s must be a non-empty array of rules", where, k)
			}
			ops = append(ops, k)
			for i, e := range list {
				sub, err := compileChoiceRule(e, fmt.Sprintf("%s.%s[%d]", where, k, i), false)
				if err != nil {
					return nil, err
				}
				if k == "And" {
					r.and = append(r.and, sub)
				} else {
					r.or = append(r.or, sub)
				}
			}
		case "Not":
			sub, err := compileChoiceRule(v, where+".Not", false)
			if err != nil {
				return nil, err
			}
			ops = append(ops, k)
			r.not = sub
		default:
			op, byPath, ok := operatorOf(k)
			if !ok {
				return nil, fmt.Errorf("%s: unknown field %q in a choice rule", where, k)
			}
			ops = append(ops, k)
			r.op, r.byPath = op, byPath
			if err := r.compileOperand(k, v); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	if len(ops) != 1 {
		if len(ops) == 0 {
			return nil, fmt.Errorf("%s: a choice rule needs one comparison operator, And, Or or Not", where)
		}
		sort.Strings(ops)
		return nil, fmt.Errorf("%s: a choice rule has exactly one operator, found %s", where, strings.Join(ops, ", "))
	}
	if r.op != "" && r.variable == nil {
		return nil, fmt.Errorf("%s: %s needs a Variable", where, ops[0])
	}
	if r.op == "" && r.variable != nil {
		return nil, fmt.Errorf("%s: Variable is not allowed with %s", where, ops[0])
	}
	if top && r.next == "" {
		return nil, fmt.Errorf("%s: a choice rule needs Next", where)
	}
	return r, nil
}

func (r *choiceRule) compileOperand(key string, v any) error {
	if r.byPath {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s must be a path string", key)
		}
		p, err := ParsePath(s)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		r.valuePath = p
		return nil
	}
	switch comparisonOps[r.op] {
	case "string":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s must be a string, got %s", key, kindOf(v))
		}
		if r.op == "StringMatches" {
			r.pattern = compilePattern(s)
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%s must be a number, got %s", key, kindOf(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s must be a boolean, got %s", key, kindOf(v))
		}
	case "timestamp":
		s, ok := v.(string)
		t, tsOK := parseTimestamp(s)
		if !ok || !tsOK {
			return fmt.Errorf("%s must be an RFC 3339 timestamp (e.g. 2016-03-14T01:59:00Z), got %s", key, truncate(string(encodeJSON(v)), 64))
		}
		r.ts = t
	}
	r.value = v
	return nil
}

// parseTimestamp parses an ASL timestamp: RFC 3339 with an uppercase T and Z.
func parseTimestamp(s string) (time.Time, bool) {
	if strings.ContainsAny(s, "tz") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// compilePattern compiles a StringMatches pattern: * matches any run of
// characters, \* a literal star and \\ a literal backslash.
func compilePattern(s string) []patternToken {
	var out []patternToken
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '\\' && i+1 < len(rs):
			i++
			out = append(out, patternToken{lit: rs[i]})
		case rs[i] == '*':
			out = append(out, patternToken{star: true})
		default:
			out = append(out, patternToken{lit: rs[i]})
		}
	}
	return out
}

func matchPattern(p []patternToken, s []rune) bool {
	// Iterative wildcard matching with backtracking to the last star.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && !p[pi].star && p[pi].lit == s[si]:
			pi++
			si++
		case pi < len(p) && p[pi].star:
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].star {
		pi++
	}
	return pi == len(p)
}

// eval evaluates the rule on the Choice state's effective input. An error is
// a States.Runtime failure (a Variable or *Path that does not resolve).
func (r *choiceRule) eval(doc, ctx any) (bool, error) {
	switch {
	case r.and != nil:
		for _, s := range r.and {
			ok, err := s.eval(doc, ctx)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			ok, err := s.eval(doc, ctx)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.eval(doc, ctx)
		return !ok && err == nil, err
	}
	get := func(p *Path) (any, bool) {
		if p.IsContext() {
			return p.Get(ctx)
		}
		return p.Get(doc)
	}
	v, present := get(r.variable)
	if r.op == "IsPresent" {
		return present == r.value.(bool), nil
	}
	if !present {
		return false, stepFunctionsErrorf("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.src)
	}
	operand := r.value
	if r.byPath {
		o, ok := get(r.valuePath)
		if !ok {
			return false, stepFunctionsErrorf("Invalid path '%s': The choice state's condition path references an invalid value.", r.valuePath.src)
		}
		operand = o
	}
	switch r.op {
	case "IsNull":
		return (v == nil) == r.value.(bool), nil
	case "IsString":
		_, ok := v.(string)
		return ok == r.value.(bool), nil
	case "IsNumeric":
		_, ok := v.(json.Number)
		return ok == r.value.(bool), nil
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == r.value.(bool), nil
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok == r.value.(bool), nil
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case "StringMatches":
		s, ok := v.(string)
		return ok && matchPattern(r.pattern, []rune(s)), nil
	}
	var cmp int
	switch comparisonOps[r.op] {
	case "string":
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		cmp = strings.Compare(a, b)
	case "number":
		a, ok1 := v.(json.Number)
		b, ok2 := operand.(json.Number)
		if !ok1 || !ok2 {
			return false, nil
		}
		ra, ok1 := rat(a)
		rb, ok2 := rat(b)
		if !ok1 || !ok2 {
			return false, nil
		}
		cmp = ra.Cmp(rb)
	case "timestamp":
		a, ok1 := v.(string)
		ta, ok2 := parseTimestamp(a)
		if !ok1 || !ok2 {
			return false, nil
		}
		tb := r.ts
		if r.byPath {
			b, ok := operand.(string)
			if !ok {
				return false, nil
			}
			if tb, ok = parseTimestamp(b); !ok {
				return false, nil
			}
		}
		cmp = ta.Compare(tb)
	}
	switch {
	case strings.HasSuffix(r.op, "LessThanEquals"):
		return cmp <= 0, nil
	case strings.HasSuffix(r.op, "GreaterThanEquals"):
		return cmp >= 0, nil
	case strings.HasSuffix(r.op, "LessThan"):
		return cmp < 0, nil
	case strings.HasSuffix(r.op, "GreaterThan"):
		return cmp > 0, nil
	}
	return cmp == 0, nil
}
