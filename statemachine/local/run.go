package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

const runUsage = `usage: go run ./statemachine/local [flags] EVENT.json...

Runs the deployed workflow (statemachine/workflow.asl.json) on each ECS task
event, in order, with the real step handlers, against an in-memory AWS account.

flags:
`

// runWorkflow is the executor's main command. Exit codes: 0 every execution
// succeeded, 1 one failed, 2 bad flags or input files.
func runWorkflow(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("local", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fl.PrintDefaults()
		fmt.Fprint(stderr, "\nsubcommand:\n  exec --definition ASL.json --input INPUT.json [--stubs STUBS.json]   run any ASL document with stubbed tasks\n")
	}
	jsonOut := fl.Bool("json", false, "print one JSON execution record per event, one per line")
	worldFile := fl.String("world", "", "the simulated account (JSON world file); default: derived from the events")
	policyDir := fl.String("policy", "", "the policy folder (default: the policies/ bundle built into this command)")
	mode := fl.String("mode", "audit", "audit (report only) or enforce (remediate deny-level violations)")
	approval := fl.String("approval", "off", "off, or how the simulated approver answers: approve, reject or timeout")
	throttle := fl.Int("throttle-first", 0, "every simulated AWS call fails with a throttling error on its first `N` tries")
	verbose := fl.Bool("verbose", false, "print the steps' JSON logs to stderr")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "local: give at least one event file (for example test/events/ecr-service-task.json)")
		fl.Usage()
		return 2
	}

	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(logOut, nil)))

	opts := offline.Options{
		Mode:          contract.Mode(*mode),
		Approval:      *approval,
		ThrottleFirst: *throttle,
		Policy:        policies.FS,
	}
	policyName := "policies/ (built in)"
	if *policyDir != "" {
		if st, err := os.Stat(*policyDir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "local: --policy %s: not a folder\n", *policyDir)
			return 2
		}
		opts.Policy, policyName = os.DirFS(*policyDir), *policyDir
	}
	if *worldFile != "" {
		w, err := inmemory.ReadWorldFile(*worldFile)
		if err != nil {
			fmt.Fprintf(stderr, "local: --world: %v\n", err)
			return 2
		}
		opts.World = &w
	}
	var events []offline.Event
	for _, name := range fl.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "local: %v\n", err)
			return 2
		}
		events = append(events, offline.Event{Name: name, JSON: b})
	}

	r, err := offline.New(opts, events)
	if err != nil {
		fmt.Fprintf(stderr, "local: %v\n", err)
		return 2
	}
	var p printer
	if *jsonOut {
		p = jsonPrinter{json.NewEncoder(stdout)}
	} else {
		p = &textPrinter{w: stdout, total: len(events)}
		fmt.Fprintf(stdout, "ecs-compliance local run: account %s, region %s, mode %s, approval %s, policy %s (%.12s)\n",
			r.Account.AccountID(), r.Account.Region(), opts.Mode, opts.Approval, policyName, r.Bundle.Hash)
	}
	code := 0
	for _, ev := range events {
		rec, err := r.Run(context.Background(), ev)
		if err != nil {
			fmt.Fprintf(stderr, "local: %v\n", err)
			return 2
		}
		if err := p.print(rec); err != nil {
			fmt.Fprintf(stderr, "local: %v\n", err)
			return 2
		}
		if rec.Status != "SUCCEEDED" {
			code = 1
		}
	}
	return code
}

type printer interface{ print(*offline.Record) error }

type jsonPrinter struct{ enc *json.Encoder }

func (p jsonPrinter) print(r *offline.Record) error { return p.enc.Encode(r) }
