package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// An intrinsic is a compiled intrinsic function call such as
// States.Format('Hello, {}', $.name).
type intrinsic struct {
	src  string
	name string
	args []intrinsicArg
}

type intrinsicArg struct {
	literal any // a literal value (string, json.Number, bool, nil)
	raw     string
	isLit   bool
	path    *Path
	call    *intrinsic
}

// intrinsicArity is the number of arguments of each function: min, max (-1:
// any number).
var intrinsicArity = map[string][2]int{
	"States.Format":         {1, -1},
	"States.StringToJson":   {1, 1},
	"States.JsonToString":   {1, 1},
	"States.Array":          {0, -1},
	"States.ArrayPartition": {2, 2},
	"States.ArrayContains":  {2, 2},
	"States.ArrayRange":     {3, 3},
	"States.ArrayGetItem":   {2, 2},
	"States.ArrayLength":    {1, 1},
	"States.ArrayUnique":    {1, 1},
	"States.Base64Encode":   {1, 1},
	"States.Base64Decode":   {1, 1},
	"States.Hash":           {2, 2},
	"States.JsonMerge":      {3, 3},
	"States.MathRandom":     {2, 3},
	"States.MathAdd":        {2, 2},
	"States.StringSplit":    {2, 2},
	"States.UUID":           {0, 0},
}

// parseIntrinsic compiles an intrinsic function call.
func parseIntrinsic(s string) (*intrinsic, error) {
	p := &intrinsicParser{s: s}
	call, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("intrinsic function %q: %w", s, err)
	}
	p.space()
	if p.i != len(s) {
		return nil, fmt.Errorf("intrinsic function %q: unexpected %q after the call", s, s[p.i:])
	}
	return call, nil
}

type intrinsicParser struct {
	s     string
	i     int
	depth int
}

func (p *intrinsicParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *intrinsicParser) call() (*intrinsic, error) {
	p.depth++
	if p.depth > 32 {
		return nil, fmt.Errorf("functions nested too deeply")
	}
	defer func() { p.depth-- }()
	start := p.i
	open := strings.IndexByte(p.s[p.i:], '(')
	if open < 0 {
		return nil, fmt.Errorf("missing '('")
	}
	name := strings.TrimSpace(p.s[p.i : p.i+open])
	arity, ok := intrinsicArity[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	p.i += open + 1
	c := &intrinsic{name: name}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
	} else {
		for {
			p.space()
			arg, err := p.arg()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, arg)
			p.space()
			if p.i >= len(p.s) {
				return nil, fmt.Errorf("missing ')'")
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ')' {
				p.i++
				break
			}
			return nil, fmt.Errorf("unexpected %q in the arguments of %s", p.s[p.i], name)
		}
	}
	if len(c.args) < arity[0] || (arity[1] >= 0 && len(c.args) > arity[1]) {
		return nil, fmt.Errorf("%s takes %s, got %d", name, arityText(arity), len(c.args))
	}
	c.src = p.s[start:p.i]
	return c, nil
}

func arityText(a [2]int) string {
	switch {
	case a[1] < 0:
		return fmt.Sprintf("at least %d argument(s)", a[0])
	case a[0] == a[1]:
		return fmt.Sprintf("%d argument(s)", a[0])
	}
	return fmt.Sprintf("%d to %d arguments", a[0], a[1])
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	if p.i >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	switch c := p.s[p.i]; {
	case c == '\'':
		p.i++
		var raw, val strings.Builder
		for p.i < len(p.s) {
			ch := p.s[p.i]
			if ch == '\\' && p.i+1 < len(p.s) {
				// Step Functions refuses the definition for any other
				// escape (\" included: SCHEMA_VALIDATION_FAILED, "must be
				// a valid JSONPath or a valid intrinsic function call").
				switch e := p.s[p.i+1]; e {
				case '\'', '{', '}', '\\':
				default:
					return intrinsicArg{}, fmt.Errorf("invalid escape \\%c in a string literal: only \\', \\{, \\} and \\\\ are allowed, "+
						"and Step Functions refuses the definition (the value must be a valid JSONPath or a valid intrinsic function call)", e)
				}
				raw.WriteByte(ch)
				raw.WriteByte(p.s[p.i+1])
				val.WriteByte(p.s[p.i+1])
				p.i += 2
				continue
			}
			if ch == '\'' {
				p.i++
				return intrinsicArg{isLit: true, literal: val.String(), raw: raw.String()}, nil
			}
			raw.WriteByte(ch)
			val.WriteByte(ch)
			p.i++
		}
		return intrinsicArg{}, fmt.Errorf("unterminated string literal")
	case c == '$':
		start := p.i
		depth := 0
		var quote byte
		for p.i < len(p.s) {
			ch := p.s[p.i]
			if quote != 0 {
				if ch == '\\' {
					p.i++
				} else if ch == quote {
					quote = 0
				}
				p.i++
				continue
			}
			if ch == '\'' || ch == '"' {
				quote = ch
			} else if ch == '[' || ch == '(' {
				depth++
			} else if ch == ']' || (ch == ')' && depth > 0) {
				depth--
			} else if depth == 0 && (ch == ',' || ch == ')') {
				break
			}
			p.i++
		}
		path, err := ParsePath(strings.TrimSpace(p.s[start:p.i]))
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{path: path}, nil
	case strings.HasPrefix(p.s[p.i:], "States."):
		call, err := p.call()
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{call: call}, nil
	default:
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ')' {
			p.i++
		}
		tok := strings.TrimSpace(p.s[start:p.i])
		switch tok {
		case "true":
			return intrinsicArg{isLit: true, literal: true}, nil
		case "false":
			return intrinsicArg{isLit: true, literal: false}, nil
		case "null":
			return intrinsicArg{isLit: true, literal: nil}, nil
		}
		if _, err := strconv.ParseFloat(tok, 64); err != nil || tok == "" || strings.ContainsAny(tok, "xXnN_") {
			return intrinsicArg{}, fmt.Errorf("invalid argument %q", tok)
		}
		return intrinsicArg{isLit: true, literal: json.Number(tok)}, nil
	}
}

// intrinsicEnv is what an intrinsic evaluates against.
type intrinsicEnv struct {
	doc, ctx any
	rng      *rand.Rand
}

// eval runs the call. Errors are States.Runtime failures.
func (c *intrinsic) eval(env *intrinsicEnv) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.isLit:
			args[i] = a.literal
		case a.path != nil:
			root := env.doc
			if a.path.IsContext() {
				root = env.ctx
			}
			v, ok := a.path.Get(root)
			if !ok {
				return nil, stepFunctionsErrorf("The JsonPath argument for the field '%s' could not be found in the input '%s'", a.path.src, encodeJSON(env.doc))
			}
			args[i] = v
		default:
			v, err := a.call.eval(env)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
	}
	fail := func(format string, a ...any) (any, error) {
		return nil, fmt.Errorf(c.name+": "+format, a...)
	}
	str := func(i int) (string, bool) { s, ok := args[i].(string); return s, ok }
	arr := func(i int) ([]any, bool) { a, ok := args[i].([]any); return a, ok }

	switch c.name {
	case "States.Format":
		var tmpl string
		if c.args[0].isLit {
			if _, ok := c.args[0].literal.(string); !ok {
				return fail("the template must be a string")
			}
			tmpl = c.args[0].raw
		} else {
			s, ok := str(0)
			if !ok {
				return fail("the template must be a string, got %s", kindOf(args[0]))
			}
			tmpl = s
		}
		return formatTemplate(c.name, tmpl, args[1:])
	case "States.StringToJson":
		s, ok := str(0)
		if !ok {
			return fail("the argument must be a string, got %s", kindOf(args[0]))
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil // "" and "  " give null, as in Step Functions
		}
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return fail("the string is not JSON: %v", err)
		}
		return normalizeNegativeZero(v), nil
	case "States.JsonToString":
		return string(encodeJSON(args[0])), nil
	case "States.Array":
		return append([]any{}, args...), nil
	case "States.ArrayPartition":
		a, ok := arr(0)
		n, ok2 := asInt(args[1])
		if !ok || !ok2 || n <= 0 {
			return fail("takes an array and a positive integer chunk size")
		}
		size := int(min(n, int64(max(len(a), 1))))
		out := []any{}
		for i := 0; i < len(a); i += size {
			out = append(out, append([]any{}, a[i:min(i+size, len(a))]...))
		}
		return out, nil
	case "States.ArrayContains":
		a, ok := arr(0)
		if !ok {
			return fail("the first argument must be an array, got %s", kindOf(args[0]))
		}
		for _, e := range a {
			if jsonEqual(e, args[1]) {
				return true, nil
			}
		}
		return false, nil
	case "States.ArrayRange":
		start, ok1 := asInt(args[0])
		end, ok2 := asInt(args[1])
		step, ok3 := asInt(args[2])
		if !ok1 || !ok2 || !ok3 || step == 0 {
			return fail("takes three integers (start, end, non-zero step)")
		}
		out := []any{}
		for i := start; (step > 0 && i <= end) || (step < 0 && i >= end); i += step {
			if len(out) == 1000 {
				return fail("the range has more than 1000 items")
			}
			out = append(out, intNumber(i))
		}
		return out, nil
	case "States.ArrayGetItem":
		a, ok := arr(0)
		i, ok2 := asInt(args[1])
		if !ok || !ok2 {
			return fail("takes an array and an integer index")
		}
		if i < 0 || i >= int64(len(a)) {
			return fail("index %d is out of range for an array of %d", i, len(a))
		}
		return a[i], nil
	case "States.ArrayLength":
		a, ok := arr(0)
		if !ok {
			return fail("the argument must be an array, got %s", kindOf(args[0]))
		}
		return intNumber(int64(len(a))), nil
	case "States.ArrayUnique":
		a, ok := arr(0)
		if !ok {
			return fail("the argument must be an array, got %s", kindOf(args[0]))
		}
		out := []any{}
	next:
		for _, e := range a {
			for _, o := range out {
				if jsonEqual(e, o) {
					continue next
				}
			}
			out = append(out, e)
		}
		return out, nil
	case "States.Base64Encode":
		s, ok := str(0)
		if !ok || len(s) > 10000 {
			return fail("the argument must be a string of at most 10000 characters")
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "States.Base64Decode":
		s, ok := str(0)
		if !ok || len(s) > 10000 {
			return fail("the argument must be a string of at most 10000 characters")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fail("invalid base64: %v", err)
		}
		if !utf8.Valid(b) {
			return fail("the decoded data is not UTF-8 text")
		}
		return string(b), nil
	case "States.Hash":
		data, ok := str(0)
		if !ok {
			data = string(encodeJSON(args[0]))
		}
		algo, _ := str(1)
		var h hash.Hash
		switch algo {
		case "MD5":
			h = md5.New()
		case "SHA-1":
			h = sha1.New()
		case "SHA-256":
			h = sha256.New()
		case "SHA-384":
			h = sha512.New384()
		case "SHA-512":
			h = sha512.New()
		default:
			return fail("unknown algorithm %q (MD5, SHA-1, SHA-256, SHA-384, SHA-512)", algo)
		}
		h.Write([]byte(data))
		return hex.EncodeToString(h.Sum(nil)), nil
	case "States.JsonMerge":
		a, ok1 := args[0].(map[string]any)
		b, ok2 := args[1].(map[string]any)
		if !ok1 || !ok2 {
			return fail("the first two arguments must be objects")
		}
		deep, ok := args[2].(bool)
		if !ok {
			return fail("the third argument must be a boolean")
		}
		if deep {
			return fail("deep merge is not supported (the third argument must be false)")
		}
		out := make(map[string]any, len(a)+len(b))
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out, nil
	case "States.MathRandom":
		lo, ok1 := roundHalfUp(args[0])
		hi, ok2 := roundHalfUp(args[1])
		if !ok1 || !ok2 || hi <= lo || hi-lo <= 0 {
			return fail("takes two numbers start < end (rounded to integers)")
		}
		r := env.rng
		if len(args) == 3 {
			seed, ok := roundHalfUp(args[2])
			if !ok {
				return fail("the seed must be a number")
			}
			r = rand.New(rand.NewPCG(uint64(seed), 0))
		}
		return intNumber(lo + r.Int64N(hi-lo)), nil
	case "States.MathAdd":
		// Each argument is rounded first, half up (1.5 → 2, -1.5 → -1),
		// as Step Functions does: MathAdd(1.5, 1.51) is 4.
		a, ok1 := roundHalfUp(args[0])
		b, ok2 := roundHalfUp(args[1])
		if !ok1 || !ok2 || a < math.MinInt32 || a > math.MaxInt32 || b < math.MinInt32 || b > math.MaxInt32 {
			return fail("takes two numbers between -2147483648 and 2147483647")
		}
		return intNumber(a + b), nil
	case "States.StringSplit":
		s, ok1 := str(0)
		d, ok2 := str(1)
		if !ok1 || !ok2 {
			return fail("takes two strings")
		}
		parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) })
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "States.UUID":
		return newUUID(env.rng), nil
	}
	return fail("not implemented")
}

// formatTemplate replaces each {} in tmpl with the next argument; \x is a
// literal x. An argument is rendered as Step Functions renders it: a string
// as is, an object or an array the way Java prints them ({a=1, b=[1, 2]}),
// see appendFormatted. A { that is not followed by } is an error, as in
// Step Functions.
func formatTemplate(name, tmpl string, args []any) (any, error) {
	var b []byte
	n := 0
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && i+1 < len(tmpl):
			i++
			b = append(b, tmpl[i])
		case c == '{':
			if i+1 >= len(tmpl) || tmpl[i+1] != '}' {
				return nil, stepFunctionsErrorf("Invalid template in %s: matching '}' not found for '{'.", name)
			}
			if n >= len(args) {
				return nil, fmt.Errorf("%s: the template has more {} than arguments (%d)", name, len(args))
			}
			b = appendFormatted(b, args[n])
			n++
			i++
		default:
			b = append(b, c)
		}
	}
	if n != len(args) {
		return nil, fmt.Errorf("%s: the template has %d {} but %d arguments were given", name, n, len(args))
	}
	return string(b), nil
}

// appendFormatted renders a States.Format argument as Step Functions does
// (Java's toString of the value): a string as is, null as null, a number as
// written, an object as {key=value, key=value} and an array as
// [value, value], nested values alike (strings unquoted). Keys come sorted:
// Step Functions keeps the input's order, which the interpreter does not
// know.
func appendFormatted(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case json.Number:
		return append(b, x...)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendFormatted(b, e)
		}
		return append(b, ']')
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, '=')
			b = appendFormatted(b, x[k])
		}
		return append(b, '}')
	}
	return append(b, encodeJSON(v)...)
}

// roundHalfUp converts a JSON number to an integer as Step Functions rounds
// the arguments of States.MathAdd and States.MathRandom (Java's Math.round):
// to the nearest integer, halves towards positive infinity (2.5 → 3,
// -2.5 → -2, -0.5 → 0).
func roundHalfUp(v any) (int64, bool) {
	if i, ok := asInt(v); ok {
		return i, true
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	r, ok := rat(n)
	if !ok {
		return 0, false
	}
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: floor, as the denominator is positive
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// normalizeNegativeZero turns the integer -0 into 0 in a value parsed by
// States.StringToJson, as Step Functions does (StringToJson('-0') is 0).
func normalizeNegativeZero(v any) any {
	switch x := v.(type) {
	case json.Number:
		if x == "-0" {
			return json.Number("0")
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNegativeZero(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNegativeZero(e)
		}
	}
	return v
}

// newUUID returns a version 4 UUID drawn from r.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
