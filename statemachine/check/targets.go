package check

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// apiTargets reads a task definition in the ECS API's shape: the
// taskDefinition of describe-task-definition output ({taskDefinition,
// tags}), the task definition alone (describe-task-definition --query
// taskDefinition), or register-task-definition input (the task definition's
// fields and its tags). The document is evaluated as it is, without its
// tags, which become input.tags — as at runtime.
func apiTargets(file string, root *yaml.Node) (string, []target, []*InputError) {
	kind := "task definition"
	node, at := root, pointer("")
	line := 1
	if f := getField(root, "taskDefinition"); f != nil {
		kind, node, at, line = "describe-task-definition output", f.value, "/taskDefinition", f.key.Line
	} else if get(root, "taskDefinitionArn") == nil && get(root, "revision") == nil {
		kind = "register-task-definition input"
	}
	if node.Kind != yaml.MappingNode {
		return kind, nil, []*InputError{{File: file, Line: node.Line, Pointer: string(at), Message: "taskDefinition is " + kindName(node) + ", not an object"}}
	}
	v, err := toValue(node, at)
	if err != nil {
		err.File = file
		return kind, nil, []*InputError{err}
	}
	doc := v.(map[string]any)
	if cds, ok := doc["containerDefinitions"].([]any); !ok {
		n := get(node, "containerDefinitions")
		if n == nil {
			n = node
		}
		return kind, nil, []*InputError{{File: file, Line: n.Line, Pointer: string(at.key("containerDefinitions")),
			Message: "a task definition needs containerDefinitions, a list of container definitions"}}
	} else {
		for i, c := range cds {
			if _, ok := c.(map[string]any); !ok {
				n := get(node, "containerDefinitions").Content[i]
				return kind, nil, []*InputError{{File: file, Line: n.Line, Pointer: string(at.key("containerDefinitions").index(i)),
					Message: "a container definition is " + describeValue(c) + ", not an object"}}
			}
		}
	}

	// Tags: describe-task-definition's are beside the task definition,
	// register-task-definition's among its fields.
	tagsNode, tagsAt := get(root, "tags"), pointer("/tags")
	delete(doc, "tags")
	tags, terr := apiTags(file, tagsNode, tagsAt)
	if terr != nil {
		return kind, nil, []*InputError{terr}
	}

	td := TaskDefinition{Line: line, Pointer: string(at)}
	td.Family, _ = doc["family"].(string)
	if rev, ok := doc["revision"].(json.Number); ok {
		if n, err := strconv.Atoi(rev.String()); err == nil {
			td.Revision = n
		}
	}
	switch {
	case td.Family != "" && td.Revision > 0:
		td.Name = fmt.Sprintf("%s:%d", td.Family, td.Revision)
	case td.Family != "":
		td.Name = td.Family
	default:
		td.Name = path.Base(file)
	}
	for _, c := range get(node, "containerDefinitions").Content {
		c = deref(c)
		name := ""
		if n := get(c, "name"); n != nil {
			name = n.Value
		}
		td.containers = append(td.containers, container{name: name, line: c.Line})
	}
	return kind, []target{{td: td, doc: doc, tags: tags}}, nil
}

// apiTags reads the ECS API's tags: [{key, value}].
func apiTags(file string, n *yaml.Node, at pointer) (map[string]string, *InputError) {
	tags := map[string]string{}
	n = deref(n)
	if n == nil {
		return tags, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &InputError{File: file, Line: n.Line, Pointer: string(at), Message: "tags is " + kindName(n) + ", not a list of {key, value}"}
	}
	for i, item := range n.Content {
		k, v := get(item, "key"), get(item, "value")
		if k == nil || k.Kind != yaml.ScalarNode || (v != nil && v.Kind != yaml.ScalarNode) || customTag(k) != "" || (v != nil && customTag(v) != "") {
			return nil, &InputError{File: file, Line: deref(item).Line, Pointer: string(at.index(i)), Message: "a tag must be {\"key\": string, \"value\": string}"}
		}
		value := ""
		if v != nil {
			value = v.Value
		}
		tags[k.Value] = value
	}
	return tags, nil
}

// templateTargets reads every AWS::ECS::TaskDefinition of a CloudFormation
// or SAM template, mapped to the API's shape.
func (c *Checker) templateTargets(file string, root *yaml.Node, inCDK bool) (string, []target, []*InputError) {
	kind := "CloudFormation template"
	if isSAM(get(root, "Transform")) {
		kind = "SAM template"
	}
	if inCDK {
		kind = "cdk.out template"
	}
	t, err := newTemplate(file, root, c.env)
	if err != nil {
		return kind, nil, []*InputError{err}
	}
	resources, others := t.taskDefinitionResources()
	if len(resources) == 0 {
		if inCDK {
			return kind, nil, nil
		}
		res := getField(root, "Resources")
		return kind, nil, []*InputError{{File: file, Line: res.key.Line, Pointer: "/Resources",
			Message: fmt.Sprintf("no %s resource in this template (it has %s of other types)", TaskDefinitionType, count(others, "resource"))}}
	}
	var targets []target
	var errs []*InputError
	for _, r := range resources {
		id := r.key.Value
		at := pointer("/Resources").key(id)
		td := TaskDefinition{Name: id, LogicalID: id, Line: r.key.Line, Pointer: string(at)}
		if md := get(r.value, "Metadata"); md != nil {
			if p := get(md, "aws:cdk:path"); p != nil && p.Kind == yaml.ScalarNode {
				td.CDKPath = p.Value
			}
		}
		if cond := get(r.value, "Condition"); cond != nil && cond.Kind == yaml.ScalarNode {
			td.Notes = append(td.Notes, fmt.Sprintf("created only when condition %s is true", cond.Value))
		}
		m := &mapper{t: t}
		doc := map[string]any{}
		props := get(r.value, "Properties")
		switch {
		case props == nil:
			td.Notes = append(td.Notes, "the resource has no Properties")
		default:
			if _, _, isCall := intrinsic(props); isCall {
				m.addUnknown(inputTaskDefinition, at.key("Properties"), props, &unresolved{reason: "the whole Properties object is built with an intrinsic function"})
			} else if obj := m.object(props, taskDefinitionShape, at.key("Properties"), inputTaskDefinition); obj != nil {
				doc = obj
			}
		}
		if len(m.errs) > 0 {
			errs = append(errs, m.errs...)
			continue
		}
		td.Family, _ = doc["family"].(string)
		if td.Family == "" {
			td.Notes = append(td.Notes, "no Family: CloudFormation names the family at deploy time, so exemptions scoped to a family do not match here")
		}
		td.Unknown, td.Unmapped, td.containers = m.unknown, m.unmapped, m.containers
		targets = append(targets, target{td: td, doc: doc, tags: m.tags})
	}
	return kind, targets, errs
}

func isSAM(transform *yaml.Node) bool {
	transform = deref(transform)
	if transform == nil {
		return false
	}
	if transform.Kind == yaml.ScalarNode {
		return strings.HasPrefix(transform.Value, "AWS::Serverless")
	}
	for _, t := range transform.Content {
		if deref(t).Kind == yaml.ScalarNode && strings.HasPrefix(deref(t).Value, "AWS::Serverless") {
			return true
		}
	}
	return false
}
