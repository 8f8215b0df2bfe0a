package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
)

const everyKind = "testdata/diagram/every-kind.asl.json"

func diagram(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = dispatch(append([]string{"diagram"}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

// drawn is one machine as the output draws it: its title, its states' names
// (one per node) and its edges, "from → to [kind]" by state name, with
// (start) and (end) for the machine's entry and end. kind is next, choice,
// default, "catch " + the first error caught, branch or end.
type drawn struct {
	title     string
	names     []string
	edges     []string
	subgraphs int
	retried   []string
	dashed    map[string]bool // edge → drawn dashed or dotted
}

// expected reads an ASL document with encoding/json alone and lists what
// its diagram must have: every state (nested ones too) and every
// transition.
func expected(t *testing.T, data []byte) drawn {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var d drawn
	var walk func(m map[string]any, top bool)
	walk = func(m map[string]any, top bool) {
		if top {
			d.edges = append(d.edges, fmt.Sprintf("(start) → %s [next]", m["StartAt"]))
		}
		for name, v := range m["States"].(map[string]any) {
			s := v.(map[string]any)
			d.names = append(d.names, name)
			edge := func(to any, kind string) {
				d.edges = append(d.edges, fmt.Sprintf("%s → %s [%s]", name, to, kind))
			}
			if next, ok := s["Next"]; ok {
				edge(next, "next")
			}
			if s["End"] == true && top {
				edge("(end)", "end")
			}
			for _, r := range list(s["Choices"]) {
				edge(r.(map[string]any)["Next"], "choice")
			}
			if def, ok := s["Default"]; ok {
				edge(def, "default")
			}
			for _, c := range list(s["Catch"]) {
				c := c.(map[string]any)
				edge(c["Next"], "catch "+list(c["ErrorEquals"])[0].(string))
			}
			if _, ok := s["Retry"]; ok {
				d.retried = append(d.retried, name)
			}
			var inner []any
			inner = append(inner, list(s["Branches"])...)
			for _, k := range []string{"ItemProcessor", "Iterator"} {
				if p, ok := s[k]; ok {
					inner = append(inner, p)
				}
			}
			for _, b := range inner {
				b := b.(map[string]any)
				edge(b["StartAt"], "branch")
				d.subgraphs++
				walk(b, false)
			}
		}
	}
	walk(doc, true)
	slices.Sort(d.names)
	slices.Sort(d.edges)
	slices.Sort(d.retried)
	return d
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// kind classifies an edge by its label.
func kind(label, to string) string {
	switch {
	case to == "(end)":
		return "end"
	case label == "":
		return "next"
	case label == "default":
		return "default"
	case strings.HasPrefix(label, "catch "):
		first, _, _ := strings.Cut(strings.TrimPrefix(label, "catch "), ",")
		first, _, _ = strings.Cut(first, " ")
		return "catch " + first
	case strings.HasPrefix(label, "branch ") || label == "each item":
		return "branch"
	}
	return "choice"
}

var (
	mermaidNode     = regexp.MustCompile(`^\s*(s\d+)(\(\[|\[\[|\[/|\(|\[|\{)"(.*)"(\]\)|\]\]|/\]|\)|\]|\})$`)
	mermaidEdge     = regexp.MustCompile(`^\s*(\w+) (-->|-\.->)(?:\|"(.*)"\|)? (\w+)$`)
	mermaidSubgraph = regexp.MustCompile(`^\s*subgraph g\d+\["(.*)"\]$`)
	mermaidClass    = regexp.MustCompile(`^\s*class (\S+) retried$`)
	mermaidUnescape = strings.NewReplacer("#quot;", `"`, "#35;", "#", "#lt;", "<", "#gt;", ">", "#amp;", "&", "#96;", "`")

	dotNode    = regexp.MustCompile(`^\s*(s\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$`)
	dotEdge    = regexp.MustCompile(`^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$`)
	dotLabel   = regexp.MustCompile(`label="((?:[^"\\]|\\.)*)"`)
	dotUnquote = strings.NewReplacer(`\"`, `"`, `\\`, `\`)
)

// parseDiagrams reads the output: one drawn per machine, in order.
func parseDiagrams(t *testing.T, format, out string) []drawn {
	t.Helper()
	var machines []drawn
	var ids map[string]string
	var pending [][3]string // from, to, label by id
	var dashed []bool
	finish := func() {
		if len(machines) == 0 {
			return
		}
		d := &machines[len(machines)-1]
		d.dashed = map[string]bool{}
		for i, e := range pending {
			from, to := ids[e[0]], ids[e[1]]
			if from == "" || to == "" {
				t.Errorf("%s: edge %s → %s: an end is not a node", d.title, e[0], e[1])
				continue
			}
			s := fmt.Sprintf("%s → %s [%s]", from, to, kind(e[2], to))
			d.edges = append(d.edges, s)
			d.dashed[s] = dashed[i]
		}
		slices.Sort(d.names)
		slices.Sort(d.edges)
		slices.Sort(d.retried)
	}
	node := func(id, name string) {
		if _, dup := ids[id]; dup {
			t.Errorf("node id %s declared twice", id)
		}
		ids[id] = name
		d := &machines[len(machines)-1]
		d.names = append(d.names, name)
	}
	for line := range strings.SplitSeq(out, "\n") {
		if title, ok := strings.CutPrefix(line, map[string]string{"mermaid": "%% ", "dot": "// "}[format]); ok {
			finish()
			machines = append(machines, drawn{title: title})
			ids, pending, dashed = map[string]string{"start": "(start)", "finish": "(end)"}, nil, nil
			continue
		}
		if strings.TrimSpace(line) == "" || len(machines) == 0 {
			continue
		}
		d := &machines[len(machines)-1]
		switch format {
		case "mermaid":
			if m := mermaidNode.FindStringSubmatch(line); m != nil {
				node(m[1], mermaidUnescape.Replace(m[3]))
			} else if m := mermaidEdge.FindStringSubmatch(line); m != nil {
				pending = append(pending, [3]string{m[1], m[4], mermaidUnescape.Replace(m[3])})
				dashed = append(dashed, m[2] == "-.->")
			} else if mermaidSubgraph.MatchString(line) {
				d.subgraphs++
			} else if m := mermaidClass.FindStringSubmatch(line); m != nil {
				for id := range strings.SplitSeq(m[1], ",") {
					d.retried = append(d.retried, ids[id])
				}
			}
		case "dot":
			if m := dotNode.FindStringSubmatch(line); m != nil {
				node(m[1], dotUnquote.Replace(m[2]))
				if strings.Contains(m[3], "penwidth=") {
					d.retried = append(d.retried, dotUnquote.Replace(m[2]))
				}
			} else if m := dotEdge.FindStringSubmatch(line); m != nil {
				label := ""
				if l := dotLabel.FindStringSubmatch(m[3]); l != nil {
					label = dotUnquote.Replace(l[1])
				}
				pending = append(pending, [3]string{m[1], m[2], label})
				dashed = append(dashed, strings.Contains(m[3], "style=dashed"))
			} else if strings.HasPrefix(strings.TrimSpace(line), "subgraph cluster_") {
				d.subgraphs++
			}
		}
	}
	finish()
	return machines
}

// sameDrawing compares a machine's drawing with what its document says.
func sameDrawing(t *testing.T, got, want drawn) {
	t.Helper()
	if !slices.Equal(got.names, want.names) {
		t.Errorf("%s: nodes\n  %q\nwant the states\n  %q", got.title, got.names, want.names)
	}
	if !slices.Equal(got.edges, want.edges) {
		t.Errorf("%s: edges\n  %s\nwant the transitions\n  %s", got.title, strings.Join(got.edges, "\n  "), strings.Join(want.edges, "\n  "))
	}
	if got.subgraphs != want.subgraphs {
		t.Errorf("%s: %d subgraphs, want %d (one per Parallel branch and Map processor)", got.title, got.subgraphs, want.subgraphs)
	}
	if !slices.Equal(got.retried, want.retried) {
		t.Errorf("%s: marked retried %q, want the states with a Retry %q", got.title, got.retried, want.retried)
	}
	for e, d := range got.dashed {
		if k := e[strings.LastIndex(e, "[")+1 : len(e)-1]; d != (strings.HasPrefix(k, "catch") || k == "branch") {
			t.Errorf("%s: edge %s dashed: %v", got.title, e, d)
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDiagramDeployedMachines(t *testing.T) {
	want := []drawn{expected(t, readFile(t, triage)), expected(t, readFile(t, workflow))}
	if len(want[0].names) < 10 || len(want[1].edges) < 40 || want[1].subgraphs != 6 {
		t.Fatalf("the deployed machines changed shape? triage %d states, workflow %d transitions, %d branches",
			len(want[0].names), len(want[1].edges), want[1].subgraphs)
	}
	for _, format := range []string{"mermaid", "dot"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"--format", format}
			if format == "mermaid" {
				args = nil // the default
			}
			out, stderr, code := diagram(t, args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			got := parseDiagrams(t, format, out)
			if len(got) != 2 || !strings.HasPrefix(got[0].title, "triage (Express): statemachine/triage.asl.json") ||
				!strings.HasPrefix(got[1].title, "workflow (Standard): statemachine/workflow.asl.json") {
				t.Fatalf("machines %d, want the triage then the workflow:\n%s", len(got), out)
			}
			for i := range got {
				sameDrawing(t, got[i], want[i])
			}
			switch format {
			case "mermaid":
				if n := strings.Count(out, "\nflowchart TD\n"); n != 2 {
					t.Errorf("%d flowcharts, want one per machine", n)
				}
				for _, s := range []string{
					`s3 -->|"$.lookup.next == #quot;JUDGE#quot;"| s4`,
					`-.->|"catch States.ALL"|`,
					`-.->|"catch StepFunctions.ExecutionAlreadyExistsException"|`,
					`s0{"Is the task definition judged already?"}`,
				} {
					if !strings.Contains(out, s) {
						t.Errorf("no %s in\n%s", s, out)
					}
				}
			case "dot":
				if n := strings.Count(out, "\ndigraph "); n != 2 || !strings.HasSuffix(out, "}\n") {
					t.Errorf("%d digraphs, want one per machine", n)
				}
				for _, s := range []string{
					`s3 -> s4 [label="$.lookup.next == \"JUDGE\""];`,
					`[label="catch States.ALL", style=dashed];`,
					`subgraph cluster_g1 {`,
					`label="Report to SNS and Security Hub: branch 1";`,
				} {
					if !strings.Contains(out, s) {
						t.Errorf("no %s in\n%s", s, out)
					}
				}
			}
		})
	}
}

func TestDiagramDefinitions(t *testing.T) {
	kinds := expected(t, readFile(t, everyKind))
	if kinds.subgraphs != 5 || !slices.Contains(kinds.names, `Say "hi" & <wave>`) || !slices.Contains(kinds.names, `Back\slash`) {
		t.Fatalf("%s changed: %+v", everyKind, kinds)
	}
	for _, format := range []string{"mermaid", "dot"} {
		t.Run(format, func(t *testing.T) {
			out, stderr, code := diagram(t, "--definition", everyKind, "--format", format, "--definition", triage)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			got := parseDiagrams(t, format, out)
			if len(got) != 2 || got[0].title != everyKind || got[1].title != triage {
				t.Fatalf("machines %d, want %s then %s:\n%s", len(got), everyKind, triage, out)
			}
			sameDrawing(t, got[0], kinds)
			sameDrawing(t, got[1], expected(t, readFile(t, triage)))
			if format == "mermaid" {
				for _, s := range []string{
					`s0("Say #quot;hi#quot; #amp; #lt;wave#gt;")`,
					`s1{"Route #35;1: #96;which#96; way?"}`,
					`-.->|"catch A, B, C (+2)"|`,
				} {
					if !strings.Contains(out, s) {
						t.Errorf("no %s in\n%s", s, out)
					}
				}
			} else if !strings.Contains(out, `s0 [label="Say \"hi\" & <wave>", style=rounded];`) || !strings.Contains(out, `[label="Back\\slash"`) {
				t.Errorf("names not escaped for dot:\n%s", out)
			}
		})
	}
}

func TestDiagramErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dangling := write("dangling.asl.json", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}`)
	notJSON := write("not-json.asl.json", `{"StartAt": `)
	missing := filepath.Join(dir, "missing.asl.json")
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"a transition to no state":    {[]string{"--definition", everyKind, "--definition", dangling}, []string{dangling + ": ", `state "A": Next points to "Nowhere", which is not a state`}},
		"not JSON":                    {[]string{"--definition", notJSON}, []string{notJSON + ": ", "not JSON"}},
		"a missing file":              {[]string{"--definition", missing}, []string{missing}},
		"an unknown format":           {[]string{"--format", "svg"}, []string{`--format must be mermaid or dot, not "svg"`}},
		"an argument":                 {[]string{everyKind}, []string{`unexpected argument "` + everyKind + `"`}},
		"an unknown flag":             {[]string{"--machine", "triage"}, []string{"flag provided but not defined: -machine", "usage: ecs-compliance diagram"}},
		"--definition without a file": {[]string{"--definition"}, []string{"flag needs an argument"}},
	} {
		t.Run(name, func(t *testing.T) {
			out, stderr, code := diagram(t, c.args...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing on stdout", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
		})
	}
	t.Run("-h", func(t *testing.T) {
		out, stderr, code := diagram(t, "-h")
		if code != 0 || out != "" || !strings.HasPrefix(stderr, "usage: ecs-compliance diagram [--format mermaid|dot] [--definition ASL.json]...") ||
			!strings.Contains(stderr, "-definition file") || !strings.Contains(stderr, "-format string") {
			t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, stderr)
		}
	})
	t.Run("listed in help", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := dispatch([]string{"help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ecs-compliance diagram [--format mermaid|dot]") {
			t.Fatalf("exit %d, stdout %q", code, out.String())
		}
	})
}

// The README's diagram is the one `ecs-compliance diagram` draws from the
// deployed ASL files, byte for byte: a change to either machine that is not
// drawn again fails here. `make readme-diagram` (this test with -update)
// draws it again.
func TestREADMEDiagramIsTheGeneratedOne(t *testing.T) {
	const readme = "../../README.md"
	const begin, end = "<!-- diagram:begin -->\n", "<!-- diagram:end -->"
	out, stderr, code := diagram(t)
	if code != 0 {
		t.Fatalf("diagram: exit %d: %s", code, stderr)
	}
	// One mermaid code block per machine: each chart starts at its %%
	// comment line.
	var charts []string
	for _, line := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(line, "%% ") || len(charts) == 0 {
			charts = append(charts, "")
		}
		charts[len(charts)-1] += line
	}
	var want strings.Builder
	for _, chart := range charts {
		if chart = strings.TrimSpace(chart); chart != "" {
			fmt.Fprintf(&want, "```mermaid\n%s\n```\n", chart)
		}
	}
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section", strings.TrimSpace(begin), end)
	}
	got := doc[i+len(begin) : j]
	if got == want.String() {
		return
	}
	if golden.Update() {
		if err := os.WriteFile(readme, []byte(doc[:i+len(begin)]+want.String()+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's diagram is not the one the ASL files give: run `make readme-diagram` and review the diff.\ngot:\n%s\nwant:\n%s", got, want.String())
}
