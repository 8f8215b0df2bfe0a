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
	"slices"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/statemachine/replay"
)

const replayUsage = `usage: ecs-compliance replay [--json] [--world F] [--policy DIR] [--baseline DIR] [--mode audit|enforce] [--html FILE [--html-max N]] EVENTS...

Replays recorded events — JSON files, JSON-lines files or folders of them, as
an EventBridge archive or a log export gives them (a folder's world.json, as
ecs-compliance fleet writes it, is its --world) — through the same triage
and workflow as run, as one simulated account, and prints what they caused:
task starts, duplicates, judgements, Standard executions and transitions,
Express requests, Lambda invocations, SNS messages, Security Hub findings,
their cost at list prices, and which rules flagged how many tasks. Lines that
are not events are counted and listed, never fatal. With --baseline DIR it
also lists what the policy (--policy) newly flags and stops flagging compared
with the baseline policy, per task definition and rule.

With --json the output is one JSON object (the summary). With --html FILE it
also writes the execution page: the state machines drawn, and at most
--html-max executions (the failed events' first, then the remediations', then
those that ran the workflow), each state's input and output on a click; the
page says how many were left out. Keeping the histories makes the replay
slower.

Exit status: 0 when every event ran (failed executions are counted in the
summary), 2 for bad flags, files, world or policy.

flags:
`

// runReplay is the replay subcommand.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, replayUsage)
		fl.PrintDefaults()
	}
	jsonOut := fl.Bool("json", false, "print the summary as one JSON object")
	acct := addAccountFlags(fl)
	baseline := fl.String("baseline", "", "a baseline policy folder to compare the policy with")
	htmlFile := fl.String("html", "", "also write the execution page to `FILE` (open it in a browser)")
	htmlMax := fl.Int("html-max", defaultHTMLMax, "the most executions the page shows (`N`): the failed events' first, then the remediations'")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "ecs-compliance replay: give at least one events file or folder")
		fl.Usage()
		return 2
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))

	if *acct.world == "" {
		// A folder written by `ecs-compliance fleet` brings its world.
		*acct.world = replay.FindWorld(fl.Args())
	}
	runOpts, policyName, err := acct.options()
	if err != nil {
		fmt.Fprintf(stderr, "ecs-compliance replay: %v\n", err)
		return 2
	}
	opts := replay.Options{Run: runOpts}
	var html *htmlPage
	if *htmlFile != "" {
		if *htmlMax < 1 {
			fmt.Fprintf(stderr, "ecs-compliance replay: --html-max %d: must be 1 or more\n", *htmlMax)
			return 2
		}
		html = &htmlPage{max: *htmlMax}
		opts.Run.KeepHistories, opts.Records = true, html.add
	}
	if *baseline != "" {
		if opts.Baseline, err = policyFolder("baseline", *baseline); err != nil {
			fmt.Fprintf(stderr, "ecs-compliance replay: %v\n", err)
			return 2
		}
	}
	events, bad, err := replay.Read(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "ecs-compliance replay: %v\n", err)
		return 2
	}
	if isTerminal(stderr) {
		opts.Progress = func(done, total int) {
			fmt.Fprintf(stderr, "\r  replaying: %d/%d events", done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	s, err := replay.Run(context.Background(), opts, events, bad)
	if err != nil {
		fmt.Fprintf(stderr, "ecs-compliance replay: %v\n", err)
		return 2
	}
	if html != nil {
		title := fmt.Sprintf("ecs-compliance replay: %s", count(s.Events, "event"))
		note := fmt.Sprintf("mode %s, policy %s; %s", s.Mode, policyName, strings.Join(fl.Args(), " "))
		size, err := html.write(*htmlFile, title, []string{note})
		if err != nil {
			fmt.Fprintf(stderr, "ecs-compliance replay: --html: %v\n", err)
			return 2
		}
		defer func() {
			out := stdout
			if *jsonOut {
				out = stderr
			}
			fmt.Fprintf(out, "\nexecution page: %s (%s, %s of %s): open it in a browser\n", *htmlFile, kilobytes(size),
				count(len(html.runs()), "event"), count(s.Events, "event"))
		}()
	}
	if *jsonOut {
		if err := json.NewEncoder(stdout).Encode(s); err != nil {
			fmt.Fprintf(stderr, "ecs-compliance replay: %v\n", err)
			return 2
		}
		return 0
	}
	printSummary(stdout, s, policyName, *baseline)
	return 0
}

// isTerminal: w is a character device (a person is watching).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func printSummary(w io.Writer, s replay.Summary, policyName, baseline string) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("ecs-compliance replay: %d events, mode %s, policy %s", s.Events, s.Mode, policyName)
	p("")
	p("  events          %8d   (%d not delivered by the rules, %d duplicates, %d failed, %d bad lines)", s.Events, s.Filtered, s.Duplicates, s.Failed, s.BadLines)
	p("  task starts     %8d   (+ %d registrations)", s.TaskStarts, s.Registrations)
	p("  judgements      %8d   over %d task definitions (%d with findings, %d task definition × rule pairs flagged)",
		s.Judgements, s.TaskDefinitions, s.TaskDefinitionsWithFindings, s.FlaggedPairs)
	p("  violating tasks %8d   remediations %d%s", s.ViolatingTasks, s.Remediations, map[bool]string{true: " (what enforce mode would do)"}[s.Mode == "audit"])
	if s.Mode != "audit" {
		p("  incidents       %8d   (task definition revisions remediated under a policy version)", s.Incidents)
	}
	p("")
	p("  Standard executions %6d   transitions %d", s.StandardExecutions, s.StandardTransitions)
	p("  Express requests    %6d", s.ExpressRequests)
	p("  Lambda invocations  %6d", s.LambdaInvocations)
	p("  SNS messages        %6d", s.SNSPublishes)
	p("  Security Hub        %6d findings imported, %d distinct", s.FindingsImported, s.DistinctFindings)
	p("")
	p("  cost  $%.6f in all, $%.2f per million task starts (list prices, us-east-1; see the README)", s.CostUSD.Total, s.CostUSD.PerMillionTaskStarts)
	if len(s.ByRule) > 0 {
		p("")
		p("  tasks flagged per rule:")
		rules := make([]string, 0, len(s.ByRule))
		for r := range s.ByRule {
			rules = append(rules, r)
		}
		slices.SortFunc(rules, func(a, b string) int {
			if c := s.ByRule[b] - s.ByRule[a]; c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, r := range rules {
			p("    %-30s %6d", r, s.ByRule[r])
		}
	}
	if d := s.Baseline; d != nil {
		p("")
		p("  compared with the baseline policy %s:", baseline)
		p("    newly flagged (%d):", len(d.NewlyFlagged))
		for _, c := range d.NewlyFlagged {
			p("      + %s  %s", c.TaskDefinition, c.Rule)
		}
		p("    no longer flagged (%d):", len(d.NoLongerFlagged))
		for _, c := range d.NoLongerFlagged {
			p("      - %s  %s", c.TaskDefinition, c.Rule)
		}
	}
	if len(s.Errors) > 0 {
		p("")
		p("  first problems:")
		for _, e := range s.Errors {
			p("    %s: %s", e.Where, e.Error)
		}
	}
	p("")
	p("  %.0f events/s", s.EventsPerSecond)
}
