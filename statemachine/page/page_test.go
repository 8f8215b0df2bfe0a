package page

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// aslMachine is an ASL document as the tests read it, with encoding/json
// alone.
type aslMachine struct {
	StartAt string
	States  map[string]struct {
		Type     string
		Next     string
		Default  string
		Choices  []struct{ Next string }
		Catch    []struct{ Next string }
		Branches []aslMachine
		// ItemProcessor, or Iterator
		ItemProcessor, Iterator *aslMachine
	}
}

// transition is an ASL transition: from → to, catch or not.
type transition struct {
	from, to string
	catch    bool
}

// walk lists an ASL document's states (nested ones too), each with the
// states nested in it, and its transitions.
func readASL(t *testing.T, data []byte) (states []string, inside map[string][]string, transitions []transition) {
	t.Helper()
	var m aslMachine
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	inside = map[string][]string{}
	var walk func(m aslMachine) []string
	walk = func(m aslMachine) []string {
		var all []string
		for name, s := range m.States {
			states = append(states, name)
			all = append(all, name)
			for _, c := range s.Choices {
				transitions = append(transitions, transition{name, c.Next, false})
			}
			for _, next := range []string{s.Default, s.Next} {
				if next != "" {
					transitions = append(transitions, transition{name, next, false})
				}
			}
			for _, c := range s.Catch {
				transitions = append(transitions, transition{name, c.Next, true})
			}
			subs := s.Branches
			for _, p := range []*aslMachine{s.ItemProcessor, s.Iterator} {
				if p != nil {
					subs = append(subs, *p)
				}
			}
			for _, b := range subs {
				nested := walk(b)
				inside[name] = append(inside[name], nested...)
				all = append(all, nested...)
			}
		}
		return all
	}
	walk(m)
	slices.Sort(states)
	return states, inside, transitions
}

// box is a shape's bounds.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) contains(o box) bool {
	return b.x0 <= o.x0 && b.y0 <= o.y0 && o.x1 <= b.x1 && o.y1 <= b.y1
}

// drawnEdge is a transition as drawn.
type drawnEdge struct {
	index    int
	from, to string
	class    []string
	label    string
}

// drawing is one machine's svg as the page has it.
type drawing struct {
	states map[string][]*html.Node // by data-state
	boxes  map[string]box
	edges  []drawnEdge
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func classes(n *html.Node) []string {
	c, _ := attr(n, "class")
	return strings.Fields(c)
}

func hasClass(n *html.Node, c string) bool { return slices.Contains(classes(n), c) }

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func float(t *testing.T, n *html.Node, key string) float64 {
	t.Helper()
	v, _ := attr(n, key)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.Data, key, v, err)
	}
	return f
}

// shapeBox is the bounds of a state's shape (a rect or a polygon).
func shapeBox(t *testing.T, state *html.Node) box {
	t.Helper()
	shapes := find(state, func(n *html.Node) bool { return hasClass(n, "shape") })
	if len(shapes) != 1 {
		t.Fatalf("state %v: %d shapes", state.Attr, len(shapes))
	}
	s := shapes[0]
	if s.Data == "rect" {
		x, y := float(t, s, "x"), float(t, s, "y")
		return box{x, y, x + float(t, s, "width"), y + float(t, s, "height")}
	}
	pts, _ := attr(s, "points")
	b := box{1e9, 1e9, -1e9, -1e9}
	for _, p := range strings.Fields(pts) {
		xs, ys, _ := strings.Cut(p, ",")
		x, _ := strconv.ParseFloat(xs, 64)
		y, _ := strconv.ParseFloat(ys, 64)
		b = box{min(b.x0, x), min(b.y0, y), max(b.x1, x), max(b.y1, y)}
	}
	return b
}

// parse reads a page: its document, each machine's drawing, and its data.
func parse(t *testing.T, page []byte) (*html.Node, map[string]*drawing, pageData) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	drawings := map[string]*drawing{}
	for _, svg := range find(doc, func(n *html.Node) bool { return n.Data == "svg" }) {
		name, _ := attr(svg, "data-machine")
		d := &drawing{states: map[string][]*html.Node{}, boxes: map[string]box{}}
		for _, s := range find(svg, func(n *html.Node) bool { _, ok := attr(n, "data-state"); return ok }) {
			v, _ := attr(s, "data-state")
			d.states[v] = append(d.states[v], s)
			d.boxes[v] = shapeBox(t, s)
		}
		for _, e := range find(svg, func(n *html.Node) bool { _, ok := attr(n, "data-edge"); return ok }) {
			v, _ := attr(e, "data-edge")
			i, _ := strconv.Atoi(v)
			from, _ := attr(e, "data-from")
			to, _ := attr(e, "data-to")
			label := ""
			for _, l := range find(e, func(n *html.Node) bool { return hasClass(n, "label") }) {
				label = textOf(l)
			}
			d.edges = append(d.edges, drawnEdge{i, from, to, classes(e), label})
		}
		drawings[name] = d
	}
	scripts := find(doc, func(n *html.Node) bool { return n.Data == "script" })
	if len(scripts) != 2 {
		t.Fatalf("%d script elements, want the data and the page's script", len(scripts))
	}
	if typ, _ := attr(scripts[0], "type"); typ != "application/json" {
		t.Fatalf("the first script is %q, want the data (application/json)", typ)
	}
	if got := textOf(scripts[1]); got != script {
		t.Fatalf("the page's script is not page.js (%d bytes, want %d)", len(got), len(script))
	}
	var data pageData
	if err := json.Unmarshal([]byte(textOf(scripts[0])), &data); err != nil {
		t.Fatalf("the page's data: %v", err)
	}
	return doc, drawings, data
}

// resolved is a document of the page's data with its parts put back, as the
// page's script does.
func resolved(t *testing.T, data pageData, i int) any {
	t.Helper()
	if i < 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(data.Docs[i], &v); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(data.Whole, i) {
		return v
	}
	var put func(v any) any
	put = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x[data.Ref]; ok && len(x) == 1 {
				var part any
				if err := json.Unmarshal(data.Parts[int(ref.(float64))], &part); err != nil {
					t.Fatal(err)
				}
				return put(part)
			}
			for k, c := range x {
				x[k] = put(c)
			}
		case []any:
			for i, c := range x {
				x[i] = put(c)
			}
		}
		return v
	}
	return put(v)
}

func decoded(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

var external = regexp.MustCompile(`(?i)<(link|img|iframe|object|embed|audio|video|source)\b|\b(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:|//)|@import|url\(`)

// checkDrawing: every state of the document drawn once, in its Parallel's
// or Map's box; every transition drawn, between the right states (a Catch
// as a catch, a condition labelled); each transition down the page but the
// loops.
func checkDrawing(t *testing.T, name string, asl []byte, d *drawing, c *graph.Chart) {
	t.Helper()
	states, inside, transitions := readASL(t, asl)
	var drawn []string
	for s, els := range d.states {
		drawn = append(drawn, s)
		if len(els) != 1 {
			t.Errorf("%s: %q drawn %d times", name, s, len(els))
		}
	}
	slices.Sort(drawn)
	if !slices.Equal(drawn, states) {
		t.Errorf("%s: states drawn %q, want %q", name, drawn, states)
	}
	for outer, nested := range inside {
		for _, s := range nested {
			if !d.boxes[outer].contains(d.boxes[s]) {
				t.Errorf("%s: %q (%v) is not drawn inside %q (%v)", name, s, d.boxes[s], outer, d.boxes[outer])
			}
		}
	}
	for _, tr := range transitions {
		found := false
		for _, e := range d.edges {
			if e.from == tr.from && e.to == tr.to && slices.Contains(e.class, graph.EdgeCatch) == tr.catch {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no edge %q → %q (catch %t)", name, tr.from, tr.to, tr.catch)
		}
	}
	for _, e := range d.edges {
		ce := c.Edges[e.index]
		if !slices.Contains(e.class, ce.Kind) {
			t.Errorf("%s: edge %d (%q → %q) has classes %v, want %s", name, e.index, e.from, e.to, e.class, ce.Kind)
		}
		if ce.Kind == graph.EdgeChoice && e.label != ce.Label && !slices.Contains(e.class, "loop") {
			t.Errorf("%s: choice %q → %q labelled %q, want %q", name, e.from, e.to, e.label, ce.Label)
		}
		if e.from == "" || e.to == "" {
			continue
		}
		from, to := d.boxes[e.from], d.boxes[e.to]
		if slices.Contains(e.class, "loop") {
			if to.y0 > from.y0 {
				t.Errorf("%s: the loop %q → %q goes down", name, e.from, e.to)
			}
		} else if to.y0 <= from.y1 {
			t.Errorf("%s: %q (y %.0f–%.0f) → %q (y %.0f–%.0f) does not go down the page", name, e.from, from.y0, from.y1, e.to, to.y0, to.y1)
		}
	}
}

// demoPage runs the demo's events (and an event whose steps fail, first)
// with their histories, and writes their page.
func demoPage(t *testing.T) ([]byte, []*offline.Record) {
	t.Helper()
	world, err := inmemory.ReadWorldFile("../../test/worlds/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	var events []offline.Event
	for _, name := range []string{"dockerhub-service-task.json", "ecr-service-task.json", "dockerhub-service-task.json",
		"dockerhub-service-task-running.json", "dockerhub-service-task-second.json"} {
		b, err := os.ReadFile("../../test/events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, offline.Event{Name: name, JSON: b})
	}
	opts := offline.Options{World: &world, Policy: policies.FS, Mode: contract.ModeEnforce, KeepHistories: true}
	var recs []*offline.Record
	// The first event fails: every AWS call is throttled more often than
	// the retries allow.
	failing := opts
	failing.ThrottleFirst = 40
	fr, err := offline.New(failing, events[:1])
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, fr.Run(context.Background(), events[0]))
	r, err := offline.New(opts, events[1:])
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events[1:] {
		recs = append(recs, r.Run(context.Background(), ev))
	}
	p := Page{Title: "demo", Machines: graph.Deployed()}
	for _, rec := range recs {
		run := Run{Event: rec.Event, Status: rec.Status}
		for _, ex := range rec.Executions {
			run.Executions = append(run.Executions, Execution{Machine: ex.Machine, Name: ex.Name, Status: ex.Status,
				Error: ex.Error, Cause: ex.Cause, Input: ex.Input, Output: ex.Output, History: ex.History})
		}
		p.Runs = append(p.Runs, run)
	}
	var b bytes.Buffer
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), recs
}

// The deployed machines' page, with the demo's executions: both machines
// drawn whole; each event's path in the data (states, transitions taken,
// durations, retries), the first event's in the page as served, its failed
// states classed; the states' inputs and outputs embedded; nothing loaded
// from the network.
func TestPageOfTheDemo(t *testing.T) {
	page, recs := demoPage(t)
	doc, drawings, data := parse(t, page)
	if m := external.FindString(string(page)); m != "" {
		t.Errorf("the page refers to something outside it: %q", m)
	}
	if len(find(doc, func(n *html.Node) bool { return n.Data == "style" })) != 1 {
		t.Error("want one style element")
	}
	charts := map[string]*graph.Chart{}
	for _, src := range graph.Deployed() {
		c, err := graph.New(src.Title, src.ASL)
		if err != nil {
			t.Fatal(err)
		}
		charts[src.Name] = c
		d := drawings[src.Name]
		if d == nil {
			t.Fatalf("no drawing of %s", src.Name)
		}
		checkDrawing(t, src.Name, src.ASL, d, c)
	}
	if len(data.Runs) != len(recs) {
		t.Fatalf("%d runs in the data, want %d", len(data.Runs), len(recs))
	}
	for i, rec := range recs {
		run := data.Runs[i]
		if len(run.Executions) != len(rec.Executions) {
			t.Fatalf("%s: %d executions, want %d", rec.Event, len(run.Executions), len(rec.Executions))
		}
		for j, ex := range run.Executions {
			src := rec.Executions[j]
			name := data.Machines[ex.Machine].Name
			// The states entered, marked; the visits in the history's order.
			var entered []string
			for _, e := range src.History {
				if e.Type == asl.EventStateEntered {
					entered = append(entered, e.State)
				}
			}
			var visited []string
			for _, v := range ex.Visits {
				visited = append(visited, v.State)
			}
			if !slices.Equal(visited, entered) {
				t.Errorf("%s %s: visits %q, want %q", rec.Event, name, visited, entered)
			}
			var marked []string
			for s := range ex.Marks {
				marked = append(marked, s)
			}
			slices.Sort(marked)
			if want := slices.Compact(slices.Sorted(slices.Values(entered))); !slices.Equal(marked, want) {
				t.Errorf("%s %s: marked %q, want %q", rec.Event, name, marked, want)
			}
			// Each transition taken is an edge taken.
			taken := map[[2]string]bool{}
			for _, e := range ex.Edges {
				ce := charts[name].Edges[e]
				taken[[2]string{nodeName2(charts[name], ce.From), nodeName2(charts[name], ce.To)}] = true
			}
			for _, e := range src.History {
				if (e.Type == asl.EventStateExited || e.Type == asl.EventErrorCaught) && e.Next != "" && !taken[[2]string{e.State, e.Next}] {
					t.Errorf("%s %s: %q → %q is not marked taken", rec.Event, name, e.State, e.Next)
				}
			}
			// Inputs and outputs: the first state's input is the
			// execution's; each state left has its output.
			if len(ex.Visits) == 0 {
				t.Fatalf("%s %s: no visits", rec.Event, name)
			}
			if got := resolved(t, data, ex.Visits[0].Input); !jsonEqual(got, decoded(t, src.Input)) {
				t.Errorf("%s %s: the first state's input is not the execution's input", rec.Event, name)
			}
			for _, v := range ex.Visits {
				if v.Input < 0 || (v.Status == markSucceeded && v.Output < 0) {
					t.Errorf("%s %s: %q has input %d, output %d", rec.Event, name, v.State, v.Input, v.Output)
				}
			}
			if src.Status == asl.StatusSucceeded && !jsonEqual(resolved(t, data, ex.Output), decoded(t, src.Output)) {
				t.Errorf("%s %s: the execution's output differs", rec.Event, name)
			}
		}
	}
	// The first event failed: its failed states are classed in the page as
	// served, its caught errors too, the retries counted.
	first := data.Runs[0].Executions[0]
	if data.Machines[first.Machine].Name != "triage" || first.Status != asl.StatusFailed {
		t.Fatalf("the first execution: %s %s", data.Machines[first.Machine].Name, first.Status)
	}
	d := drawings["triage"]
	var failed, caught []string
	for s, els := range d.states {
		switch {
		case hasClass(els[0], "m-failed"):
			failed = append(failed, s)
		case hasClass(els[0], "m-caught"):
			caught = append(caught, s)
		}
		if m := first.Marks[s]; (m == "") != !slices.ContainsFunc(classes(els[0]), func(c string) bool { return strings.HasPrefix(c, "m-") }) {
			t.Errorf("triage %q: mark %q, classes %v", s, m, classes(els[0]))
		}
	}
	if len(failed) == 0 || len(caught) == 0 {
		t.Errorf("failed states %q, caught %q: want some of each", failed, caught)
	}
	for _, s := range failed {
		if first.Marks[s] != markFailed {
			t.Errorf("%q classed failed, marked %q", s, first.Marks[s])
		}
	}
	retried := false
	for _, v := range first.Visits {
		if v.Retries > 0 && len(v.Attempts) == v.Retries+1 && strings.Contains(first.Badges[v.State], "retries") {
			retried = true
		}
	}
	if !retried {
		t.Error("no visit of the failed execution shows its retries")
	}
	for _, e := range d.edges {
		if want := slices.Contains(first.Edges, e.index); slices.Contains(e.class, "taken") != want {
			t.Errorf("triage edge %q → %q: classes %v, taken %t", e.from, e.to, e.class, want)
		}
	}
	t.Logf("the page: %d bytes, %d documents and %d parts", len(page), len(data.Docs), len(data.Parts))
}

func nodeName2(c *graph.Chart, id string) string {
	for _, n := range c.Nodes() {
		if n.ID == id {
			return n.Name
		}
	}
	return id
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// Names, events and documents that are HTML or script stay text: nothing in
// them ends the page's script or makes an element.
func TestPageEscapesEverything(t *testing.T) {
	const (
		closeScript = `</script><script>window.injected = 1</script>`
		img         = `<img src=x onerror="window.injected = 2">`
		quote       = `" onclick="window.injected = 3`
		comment     = `<!-- --> ]]> & &amp; \u2028`
	)
	names := []string{closeScript, img, quote, comment}
	def := map[string]any{"StartAt": names[0], "States": map[string]any{
		names[0]: map[string]any{"Type": "Pass", "Next": names[1], "Comment": img},
		names[1]: map[string]any{"Type": "Choice", "Choices": []any{
			map[string]any{"Variable": "$.x", "StringEquals": closeScript, "Next": names[2]}}, "Default": names[3]},
		names[2]: map[string]any{"Type": "Parallel", "Branches": []any{map[string]any{"StartAt": "in " + img,
			"States": map[string]any{"in " + img: map[string]any{"Type": "Pass", "End": true}}}}, "Next": names[3]},
		names[3]: map[string]any{"Type": "Fail", "Error": closeScript, "Cause": img},
	}}
	doc, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := asl.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	input := map[string]any{"x": closeScript, "field " + img: img, "q": quote, "c": comment, "big": strings.Repeat(closeScript, 100)}
	in, _ := json.Marshal(input)
	res, err := asl.Run(context.Background(), parsed, in, asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err = Write(&b, Page{Title: img, Notes: []string{closeScript}, Omitted: Omitted{Events: 1, Executions: 2, Kept: quote},
		Machines: []graph.Source{{Name: img, File: "hostile.asl.json", Title: closeScript, ASL: doc}},
		Runs: []Run{{Event: closeScript + img, Status: res.Status, Summary: quote, Executions: []Execution{{Machine: img, Name: img,
			Status: res.Status, Error: res.Error, Cause: res.Cause, Input: in, History: res.History}}}}})
	if err != nil {
		t.Fatal(err)
	}
	page := b.Bytes()
	for _, bad := range []string{closeScript, img, "<img", "window.injected = 1</script>", "<!-- -->"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page has %q as it is", bad)
		}
	}
	hdoc, drawings, data := parse(t, page)
	if n := find(hdoc, func(n *html.Node) bool { return n.Data == "img" }); len(n) > 0 {
		t.Errorf("%d img elements", len(n))
	}
	for _, n := range find(hdoc, func(n *html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an %s attribute", n.Data, a.Key)
			}
		}
	}
	d := drawings[img]
	if d == nil {
		t.Fatalf("no drawing with the machine's name: %v", drawings)
	}
	checkDrawing(t, "hostile", doc, d, mustChart(t, doc))
	if title := textOf(find(hdoc, func(n *html.Node) bool { return n.Data == "title" })[0]); title != img {
		t.Errorf("title %q", title)
	}
	body := textOf(hdoc)
	for _, want := range []string{closeScript + img, quote, closeScript} {
		if !strings.Contains(body, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}
	ex := data.Runs[0].Executions[0]
	if data.Runs[0].Event != closeScript+img || ex.Name != img || ex.Error != closeScript || ex.Cause != img {
		t.Errorf("run %+v", data.Runs[0])
	}
	if got := resolved(t, data, ex.Visits[0].Input); !jsonEqual(got, input) {
		t.Errorf("the first state's input: %v, want %v", got, input)
	}
	if data.Machines[0].States[names[0]].Comment != img {
		t.Errorf("the comment: %+v", data.Machines[0].States)
	}
	if ex.Marks[names[3]] != markFailed || ex.Marks[names[2]] != markSucceeded {
		t.Errorf("marks %v", ex.Marks)
	}
}

func mustChart(t *testing.T, doc []byte) *graph.Chart {
	t.Helper()
	c, err := graph.New("", doc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every kind of state: Parallel branches and Map item processors in their
// boxes (a Parallel in a Map's), every transition drawn and going down but
// the loops, conditions labelled.
func TestLayoutOfEveryKind(t *testing.T) {
	doc, err := os.ReadFile("../ecs-compliance/testdata/diagram/every-kind.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	loop := []byte(`{"StartAt": "Try", "States": {
		"Try": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": "Done?"},
		"Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "Done"}], "Default": "Wait"},
		"Wait": {"Type": "Wait", "Seconds": 5, "Next": "Try"},
		"Done": {"Type": "Succeed"},
		"Failed": {"Type": "Fail"}}}`)
	for name, asl := range map[string][]byte{"every kind": doc, "a loop": loop} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, Page{Machines: []graph.Source{{Name: "m", Title: name, ASL: asl}}}); err != nil {
				t.Fatal(err)
			}
			_, drawings, _ := parse(t, b.Bytes())
			d := drawings["m"]
			checkDrawing(t, name, asl, d, mustChart(t, asl))
			if name == "a loop" {
				loops := 0
				for _, e := range d.edges {
					if slices.Contains(e.class, "loop") {
						loops++
						if e.from != "Wait" || e.to != "Try" {
							t.Errorf("loop %q → %q, want Wait → Try", e.from, e.to)
						}
					}
				}
				if loops != 1 {
					t.Errorf("%d loops, want 1", loops)
				}
			}
			// No two states overlap.
			for a, ba := range d.boxes {
				for c, bc := range d.boxes {
					if a < c && !ba.contains(bc) && !bc.contains(ba) && ba.x0 < bc.x1 && bc.x0 < ba.x1 && ba.y0 < bc.y1 && bc.y0 < ba.y1 {
						t.Errorf("%q %v and %q %v overlap", a, ba, c, bc)
					}
				}
			}
		})
	}
}

func TestWrap(t *testing.T) {
	for in, want := range map[string][]string{
		"":      {""},
		"short": {"short"},
		"What is known about this task definition?": {"What is known about this", "task definition?"},
		strings.Repeat("x", 30):                     {strings.Repeat("x", 24), strings.Repeat("x", 6)},
	} {
		if got := wrap(in, 24); !slices.Equal(got, want) {
			t.Errorf("wrap(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fmt.Sprint(count(1234567), " ", duration(0.25), " ", duration(12.4), " ", duration(1500)); got != "1,234,567 0.2 ms 12 ms 1.50 s" {
		t.Errorf("%s", got)
	}
}
