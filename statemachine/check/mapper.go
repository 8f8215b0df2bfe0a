package check

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// mapper turns an AWS::ECS::TaskDefinition resource's Properties into the
// task definition in the ECS API's JSON shape, with the mapping table
// (mapping.go), collecting what is unknown or unmapped on the way.
type mapper struct {
	t        *template
	tags     map[string]string
	unknown  []Unknown
	unmapped []Unmapped
	errs     []*InputError
	// containers are the container definitions' names and lines.
	containers []container
}

type container struct {
	name string
	line int
}

// inputTaskDefinition is where the evaluated document sits in the policy
// input; Unknown.Field pointers start there.
const inputTaskDefinition pointer = "/taskDefinition"

func (m *mapper) fail(n *yaml.Node, at pointer, format string, args ...any) {
	m.errs = append(m.errs, m.t.errorf(n, at, format, args...))
}

func (m *mapper) addUnknown(field pointer, at pointer, n *yaml.Node, unk *unresolved) {
	m.unknown = append(m.unknown, Unknown{
		Field:      string(field),
		Property:   string(at),
		Line:       n.Line,
		Expression: expression(n),
		Reason:     unk.reason,
	})
}

// object maps a mapping node of property type s. It returns nil when the
// node is not an object (after reporting why).
func (m *mapper) object(n *yaml.Node, s *shape, at, field pointer) map[string]any {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		m.fail(n, at, "%s is %s, not an object (%s)", lastKey(at), kindName(n), s.name)
		return nil
	}
	out := map[string]any{}
	for _, f := range fields(n) {
		name := f.key.Value
		p, ok := s.lookup(name)
		if !ok {
			msg := fmt.Sprintf("%s is not a property of %s; left out", name, s.name)
			names := make([]string, 0, len(s.props))
			for _, q := range s.props {
				names = append(names, q.cfn)
			}
			if c := closest(name, names); c != "" {
				msg = fmt.Sprintf("%s is not a property of %s (did you mean %s?); left out", name, s.name, c)
			}
			m.unmapped = append(m.unmapped, Unmapped{Property: string(at.key(name)), Line: f.key.Line, Message: msg})
			continue
		}
		if v, ok := m.value(f.value, p, at.key(name), field.key(p.api)); ok {
			out[p.api] = v
		}
	}
	return out
}

// value maps one property value. ok is false when the value is absent from
// the evaluated document (AWS::NoValue, unknown, or wrong).
func (m *mapper) value(n *yaml.Node, p prop, at, field pointer) (any, bool) {
	n = deref(n)
	if p.kind == kTags {
		m.mapTags(n, at)
		return nil, false
	}
	if _, _, isCall := intrinsic(n); isCall {
		v, ok := m.resolve(n, at, field)
		if !ok {
			return nil, false
		}
		if p.kind == kObject || p.kind == kObjectList {
			m.fail(n, at, "%s built with an intrinsic function (%s) is not supported; write it out", p.cfn, expression(n))
			return nil, false
		}
		return m.coerce(v, n, p, at, field)
	}
	switch p.kind {
	case kObject:
		obj := m.object(n, p.shape, at, field)
		return obj, obj != nil
	case kObjectList:
		if n.Kind != yaml.SequenceNode {
			m.fail(n, at, "%s is %s, not a list", p.cfn, kindName(n))
			return nil, false
		}
		list := []any{}
		for i, item := range n.Content {
			item = deref(item)
			itemAt, itemField := at.index(i), field.index(len(list))
			if _, _, isCall := intrinsic(item); isCall {
				if _, ok := m.resolve(item, itemAt, itemField); ok {
					m.fail(item, itemAt, "an intrinsic function that builds a whole %s is not supported; write the object out", p.shape.name)
				}
				continue
			}
			obj := m.object(item, p.shape, itemAt, itemField)
			if obj == nil {
				continue
			}
			if p.shape == containerDefinitionShape {
				name, _ := obj["name"].(string)
				m.containers = append(m.containers, container{name: name, line: item.Line})
			}
			list = append(list, obj)
		}
		return list, true
	case kStringMap:
		if n.Kind != yaml.MappingNode {
			m.fail(n, at, "%s is %s, not an object", p.cfn, kindName(n))
			return nil, false
		}
		out := map[string]any{}
		for _, f := range fields(n) {
			if s, ok := m.leaf(f.value, kString, at.key(f.key.Value), field.key(f.key.Value)); ok {
				out[f.key.Value] = s
			}
		}
		return out, true
	case kStringList, kIntegerList:
		if n.Kind != yaml.SequenceNode {
			m.fail(n, at, "%s is %s, not a list", p.cfn, kindName(n))
			return nil, false
		}
		elem := kString
		if p.kind == kIntegerList {
			elem = kInteger
		}
		list := []any{}
		for i, item := range n.Content {
			if v, ok := m.leaf(item, elem, at.index(i), field.index(len(list))); ok {
				list = append(list, v)
			}
		}
		return list, true
	default:
		return m.leaf(n, p.kind, at, field)
	}
}

// leaf maps a scalar of the given kind, resolving intrinsic functions.
func (m *mapper) leaf(n *yaml.Node, k kind, at, field pointer) (any, bool) {
	n = deref(n)
	var v any
	if _, _, isCall := intrinsic(n); isCall {
		var ok bool
		if v, ok = m.resolve(n, at, field); !ok {
			return nil, false
		}
	} else {
		if n.Kind != yaml.ScalarNode {
			m.fail(n, at, "%s is %s, not %s", lastKey(at), kindName(n), kindWord(k))
			return nil, false
		}
		var err *InputError
		if v, err = scalarValue(n, at); err != nil {
			err.File = m.t.file
			m.errs = append(m.errs, err)
			return nil, false
		}
	}
	return m.coerce(v, n, prop{kind: k}, at, field)
}

// resolve evaluates the intrinsic function call n; ok is false when it has
// no value here: an error (recorded), a value known only at deploy time
// (recorded as unknown) or AWS::NoValue.
func (m *mapper) resolve(n *yaml.Node, at, field pointer) (v any, ok bool) {
	v, unk, err := m.t.resolve(n, at)
	switch {
	case err != nil:
		m.errs = append(m.errs, err)
		return nil, false
	case unk != nil:
		m.addUnknown(field, at, n, unk)
		return nil, false
	}
	return v, v != noValue
}

// coerce converts a resolved value to the property's type, as
// CloudFormation does ("true" for a boolean, "512" for an integer, 256 for
// a string).
func (m *mapper) coerce(v any, n *yaml.Node, p prop, at, field pointer) (any, bool) {
	if v == nil {
		// null: CloudFormation treats it as absent.
		return nil, false
	}
	switch p.kind {
	case kString:
		if s, ok := stringOf(v); ok {
			return s, true
		}
	case kInteger:
		s, ok := stringOf(v)
		if _, isBool := v.(bool); ok && !isBool {
			if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				return json.Number(strconv.FormatInt(i, 10)), true
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && f == float64(int64(f)) {
				return json.Number(strconv.FormatInt(int64(f), 10)), true
			}
			m.fail(n, at, "%s is %q, not a whole number", lastKey(at), s)
			return nil, false
		}
	case kBoolean:
		switch x := v.(type) {
		case bool:
			return x, true
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(x)); err == nil && (strings.EqualFold(x, "true") || strings.EqualFold(x, "false")) {
				return b, true
			}
			m.fail(n, at, "%s is %q, not a boolean (true or false)", lastKey(at), x)
			return nil, false
		}
	case kStringList, kIntegerList:
		if list, ok := v.([]any); ok {
			elem := prop{kind: kString}
			if p.kind == kIntegerList {
				elem.kind = kInteger
			}
			out := make([]any, 0, len(list))
			for i, item := range list {
				c, ok := m.coerce(item, n, elem, at, field.index(i))
				if !ok {
					return nil, false
				}
				out = append(out, c)
			}
			return out, true
		}
	case kStringMap:
		if obj, ok := v.(map[string]any); ok {
			out := map[string]any{}
			for k, item := range obj {
				s, ok := stringOf(item)
				if !ok {
					m.fail(n, at, "%s/%s is %s, not a string", lastKey(at), k, describeValue(item))
					return nil, false
				}
				out[k] = s
			}
			return out, true
		}
	}
	m.fail(n, at, "%s is %s, not %s", lastKey(at), describeValue(v), kindWord(p.kind))
	return nil, false
}

// mapTags reads the resource's Tags ([{Key, Value}]) into input.tags. A tag
// whose key or value is unknown is left out and reported.
func (m *mapper) mapTags(n *yaml.Node, at pointer) {
	if m.tags == nil {
		m.tags = map[string]string{}
	}
	if _, _, isCall := intrinsic(n); isCall {
		v, unk, err := m.t.resolve(n, at)
		switch {
		case err != nil:
			m.errs = append(m.errs, err)
		case unk != nil:
			m.addUnknown("/tags", at, n, unk)
		case v != noValue:
			m.fail(n, at, "Tags built with an intrinsic function are not supported; list the tags")
		}
		return
	}
	if n.Kind != yaml.SequenceNode {
		m.fail(n, at, "Tags is %s, not a list of {Key, Value}", kindName(n))
		return
	}
	for i, item := range n.Content {
		item = deref(item)
		itemAt := at.index(i)
		if item.Kind != yaml.MappingNode {
			m.fail(item, itemAt, "a tag is %s, not {Key, Value}", kindName(item))
			continue
		}
		keyNode, valueNode := get(item, "Key"), get(item, "Value")
		if keyNode == nil || valueNode == nil {
			m.fail(item, itemAt, "a tag needs Key and Value")
			continue
		}
		key, ok := m.leaf(keyNode, kString, itemAt.key("Key"), "/tags")
		if !ok {
			continue
		}
		k := key.(string)
		if value, ok := m.leaf(valueNode, kString, itemAt.key("Value"), pointer("/tags").key(k)); ok {
			m.tags[k] = value.(string)
		}
	}
}

func kindWord(k kind) string {
	switch k {
	case kInteger:
		return "a whole number"
	case kBoolean:
		return "a boolean"
	case kStringList:
		return "a list of strings"
	case kIntegerList:
		return "a list of whole numbers"
	case kStringMap:
		return "an object of strings"
	case kObject:
		return "an object"
	case kObjectList:
		return "a list of objects"
	}
	return "a string"
}

func lastKey(p pointer) string {
	s := string(p)
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
