package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

const runUsage = `usage: ecs-compliance [run] [flags] EVENT.json...

Runs each event, in order and in one in-memory AWS account, where the
deployed rules send it: the Express triage (statemachine/triage.asl.json),
which claims the task and looks up its judgement, and — when the triage
starts it — the Standard workflow (statemachine/workflow.asl.json), with the
real step handlers. Events: ECS Task State Changes, and CloudTrail's
RegisterTaskDefinition ("AWS API Call via CloudTrail"). A broken event gets a
FAILED record; the others still run.

With --html FILE it also writes the execution page: one HTML file that draws
both state machines and, for each event, the path its executions took; click
a state to see its input and output. Open it in a browser.

Exit status: 0 every execution succeeded, 1 one failed, 2 bad flags, world
or policy.

flags:
`

// accountFlags are the flags run and replay share: the simulated account
// and the policy.
type accountFlags struct {
	world, policy, mode *string
}

func addAccountFlags(fl *flag.FlagSet) accountFlags {
	return accountFlags{
		world:  fl.String("world", "", "the simulated account (JSON world file); default: derived from the events"),
		policy: fl.String("policy", "", "the policy folder (default: the policies/ bundle built into this command)"),
		mode:   fl.String("mode", "audit", "audit (report only) or enforce (remediate deny-level violations)"),
	}
}

// options reads the world and the policy folder the flags name.
func (a accountFlags) options() (opts offline.Options, policyName string, err error) {
	opts = offline.Options{Mode: contract.Mode(*a.mode), Policy: policies.FS}
	policyName = builtInPolicy
	if *a.policy != "" {
		if opts.Policy, err = policyFolder("policy", *a.policy); err != nil {
			return opts, "", err
		}
		policyName = *a.policy
	}
	if *a.world != "" {
		w, err := inmemory.ReadWorldFile(*a.world)
		if err != nil {
			return opts, "", fmt.Errorf("--world: %v", err)
		}
		opts.World = &w
	}
	return opts, policyName, nil
}

// builtInPolicy names the policy built into the command in reports.
const builtInPolicy = "policies/ (built in)"

// policyFolder is the policy folder a flag (--policy, --baseline) names.
func policyFolder(flag, dir string) (fs.FS, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--%s %s: not a folder", flag, dir)
	}
	return os.DirFS(dir), nil
}

// runWorkflow is the run subcommand.
func runWorkflow(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fl.PrintDefaults()
		fmt.Fprint(stderr, "\nother subcommands: replay, check, exec, fleet, diagram (ecs-compliance help)\n")
	}
	jsonOut := fl.Bool("json", false, "print one JSON execution record per event, one per line")
	acct := addAccountFlags(fl)
	approval := fl.String("approval", "off", "off, or how the simulated approver answers: approve, reject or timeout")
	throttle := fl.Int("throttle-first", 0, "every simulated AWS call fails with a throttling error on its first `N` tries")
	verbose := fl.Bool("verbose", false, "print the steps' JSON logs to stderr")
	htmlFile := fl.String("html", "", "also write the execution page to `FILE`: the state machines drawn, each execution's path, each state's input and output (open it in a browser)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "ecs-compliance run: give at least one event file (for example test/events/ecr-service-task.json)")
		fl.Usage()
		return 2
	}

	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(logOut, nil)))

	opts, policyName, err := acct.options()
	if err != nil {
		fmt.Fprintf(stderr, "ecs-compliance run: %v\n", err)
		return 2
	}
	opts.Approval, opts.ThrottleFirst, opts.KeepHistories = *approval, *throttle, *htmlFile != ""
	events := make([]offline.Event, 0, fl.NArg())
	unreadable := map[int]error{}
	for i, name := range fl.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			// Still an event of the run: it gets a FAILED record below.
			unreadable[i], b = err, nil
		}
		events = append(events, offline.Event{Name: name, JSON: b})
	}

	r, err := offline.New(opts, events)
	if err != nil {
		fmt.Fprintf(stderr, "ecs-compliance run: %v\n", err)
		return 2
	}
	var p printer
	header := fmt.Sprintf("account %s, region %s, mode %s, approval %s, policy %s (%.12s)",
		r.Account.AccountID(), r.Account.Region(), opts.Mode, opts.Approval, policyName, r.Bundle.Hash)
	if *jsonOut {
		p = jsonPrinter{json.NewEncoder(stdout)}
	} else {
		p = &textPrinter{w: stdout, total: len(events)}
		fmt.Fprintf(stdout, "ecs-compliance local run: %s\n", header)
	}
	var html *htmlPage
	if *htmlFile != "" {
		html = &htmlPage{}
	}
	code := 0
	for i, ev := range events {
		var rec *offline.Record
		if err := unreadable[i]; err != nil {
			rec = offline.FailedRecord(ev.Name, "Local.UnreadableEvent", err.Error())
		} else {
			rec = r.Run(context.Background(), ev)
		}
		if err := p.print(rec); err != nil {
			fmt.Fprintf(stderr, "ecs-compliance run: %v\n", err)
			return 2
		}
		if html != nil {
			html.add(rec)
		}
		if rec.Status != "SUCCEEDED" {
			code = 1
		}
	}
	if html != nil {
		title := fmt.Sprintf("ecs-compliance run: %s", count(len(events), "event"))
		size, err := html.write(*htmlFile, title, []string{header})
		if err != nil {
			fmt.Fprintf(stderr, "ecs-compliance run: --html: %v\n", err)
			return 2
		}
		out := stdout
		if *jsonOut {
			out = stderr // stdout is the records
		}
		fmt.Fprintf(out, "\nexecution page: %s (%s, %s): open it in a browser\n", *htmlFile, kilobytes(size), count(len(events), "event"))
	}
	return code
}

// kilobytes writes a size for a person.
func kilobytes(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

type printer interface{ print(*offline.Record) error }

type jsonPrinter struct{ enc *json.Encoder }

func (p jsonPrinter) print(r *offline.Record) error { return p.enc.Encode(r) }
