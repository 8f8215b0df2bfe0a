package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// InputError is bad input: what is wrong, in which file and where. Line and
// Column count from 1 (0: unknown); Pointer is a JSON pointer (RFC 6901)
// into the file's document.
type InputError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Pointer string `json:"pointer,omitempty"`
	Message string `json:"message"`
}

// Error is "file:line:column: pointer: message", leaving out what is not
// known.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Pointer != "" {
		b.WriteString(e.Pointer + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// pointer builds JSON pointers (RFC 6901).
type pointer string

func (p pointer) key(k string) pointer {
	k = strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
	return p + "/" + pointer(k)
}

func (p pointer) index(i int) pointer { return p + "/" + pointer(strconv.Itoa(i)) }

// parse reads a JSON or YAML document into a node tree that keeps the line
// of every value. JSON is checked with encoding/json first, so that a JSON
// syntax error is reported as JSON (with its line and column) rather than as
// YAML.
func parse(file string, data []byte) (*yaml.Node, *InputError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &InputError{File: file, Message: "the file is empty"}
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if err := checkJSON(data); err != nil {
			err.File = file
			return nil, err
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &InputError{File: file, Line: extra.Line, Message: "the file holds several YAML documents; give one task definition or template per file"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return root, nil
}

// checkJSON validates JSON and locates a syntax error.
func checkJSON(data []byte) *InputError {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			line, col := lineCol(data, dec.InputOffset())
			return &InputError{Line: line, Column: col, Message: "invalid JSON: more than one value in the file"}
		}
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(data, syn.Offset)
		return &InputError{Line: line, Column: col, Message: "invalid JSON: " + syn.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, int64(len(data)))
		return &InputError{Line: line, Column: col, Message: "invalid JSON: the file ends in the middle of a value"}
	}
	return &InputError{Message: "invalid JSON: " + err.Error()}
}

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlError(file string, err error) *InputError {
	msg := err.Error()
	e := &InputError{File: file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	e.Message = "invalid YAML: " + msg
	return e
}

// deref follows aliases (YAML anchors).
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field is one key of a mapping node with its value.
type field struct {
	key   *yaml.Node
	value *yaml.Node
}

// fields lists a mapping's keys and values, in document order.
func fields(n *yaml.Node) []field {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]field, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, field{key: n.Content[i], value: deref(n.Content[i+1])})
	}
	return out
}

// get is a mapping's value for key, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	for _, f := range fields(n) {
		if f.key.Value == key {
			return f.value
		}
	}
	return nil
}

// getField is a mapping's key and value for key, or nil.
func getField(n *yaml.Node, key string) *field {
	for _, f := range fields(n) {
		if f.key.Value == key {
			return &f
		}
	}
	return nil
}

// customTag is a node's application tag ("!Ref"), or "" for YAML's own tags.
func customTag(n *yaml.Node) string {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") && n.Tag != "!" {
		return n.Tag
	}
	return ""
}

// kindName names a node's kind for messages.
func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "missing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "a value"
}

// toValue converts a node without intrinsic functions to JSON values:
// objects, lists, strings, json.Number, booleans and nil. tagErr tells what
// to say about an application tag (!Ref…), which has no JSON meaning.
func toValue(n *yaml.Node, at pointer) (any, *InputError) {
	n = deref(n)
	if tag := customTag(n); tag != "" {
		return nil, &InputError{Line: n.Line, Column: n.Column, Pointer: string(at),
			Message: fmt.Sprintf("%s is a CloudFormation intrinsic function, which a task definition file cannot hold", tag)}
	}
	switch n.Kind {
	case yaml.MappingNode:
		obj := make(map[string]any, len(n.Content)/2)
		for _, f := range fields(n) {
			if f.key.Kind != yaml.ScalarNode || f.key.Value == "<<" {
				return nil, &InputError{Line: f.key.Line, Column: f.key.Column, Pointer: string(at),
					Message: "only plain keys are supported (no complex keys, no YAML merge keys)"}
			}
			v, err := toValue(f.value, at.key(f.key.Value))
			if err != nil {
				return nil, err
			}
			obj[f.key.Value] = v
		}
		return obj, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			v, err := toValue(item, at.index(i))
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		return scalarValue(n, at)
	}
	return nil, &InputError{Line: n.Line, Column: n.Column, Pointer: string(at), Message: "unsupported YAML node"}
}

func scalarValue(n *yaml.Node, at pointer) (any, *InputError) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return nil, &InputError{Line: n.Line, Column: n.Column, Pointer: string(at), Message: fmt.Sprintf("%q is not a boolean", n.Value)}
		}
		return b, nil
	case "!!int", "!!float":
		if num, ok := number(n.Value); ok {
			return num, nil
		}
		return nil, &InputError{Line: n.Line, Column: n.Column, Pointer: string(at), Message: fmt.Sprintf("%q is not a number JSON can hold", n.Value)}
	}
	return n.Value, nil
}

// number converts a YAML or JSON number to a json.Number (decimal).
func number(s string) (json.Number, bool) {
	if json.Valid([]byte(s)) {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s), true
		}
	}
	clean := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
		return json.Number(strconv.FormatInt(i, 10)), true
	}
	if strings.HasPrefix(clean, "0o") || strings.HasPrefix(clean, "0O") {
		if i, err := strconv.ParseInt(clean[2:], 8, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), true
		}
	}
	if f, err := strconv.ParseFloat(clean, 64); err == nil && !strings.ContainsAny(clean, "nN") {
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
	}
	return "", false
}
