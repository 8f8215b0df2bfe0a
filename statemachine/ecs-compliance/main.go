// Command ecs-compliance is the project's command line: it runs the deployed
// workflow offline against an in-memory AWS account (run, the default),
// replays recorded events to measure what a policy would cost and flag
// (replay), judges task definitions and templates in CI (check), runs any
// ASL document with stubbed tasks (exec), generates realistic fleets of
// events for tests and benchmarks (fleet), and draws the state machines as
// Mermaid or Graphviz diagrams (diagram).
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// subcommands by name. "run" is also what a first argument that is not a
// subcommand means, so that `ecs-compliance --json EVENT.json` runs events.
var subcommands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"run":     runWorkflow,
	"replay":  runReplay,
	"exec":    runExec,
	"check":   runCheck,
	"fleet":   runFleet,
	"diagram": runDiagram,
}

const usage = `usage: ecs-compliance [run] [flags] EVENT.json...   run events through the workflow offline
       ecs-compliance replay [flags] EVENTS...       replay recorded events: counts, cost, what the policy flags
       ecs-compliance exec --definition ASL.json ...   run any ASL document with stubbed tasks
       ecs-compliance check [flags] FILE...            judge task definitions, templates, cdk.out in CI
       ecs-compliance fleet [flags] --out DIR          generate a realistic fleet (world + events) for tests and benchmarks
       ecs-compliance diagram [--format mermaid|dot]   draw the state machines (or --definition ASL.json...)

"ecs-compliance SUBCOMMAND -h" describes a subcommand's flags.
`

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := subcommands[args[0]]; ok {
			return cmd(args[1:], stdout, stderr)
		}
		if args[0] == "help" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		if _, err := os.Stat(args[0]); err != nil && !strings.HasPrefix(args[0], "-") && !strings.ContainsAny(args[0], "./\\") {
			fmt.Fprintf(stderr, "ecs-compliance: unknown subcommand %q\n\n%s", args[0], usage)
			return 2
		}
	}
	return runWorkflow(args, stdout, stderr)
}
