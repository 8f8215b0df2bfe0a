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
// limits it (package jsonscan). false for anything that is not exactly one
// valid JSON value: decodeJSON then asks encoding/json for its error.
func fastDecode(data []byte) (any, bool) {
	d := fastDecoder{jsonscan.Scanner{Data: data}}
	d.Space()
	v, ok := d.value()
	if !ok {
		return nil, false
	}
	return v, d.Done()
}

type fastDecoder struct{ jsonscan.Scanner }

func (d *fastDecoder) value() (any, bool) {
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
		return d.String()
	case c == '-' || (c >= '0' && c <= '9'):
		n, ok := d.Number()
		return json.Number(n), ok
	case c == 't':
		return true, d.Literal("true")
	case c == 'f':
		return false, d.Literal("false")
	case c == 'n':
		return nil, d.Literal("null")
	}
	return nil, false
}

func (d *fastDecoder) object() (any, bool) {
	if !d.Enter() {
		return nil, false
	}
	defer d.Leave()
	d.I++ // {
	m := map[string]any{}
	d.Space()
	if c, _ := d.Peek(); c == '}' {
		d.I++
		return m, true
	}
	for {
		if c, _ := d.Peek(); c != '"' {
			return nil, false
		}
		k, ok := d.String()
		if !ok || d.Next(":") == 0 {
			return nil, false
		}
		d.Space()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		switch d.Next(",}") {
		case ',':
			d.Space()
		case '}':
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *fastDecoder) array() (any, bool) {
	if !d.Enter() {
		return nil, false
	}
	defer d.Leave()
	d.I++ // [
	a := []any{}
	d.Space()
	if c, _ := d.Peek(); c == ']' {
		d.I++
		return a, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		switch d.Next(",]") {
		case ',':
			d.Space()
		case ']':
			return a, true
		default:
			return nil, false
		}
	}
}
