package graph

import (
	"fmt"
	"io"
	"strings"
)

// mermaidText escapes a quoted mermaid label with entity codes.
var mermaidText = strings.NewReplacer(`#`, "#35;", `"`, "#quot;", `<`, "#lt;", `>`, "#gt;", `&`, "#amp;", "`", "#96;")

func mq(s string) string { return `"` + mermaidText.Replace(OneLine(s)) + `"` }

// mermaidShapes by state type; a Task is a box, ["…"].
var mermaidShapes = map[string][2]string{
	"Choice": {"{", "}"}, "Pass": {"(", ")"}, "Wait": {"[/", "/]"}, "Parallel": {"[[", "]]"},
	"Map": {"[[", "]]"}, "Succeed": {"([", "])"}, "Fail": {"([", "])"},
}

// Mermaid prints the chart as a flowchart, after a %% line with its title.
func (c *Chart) Mermaid(w io.Writer) {
	fmt.Fprintf(w, "%%%% %s\n", OneLine(c.Title))
	fmt.Fprintln(w, "flowchart TD")
	fmt.Fprintln(w, `    start(("start"))`)
	var retried, succeed, fail []string
	var group func(g *Group, indent string)
	group = func(g *Group, indent string) {
		for _, n := range g.Nodes {
			shape, ok := mermaidShapes[n.Type]
			if !ok {
				shape = [2]string{"[", "]"}
			}
			fmt.Fprintf(w, "%s%s%s%s%s\n", indent, n.ID, shape[0], mq(n.Name), shape[1])
			switch {
			case n.Type == "Succeed":
				succeed = append(succeed, n.ID)
			case n.Type == "Fail":
				fail = append(fail, n.ID)
			case n.Retried:
				retried = append(retried, n.ID)
			}
		}
		for _, sub := range g.Groups {
			fmt.Fprintf(w, "%ssubgraph %s[%s]\n", indent, sub.ID, mq(sub.Label))
			group(sub, indent+"    ")
			fmt.Fprintf(w, "%send\n", indent)
		}
	}
	group(&c.Top, "    ")
	if c.End {
		fmt.Fprintln(w, `    finish(("end"))`)
	}
	for _, e := range c.Edges {
		arrow := "-->"
		if e.Dotted() {
			arrow = "-.->"
		}
		if e.Label != "" {
			arrow += "|" + mq(e.Label) + "|"
		}
		fmt.Fprintf(w, "    %s %s %s\n", e.From, arrow, e.To)
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

func dq(s string) string { return `"` + dotText.Replace(OneLine(s)) + `"` }

// DOT prints the chart as a Graphviz digraph, after a // line with its
// title.
func (c *Chart) DOT(w io.Writer) {
	fmt.Fprintf(w, "// %s\n", OneLine(c.Title))
	fmt.Fprintf(w, "digraph %s {\n", dq(c.Title))
	fmt.Fprintf(w, "    label=%s; labelloc=t; fontname=\"Helvetica\";\n", dq(c.Title))
	fmt.Fprintln(w, `    node [shape=box, fontname="Helvetica", fontsize=11];`)
	fmt.Fprintln(w, `    edge [fontname="Helvetica", fontsize=9];`)
	fmt.Fprintln(w, `    start [label="", shape=circle, style=filled, fillcolor=black, width=0.2];`)
	var group func(g *Group, indent string)
	group = func(g *Group, indent string) {
		for _, n := range g.Nodes {
			attrs := map[string]string{
				"Choice": "shape=diamond", "Pass": "style=rounded", "Wait": "shape=parallelogram",
				"Parallel": "shape=box3d", "Map": "shape=box3d",
				"Succeed": `style="rounded,filled", fillcolor="#d7f5dd"`, "Fail": `style="rounded,filled", fillcolor="#fbdada"`,
			}[n.Type]
			if n.Retried {
				attrs = strings.TrimPrefix(attrs+", penwidth=2.5", ", ")
			}
			if attrs != "" {
				attrs = ", " + attrs
			}
			fmt.Fprintf(w, "%s%s [label=%s%s];\n", indent, n.ID, dq(n.Name), attrs)
		}
		for _, sub := range g.Groups {
			fmt.Fprintf(w, "%ssubgraph cluster_%s {\n", indent, sub.ID)
			fmt.Fprintf(w, "%s    label=%s; style=dashed;\n", indent, dq(sub.Label))
			group(sub, indent+"    ")
			fmt.Fprintf(w, "%s}\n", indent)
		}
	}
	group(&c.Top, "    ")
	if c.End {
		fmt.Fprintln(w, `    finish [label="", shape=doublecircle, style=filled, fillcolor=black, width=0.15];`)
	}
	for _, e := range c.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dq(e.Label))
		}
		if e.Dotted() {
			attrs = append(attrs, "style=dashed")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(w, "    %s -> %s [%s];\n", e.From, e.To, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(w, "    %s -> %s;\n", e.From, e.To)
		}
	}
	fmt.Fprintln(w, "}")
}
