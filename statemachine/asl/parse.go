package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Definition is a parsed and validated state machine (or a Parallel branch,
// or a Map's item processor).
type Definition struct {
	// StartAt is the name of the first state.
	StartAt string
	// Comment is the definition's Comment.
	Comment string
	// TimeoutSeconds is the execution's timeout (0: none).
	TimeoutSeconds int64

	states map[string]*State
}

// State is one state of a definition. Its exported fields describe it; how it
// runs is internal.
type State struct {
	Name     string
	Type     string
	Comment  string
	Resource string // Task states only

	next string
	end  bool

	inputPath, outputPath, resultPath pathField

	parameters, resultSelector, itemSelector *payloadTemplate
	result                                   any
	hasResult                                bool

	timeoutSeconds, heartbeatSeconds int64
	timeoutPath, heartbeatPath       *Path
	retry                            []*retrier
	catch                            []*catcher

	choices     []*choiceRule
	defaultNext string

	waitSeconds                 int64
	waitTimestamp               time.Time
	waitKind                    string // Seconds, Timestamp, SecondsPath, TimestampPath
	waitSecondsPath, waitTsPath *Path

	errorName, cause     string
	errorPath, causePath *payloadTemplate

	branches []*Definition

	itemsPath          *Path
	processor          *Definition
	maxConcurrency     int64
	maxConcurrencyPath *Path
}

// pathField is InputPath, OutputPath or ResultPath: absent (the default $),
// null, or a path.
type pathField struct {
	null bool
	path *Path
}

type retrier struct {
	errors      []string
	interval    float64
	maxAttempts int64
	backoff     float64
	maxDelay    float64 // 0: no cap
	jitter      bool
}

type catcher struct {
	errors     []string
	next       string
	resultPath pathField
}

// WaitsForTaskToken reports whether the Task state uses the callback pattern
// (its Resource ends in ".waitForTaskToken").
func (s *State) WaitsForTaskToken() bool {
	return s.Type == "Task" && strings.HasSuffix(s.Resource, ".waitForTaskToken")
}

// State returns the state with that name, looking into Parallel branches and
// Map processors too, or nil.
func (d *Definition) State(name string) *State {
	if s, ok := d.states[name]; ok {
		return s
	}
	for _, s := range d.states {
		for _, b := range s.branches {
			if f := b.State(name); f != nil {
				return f
			}
		}
		if s.processor != nil {
			if f := s.processor.State(name); f != nil {
				return f
			}
		}
	}
	return nil
}

// States returns the states of the definition, nested ones included, sorted
// by name.
func (d *Definition) States() []*State {
	var out []*State
	var walk func(*Definition)
	walk = func(d *Definition) {
		for _, s := range d.states {
			out = append(out, s)
			for _, b := range s.branches {
				walk(b)
			}
			if s.processor != nil {
				walk(s.processor)
			}
		}
	}
	walk(d)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Parse parses and validates an Amazon States Language document
// (QueryLanguage JSONPath). Errors name the state and the field at fault.
func Parse(data []byte) (*Definition, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("asl: the definition is not JSON: %w", err)
	}
	p := &parser{names: map[string]string{}}
	d, err := p.machine(v, "definition", true)
	if err != nil {
		return nil, fmt.Errorf("asl: %w", err)
	}
	return d, nil
}

type parser struct {
	names map[string]string // state name -> where it is defined (unique across the document)
}

var supportedElsewhere = map[string]string{
	"Assign":                         "workflow variables (Assign) are not supported",
	"Arguments":                      "Arguments is JSONata; only QueryLanguage JSONPath is supported",
	"Output":                         "Output is JSONata; only QueryLanguage JSONPath is supported",
	"ItemReader":                     "distributed Map (ItemReader) is not supported",
	"ItemBatcher":                    "distributed Map (ItemBatcher) is not supported",
	"ResultWriter":                   "distributed Map (ResultWriter) is not supported",
	"ToleratedFailureCount":          "distributed Map (ToleratedFailureCount) is not supported",
	"ToleratedFailurePercentage":     "distributed Map (ToleratedFailurePercentage) is not supported",
	"ToleratedFailureCountPath":      "distributed Map (ToleratedFailureCountPath) is not supported",
	"ToleratedFailurePercentagePath": "distributed Map (ToleratedFailurePercentagePath) is not supported",
	"Label":                          "distributed Map (Label) is not supported",
}

func checkFields(m map[string]any, where string, allowed ...string) error {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, k := range sortedKeys(m) {
		if ok[k] {
			continue
		}
		if why, found := supportedElsewhere[k]; found {
			return fmt.Errorf("%s: %s", where, why)
		}
		return fmt.Errorf("%s: unknown field %q (allowed: %s)", where, k, strings.Join(allowed, ", "))
	}
	return nil
}

func (p *parser) machine(v any, where string, top bool) (*Definition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a JSON object, got %s", where, kindOf(v))
	}
	allowed := []string{"StartAt", "States", "Comment"}
	if top {
		allowed = append(allowed, "Version", "TimeoutSeconds", "QueryLanguage")
	} else if strings.HasSuffix(where, "ItemProcessor") {
		allowed = append(allowed, "ProcessorConfig")
	}
	if err := checkFields(m, where, allowed...); err != nil {
		return nil, err
	}
	if err := checkQueryLanguage(m, where); err != nil {
		return nil, err
	}
	if pc, ok := m["ProcessorConfig"]; ok {
		cfg, ok := pc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s.ProcessorConfig must be an object", where)
		}
		if mode, ok := cfg["Mode"]; ok && mode != "INLINE" {
			return nil, fmt.Errorf("%s.ProcessorConfig: Mode %v is not supported (only INLINE)", where, mode)
		}
	}
	d := &Definition{states: map[string]*State{}}
	var err error
	if d.Comment, err = optString(m, "Comment", where); err != nil {
		return nil, err
	}
	if _, err = optString(m, "Version", where); err != nil {
		return nil, err
	}
	if d.TimeoutSeconds, err = optPositiveInt(m, "TimeoutSeconds", where); err != nil {
		return nil, err
	}
	start, ok := m["StartAt"]
	if !ok {
		return nil, fmt.Errorf("%s: missing StartAt", where)
	}
	if d.StartAt, ok = start.(string); !ok || d.StartAt == "" {
		return nil, fmt.Errorf("%s: StartAt must be a non-empty string", where)
	}
	statesV, ok := m["States"]
	if !ok {
		return nil, fmt.Errorf("%s: missing States", where)
	}
	states, ok := statesV.(map[string]any)
	if !ok || len(states) == 0 {
		return nil, fmt.Errorf("%s: States must be a non-empty object", where)
	}
	for _, name := range sortedKeys(states) {
		if prev, dup := p.names[name]; dup {
			return nil, fmt.Errorf("%s: state name %q is already used in %s (names are unique across the whole state machine)", where, name, prev)
		}
		p.names[name] = where
	}
	for _, name := range sortedKeys(states) {
		s, err := p.state(name, states[name], where)
		if err != nil {
			return nil, err
		}
		d.states[name] = s
	}
	if _, ok := d.states[d.StartAt]; !ok {
		return nil, fmt.Errorf("%s: StartAt %q is not a state of %s", where, d.StartAt, where)
	}
	if err := d.checkTransitions(where, p.names); err != nil {
		return nil, err
	}
	return d, nil
}

func checkQueryLanguage(m map[string]any, where string) error {
	q, ok := m["QueryLanguage"]
	if !ok {
		return nil
	}
	if q != "JSONPath" {
		return fmt.Errorf("%s: QueryLanguage %s is not supported (only JSONPath)", where, encodeJSON(q))
	}
	return nil
}

// checkTransitions checks that every Next names a state of this definition,
// that every state is reachable from StartAt and that there is a terminal state.
func (d *Definition) checkTransitions(where string, all map[string]string) error {
	targets := func(s *State) []struct{ field, to string } {
		var t []struct{ field, to string }
		add := func(f, to string) {
			if to != "" {
				t = append(t, struct{ field, to string }{f, to})
			}
		}
		add("Next", s.next)
		add("Default", s.defaultNext)
		for i, c := range s.choices {
			add(fmt.Sprintf("Choices[%d].Next", i), c.next)
		}
		for i, c := range s.catch {
			add(fmt.Sprintf("Catch[%d].Next", i), c.next)
		}
		return t
	}
	terminal := false
	for _, name := range sortedKeys(anyMap(d.states)) {
		s := d.states[name]
		if s.end || s.Type == "Succeed" || s.Type == "Fail" {
			terminal = true
		}
		for _, t := range targets(s) {
			if _, ok := d.states[t.to]; !ok {
				if other, elsewhere := all[t.to]; elsewhere {
					return fmt.Errorf("state %q: %s %q is in %s; a transition cannot leave its own States", name, t.field, t.to, other)
				}
				return fmt.Errorf("state %q: %s points to %q, which is not a state", name, t.field, t.to)
			}
		}
	}
	if !terminal {
		return fmt.Errorf("%s: no terminal state (End: true, Succeed or Fail)", where)
	}
	seen := map[string]bool{d.StartAt: true}
	queue := []string{d.StartAt}
	for len(queue) > 0 {
		s := d.states[queue[0]]
		queue = queue[1:]
		for _, t := range targets(s) {
			if !seen[t.to] {
				seen[t.to] = true
				queue = append(queue, t.to)
			}
		}
	}
	for _, name := range sortedKeys(anyMap(d.states)) {
		if !seen[name] {
			return fmt.Errorf("state %q is not reachable from StartAt %q", name, d.StartAt)
		}
	}
	return nil
}

func anyMap(m map[string]*State) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var stateFields = map[string][]string{
	"Task": {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath",
		"Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
		"HeartbeatSecondsPath", "Credentials"},
	"Parallel": {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath",
		"Retry", "Catch", "Branches"},
	"Map": {"Next", "End", "InputPath", "OutputPath", "ItemsPath", "ItemSelector", "Parameters",
		"ResultSelector", "ResultPath", "Retry", "Catch", "ItemProcessor", "Iterator", "MaxConcurrency",
		"MaxConcurrencyPath"},
	"Pass":    {"Next", "End", "InputPath", "OutputPath", "Parameters", "Result", "ResultPath"},
	"Wait":    {"Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
	"Choice":  {"InputPath", "OutputPath", "Choices", "Default"},
	"Succeed": {"InputPath", "OutputPath"},
	"Fail":    {"Error", "ErrorPath", "Cause", "CausePath"},
}

func (p *parser) state(name string, v any, parent string) (*State, error) {
	where := fmt.Sprintf("state %q", name)
	if len([]rune(name)) > 80 {
		return nil, fmt.Errorf("%s: a state name has at most 80 characters", where)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a JSON object, got %s", where, kindOf(v))
	}
	typ, ok := m["Type"].(string)
	if !ok {
		return nil, fmt.Errorf("%s: missing Type (a string)", where)
	}
	fields, known := stateFields[typ]
	if !known {
		return nil, fmt.Errorf("%s: unknown state Type %q (Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map)", where, typ)
	}
	if err := checkFields(m, where, append([]string{"Type", "Comment", "QueryLanguage"}, fields...)...); err != nil {
		return nil, err
	}
	if err := checkQueryLanguage(m, where); err != nil {
		return nil, err
	}
	s := &State{Name: name, Type: typ}
	var err error
	if s.Comment, err = optString(m, "Comment", where); err != nil {
		return nil, err
	}
	// Transitions.
	if has(fields, "End") {
		if s.next, err = optString(m, "Next", where); err != nil {
			return nil, err
		}
		if e, ok := m["End"]; ok {
			b, isBool := e.(bool)
			if !isBool {
				return nil, fmt.Errorf("%s: End must be a boolean", where)
			}
			s.end = b
		}
		switch {
		case s.next != "" && s.end:
			return nil, fmt.Errorf("%s: has both Next and End", where)
		case s.next == "" && !s.end:
			return nil, fmt.Errorf("%s: needs Next or \"End\": true", where)
		}
	}
	// Input and output processing.
	for _, f := range []struct {
		key string
		dst *pathField
		ref bool
	}{{"InputPath", &s.inputPath, false}, {"OutputPath", &s.outputPath, false}, {"ResultPath", &s.resultPath, true}} {
		if *f.dst, err = optPathField(m, f.key, where, f.ref); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		key string
		dst **payloadTemplate
	}{{"Parameters", &s.parameters}, {"ResultSelector", &s.resultSelector}, {"ItemSelector", &s.itemSelector}} {
		if v, ok := m[f.key]; ok {
			if f.key == "ItemSelector" && s.parameters != nil {
				return nil, fmt.Errorf("%s: has both Parameters and ItemSelector", where)
			}
			if f.key == "ResultSelector" {
				if _, isObj := v.(map[string]any); !isObj {
					return nil, fmt.Errorf("%s: ResultSelector must be an object", where)
				}
			}
			t, err := compileTemplate(v, f.key)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			*f.dst = t
		}
	}
	if r, ok := m["Result"]; ok {
		s.result, s.hasResult = r, true
	}
	// Errors.
	if s.retry, err = parseRetry(m["Retry"], where); err != nil {
		return nil, err
	}
	if s.catch, err = parseCatch(m["Catch"], where); err != nil {
		return nil, err
	}

	switch typ {
	case "Task":
		r, ok := m["Resource"].(string)
		if !ok || r == "" {
			return nil, fmt.Errorf("%s: a Task needs a Resource (a non-empty string)", where)
		}
		s.Resource = r
		if s.timeoutSeconds, s.timeoutPath, err = secondsOrPath(m, "TimeoutSeconds", where); err != nil {
			return nil, err
		}
		if s.heartbeatSeconds, s.heartbeatPath, err = secondsOrPath(m, "HeartbeatSeconds", where); err != nil {
			return nil, err
		}
		if s.timeoutSeconds > 0 && s.heartbeatSeconds >= s.timeoutSeconds {
			return nil, fmt.Errorf("%s: HeartbeatSeconds (%d) must be smaller than TimeoutSeconds (%d)", where, s.heartbeatSeconds, s.timeoutSeconds)
		}
	case "Choice":
		list, ok := m["Choices"].([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s: a Choice needs Choices, a non-empty array of rules", where)
		}
		for i, raw := range list {
			r, err := compileChoiceRule(raw, fmt.Sprintf("%s: Choices[%d]", where, i), true)
			if err != nil {
				return nil, err
			}
			s.choices = append(s.choices, r)
		}
		if s.defaultNext, err = optString(m, "Default", where); err != nil {
			return nil, err
		}
	case "Wait":
		n := 0
		for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
			v, ok := m[k]
			if !ok {
				continue
			}
			n++
			s.waitKind = k
			switch k {
			case "Seconds":
				i, ok := asInt(v)
				if !ok || i < 0 {
					return nil, fmt.Errorf("%s: Seconds must be a non-negative integer", where)
				}
				s.waitSeconds = i
			case "Timestamp":
				str, _ := v.(string)
				t, ok := parseTimestamp(str)
				if !ok {
					return nil, fmt.Errorf("%s: Timestamp must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z", where)
				}
				s.waitTimestamp = t
			default:
				str, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("%s: %s must be a path string", where, k)
				}
				path, err := ParsePath(str)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", where, k, err)
				}
				if k == "SecondsPath" {
					s.waitSecondsPath = path
				} else {
					s.waitTsPath = path
				}
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("%s: a Wait needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (found %d)", where, n)
		}
	case "Fail":
		for _, f := range []struct {
			lit, path string
			dst       *string
			dstPath   **payloadTemplate
		}{{"Error", "ErrorPath", &s.errorName, &s.errorPath}, {"Cause", "CausePath", &s.cause, &s.causePath}} {
			if *f.dst, err = optString(m, f.lit, where); err != nil {
				return nil, err
			}
			if pv, ok := m[f.path]; ok {
				if _, both := m[f.lit]; both {
					return nil, fmt.Errorf("%s: has both %s and %s", where, f.lit, f.path)
				}
				str, ok := pv.(string)
				if !ok {
					return nil, fmt.Errorf("%s: %s must be a path or an intrinsic function", where, f.path)
				}
				t, err := compileDynamic(str)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", where, f.path, err)
				}
				t.key = f.path
				*f.dstPath = t
			}
		}
	case "Parallel":
		list, ok := m["Branches"].([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s: a Parallel needs Branches, a non-empty array", where)
		}
		for i, b := range list {
			d, err := p.machine(b, fmt.Sprintf("%s Branches[%d]", where, i), false)
			if err != nil {
				return nil, err
			}
			s.branches = append(s.branches, d)
		}
	case "Map":
		key := "ItemProcessor"
		proc, ok := m[key]
		if !ok {
			key = "Iterator"
			proc, ok = m[key]
		} else if _, both := m["Iterator"]; both {
			return nil, fmt.Errorf("%s: has both ItemProcessor and Iterator", where)
		}
		if !ok {
			return nil, fmt.Errorf("%s: a Map needs an ItemProcessor (or Iterator)", where)
		}
		if s.processor, err = p.machine(proc, where+" "+key, false); err != nil {
			return nil, err
		}
		if ip, ok := m["ItemsPath"]; ok {
			str, ok := ip.(string)
			if !ok {
				return nil, fmt.Errorf("%s: ItemsPath must be a path string", where)
			}
			if s.itemsPath, err = ParsePath(str); err != nil {
				return nil, fmt.Errorf("%s: ItemsPath: %w", where, err)
			}
		}
		if _, ok := m["MaxConcurrency"]; ok {
			i, ok := asInt(m["MaxConcurrency"])
			if !ok || i < 0 {
				return nil, fmt.Errorf("%s: MaxConcurrency must be a non-negative integer", where)
			}
			s.maxConcurrency = i
		}
		if v, ok := m["MaxConcurrencyPath"]; ok {
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: MaxConcurrencyPath must be a path string", where)
			}
			if s.maxConcurrencyPath, err = ParsePath(str); err != nil {
				return nil, fmt.Errorf("%s: MaxConcurrencyPath: %w", where, err)
			}
		}
	}
	return s, nil
}

func has(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func optString(m map[string]any, key, where string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: %s must be a string, got %s", where, key, kindOf(v))
	}
	return s, nil
}

func optPositiveInt(m map[string]any, key, where string) (int64, error) {
	v, ok := m[key]
	if !ok {
		return 0, nil
	}
	i, ok := asInt(v)
	if !ok || i <= 0 || i > math.MaxInt32 {
		return 0, fmt.Errorf("%s: %s must be a positive integer, got %s", where, key, truncate(string(encodeJSON(v)), 40))
	}
	return i, nil
}

func secondsOrPath(m map[string]any, key, where string) (int64, *Path, error) {
	n, err := optPositiveInt(m, key, where)
	if err != nil {
		return 0, nil, err
	}
	pv, ok := m[key+"Path"]
	if !ok {
		return n, nil, nil
	}
	if n > 0 {
		return 0, nil, fmt.Errorf("%s: has both %s and %sPath", where, key, key)
	}
	s, ok := pv.(string)
	if !ok {
		return 0, nil, fmt.Errorf("%s: %sPath must be a path string", where, key)
	}
	p, err := ParsePath(s)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %sPath: %w", where, key, err)
	}
	return 0, p, nil
}

func optPathField(m map[string]any, key, where string, reference bool) (pathField, error) {
	v, ok := m[key]
	if !ok {
		return pathField{}, nil
	}
	if v == nil {
		return pathField{null: true}, nil
	}
	s, ok := v.(string)
	if !ok {
		return pathField{}, fmt.Errorf("%s: %s must be a path string or null", where, key)
	}
	p, err := ParsePath(s)
	if err != nil {
		return pathField{}, fmt.Errorf("%s: %s: %w", where, key, err)
	}
	if reference && !p.IsReference() {
		return pathField{}, fmt.Errorf("%s: %s %q must be a reference path ($, .name, ['name'], [n] only)", where, key, s)
	}
	return pathField{path: p}, nil
}

func parseErrorEquals(v any, where string) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("%s: ErrorEquals must be a non-empty array of error names", where)
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("%s: ErrorEquals[%d] must be a non-empty string", where, i)
		}
		out[i] = s
	}
	for _, s := range out {
		if s == ErrorAll && len(out) > 1 {
			return nil, fmt.Errorf("%s: States.ALL must appear alone in ErrorEquals", where)
		}
	}
	return out, nil
}

func parseRetry(v any, where string) ([]*retrier, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: Retry must be an array", where)
	}
	var out []*retrier
	for i, e := range list {
		w := fmt.Sprintf("%s: Retry[%d]", where, i)
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an object", w)
		}
		if err := checkFields(m, w, "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"); err != nil {
			return nil, err
		}
		r := &retrier{interval: 1, maxAttempts: 3, backoff: 2}
		var err error
		if r.errors, err = parseErrorEquals(m["ErrorEquals"], w); err != nil {
			return nil, err
		}
		if has(r.errors, ErrorAll) && i != len(list)-1 {
			return nil, fmt.Errorf("%s: a retrier with States.ALL must be the last one", w)
		}
		if iv, err := optPositiveInt(m, "IntervalSeconds", w); err != nil {
			return nil, err
		} else if iv > 0 {
			r.interval = float64(iv)
		}
		if md, err := optPositiveInt(m, "MaxDelaySeconds", w); err != nil {
			return nil, err
		} else {
			r.maxDelay = float64(md)
		}
		if ma, ok := m["MaxAttempts"]; ok {
			n, ok := asInt(ma)
			if !ok || n < 0 || n > 99999999 {
				return nil, fmt.Errorf("%s: MaxAttempts must be an integer from 0 to 99999999", w)
			}
			r.maxAttempts = n
		}
		if br, ok := m["BackoffRate"]; ok {
			n, ok := br.(json.Number)
			f, err := n.Float64()
			if !ok || err != nil || f < 1 || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%s: BackoffRate must be a number >= 1.0", w)
			}
			r.backoff = f
		}
		switch j, _ := m["JitterStrategy"]; j {
		case nil, "NONE":
		case "FULL":
			r.jitter = true
		default:
			return nil, fmt.Errorf("%s: JitterStrategy must be FULL or NONE", w)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseCatch(v any, where string) ([]*catcher, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: Catch must be an array", where)
	}
	var out []*catcher
	for i, e := range list {
		w := fmt.Sprintf("%s: Catch[%d]", where, i)
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an object", w)
		}
		if err := checkFields(m, w, "ErrorEquals", "Next", "ResultPath", "Comment"); err != nil {
			return nil, err
		}
		c := &catcher{}
		var err error
		if c.errors, err = parseErrorEquals(m["ErrorEquals"], w); err != nil {
			return nil, err
		}
		if has(c.errors, ErrorAll) && i != len(list)-1 {
			return nil, fmt.Errorf("%s: a catcher with States.ALL must be the last one", w)
		}
		if c.next, err = optString(m, "Next", w); err != nil {
			return nil, err
		}
		if c.next == "" {
			return nil, fmt.Errorf("%s: a catcher needs Next", w)
		}
		if c.resultPath, err = optPathField(m, "ResultPath", w, true); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
