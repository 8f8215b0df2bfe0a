package asl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// A Path is a compiled JSONPath as ASL uses it: "$" is the document the path
// applies to, "$$" the context object. Supported syntax:
//
//	$  $$  .name  ['name']  ["name"]  [n]  [-n]  [*]  .*  [a:b]  [a:b:s]
//	[n,m]  ['a','b']  ..name  ..*  ..[selector]  .length()
//
// A quoted name is taken as written: a backslash in it stays in the name
// and only keeps the character after it from closing the quote, so
// $['a\'b'] is the key a\'b, as Step Functions reads it.
//
// A path made only of names and single indices is definite: it selects one
// node or nothing. Any other path is indefinite and selects a list of nodes
// (possibly empty), returned as a JSON array, as Step Functions does.
type Path struct {
	src      string
	context  bool
	segs     []segment
	definite bool
	length   bool // ends with .length()
}

type segKind int

const (
	segName segKind = iota
	segIndex
	segWildcard
	segSlice
	segNames   // ['a','b']
	segIndexes // [1,2]
)

type segment struct {
	kind    segKind
	deep    bool // preceded by ".."
	name    string
	index   int
	names   []string
	indexes []int
	// slice bounds; hasStart/hasEnd false means open.
	start, end, step int
	hasStart, hasEnd bool
}

// String returns the path as written.
func (p *Path) String() string { return p.src }

// IsContext reports whether the path starts with $$ (the context object).
func (p *Path) IsContext() bool { return p.context }

// IsReference reports whether the path is a Reference Path: definite and on
// the document ($, not $$), as ResultPath requires.
func (p *Path) IsReference() bool { return p.definite && !p.context && !p.length }

// ParsePath compiles a JSONPath.
func ParsePath(s string) (*Path, error) {
	p := &Path{src: s, definite: true}
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("path %q must start with $", s)
	}
	i := 1
	if strings.HasPrefix(s, "$$") {
		p.context = true
		i = 2
	} else if len(s) > 1 && (s[1] == '_' || 'a' <= s[1]|0x20 && s[1]|0x20 <= 'z') {
		return nil, fmt.Errorf("path %q: workflow variables ($name) are not supported", s)
	}
	for i < len(s) {
		switch s[i] {
		case '.':
			deep := false
			i++
			if i < len(s) && s[i] == '.' {
				deep = true
				i++
				p.definite = false
			}
			if i >= len(s) {
				return nil, fmt.Errorf("path %q: ends with a dot", s)
			}
			if s[i] == '[' {
				if !deep {
					return nil, fmt.Errorf("path %q: unexpected '[' after '.' at offset %d", s, i)
				}
				seg, n, err := parseBracket(s, i)
				if err != nil {
					return nil, err
				}
				seg.deep = true
				p.segs = append(p.segs, seg)
				i = n
				continue
			}
			if s[i] == '*' {
				p.segs = append(p.segs, segment{kind: segWildcard, deep: deep})
				p.definite = false
				i++
				continue
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			name := s[i:j]
			if name == "" {
				return nil, fmt.Errorf("path %q: empty name at offset %d", s, i)
			}
			if strings.ContainsAny(name, "]'\"") {
				return nil, fmt.Errorf("path %q: invalid character in name %q", s, name)
			}
			if name == "length()" {
				if deep || j != len(s) {
					return nil, fmt.Errorf("path %q: .length() must end the path", s)
				}
				p.length = true
				p.definite = false
				i = j
				continue
			}
			if strings.ContainsAny(name, "()?@") {
				return nil, fmt.Errorf("path %q: unsupported expression %q (filters and functions other than length() are not supported)", s, name)
			}
			p.segs = append(p.segs, segment{kind: segName, name: name, deep: deep})
			i = j
		case '[':
			seg, n, err := parseBracket(s, i)
			if err != nil {
				return nil, err
			}
			if seg.kind != segName && seg.kind != segIndex {
				p.definite = false
			}
			p.segs = append(p.segs, seg)
			i = n
		default:
			return nil, fmt.Errorf("path %q: unexpected %q at offset %d", s, s[i], i)
		}
	}
	return p, nil
}

// parseBracket parses the bracket selector starting at s[i] == '[' and
// returns the segment and the offset after the closing bracket.
func parseBracket(s string, i int) (segment, int, error) {
	bad := func(msg string) (segment, int, error) {
		return segment{}, 0, fmt.Errorf("path %q: %s at offset %d", s, msg, i)
	}
	j := i + 1
	skipSpace := func() {
		for j < len(s) && s[j] == ' ' {
			j++
		}
	}
	skipSpace()
	if j >= len(s) {
		return bad("unclosed '['")
	}
	switch {
	case s[j] == '*':
		j++
		skipSpace()
		if j >= len(s) || s[j] != ']' {
			return bad("expected ']' after '*'")
		}
		return segment{kind: segWildcard}, j + 1, nil
	case s[j] == '?':
		return bad("filter expressions are not supported")
	case s[j] == '\'' || s[j] == '"':
		var names []string
		for {
			skipSpace()
			if j >= len(s) || (s[j] != '\'' && s[j] != '"') {
				return bad("expected a quoted name")
			}
			q := s[j]
			j++
			var b strings.Builder
			closed := false
			for j < len(s) {
				c := s[j]
				if c == '\\' && j+1 < len(s) {
					// The name is taken as written, backslash
					// included: a backslash only keeps the next
					// character from closing the name, as in Step
					// Functions: $['a\"b'] selects the key a\"b.
					b.WriteByte(c)
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if c == q {
					closed = true
					j++
					break
				}
				b.WriteByte(c)
				j++
			}
			if !closed {
				return bad("unterminated quoted name")
			}
			names = append(names, b.String())
			skipSpace()
			if j < len(s) && s[j] == ',' {
				j++
				continue
			}
			if j < len(s) && s[j] == ']' {
				j++
				break
			}
			return bad("expected ',' or ']' after a quoted name")
		}
		if len(names) == 1 {
			return segment{kind: segName, name: names[0]}, j, nil
		}
		return segment{kind: segNames, names: names}, j, nil
	default:
		end := strings.IndexByte(s[j:], ']')
		if end < 0 {
			return bad("unclosed '['")
		}
		body := strings.TrimSpace(s[j : j+end])
		next := j + end + 1
		if strings.Contains(body, ":") {
			parts := strings.Split(body, ":")
			if len(parts) > 3 {
				return bad("slice has too many ':'")
			}
			seg := segment{kind: segSlice, step: 1}
			for k, part := range parts {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				n, err := strconv.Atoi(part)
				if err != nil {
					return bad(fmt.Sprintf("slice bound %q is not an integer", part))
				}
				switch k {
				case 0:
					seg.start, seg.hasStart = n, true
				case 1:
					seg.end, seg.hasEnd = n, true
				case 2:
					if n <= 0 {
						return bad("slice step must be positive")
					}
					seg.step = n
				}
			}
			return seg, next, nil
		}
		var idx []int
		for _, part := range strings.Split(body, ",") {
			part = strings.TrimSpace(part)
			n, err := strconv.Atoi(part)
			if err != nil {
				return bad(fmt.Sprintf("index %q is not an integer", part))
			}
			idx = append(idx, n)
		}
		if len(idx) == 1 {
			return segment{kind: segIndex, index: idx[0]}, next, nil
		}
		return segment{kind: segIndexes, indexes: idx}, next, nil
	}
}

// Get evaluates the path on doc. A definite path returns the node and
// whether it exists; an indefinite path returns the list of matches as a
// []any and true (even when empty).
func (p *Path) Get(doc any) (any, bool) {
	if p.definite {
		cur := doc
		for _, sg := range p.segs {
			switch sg.kind {
			case segName:
				m, ok := cur.(map[string]any)
				if !ok {
					return nil, false
				}
				if cur, ok = m[sg.name]; !ok {
					return nil, false
				}
			case segIndex:
				a, ok := cur.([]any)
				if !ok {
					return nil, false
				}
				i := sg.index
				if i < 0 {
					i += len(a)
				}
				if i < 0 || i >= len(a) {
					return nil, false
				}
				cur = a[i]
			}
		}
		return cur, true
	}
	nodes := []any{doc}
	for _, sg := range p.segs {
		var next []any
		for _, n := range nodes {
			if sg.deep {
				for _, d := range descendants(n) {
					next = sg.apply(d, next)
				}
			} else {
				next = sg.apply(n, next)
			}
		}
		nodes = next
	}
	if p.length {
		if len(nodes) != 1 {
			return nil, false
		}
		switch v := nodes[0].(type) {
		case []any:
			return intNumber(int64(len(v))), true
		case map[string]any:
			return intNumber(int64(len(v))), true
		case string:
			return intNumber(int64(len([]rune(v)))), true
		}
		return nil, false
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, true
}

// apply appends to out the nodes that sg selects from n.
func (sg segment) apply(n any, out []any) []any {
	switch sg.kind {
	case segName:
		if m, ok := n.(map[string]any); ok {
			if v, ok := m[sg.name]; ok {
				out = append(out, v)
			}
		}
	case segNames:
		if m, ok := n.(map[string]any); ok {
			for _, name := range sg.names {
				if v, ok := m[name]; ok {
					out = append(out, v)
				}
			}
		}
	case segIndex, segIndexes:
		a, ok := n.([]any)
		if !ok {
			return out
		}
		idx := sg.indexes
		if sg.kind == segIndex {
			idx = []int{sg.index}
		}
		for _, i := range idx {
			if i < 0 {
				i += len(a)
			}
			if i >= 0 && i < len(a) {
				out = append(out, a[i])
			}
		}
	case segWildcard:
		switch v := n.(type) {
		case []any:
			out = append(out, v...)
		case map[string]any:
			for _, k := range sortedKeys(v) {
				out = append(out, v[k])
			}
		}
	case segSlice:
		a, ok := n.([]any)
		if !ok {
			return out
		}
		start, end := 0, len(a)
		if sg.hasStart {
			start = clampIndex(sg.start, len(a))
		}
		if sg.hasEnd {
			end = clampIndex(sg.end, len(a))
		}
		for i := start; i < end; i += sg.step {
			out = append(out, a[i])
		}
	}
	return out
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	if i < 0 {
		return 0
	}
	if i > n {
		return n
	}
	return i
}

// descendants returns n and all nodes below it, in document order with
// object keys sorted.
func descendants(n any) []any {
	out := []any{n}
	switch v := n.(type) {
	case []any:
		for _, e := range v {
			out = append(out, descendants(e)...)
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			out = append(out, descendants(v[k])...)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Set returns a copy of doc with the node at the reference path p replaced by
// v, creating the missing objects on the way ($.a.b on {} gives
// {"a":{"b":v}}). The input is not modified: the objects and arrays along the
// path are copied, everything else is shared.
func (p *Path) Set(doc, v any) (any, error) {
	if !p.IsReference() {
		return nil, fmt.Errorf("%q is not a reference path", p.src)
	}
	return setSegs(doc, p.segs, v, p.src)
}

func setSegs(node any, segs []segment, v any, src string) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	sg := segs[0]
	switch sg.kind {
	case segName:
		var m map[string]any
		switch n := node.(type) {
		case map[string]any:
			m = make(map[string]any, len(n)+1)
			for k, e := range n {
				m[k] = e
			}
		case nil:
			m = map[string]any{}
		default:
			return nil, fmt.Errorf("cannot set field %q of a %s", sg.name, kindOf(node))
		}
		child, err := setSegs(m[sg.name], segs[1:], v, src)
		if err != nil {
			return nil, err
		}
		m[sg.name] = child
		return m, nil
	case segIndex:
		a, ok := node.([]any)
		if !ok {
			return nil, fmt.Errorf("cannot set index %d of a %s", sg.index, kindOf(node))
		}
		i := sg.index
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, fmt.Errorf("index %d is out of range for an array of %d", sg.index, len(a))
		}
		c := append([]any(nil), a...)
		child, err := setSegs(c[i], segs[1:], v, src)
		if err != nil {
			return nil, err
		}
		c[i] = child
		return c, nil
	}
	return nil, fmt.Errorf("%q is not a reference path", src)
}

// notFound explains, as Step Functions does (its JSONPath engine is Jayway
// JsonPath), why the definite path p selects nothing in doc: "No results
// for path: $['a']['b']" when the last step is missing, "Missing property
// in path $['a']" when a property on the way is missing. It is only called
// once a lookup has failed.
func (p *Path) notFound(doc any) string {
	var b strings.Builder
	b.WriteString("$")
	cur, lost := doc, false // lost: a step on the way was not an object or array
	for i, sg := range p.segs {
		if sg.kind != segName && sg.kind != segIndex {
			break
		}
		appendNormalized(&b, sg)
		if lost {
			continue
		}
		switch sg.kind {
		case segName:
			m, ok := cur.(map[string]any)
			if !ok {
				lost = true
				continue
			}
			v, found := m[sg.name]
			if !found && i < len(p.segs)-1 {
				return "Missing property in path " + b.String()
			}
			cur = v
		case segIndex:
			a, ok := cur.([]any)
			n := sg.index
			if ok && n < 0 {
				n += len(a)
			}
			if !ok || n < 0 || n >= len(a) {
				lost = true
				continue
			}
			cur = a[n]
		}
	}
	var full strings.Builder
	full.WriteString("$")
	for _, sg := range p.segs {
		appendNormalized(&full, sg)
	}
	return "No results for path: " + full.String()
}

// appendNormalized writes a step of a path as Jayway JsonPath prints it:
// ['name'] or [n].
func appendNormalized(b *strings.Builder, sg segment) {
	switch sg.kind {
	case segName:
		b.WriteString("['")
		b.WriteString(sg.name)
		b.WriteString("']")
	case segIndex:
		b.WriteString("[")
		b.WriteString(strconv.Itoa(sg.index))
		b.WriteString("]")
	}
}
