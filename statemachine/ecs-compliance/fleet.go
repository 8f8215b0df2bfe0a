package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
)

const fleetUsage = `usage: ecs-compliance fleet [flags] --out DIR

Generates a realistic ECS fleet for tests and benchmarks, the same for the
same flags (--seed included), and writes it into DIR:

  DIR/world.json    the account: task definitions (ECS API JSON), services
                    with their deployments, tags — a world file for --world
  DIR/events.jsonl  the events EventBridge delivers, in delivery order, one
                    per line: ECS Task State Changes (PROVISIONING, PENDING,
                    ACTIVATING, RUNNING per task), with --stop-events the
                    stop statuses too, with --registrations CloudTrail's
                    RegisterTaskDefinition before each revision's first task

Each service has its own task definition family; a few busy services start
most of the tasks. Most task definitions have warn-level findings under the
default policy, a few are fully hardened, and --violating families run
images from Docker Hub or ghcr.io (deny-level). --rolls families register a
new revision mid-stream: the service's new deployment runs it, later tasks
use it. --redelivery events arrive twice (the copy a few positions later) and
--out-of-order of a task's adjacent events arrive swapped, as ECS and
EventBridge deliver them. 0 means none for the counts and fractions.

Replay it with:
  ecs-compliance replay --world DIR/world.json DIR/events.jsonl

Prints a one-line summary. Exit status: 0 written, 1 the files could not be
written, 2 bad flags or a fleet that cannot exist (more violating families
than families, fewer task starts than families, …).

flags:
`

// runFleet is the fleet subcommand.
func runFleet(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, fleetUsage)
		fl.PrintDefaults()
		fmt.Fprint(stderr, `
examples:
  ecs-compliance fleet --out .build/fleet
  ecs-compliance fleet --seed 7 --task-starts 5000 --standalone 4 --rolls 3 \
      --stop-events --registrations --out .build/fleet-5000
`)
	}
	seed := fl.Int64("seed", 1, "the random seed: the same flags and seed give the same files")
	services := fl.Int("services", fleet.DefaultServices, "services, each with its own task definition family")
	standalone := fl.Int("standalone", 0, "families run as standalone tasks (scheduled RunTask, group family:NAME)")
	taskStarts := fl.Int("task-starts", fleet.DefaultTaskStarts, "tasks started across the fleet (at least one per family, two per rolled family)")
	rolls := fl.Int("rolls", 0, "families that roll to a new revision mid-stream")
	violating := fl.Int("violating", fleet.DefaultViolating, "families whose images come from an unapproved registry (Docker Hub, ghcr.io)")
	redelivery := fl.Float64("redelivery", fleet.DefaultRedelivery, "fraction of events delivered a second time")
	outOfOrder := fl.Float64("out-of-order", fleet.DefaultOutOfOrder, "fraction of a task's adjacent events delivered swapped")
	stopEvents := fl.Bool("stop-events", false, "also send the stop statuses (desiredStatus STOPPED) of the tasks that stop; the deployed rule filters them out")
	registrations := fl.Bool("registrations", false, "also send CloudTrail's RegisterTaskDefinition for each revision, before its first task")
	account := fl.String("account", fleet.DefaultAccount, "the AWS account `ID` of every ARN")
	region := fl.String("region", fleet.DefaultRegion, "the AWS `Region` of every ARN")
	clusters := fl.String("clusters", strings.Join(fleet.DefaultClusters, ","), "the clusters, comma-separated (the first runs most families)")
	statuses := fl.String("statuses", strings.Join(fleet.StartStatuses, ","), "the statuses sent per task start, comma-separated, in ECS's order")
	start := fl.String("start", fleet.DefaultStart.Format(time.RFC3339), "the `time` (RFC 3339) of the span's start")
	span := fl.Duration("span", fleet.DefaultSpan, "how long the events span")
	out := fl.String("out", "", "the `folder` to write world.json and events.jsonl into (created if need be; required)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ecs-compliance fleet: "+format+"\n", a...)
		return 2
	}
	if fl.NArg() > 0 {
		return usageError("unexpected argument %q (the flags come before nothing else)", fl.Arg(0))
	}
	if *out == "" {
		return usageError("--out DIR is required")
	}
	for _, c := range []struct {
		name  string
		value int
	}{{"services", *services}, {"standalone", *standalone}, {"rolls", *rolls}, {"violating", *violating}} {
		if c.value < 0 {
			return usageError("--%s %d is negative", c.name, c.value)
		}
	}
	if *taskStarts < 1 {
		return usageError("--task-starts %d: at least one task must start", *taskStarts)
	}
	for _, c := range []struct {
		name  string
		value float64
	}{{"redelivery", *redelivery}, {"out-of-order", *outOfOrder}} {
		if !(c.value >= 0 && c.value <= 1) {
			return usageError("--%s %v is not a fraction between 0 and 1", c.name, c.value)
		}
	}
	startAt, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return usageError("--start %q is not an RFC 3339 time (2026-11-01T00:00:00Z)", *start)
	}

	// The Spec's zero means "the default"; here 0 means none.
	orNone := func(n int) int {
		if n == 0 {
			return fleet.None
		}
		return n
	}
	fractionOrNone := func(f float64) float64 {
		if f == 0 {
			return fleet.None
		}
		return f
	}
	spec := fleet.Spec{
		Seed: *seed, Account: *account, Region: *region, Clusters: splitList(*clusters),
		Services: orNone(*services), Standalone: orNone(*standalone), TaskStarts: *taskStarts,
		Rolls: orNone(*rolls), Violating: orNone(*violating),
		Redelivery: fractionOrNone(*redelivery), OutOfOrder: fractionOrNone(*outOfOrder),
		Statuses: splitList(*statuses), StopEvents: *stopEvents, Registrations: *registrations,
		Start: startAt, Span: *span,
	}
	f, err := fleet.Generate(spec)
	if err != nil {
		return usageError("%s", strings.ReplaceAll(strings.TrimPrefix(err.Error(), "fleet: "), "\n", "; "))
	}
	if err := f.WriteFiles(*out); err != nil {
		fmt.Fprintf(stderr, "ecs-compliance fleet: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s and %s: %s\n",
		filepath.Join(*out, "world.json"), filepath.Join(*out, "events.jsonl"), f.Summary())
	return 0
}

// splitList splits a comma-separated flag value, dropping empty items; nil
// when there is none (the default then applies).
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
