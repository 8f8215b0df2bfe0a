// Package page writes the execution page: one self-contained HTML file (no
// network: its style, script and drawings are inline) that draws the state
// machines from their ASL — laid out here, in Go, as SVG — and, for each
// event, the path its executions took: the states entered with their
// durations and retries, failed states in red, the transitions taken, and
// each state's input and output on a click. It is the offline counterpart
// of the Step Functions console's graph inspector, for `ecs-compliance run
// --html` and `replay --html`.
//
// In the page, each state is an SVG element with data-state="NAME" (and
// data-type), each transition one with data-edge (its index in the
// machine's graph.Chart Edges) and data-from/data-to; each machine's
// drawing is an svg element with data-machine="NAME". The executions are
// JSON in <script type="application/json" id="page-data">.
package page

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
)

// Page is what the page shows.
type Page struct {
	// Title heads the page; Notes are lines under it (the account, the
	// mode, the policy…).
	Title string
	Notes []string
	// Machines are the state machines drawn (graph.Deployed: the triage
	// and the workflow).
	Machines []graph.Source
	// Runs are the events, in the order they ran, with their executions.
	Runs []Run
	// Omitted says what was left out of Runs.
	Omitted Omitted
}

// Omitted counts the events and executions left out, and says which were
// kept.
type Omitted struct {
	Events, Executions int
	// Kept says which were kept ("failed and remediating events first").
	Kept string
}

// Run is one event and the executions it caused.
type Run struct {
	// Event names the event (its file); Status is its record's status;
	// Summary says in a line what happened.
	Event, Status, Summary string
	Executions             []Execution
}

// Execution is one execution of a machine, with its history (with the
// states' inputs and outputs: asl.Options.OmitHistoryData false).
type Execution struct {
	// Machine is the Name of one of the Page's Machines.
	Machine              string
	Name                 string
	Status, Error, Cause string
	Input, Output        json.RawMessage
	History              []asl.Event
}

//go:embed page.css
var css string

//go:embed page.js
var script string

// contentSecurityPolicy lets the page run its own script and style only (by
// their hashes): nothing is loaded, and nothing in the data can run.
var contentSecurityPolicy = "default-src 'none'; script-src 'sha256-" + hash(script) + "'; style-src 'sha256-" + hash(css) +
	"'; img-src data:; base-uri 'none'; form-action 'none'"

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// The page's data, for its script.
type pageData struct {
	Machines []machineData     `json:"machines"`
	Runs     []runData         `json:"runs"`
	Docs     []json.RawMessage `json:"docs"`
	// Parts are the documents' large parts, Whole the documents kept
	// whole (see docs).
	Parts []json.RawMessage `json:"parts"`
	Whole []int             `json:"whole"`
	Ref   string            `json:"ref"`
}

type machineData struct {
	Name   string               `json:"name"`
	Title  string               `json:"title"`
	States map[string]stateInfo `json:"states"`
}

type stateInfo struct {
	Type     string `json:"type"`
	Resource string `json:"resource,omitempty"`
	Comment  string `json:"comment,omitempty"`
	Retried  bool   `json:"retried,omitempty"`
}

type runData struct {
	Event      string     `json:"event"`
	Status     string     `json:"status"`
	Summary    string     `json:"summary,omitempty"`
	Executions []execData `json:"executions"`
}

type execData struct {
	Machine int     `json:"machine"`
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Error   string  `json:"error,omitempty"`
	Cause   string  `json:"cause,omitempty"`
	MS      float64 `json:"ms"`
	Input   int     `json:"input"`
	Output  int     `json:"output"`
	// Marks, Badges and Edges are what the drawing shows of it: each
	// state's mark (succeeded, caught, failed, running) and line (time,
	// retries), and the transitions taken.
	Marks  map[string]string `json:"marks"`
	Badges map[string]string `json:"badges"`
	Edges  []int             `json:"edges"`
	Visits []visit           `json:"visits"`
}

// Write writes the page.
func Write(w io.Writer, p Page) error {
	charts := make([]*graph.Chart, len(p.Machines))
	index := map[string]int{}
	data := pageData{Machines: []machineData{}, Runs: []runData{}}
	for i, m := range p.Machines {
		c, err := graph.New(m.Title, m.ASL)
		if err != nil {
			return fmt.Errorf("%s: %w", m.File, err)
		}
		charts[i], index[m.Name] = c, i
		md := machineData{Name: m.Name, Title: m.Title, States: map[string]stateInfo{}}
		for _, n := range c.Nodes() {
			md.States[n.Name] = stateInfo{Type: n.Type, Resource: n.Resource, Comment: n.Comment, Retried: n.Retried}
		}
		data.Machines = append(data.Machines, md)
	}
	var d docs
	for _, r := range p.Runs {
		rd := runData{Event: r.Event, Status: r.Status, Summary: r.Summary, Executions: []execData{}}
		for _, ex := range r.Executions {
			m, ok := index[ex.Machine]
			if !ok {
				return fmt.Errorf("event %s: execution %s of %q, which is not a machine of the page", r.Event, ex.Name, ex.Machine)
			}
			t := traceOf(charts[m], ex, &d)
			ed := execData{Machine: m, Name: ex.Name, Status: ex.Status, Error: ex.Error, Cause: ex.Cause, MS: t.ms,
				Input: d.add(ex.Input), Output: d.add(ex.Output), Marks: t.marks, Badges: badges(t.visits), Edges: t.edges, Visits: t.visits}
			if ed.Visits == nil {
				ed.Visits = []visit{}
			}
			rd.Executions = append(rd.Executions, ed)
		}
		data.Runs = append(data.Runs, rd)
	}
	data.Docs, data.Parts, data.Whole, data.Ref = d.list, d.parts, d.whole, refKey
	if data.Docs == nil {
		data.Docs = []json.RawMessage{}
	}
	if data.Parts == nil {
		data.Parts = []json.RawMessage{}
	}
	if data.Whole == nil {
		data.Whole = []int{}
	}
	js, err := json.Marshal(data) // escapes <, > and & in strings
	if err != nil {
		return err
	}
	// Outside strings JSON has no "<"; this keeps "</script>" out whatever
	// the encoder does.
	js = bytes.ReplaceAll(js, []byte("<"), []byte(`\u003c`))

	var b strings.Builder
	out := func(parts ...string) {
		for _, s := range parts {
			b.WriteString(s)
		}
	}
	title := p.Title
	if title == "" {
		title = "ecs-compliance: executions"
	}
	out("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
		`<meta http-equiv="Content-Security-Policy" content="`, esc(contentSecurityPolicy), "\">\n",
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
		"<meta name=\"referrer\" content=\"no-referrer\">\n",
		"<title>", esc(title), "</title>\n<style>", css, "</style>\n</head>\n<body>\n<header>\n<h1>", esc(title), "</h1>\n")
	for _, n := range p.Notes {
		out(`<p class="note">`, esc(n), "</p>\n")
	}
	if p.Omitted.Events > 0 || p.Omitted.Executions > 0 {
		shown := 0
		for _, r := range data.Runs {
			shown += len(r.Executions)
		}
		msg := fmt.Sprintf("Showing %s of %s events (%s executions); %s events (%s executions) are left out.",
			count(len(p.Runs)), count(len(p.Runs)+p.Omitted.Events), count(shown), count(p.Omitted.Events), count(p.Omitted.Executions))
		if p.Omitted.Kept != "" {
			msg += " Kept: " + p.Omitted.Kept + "."
		}
		out(`<p class="note omitted" id="omitted">`, esc(msg), "</p>\n")
	}
	out(legend, "</header>\n<div id=\"layout\">\n<nav id=\"runs\" aria-label=\"events\">\n<h2>Events</h2>\n")
	if len(p.Runs) == 0 {
		out("<p class=\"empty\">No event ran.</p>\n")
	}
	out("<ol>\n")
	for i, r := range data.Runs {
		pressed := "false"
		if i == 0 {
			pressed = "true"
		}
		out(`<li><button type="button" class="run s-`, esc(strings.ToLower(r.Status)), `" data-run="`, strconv.Itoa(i), `" aria-pressed="`, pressed, `">`,
			`<span class="event">`, esc(r.Event), `</span> <span class="status">`, esc(r.Status), `</span>`)
		if r.Summary != "" {
			out(`<span class="summary">`, esc(r.Summary), `</span>`)
		}
		out(`<span class="execs">`)
		for j, ex := range r.Executions {
			if j > 0 {
				out(" · ")
			}
			out(esc(p.Machines[ex.Machine].Name), " ", esc(statusWord(ex.Status)), " ", esc(duration(ex.MS)))
		}
		if len(r.Executions) == 0 {
			out("no execution")
		}
		out("</span></button></li>\n")
	}
	out("</ol>\n</nav>\n<main id=\"machines\">\n")
	for i, m := range p.Machines {
		sw := &svgWriter{b: &b, marks: map[string]string{}, badges: map[string]string{}, taken: map[int]bool{}}
		if len(data.Runs) > 0 {
			for _, ex := range data.Runs[0].Executions {
				if ex.Machine == i {
					sw.marks, sw.badges = ex.Marks, ex.Badges
					for _, e := range ex.Edges {
						sw.taken[e] = true
					}
				}
			}
		}
		out(`<section class="machine" data-machine="`, esc(m.Name), `">`, "\n<h2>", esc(m.Title), "</h2>\n<div class=\"scroll\">\n")
		sw.writeSVG(m.Name, layoutChart(charts[i]))
		out("</div>\n</section>\n")
	}
	out("</main>\n<aside id=\"inspector\" aria-live=\"polite\">\n<h2 id=\"inspector-title\">Inspector</h2>\n",
		"<div id=\"inspector-body\"><p>Choose an event on the left, then click a state to see its input and output.</p></div>\n</aside>\n</div>\n",
		`<script type="application/json" id="page-data">`, string(js), "</script>\n<script>", script, "</script>\n</body>\n</html>\n")
	_, err = io.WriteString(w, b.String())
	return err
}

const legend = `<ul class="legend" aria-label="legend">` +
	`<li><span class="key k-succeeded"></span>entered</li><li><span class="key k-failed"></span>failed</li>` +
	`<li><span class="key k-caught"></span>failed, error caught</li><li><span class="key k-running"></span>stopped while running</li>` +
	`<li><span class="key k-taken"></span>transition taken</li><li><span class="key k-catch"></span>Catch</li></ul>` + "\n"

// badges are the lines under the states' names: how long they took (in
// all, when entered more than once) and their retries.
func badges(visits []visit) map[string]string {
	type sum struct {
		n, retries int
		ms         float64
	}
	sums := map[string]*sum{}
	var order []string
	for _, v := range visits {
		s := sums[v.State]
		if s == nil {
			s = &sum{}
			sums[v.State] = s
			order = append(order, v.State)
		}
		s.n++
		s.retries += v.Retries
		s.ms += v.MS
	}
	out := map[string]string{}
	for _, name := range order {
		s := sums[name]
		t := duration(s.ms)
		if s.n > 1 {
			t = fmt.Sprintf("%d× · %s", s.n, t)
		}
		switch s.retries {
		case 0:
		case 1:
			t += " · 1 retry"
		default:
			t += fmt.Sprintf(" · %d retries", s.retries)
		}
		out[name] = t
	}
	return out
}

// duration writes milliseconds for a person.
func duration(ms float64) string {
	switch {
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
}

func statusWord(s string) string {
	switch s {
	case asl.StatusSucceeded:
		return "✓"
	case "":
		return "?"
	}
	return "✗ " + s
}

// count writes n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
