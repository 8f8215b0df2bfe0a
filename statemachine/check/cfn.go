package check

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// TaskDefinitionType is the CloudFormation resource type check judges.
const TaskDefinitionType = "AWS::ECS::TaskDefinition"

// Unknown is a value a template builds with an intrinsic function whose
// result is known only at deploy time (a parameter, another resource's
// attribute, an import, a condition). It is left out of the evaluated
// document, never guessed, and reported: a rule that reads it judged the task
// definition without it.
type Unknown struct {
	// Field is where the value would be in the policy input (a JSON pointer:
	// /taskDefinition/containerDefinitions/0/image, /tags/owner).
	Field string `json:"field"`
	// Property is where it is in the file (a JSON pointer), and Line its line.
	Property string `json:"property"`
	Line     int    `json:"line,omitempty"`
	// Expression is the intrinsic function, shortened ("Ref ImageUri").
	Expression string `json:"expression"`
	// Reason says why its value is not known here.
	Reason string `json:"reason"`
}

// Unmapped is a property of the template that the CloudFormation → ECS API
// mapping does not know: left out of the evaluated document.
type Unmapped struct {
	Property string `json:"property"`
	Line     int    `json:"line,omitempty"`
	Message  string `json:"message"`
}

// env is what the pseudo parameters resolve to: the --account and --region
// flags, and the partition and URL suffix the region implies.
type env struct {
	account, region, partition, urlSuffix string
}

// partitions are the AWS partitions: the first whose pattern matches the
// region gives its name and DNS suffix; a region that matches none is in
// "aws" (as in the AWS SDKs' partitions.json, from which these come).
var partitions = []struct {
	pattern           *regexp.Regexp
	partition, suffix string
}{
	{regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`), "aws", "amazonaws.com"},
	{regexp.MustCompile(`^cn-\w+-\d+$`), "aws-cn", "amazonaws.com.cn"},
	{regexp.MustCompile(`^eusc-(de)-\w+-\d+$`), "aws-eusc", "amazonaws.eu"},
	{regexp.MustCompile(`^us-iso-\w+-\d+$`), "aws-iso", "c2s.ic.gov"},
	{regexp.MustCompile(`^us-isob-\w+-\d+$`), "aws-iso-b", "sc2s.sgov.gov"},
	{regexp.MustCompile(`^eu-isoe-\w+-\d+$`), "aws-iso-e", "cloud.adc-e.uk"},
	{regexp.MustCompile(`^us-isof-\w+-\d+$`), "aws-iso-f", "csp.hci.ic.gov"},
	{regexp.MustCompile(`^us-gov-\w+-\d+$`), "aws-us-gov", "amazonaws.com"},
}

func newEnv(account, region string) env {
	e := env{account: account, region: region}
	if region == "" {
		return e
	}
	e.partition, e.urlSuffix = "aws", "amazonaws.com"
	for _, p := range partitions {
		if p.pattern.MatchString(region) {
			e.partition, e.urlSuffix = p.partition, p.suffix
			break
		}
	}
	return e
}

// template is a parsed CloudFormation or SAM template.
type template struct {
	file       string
	root       *yaml.Node
	parameters map[string]*yaml.Node
	resources  map[string]*yaml.Node
	mappings   *yaml.Node
	// transformed templates (SAM, macros) may refer to resources the
	// transform creates.
	transformed bool
	env         env
}

func newTemplate(file string, root *yaml.Node, e env) (*template, *InputError) {
	t := &template{file: file, root: root, parameters: map[string]*yaml.Node{}, resources: map[string]*yaml.Node{}, env: e}
	res := getField(root, "Resources")
	if res.value.Kind != yaml.MappingNode {
		return nil, &InputError{File: file, Line: res.value.Line, Pointer: "/Resources", Message: "Resources is " + kindName(res.value) + ", not an object of resources"}
	}
	for _, f := range fields(res.value) {
		t.resources[f.key.Value] = f.value
	}
	for _, f := range fields(get(root, "Parameters")) {
		t.parameters[f.key.Value] = f.value
	}
	t.mappings = get(root, "Mappings")
	t.transformed = get(root, "Transform") != nil
	return t, nil
}

// noValue is what Ref AWS::NoValue resolves to: the property is absent.
type noValueType struct{}

var noValue = noValueType{}

// unresolved explains why a value is unknown.
type unresolved struct{ reason string }

func unknownf(format string, args ...any) *unresolved {
	return &unresolved{reason: fmt.Sprintf(format, args...)}
}

// intrinsic tells whether n is an intrinsic function call — long form
// ({"Fn::Sub": …}, {"Ref": …}) or YAML short form (!Sub …) — and returns
// its name in long form and its argument.
func intrinsic(n *yaml.Node) (name string, arg *yaml.Node, ok bool) {
	n = deref(n)
	if n == nil {
		return "", nil, false
	}
	if tag := customTag(n); tag != "" {
		switch tag {
		case "!Ref":
			name = "Ref"
		case "!Condition":
			name = "Condition"
		default:
			name = "Fn::" + tag[1:]
		}
		c := *n
		c.Tag = ""
		if c.Kind == yaml.ScalarNode {
			c.Tag = "!!str"
		}
		return name, &c, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, deref(n.Content[1]), true
		}
	}
	return "", nil, false
}

// resolve evaluates a template value: literals as they are; Ref to the
// pseudo parameters the flags determine (AWS::AccountId, AWS::Region,
// AWS::Partition, AWS::URLSuffix) and AWS::NoValue; Fn::Sub, Fn::Join,
// Fn::Select, Fn::Split, Fn::FindInMap and Fn::Base64 over known values.
// Anything else (Ref to a parameter or a resource, Fn::GetAtt,
// Fn::ImportValue, Fn::If, …) is unresolved: known only at deploy time.
func (t *template) resolve(n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	n = deref(n)
	if name, arg, ok := intrinsic(n); ok {
		return t.call(name, arg, n, at)
	}
	switch n.Kind {
	case yaml.MappingNode:
		obj := map[string]any{}
		for _, f := range fields(n) {
			v, unk, err := t.resolve(f.value, at.key(f.key.Value))
			if err != nil || unk != nil {
				return nil, unk, err
			}
			if v != noValue {
				obj[f.key.Value] = v
			}
		}
		return obj, nil, nil
	case yaml.SequenceNode:
		list := []any{}
		for i, item := range n.Content {
			v, unk, err := t.resolve(item, at.index(i))
			if err != nil || unk != nil {
				return nil, unk, err
			}
			if v != noValue {
				list = append(list, v)
			}
		}
		return list, nil, nil
	case yaml.ScalarNode:
		v, err := scalarValue(n, at)
		if err != nil {
			err.File = t.file
		}
		return v, nil, err
	}
	return nil, nil, t.errorf(n, at, "unsupported YAML node")
}

func (t *template) errorf(n *yaml.Node, at pointer, format string, args ...any) *InputError {
	return &InputError{File: t.file, Line: n.Line, Column: n.Column, Pointer: string(at), Message: fmt.Sprintf(format, args...)}
}

func (t *template) call(name string, arg *yaml.Node, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	at = at.key(name)
	switch name {
	case "Ref":
		if arg.Kind != yaml.ScalarNode {
			return nil, nil, t.errorf(n, at, "Ref takes a name, not %s", kindName(arg))
		}
		return t.ref(arg.Value, n, at)
	case "Fn::Sub":
		return t.sub(arg, n, at)
	case "Fn::Join":
		return t.join(arg, n, at)
	case "Fn::Select":
		return t.selectItem(arg, n, at)
	case "Fn::Split":
		return t.split(arg, n, at)
	case "Fn::FindInMap":
		return t.findInMap(arg, n, at)
	case "Fn::Base64":
		v, unk, err := t.resolve(arg, at)
		if err != nil || unk != nil {
			return nil, unk, err
		}
		s, ok := stringOf(v)
		if !ok {
			return nil, nil, t.errorf(n, at, "Fn::Base64 takes a string")
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil, nil
	case "Fn::GetAtt":
		resource := arg.Value
		if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
			resource = deref(arg.Content[0]).Value
		}
		resource, _, _ = strings.Cut(resource, ".")
		return nil, unknownf("an attribute of resource %s, known only once the stack creates it", resource), nil
	case "Fn::ImportValue":
		return nil, unknownf("an export of another stack, known only at deploy time"), nil
	case "Fn::If":
		cond := "?"
		if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
			cond = arg.Content[0].Value
		}
		return nil, unknownf("depends on condition %s, which check does not evaluate (conditions depend on parameters)", cond), nil
	case "Fn::GetAZs":
		return nil, unknownf("the region's Availability Zones, known only at deploy time"), nil
	default:
		return nil, unknownf("%s is not evaluated by check", name), nil
	}
}

func (t *template) ref(name string, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	e := t.env
	switch name {
	case "AWS::NoValue":
		return noValue, nil, nil
	case "AWS::AccountId":
		if e.account == "" {
			return nil, unknownf("the pseudo parameter AWS::AccountId: give --account to resolve it"), nil
		}
		return e.account, nil, nil
	case "AWS::Region", "AWS::Partition", "AWS::URLSuffix":
		if e.region == "" {
			return nil, unknownf("the pseudo parameter %s: give --region to resolve it", name), nil
		}
		return map[string]string{"AWS::Region": e.region, "AWS::Partition": e.partition, "AWS::URLSuffix": e.urlSuffix}[name], nil, nil
	case "AWS::StackName", "AWS::StackId", "AWS::NotificationARNs":
		return nil, unknownf("the pseudo parameter %s, known only when the stack is deployed", name), nil
	}
	if p, ok := t.parameters[name]; ok {
		if d := get(p, "Default"); d != nil && d.Kind == yaml.ScalarNode {
			return nil, unknownf("parameter %s is chosen at deploy time (its default %q is not assumed)", name, d.Value), nil
		}
		return nil, unknownf("parameter %s is chosen at deploy time", name), nil
	}
	if _, ok := t.resources[name]; ok {
		return nil, unknownf("the id of resource %s, known only once the stack creates it", name), nil
	}
	if t.transformed || strings.HasPrefix(name, "AWS::") {
		return nil, unknownf("%s is not defined in the template (a transform may define it)", name), nil
	}
	return nil, nil, t.errorf(n, at, "Ref to %q, which is neither a parameter nor a resource of the template", name)
}

func (t *template) sub(arg *yaml.Node, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	var text string
	var vars map[string]*yaml.Node
	switch {
	case arg.Kind == yaml.ScalarNode:
		text = arg.Value
	case arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 && deref(arg.Content[0]).Kind == yaml.ScalarNode && deref(arg.Content[1]).Kind == yaml.MappingNode:
		text = deref(arg.Content[0]).Value
		vars = map[string]*yaml.Node{}
		for _, f := range fields(arg.Content[1]) {
			vars[f.key.Value] = f.value
		}
	default:
		return nil, nil, t.errorf(n, at, "Fn::Sub takes a string or [string, {variables}]")
	}
	var b strings.Builder
	var reasons []string
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "${")
		if j < 0 {
			b.WriteString(text[i:])
			break
		}
		b.WriteString(text[i : i+j])
		i += j
		end := strings.IndexByte(text[i:], '}')
		if end < 0 {
			b.WriteString(text[i:])
			break
		}
		name := text[i+2 : i+end]
		i += end + 1
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		name = strings.TrimSpace(name)
		var v any
		var unk *unresolved
		var err *InputError
		switch node, ok := vars[name]; {
		case ok:
			v, unk, err = t.resolve(node, at.index(1).key(name))
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			unk = unknownf("${%s} is an attribute of resource %s, known only once the stack creates it", name, strings.SplitN(name, ".", 2)[0])
		default:
			v, unk, err = t.ref(name, n, at)
		}
		if err != nil {
			return nil, nil, err
		}
		if unk != nil {
			reasons = appendUnique(reasons, unk.reason)
			continue
		}
		s, ok := stringOf(v)
		if !ok {
			return nil, nil, t.errorf(n, at, "Fn::Sub variable %s is %s, not a string", name, describeValue(v))
		}
		b.WriteString(s)
	}
	if len(reasons) > 0 {
		return nil, &unresolved{reason: strings.Join(reasons, "; ")}, nil
	}
	return b.String(), nil, nil
}

func (t *template) twoArgs(fn string, arg *yaml.Node, n *yaml.Node, at pointer) (*yaml.Node, *yaml.Node, *InputError) {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return nil, nil, t.errorf(n, at, "%s takes a list of two values", fn)
	}
	return deref(arg.Content[0]), deref(arg.Content[1]), nil
}

func (t *template) join(arg *yaml.Node, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	delimNode, listNode, err := t.twoArgs("Fn::Join", arg, n, at)
	if err != nil {
		return nil, nil, err
	}
	if delimNode.Kind != yaml.ScalarNode {
		return nil, nil, t.errorf(n, at, "Fn::Join's delimiter must be a string")
	}
	v, unk, err := t.resolve(listNode, at.index(1))
	if err != nil || unk != nil {
		return nil, unk, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, t.errorf(n, at, "Fn::Join's second value must be a list")
	}
	parts := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := stringOf(item)
		if !ok {
			return nil, nil, t.errorf(n, at, "Fn::Join can only join strings, not %s", describeValue(item))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, delimNode.Value), nil, nil
}

func (t *template) selectItem(arg *yaml.Node, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	indexNode, listNode, err := t.twoArgs("Fn::Select", arg, n, at)
	if err != nil {
		return nil, nil, err
	}
	iv, unk, err := t.resolve(indexNode, at.index(0))
	if err != nil || unk != nil {
		return nil, unk, err
	}
	s, _ := stringOf(iv)
	index, perr := strconv.Atoi(s)
	if perr != nil || index < 0 {
		return nil, nil, t.errorf(n, at, "Fn::Select's index %s is not a whole number", describeValue(iv))
	}
	// A literal list: only the selected item needs to be known.
	if _, _, isCall := intrinsic(listNode); !isCall && listNode.Kind == yaml.SequenceNode {
		if index >= len(listNode.Content) {
			return nil, nil, t.errorf(n, at, "Fn::Select's index %d is past the end of its %d-item list", index, len(listNode.Content))
		}
		return t.resolve(listNode.Content[index], at.index(1).index(index))
	}
	v, unk, err := t.resolve(listNode, at.index(1))
	if err != nil || unk != nil {
		return nil, unk, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, t.errorf(n, at, "Fn::Select's second value must be a list")
	}
	if index >= len(list) {
		return nil, nil, t.errorf(n, at, "Fn::Select's index %d is past the end of its %d-item list", index, len(list))
	}
	return list[index], nil, nil
}

func (t *template) split(arg *yaml.Node, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	delimNode, srcNode, err := t.twoArgs("Fn::Split", arg, n, at)
	if err != nil {
		return nil, nil, err
	}
	if delimNode.Kind != yaml.ScalarNode {
		return nil, nil, t.errorf(n, at, "Fn::Split's delimiter must be a string")
	}
	v, unk, err := t.resolve(srcNode, at.index(1))
	if err != nil || unk != nil {
		return nil, unk, err
	}
	s, ok := stringOf(v)
	if !ok {
		return nil, nil, t.errorf(n, at, "Fn::Split splits a string, not %s", describeValue(v))
	}
	var out []any
	for _, part := range strings.Split(s, delimNode.Value) {
		out = append(out, part)
	}
	return out, nil, nil
}

func (t *template) findInMap(arg *yaml.Node, n *yaml.Node, at pointer) (any, *unresolved, *InputError) {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) < 3 || len(arg.Content) > 4 {
		return nil, nil, t.errorf(n, at, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
	}
	keys := make([]string, 3)
	for i := range 3 {
		v, unk, err := t.resolve(arg.Content[i], at.index(i))
		if err != nil || unk != nil {
			return nil, unk, err
		}
		s, ok := stringOf(v)
		if !ok {
			return nil, nil, t.errorf(n, at, "Fn::FindInMap's keys must be strings")
		}
		keys[i] = s
	}
	m := get(t.mappings, keys[0])
	if m == nil {
		return nil, nil, t.errorf(n, at, "Fn::FindInMap: the template has no mapping %q", keys[0])
	}
	if v := get(get(m, keys[1]), keys[2]); v != nil {
		return t.resolve(v, pointer("/Mappings").key(keys[0]).key(keys[1]).key(keys[2]))
	}
	if len(arg.Content) == 4 {
		if d := get(arg.Content[3], "DefaultValue"); d != nil {
			return t.resolve(d, at.index(3).key("DefaultValue"))
		}
	}
	return nil, nil, t.errorf(n, at, "Fn::FindInMap: mapping %s has no %s/%s", keys[0], keys[1], keys[2])
}

// stringOf renders a scalar as CloudFormation does when a string is wanted.
func stringOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func describeValue(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "a string"
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// expression renders an intrinsic function call briefly, for reports:
// "Ref ImageUri", "Fn::GetAtt TaskRole.Arn", `Fn::Sub "${Repo}:${Tag}"`.
func expression(n *yaml.Node) string {
	s := flow(n, 0)
	if utf8.RuneCountInString(s) > 100 {
		r := []rune(s)
		s = string(r[:99]) + "…"
	}
	return s
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]+$`)

func flow(n *yaml.Node, depth int) string {
	n = deref(n)
	if n == nil {
		return "null"
	}
	if depth > 4 {
		return "…"
	}
	if name, arg, ok := intrinsic(n); ok {
		if name == "Fn::GetAtt" && arg.Kind == yaml.SequenceNode {
			parts := make([]string, 0, len(arg.Content))
			for _, c := range arg.Content {
				parts = append(parts, flow(c, depth+1))
			}
			return name + " " + strings.Join(parts, ".")
		}
		return name + " " + flow(arg, depth+1)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if plainScalar.MatchString(n.Value) {
			return n.Value
		}
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			parts = append(parts, flow(c, depth+1))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case yaml.MappingNode:
		var parts []string
		for _, f := range fields(n) {
			parts = append(parts, f.key.Value+": "+flow(f.value, depth+1))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

// taskDefinitionResources lists a template's AWS::ECS::TaskDefinition
// resources in document order, with their key nodes (for the line) and how
// many resources of other types there are.
func (t *template) taskDefinitionResources() (found []field, others int) {
	for _, f := range fields(get(t.root, "Resources")) {
		if typ := get(f.value, "Type"); typ != nil && typ.Value == TaskDefinitionType {
			found = append(found, f)
		} else {
			others++
		}
	}
	return found, others
}

// closest is the name among names nearest to s ignoring case, for "did you
// mean" hints, or "".
func closest(s string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n
		}
	}
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	for _, n := range sorted {
		if len(s) > 3 && (strings.HasPrefix(strings.ToLower(n), strings.ToLower(s)) || strings.HasPrefix(strings.ToLower(s), strings.ToLower(n))) {
			return n
		}
	}
	return ""
}
