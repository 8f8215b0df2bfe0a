// Package graph reads a state machine's graph from its Amazon States
// Language document: each state a node, each transition an edge (Next, every
// Choice rule with its condition, Default, every Catch), and Parallel
// branches and Map item processors as nested groups. `ecs-compliance
// diagram` draws it as Mermaid or Graphviz (Mermaid, DOT), and the execution
// page (statemachine/page) lays it out as SVG.
package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/statemachine"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

// Source is a state machine's document and how to call it.
type Source struct {
	// Name is the machine's short name ("triage", "workflow"), File where
	// its document comes from, and Title what a drawing calls it.
	Name, File, Title string
	ASL               []byte
}

// Deployed are the two deployed machines, as built into the command: the
// triage first, then the workflow.
func Deployed() []Source {
	return []Source{
		{"triage", "statemachine/triage.asl.json", "triage (Express): statemachine/triage.asl.json", []byte(statemachine.Triage)},
		{"workflow", "statemachine/workflow.asl.json", "workflow (Standard): statemachine/workflow.asl.json", []byte(statemachine.Definition)},
	}
}

// Chart is a state machine's graph: nodes with safe ids (s0, s1, … in the
// order a walk from StartAt meets them; "start" and "finish" are the
// machine's entry and end), grouped by branch, and the edges between them.
type Chart struct {
	Title string
	Top   Group
	Edges []Edge
	// End: some top-level state has "End": true (an edge goes to "finish").
	End bool
	// groups counts the groups so far.
	groups int
}

// Group is the machine's top level or a branch: a Parallel's branch or a
// Map's item processor.
type Group struct {
	// ID is "" for the top level, g1, g2… for the others; Label says whose
	// branch it is ("Notify: branch 1", "Each: item processor").
	ID, Label string
	// Owner is the id of the Parallel or Map state the group belongs to
	// ("" for the top level); Start the id of its StartAt.
	Owner, Start string
	Nodes        []Node
	Groups       []*Group
}

// Node is a state.
type Node struct {
	ID, Name, Type string
	// Retried: the state has a Retry.
	Retried bool
	// Resource of a Task, Comment of any state.
	Resource, Comment string
}

// Edge kinds.
const (
	EdgeStart   = "start"   // the machine's entry: from "start" to its StartAt
	EdgeNext    = "next"    // Next
	EdgeChoice  = "choice"  // a Choice rule (Label: its condition)
	EdgeDefault = "default" // a Choice's Default
	EdgeCatch   = "catch"   // a Catch (Label: "catch " and the errors)
	EdgeBranch  = "branch"  // into a Parallel's branch or a Map's item processor
	EdgeEnd     = "end"     // a top-level End: to "finish"
)

// Edge is a transition between two nodes (by id).
type Edge struct {
	From, To, Label, Kind string
}

// Dotted: a Catch, or the way into a branch.
func (e Edge) Dotted() bool { return e.Kind == EdgeCatch || e.Kind == EdgeBranch }

// aslMachine and aslState are what a graph needs of an ASL document (it is
// validated by asl.Parse first).
type aslMachine struct {
	StartAt string
	States  map[string]*aslState
}

type aslState struct {
	Type     string
	Next     string
	End      bool
	Default  string
	Resource string
	Comment  string
	Choices  []map[string]any
	Catch    []struct {
		ErrorEquals []string
		Next        string
	}
	Retry    []json.RawMessage
	Branches []*aslMachine
	// ItemProcessor, or Iterator (its older name).
	ItemProcessor, Iterator *aslMachine
}

// New validates an ASL document (as asl.Parse does) and builds its graph.
func New(title string, data []byte) (*Chart, error) {
	if _, err := asl.Parse(data); err != nil {
		return nil, err
	}
	var m aslMachine
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("read the graph: %v", err)
	}
	c := &Chart{Title: title}
	ids := map[string]string{}
	c.Edges = []Edge{{From: "start", Kind: EdgeStart}}
	c.Edges[0].To = c.walk(&m, &c.Top, ids, true)
	return c, nil
}

// Groups returns every group, the top level first, then depth first.
func (c *Chart) Groups() []*Group {
	var out []*Group
	var walk func(g *Group)
	walk = func(g *Group) {
		out = append(out, g)
		for _, sub := range g.Groups {
			walk(sub)
		}
	}
	walk(&c.Top)
	return out
}

// Nodes returns every node, nested ones included, group by group.
func (c *Chart) Nodes() []Node {
	var out []Node
	for _, g := range c.Groups() {
		out = append(out, g.Nodes...)
	}
	return out
}

// walk adds a machine's (or a branch's) states to g and their transitions
// to c.Edges, and returns the id of its StartAt.
func (c *Chart) walk(m *aslMachine, g *Group, ids map[string]string, top bool) string {
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
		g.Nodes = append(g.Nodes, Node{ID: ids[name], Name: name, Type: s.Type, Retried: len(s.Retry) > 0,
			Resource: s.Resource, Comment: s.Comment})
	}
	g.Start = ids[m.StartAt]

	for _, name := range order {
		s, from := m.States[name], ids[name]
		edge := func(to, label, kind string) {
			c.Edges = append(c.Edges, Edge{From: from, To: ids[to], Label: label, Kind: kind})
		}
		for _, r := range s.Choices {
			next, _ := r["Next"].(string)
			edge(next, Shorten(Condition(r), 40), EdgeChoice)
		}
		if s.Default != "" {
			edge(s.Default, "default", EdgeDefault)
		}
		if s.Next != "" {
			edge(s.Next, "", EdgeNext)
		}
		if s.End && top {
			c.End = true
			c.Edges = append(c.Edges, Edge{From: from, To: "finish", Kind: EdgeEnd})
		}
		for _, k := range s.Catch {
			edge(k.Next, "catch "+errorList(k.ErrorEquals), EdgeCatch)
		}
		sub := func(label, edgeLabel string, b *aslMachine) {
			c.groups++
			inner := &Group{ID: fmt.Sprintf("g%d", c.groups), Label: name + ": " + label, Owner: from}
			g.Groups = append(g.Groups, inner)
			c.Edges = append(c.Edges, Edge{From: from, Label: edgeLabel, Kind: EdgeBranch})
			e := len(c.Edges) - 1 // c.walk appends to c.Edges
			c.Edges[e].To = c.walk(b, inner, ids, false)
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

// Condition renders a Choice rule readably: $.lookup.next == "JUDGE",
// $.task.service is present, not ($.a > 1 and $.b <= $.c).
func Condition(r map[string]any) string {
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
		return "not (" + Condition(sub) + ")"
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
	s := Condition(r)
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

// Shorten cuts s to at most n characters, the last one an ellipsis, at a
// space if there is one in the second half.
func Shorten(s string, n int) string {
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

// OneLine replaces line breaks and other control characters with spaces.
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
