package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
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
	render := map[string]func(*graph.Chart, io.Writer){"mermaid": (*graph.Chart).Mermaid, "dot": (*graph.Chart).DOT}[*format]
	if render == nil {
		return bad("--format must be mermaid or dot, not %q", *format)
	}
	sources := graph.Deployed()
	if len(files) > 0 {
		sources = nil
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return bad("%v", err)
			}
			sources = append(sources, graph.Source{Name: f, File: f, Title: f, ASL: data})
		}
	}
	var out bytes.Buffer
	for i, src := range sources {
		c, err := graph.New(src.Title, src.ASL)
		if err != nil {
			return bad("%s: %v", src.File, err)
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
