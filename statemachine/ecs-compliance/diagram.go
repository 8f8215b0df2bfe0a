package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/statemachine"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

const diagramUsage = `usage: ecs-compliance diagram [--format mermaid|dot] [--definition ASL.json]...

Draws state machines: each state a node, each transition an edge — Next,
each Choice rule (labelled with its condition, cut at 40 characters) and its
Default, each Catch (labelled with the errors it catches) — with Parallel
branches and Map item processors as subgraphs. Without --definition it draws
the two deployed machines built into this command, the triage
(statemachine/triage.asl.json) first, then the workflow
(statemachine/workflow.asl.json); with --definition, the files given, in
order. Each is validated first, as exec validates it.

--format mermaid (the default) prints one "flowchart TD" per machine, each
after a %% comment line naming it: paste one into a mermaid code block
(GitHub and GitLab render them). --format dot prints one Graphviz digraph per
machine:

  ecs-compliance diagram --format dot --definition statemachine/workflow.asl.json \
      | dot -Tsvg > workflow.svg

Shapes: Task a box, Choice a diamond, Pass a rounded box, Wait a
parallelogram, Parallel and Map a double-edged box (mermaid) or a 3D box
(dot), Succeed green and Fail red. A bold border marks a state with a Retry.
Dotted edges are Catch transitions and the way into a branch or an item
processor.

Exit status: 0 drawn, 2 bad flags or a file that cannot be read or is not a
valid state machine (the error names the file, the state and the field).

flags:
`

// runDiagram is the diagram subcommand.
func runDiagram(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("diagram", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, diagramUsage)
		fl.PrintDefaults()
	}
	format := fl.String("format", "mermaid", "mermaid (flowchart TD) or dot (Graphviz)")
	var files fileList
	fl.Var(&files, "definition", "an ASL `file` to draw instead of the deployed machines (repeatable)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ecs-compliance diagram: "+format+"\n", a...)
		return 2
	}
	if fl.NArg() > 0 {
		return bad("unexpected argument %q (give files with --definition; see -h)", fl.Arg(0))
	}
	render := map[string]func(*chart, io.Writer){"mermaid": (*chart).mermaid, "dot": (*chart).dot}[*format]
	if render == nil {
		return bad("--format must be mermaid or dot, not %q", *format)
	}
	type source struct{ name, title string }
	sources := []source{
		{"statemachine/triage.asl.json", "triage (Express): statemachine/triage.asl.json"},
		{"statemachine/workflow.asl.json", "workflow (Standard): statemachine/workflow.asl.json"},
	}
	docs := [][]byte{[]byte(statemachine.Triage), []byte(statemachine.Definition)}
	if len(files) > 0 {
		sources, docs = nil, nil
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return bad("%v", err)
			}
			sources = append(sources, source{f, f})
			docs = append(docs, data)
		}
	}
	var out bytes.Buffer
	for i, src := range sources {
		c, err := newChart(src.title, docs[i])
		if err != nil {
			return bad("%s: %v", src.name, err)
		}
		if i > 0 {
			out.WriteString("\n")
		}
		render(c, &out)
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return bad("%v", err)
	}
	return 0
}

// fileList is a repeatable flag.
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ", ") }
func (l *fileList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// chart is a state machine's graph: nodes with safe ids (s0, s1, … in the
// order a walk from StartAt meets them; "start" and "finish" are the
// machine's entry and end), grouped by branch, and the edges between them.
type chart struct {
	title  string
	top    chartGroup
	edges  []chartEdge
	end    bool // some top-level state has "End": true
	groups int  // subgraphs so far
}

type chartGroup struct {
	id, label string
	nodes     []chartNode
	groups    []*chartGroup
}

type chartNode struct {
	id, name, typ string
	retried       bool
}

type chartEdge struct {
	from, to, label string
	dotted          bool
}

// aslMachine and aslState are what a drawing needs of an ASL document (it is
// validated by asl.Parse first).
type aslMachine struct {
	StartAt string
	States  map[string]*aslState
}

type aslState struct {
	Type    string
	Next    string
	End     bool
	Default string
	Choices []map[string]any
	Catch   []struct {
		ErrorEquals []string
		Next        string
	}
	Retry    []json.RawMessage
	Branches []*aslMachine
	// ItemProcessor, or Iterator (its older name).
	ItemProcessor, Iterator *aslMachine
}

// newChart validates an ASL document and builds its graph.
func newChart(title string, data []byte) (*chart, error) {
	if _, err := asl.Parse(data); err != nil {
		return nil, err
	}
	var m aslMachine
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("read the graph: %v", err)
	}
	c := &chart{title: title}
	ids := map[string]string{}
	c.edges = []chartEdge{{from: "start"}}
	c.edges[0].to = c.walk(&m, &c.top, ids, true)
	return c, nil
}

// walk adds a machine's (or a branch's) states to g and their transitions
// to c.edges, and returns the id of its StartAt.
func (c *chart) walk(m *aslMachine, g *chartGroup, ids map[string]string, top bool) string {
	// The states in the order a breadth-first walk from StartAt meets them
	// (asl.Parse checked they are all reachable; any other comes last).
	var order []string
	seen := map[string]bool{}
	visit := func(name string) {
		if _, ok := m.States[name]; ok && !seen[name] {
			seen[name] = true
			order = append(order, name)
		}
	}
	// The normal path first, so that a state every step catches into (a
	// failure report) does not come second.
	from := func(start int) {
		for i := start; i < len(order); i++ {
			for _, t := range transitions(m.States[order[i]]) {
				visit(t)
			}
		}
	}
	visit(m.StartAt)
	from(0)
	for i := 0; i < len(order); i++ {
		for _, k := range m.States[order[i]].Catch {
			n := len(order)
			visit(k.Next)
			from(n)
		}
	}
	names := make([]string, 0, len(m.States))
	for name := range m.States {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		visit(name)
	}
	for _, name := range order {
		ids[name] = fmt.Sprintf("s%d", len(ids))
		s := m.States[name]
		g.nodes = append(g.nodes, chartNode{id: ids[name], name: name, typ: s.Type, retried: len(s.Retry) > 0})
	}

	for _, name := range order {
		s, from := m.States[name], ids[name]
		edge := func(to, label string, dotted bool) {
			c.edges = append(c.edges, chartEdge{from: from, to: ids[to], label: label, dotted: dotted})
		}
		for _, r := range s.Choices {
			next, _ := r["Next"].(string)
			edge(next, shorten(condition(r), 40), false)
		}
		if s.Default != "" {
			edge(s.Default, "default", false)
		}
		if s.Next != "" {
			edge(s.Next, "", false)
		}
		if s.End && top {
			c.end = true
			c.edges = append(c.edges, chartEdge{from: from, to: "finish"})
		}
		for _, k := range s.Catch {
			edge(k.Next, "catch "+errorList(k.ErrorEquals), true)
		}
		sub := func(label, edgeLabel string, b *aslMachine) {
			c.groups++
			inner := &chartGroup{id: fmt.Sprintf("g%d", c.groups), label: name + ": " + label}
			g.groups = append(g.groups, inner)
			c.edges = append(c.edges, chartEdge{from: from, label: edgeLabel, dotted: true})
			e := len(c.edges) - 1 // c.walk appends to c.edges
			c.edges[e].to = c.walk(b, inner, ids, false)
		}
		for i, b := range s.Branches {
			sub(fmt.Sprintf("branch %d", i+1), fmt.Sprintf("branch %d", i+1), b)
		}
		if p := s.ItemProcessor; p != nil || s.Iterator != nil {
			if p == nil {
				p = s.Iterator
			}
			sub("item processor", "each item", p)
		}
	}
	return ids[m.StartAt]
}

// transitions are the states a state goes to, but for its Catch, in the order
// they are drawn.
func transitions(s *aslState) []string {
	var out []string
	for _, r := range s.Choices {
		if next, ok := r["Next"].(string); ok {
			out = append(out, next)
		}
	}
	return append(out, s.Default, s.Next)
}

func errorList(errs []string) string {
	if len(errs) > 3 {
		return fmt.Sprintf("%s (+%d)", strings.Join(errs[:3], ", "), len(errs)-3)
	}
	return strings.Join(errs, ", ")
}

// condition renders a Choice rule readably: $.lookup.next == "JUDGE",
// $.task.service is present, not ($.a > 1 and $.b <= $.c).
func condition(r map[string]any) string {
	for _, op := range []string{"And", "Or"} {
		if list, ok := r[op].([]any); ok {
			parts := make([]string, len(list))
			for i, sub := range list {
				parts[i] = nested(sub)
			}
			return strings.Join(parts, " "+strings.ToLower(op)+" ")
		}
	}
	if sub, ok := r["Not"].(map[string]any); ok {
		return "not (" + condition(sub) + ")"
	}
	variable, _ := r["Variable"].(string)
	for key, value := range r {
		switch key {
		case "Variable", "Next", "Comment":
			continue
		}
		if is, ok := isTests[key]; ok {
			if value == false {
				return variable + " is not " + is
			}
			return variable + " is " + is
		}
		operand := jsonText(value)
		if base, ok := strings.CutSuffix(key, "Path"); ok {
			key, operand = base, fmt.Sprint(value)
		}
		if key == "StringMatches" {
			return variable + " matches " + operand
		}
		for _, c := range comparisons {
			if strings.HasSuffix(key, c.suffix) {
				return variable + " " + c.symbol + " " + operand
			}
		}
		return variable + " " + key + " " + operand
	}
	return variable
}

// nested renders a rule inside And or Or, in parentheses if it is itself an
// And or an Or.
func nested(v any) string {
	r, _ := v.(map[string]any)
	s := condition(r)
	if _, and := r["And"]; and {
		return "(" + s + ")"
	}
	if _, or := r["Or"]; or {
		return "(" + s + ")"
	}
	return s
}

var isTests = map[string]string{
	"IsNull": "null", "IsPresent": "present", "IsNumeric": "numeric",
	"IsString": "a string", "IsBoolean": "a boolean", "IsTimestamp": "a timestamp",
}

// comparisons by operator suffix, the longer suffixes first.
var comparisons = []struct{ suffix, symbol string }{
	{"GreaterThanEquals", ">="}, {"LessThanEquals", "<="},
	{"GreaterThan", ">"}, {"LessThan", "<"}, {"Equals", "=="},
}

func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// shorten cuts s to at most n characters, the last one an ellipsis, at a
// space if there is one in the second half.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	r = r[:n-1]
	if i := strings.LastIndex(string(r), " "); i >= len(string(r))/2 {
		r = []rune(string(r)[:i+1])
	}
	return string(r) + "…"
}

// oneLine replaces line breaks and other control characters with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// mermaidText escapes a quoted mermaid label with entity codes.
var mermaidText = strings.NewReplacer(`#`, "#35;", `"`, "#quot;", `<`, "#lt;", `>`, "#gt;", `&`, "#amp;", "`", "#96;")

func mq(s string) string { return `"` + mermaidText.Replace(oneLine(s)) + `"` }

// mermaidShapes by state type; a Task is a box, ["…"].
var mermaidShapes = map[string][2]string{
	"Choice": {"{", "}"}, "Pass": {"(", ")"}, "Wait": {"[/", "/]"}, "Parallel": {"[[", "]]"},
	"Map": {"[[", "]]"}, "Succeed": {"([", "])"}, "Fail": {"([", "])"},
}

// mermaid prints the chart as a flowchart.
func (c *chart) mermaid(w io.Writer) {
	fmt.Fprintf(w, "%%%% %s\n", oneLine(c.title))
	fmt.Fprintln(w, "flowchart TD")
	fmt.Fprintln(w, `    start(("start"))`)
	var retried, succeed, fail []string
	var group func(g *chartGroup, indent string)
	group = func(g *chartGroup, indent string) {
		for _, n := range g.nodes {
			shape, ok := mermaidShapes[n.typ]
			if !ok {
				shape = [2]string{"[", "]"}
			}
			fmt.Fprintf(w, "%s%s%s%s%s\n", indent, n.id, shape[0], mq(n.name), shape[1])
			switch {
			case n.typ == "Succeed":
				succeed = append(succeed, n.id)
			case n.typ == "Fail":
				fail = append(fail, n.id)
			case n.retried:
				retried = append(retried, n.id)
			}
		}
		for _, sub := range g.groups {
			fmt.Fprintf(w, "%ssubgraph %s[%s]\n", indent, sub.id, mq(sub.label))
			group(sub, indent+"    ")
			fmt.Fprintf(w, "%send\n", indent)
		}
	}
	group(&c.top, "    ")
	if c.end {
		fmt.Fprintln(w, `    finish(("end"))`)
	}
	for _, e := range c.edges {
		arrow := "-->"
		if e.dotted {
			arrow = "-.->"
		}
		if e.label != "" {
			arrow += "|" + mq(e.label) + "|"
		}
		fmt.Fprintf(w, "    %s %s %s\n", e.from, arrow, e.to)
	}
	for _, class := range []struct {
		name, style string
		ids         []string
	}{
		{"retried", "stroke-width:3px", retried},
		{"succeed", "fill:#d7f5dd,stroke:#2e7d32", succeed},
		{"fail", "fill:#fbdada,stroke:#c62828", fail},
	} {
		if len(class.ids) > 0 {
			fmt.Fprintf(w, "    classDef %s %s\n    class %s %s\n", class.name, class.style, strings.Join(class.ids, ","), class.name)
		}
	}
}

var dotText = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func dq(s string) string { return `"` + dotText.Replace(oneLine(s)) + `"` }

// dot prints the chart as a Graphviz digraph.
func (c *chart) dot(w io.Writer) {
	fmt.Fprintf(w, "// %s\n", oneLine(c.title))
	fmt.Fprintf(w, "digraph %s {\n", dq(c.title))
	fmt.Fprintf(w, "    label=%s; labelloc=t; fontname=\"Helvetica\";\n", dq(c.title))
	fmt.Fprintln(w, `    node [shape=box, fontname="Helvetica", fontsize=11];`)
	fmt.Fprintln(w, `    edge [fontname="Helvetica", fontsize=9];`)
	fmt.Fprintln(w, `    start [label="", shape=circle, style=filled, fillcolor=black, width=0.2];`)
	var group func(g *chartGroup, indent string)
	group = func(g *chartGroup, indent string) {
		for _, n := range g.nodes {
			attrs := map[string]string{
				"Choice": "shape=diamond", "Pass": "style=rounded", "Wait": "shape=parallelogram",
				"Parallel": "shape=box3d", "Map": "shape=box3d",
				"Succeed": `style="rounded,filled", fillcolor="#d7f5dd"`, "Fail": `style="rounded,filled", fillcolor="#fbdada"`,
			}[n.typ]
			if n.retried {
				attrs = strings.TrimPrefix(attrs+", penwidth=2.5", ", ")
			}
			if attrs != "" {
				attrs = ", " + attrs
			}
			fmt.Fprintf(w, "%s%s [label=%s%s];\n", indent, n.id, dq(n.name), attrs)
		}
		for _, sub := range g.groups {
			fmt.Fprintf(w, "%ssubgraph cluster_%s {\n", indent, sub.id)
			fmt.Fprintf(w, "%s    label=%s; style=dashed;\n", indent, dq(sub.label))
			group(sub, indent+"    ")
			fmt.Fprintf(w, "%s}\n", indent)
		}
	}
	group(&c.top, "    ")
	if c.end {
		fmt.Fprintln(w, `    finish [label="", shape=doublecircle, style=filled, fillcolor=black, width=0.15];`)
	}
	for _, e := range c.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dq(e.label))
		}
		if e.dotted {
			attrs = append(attrs, "style=dashed")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(w, "    %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(w, "    %s -> %s;\n", e.from, e.to)
		}
	}
	fmt.Fprintln(w, "}")
}
