package page

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
)

// What an execution did to a state, as the page marks it.
const (
	markSucceeded = "succeeded" // entered and left
	markCaught    = "caught"    // failed, and a Catch went on
	markFailed    = "failed"    // failed the execution, or a Fail state
	markRunning   = "running"   // entered, never left (the execution was stopped)
)

// severity orders the marks of a state entered more than once: the worst
// shows.
var severity = map[string]int{markSucceeded: 0, markRunning: 1, markCaught: 2, markFailed: 3}

// visit is one time a state was entered.
type visit struct {
	State string `json:"state"`
	// Scope is where it ran: "" at the top level, "Parallel/branch index"
	// or "Map/item index" (as the history says).
	Scope string `json:"scope,omitempty"`
	// At and MS: when it was entered (since the execution started) and how
	// long it took, in milliseconds.
	At     float64 `json:"at"`
	MS     float64 `json:"ms"`
	Status string  `json:"status"`
	// Attempts are the failed attempts of a retried or failed state: the
	// error, and the delay before the next one (simulated seconds).
	Attempts []attempt `json:"attempts,omitempty"`
	Retries  int       `json:"retries,omitempty"`
	Error    string    `json:"error,omitempty"`
	Cause    string    `json:"cause,omitempty"`
	Next     string    `json:"next,omitempty"`
	// Input and Output are indexes in the page's docs (-1: none).
	Input  int `json:"input"`
	Output int `json:"output"`
	// TaskInput and Result are a Task's effective input (after
	// Parameters) and its result, as the last attempt had them (-1: none).
	TaskInput int `json:"taskInput"`
	Result    int `json:"result"`
}

type attempt struct {
	Attempt int      `json:"attempt"`
	Error   string   `json:"error"`
	Cause   string   `json:"cause,omitempty"`
	Delay   *float64 `json:"delay,omitempty"`
}

// docs are the page's JSON documents, each once (a state's output is
// mostly the next state's input), with their large parts — a subtree or a
// string of internMin bytes or more, such as the policy bundle's files that
// ride from Load policy to Evaluate — each once too: a part is replaced by
// {refKey: index in parts}, which the page's script puts back. A document
// that has refKey itself is kept whole and listed in whole.
type docs struct {
	list  []json.RawMessage
	index map[string]int
	parts []json.RawMessage
	part  map[string]int
	whole []int
}

// refKey marks a reference to a part.
const refKey = "\x00part"

// internMin is the size of the smallest part kept apart.
const internMin = 1024

func (d *docs) add(b json.RawMessage) int {
	if len(b) == 0 {
		return -1
	}
	if i, ok := d.index[string(b)]; ok {
		return i
	}
	if d.index == nil {
		d.index, d.part = map[string]int{}, map[string]int{}
	}
	enc := b
	whole := true
	if len(b) >= internMin {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil && !hasKey(v, refKey) {
			if e, err := json.Marshal(d.intern(v)); err == nil {
				enc, whole = e, false
			}
		}
	}
	d.index[string(b)] = len(d.list)
	if whole && len(b) >= internMin {
		d.whole = append(d.whole, len(d.list))
	}
	d.list = append(d.list, enc)
	return len(d.list) - 1
}

// intern replaces v's large parts (v itself included) with references.
func (d *docs) intern(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = d.intern(c)
		}
	case []any:
		for i, c := range x {
			x[i] = d.intern(c)
		}
	case string:
		if len(x) < internMin {
			return v
		}
	default:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) < internMin {
		return v
	}
	i, ok := d.part[string(b)]
	if !ok {
		i = len(d.parts)
		d.part[string(b)] = i
		d.parts = append(d.parts, b)
	}
	return map[string]any{refKey: i}
}

// hasKey: some object in v has the key k.
func hasKey(v any, k string) bool {
	switch x := v.(type) {
	case map[string]any:
		for key, c := range x {
			if key == k || hasKey(c, k) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if hasKey(c, k) {
				return true
			}
		}
	}
	return false
}

// trace is what one execution did, for the page.
type trace struct {
	visits []visit
	// marks by state name, and the edges taken (indexes in the chart's
	// Edges).
	marks map[string]string
	edges []int
	ms    float64
}

// traceOf reads an execution's history against its machine's chart.
func traceOf(c *graph.Chart, ex Execution, d *docs) trace {
	t := trace{marks: map[string]string{}}
	if len(ex.History) == 0 {
		return t
	}
	start := ex.History[0].Time
	ms := func(from, to time.Time) float64 { return float64(to.Sub(from).Microseconds()) / 1000 }
	open := map[string]int{} // scope/state → index in t.visits
	for _, e := range ex.History {
		key := e.Scope + "\x00" + e.State
		if e.Type == asl.EventStateEntered {
			open[key] = len(t.visits)
			t.visits = append(t.visits, visit{State: e.State, Scope: e.Scope, At: ms(start, e.Time), Status: markRunning,
				Input: d.add(e.Input), Output: -1, TaskInput: -1, Result: -1})
			continue
		}
		i, ok := open[key]
		if !ok {
			continue
		}
		v := &t.visits[i]
		entered := start.Add(time.Duration(v.At * float64(time.Millisecond)))
		switch {
		case e.Type == asl.EventStateExited:
			v.MS, v.Next, v.Output = ms(entered, e.Time), e.Next, d.add(e.Output)
			if v.Status == markRunning {
				v.Status = markSucceeded
			}
		case e.Type == asl.EventTaskScheduled:
			v.TaskInput = d.add(e.Input)
		case e.Type == asl.EventTaskSucceeded:
			v.Result = d.add(e.Output)
		case strings.HasSuffix(e.Type, "Retried"):
			v.Retries++
			delay := e.Delay.Seconds()
			v.Attempts = append(v.Attempts, attempt{Attempt: e.Attempt - 1, Error: e.Error, Cause: e.Cause, Delay: &delay})
		case e.Type == asl.EventErrorCaught:
			v.Status, v.Error, v.Cause, v.Next = markCaught, e.Error, e.Cause, e.Next
			v.MS = ms(entered, e.Time)
			v.Attempts = append(v.Attempts, attempt{Attempt: v.Retries + 1, Error: e.Error, Cause: e.Cause})
		case e.Type == asl.EventStateFailed:
			v.Status, v.Error, v.Cause = markFailed, e.Error, e.Cause
			v.MS = ms(entered, e.Time)
			v.Attempts = append(v.Attempts, attempt{Attempt: v.Retries + 1, Error: e.Error, Cause: e.Cause})
		}
	}
	t.ms = ms(start, ex.History[len(ex.History)-1].Time)

	types := map[string]string{}
	for _, n := range c.Nodes() {
		types[n.Name] = n.Type
	}
	for i := range t.visits {
		v := &t.visits[i]
		if types[v.State] == "Fail" {
			v.Status, v.Error, v.Cause = markFailed, cmp.Or(v.Error, ex.Error), cmp.Or(v.Cause, ex.Cause)
		}
		if m, ok := t.marks[v.State]; !ok || severity[v.Status] > severity[m] {
			t.marks[v.State] = v.Status
		}
	}
	t.edges = takenEdges(c, t.visits)
	return t
}

// takenEdges are the chart's edges the visits went along: the machine's
// entry, every transition (a Catch's when an error was caught), and the
// end. (The way into a branch is not an edge of the page: branches are
// drawn inside their state.)
func takenEdges(c *graph.Chart, visits []visit) []int {
	ids := map[string]string{}
	for _, n := range c.Nodes() {
		ids[n.Name] = n.ID
	}
	taken := map[int]bool{}
	mark := func(from, to string, catch bool) {
		for i, e := range c.Edges {
			if e.From == from && e.To == to && (e.Kind == graph.EdgeCatch) == catch && e.Kind != graph.EdgeBranch {
				taken[i] = true
			}
		}
	}
	entered := false
	for _, v := range visits {
		if !entered && v.Scope == "" {
			entered = true
			mark("start", ids[v.State], false)
		}
		switch {
		case v.Next != "" && v.Status == markCaught:
			mark(ids[v.State], ids[v.Next], true)
		case v.Next != "":
			mark(ids[v.State], ids[v.Next], false)
		case v.Status == markSucceeded && v.Scope == "":
			mark(ids[v.State], "finish", false)
		}
	}
	out := make([]int, 0, len(taken))
	for i := range c.Edges {
		if taken[i] {
			out = append(out, i)
		}
	}
	return out
}
