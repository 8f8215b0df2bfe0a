// Package replay runs recorded events — an EventBridge archive, a log
// export, a generated fleet — through the same triage and workflow as the
// local executor, as one simulated account, and sums up what they cost and
// flagged: how many task starts, duplicates and judgements, Standard
// executions and transitions, Express requests, Lambda invocations, SNS
// messages and Security Hub findings, what that costs at list prices, and
// which rules flagged how many tasks. With a baseline policy it also lists
// what a candidate policy newly flags and stops flagging, per task
// definition and rule — a month of events, judged before enforcing.
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// WorldFile is the name of a world file in a folder of events (as
// `ecs-compliance fleet` writes one): Read skips it, and FindWorld finds it.
const WorldFile = "world.json"

// FindWorld is the world file of the first folder among paths that has one
// ("" when none does).
func FindWorld(paths []string) string {
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			w := filepath.Join(p, WorldFile)
			if st, err := os.Stat(w); err == nil && st.Mode().IsRegular() {
				return w
			}
		}
	}
	return ""
}

// BadLine is an input line (or file) that is not an event.
type BadLine struct {
	Where string `json:"where"` // file:line
	Error string `json:"error"`
}

// maxLine bounds one JSON line (EventBridge events are at most 256 KiB).
const maxLine = 1 << 20

// Read reads events from files and folders: a file holds one JSON event, a
// JSON array of events, or JSON lines (one event per line, as an
// EventBridge archive or a log export gives them; text before a line's
// first "{" — a log timestamp — is skipped). Folders are read recursively,
// in name order, skipping a world file (WorldFile). A line that is not an
// event is returned in bad, never fatal; a path that cannot be read is an
// error.
func Read(paths []string) (events []offline.Event, bad []BadLine, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			ev, b, err := readFile(p)
			if err != nil {
				return nil, nil, err
			}
			events, bad = append(events, ev...), append(bad, b...)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") && d.Name() != WorldFile {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			ev, b, err := readFile(f)
			if err != nil {
				return nil, nil, err
			}
			events, bad = append(events, ev...), append(bad, b...)
		}
	}
	return events, bad, nil
}

func readFile(path string) ([]offline.Event, []BadLine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	trimmed := bytes.TrimSpace(b)
	// A whole file that is one object or an array of objects.
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		var list []json.RawMessage
		if trimmed[0] == '[' && json.Unmarshal(trimmed, &list) == nil {
			var out []offline.Event
			var bad []BadLine
			for i, e := range list {
				name := fmt.Sprintf("%s[%d]", path, i)
				if bytes.HasPrefix(bytes.TrimSpace(e), []byte("{")) {
					out = append(out, offline.Event{Name: name, JSON: e})
				} else {
					bad = append(bad, BadLine{Where: name, Error: "not a JSON object"})
				}
			}
			return out, bad, nil
		}
		if trimmed[0] == '{' && json.Valid(trimmed) {
			return []offline.Event{{Name: path, JSON: trimmed}}, nil, nil
		}
	}
	return readLines(path, b)
}

// readLines reads JSON lines. A line longer than maxLine is a bad line, and
// the lines after it are read.
func readLines(path string, b []byte) ([]offline.Event, []BadLine, error) {
	var out []offline.Event
	var bad []BadLine
	n := 0
	for raw := range bytes.Lines(b) {
		n++
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, n)
		if len(line) > maxLine {
			bad = append(bad, BadLine{Where: where, Error: fmt.Sprintf("a line of %d bytes: longer than an event can be", len(line))})
			continue
		}
		if i := bytes.IndexByte(line, '{'); i > 0 {
			line = line[i:]
		}
		if len(line) == 0 || line[0] != '{' || !json.Valid(line) {
			bad = append(bad, BadLine{Where: where, Error: "not a JSON event"})
			continue
		}
		out = append(out, offline.Event{Name: where, JSON: bytes.Clone(line)})
	}
	return out, bad, nil
}

// Summary is a replay's counters, cost and findings.
type Summary struct {
	Mode                string `json:"mode"`
	Events              int    `json:"events"`
	BadLines            int    `json:"badLines"`
	Filtered            int    `json:"filtered"`
	Failed              int    `json:"failed"`
	TaskStarts          int    `json:"taskStarts"`
	Registrations       int    `json:"registrations"`
	Duplicates          int    `json:"duplicates"`
	Judgements          int    `json:"judgements"`
	StandardExecutions  int    `json:"standardExecutions"`
	StandardTransitions int    `json:"standardTransitions"`
	ExpressRequests     int    `json:"expressRequests"`
	LambdaInvocations   int    `json:"lambdaInvocations"`
	SNSPublishes        int    `json:"snsPublishes"`
	FindingsImported    int    `json:"findingsImported"`
	DistinctFindings    int    `json:"distinctFindings"`
	ViolatingTasks      int    `json:"violatingTasks"`
	Remediations        int    `json:"remediations"`
	// Incidents are the distinct remediation incidents (a revision
	// remediated under a policy version), enforce mode only.
	Incidents int            `json:"incidents"`
	ByRule    map[string]int `json:"byRule"`
	// TaskDefinitions is how many revisions were judged, WithFindings how
	// many of them had a finding, FlaggedPairs the (revision, rule) pairs.
	TaskDefinitions             int     `json:"taskDefinitions"`
	TaskDefinitionsWithFindings int     `json:"taskDefinitionsWithFindings"`
	FlaggedPairs                int     `json:"flaggedPairs"`
	CostUSD                     Cost    `json:"costUSD"`
	Seconds                     float64 `json:"seconds"`
	EventsPerSecond             float64 `json:"eventsPerSecond"`
	// Baseline is the comparison with the baseline policy (--baseline).
	Baseline *Diff `json:"baseline,omitempty"`
	// Errors are the first failures (event and error), for the reader.
	Errors []BadLine `json:"errors,omitempty"`
}

// maxErrors bounds Summary.Errors.
const maxErrors = 20

// Counter sums records up.
type Counter struct {
	s          Summary
	tasks      map[string]bool
	violating  map[string]bool
	remediated map[string]bool
	byRule     map[string]map[string]bool // rule → tasks
	findings   map[string]bool
	flagged    Flags
	judged     map[string]bool // task definitions judged
	incidents  map[string]bool
}

// NewCounter starts a count in a mode.
func NewCounter(mode contract.Mode) *Counter {
	return &Counter{s: Summary{Mode: string(mode), ByRule: map[string]int{}}, tasks: map[string]bool{}, violating: map[string]bool{},
		remediated: map[string]bool{}, byRule: map[string]map[string]bool{}, findings: map[string]bool{},
		flagged: Flags{}, judged: map[string]bool{}, incidents: map[string]bool{}}
}

// Flags are, per task definition, the rules that flag it: violations and
// warnings as "RULE", exempted findings as "RULE (exempted)" (an exemption
// is a finding a person must keep an eye on: it counts among the task
// definitions with findings, and a baseline comparison shows it).
type Flags map[string]map[string]bool

func (f Flags) add(td, rule string) {
	if f[td] == nil {
		f[td] = map[string]bool{}
	}
	f[td][rule] = true
}

// Add counts one record.
func (c *Counter) Add(r *offline.Record) {
	s := &c.s
	s.Events++
	switch {
	case r.Filtered != "":
		s.Filtered++
	case r.Status != "SUCCEEDED":
		s.Failed++
		if len(s.Errors) < maxErrors {
			s.Errors = append(s.Errors, BadLine{Where: r.Event, Error: strings.TrimSpace(r.Error + ": " + r.Cause)})
		}
	}
	b := r.Billing
	s.StandardExecutions += b.StandardExecutions
	s.StandardTransitions += b.StandardTransitions
	s.ExpressRequests += b.ExpressRequests
	s.LambdaInvocations += b.LambdaInvocations
	s.SNSPublishes += b.SNSPublishes
	s.FindingsImported += b.FindingsImported
	if r.Judged != nil {
		s.Judgements++
	}
	for _, f := range r.Findings {
		var id struct {
			ID string `json:"Id"`
		}
		if json.Unmarshal(f, &id) == nil && id.ID != "" {
			c.findings[id.ID] = true
		}
	}
	t := r.Task
	if t == nil {
		return
	}
	if t.Duplicate { // a later event of a task or a redelivered registration
		s.Duplicates++
	}
	if t.Kind == contract.KindRegistration {
		if !t.Duplicate {
			s.Registrations++
		}
	} else {
		c.tasks[t.TaskArn] = true
	}
	if r.Decision == nil {
		return
	}
	c.judged[t.TaskDefinitionArn] = true
	subject := t.TaskArn
	if subject == "" {
		subject = t.TaskDefinitionArn
	}
	d := r.Decision
	if len(d.Violations) > 0 {
		c.violating[subject] = true
	}
	for _, l := range [][]contract.Violation{d.Violations, d.Warnings} {
		for _, v := range l {
			c.flagged.add(t.TaskDefinitionArn, v.Rule)
			if c.byRule[v.Rule] == nil {
				c.byRule[v.Rule] = map[string]bool{}
			}
			c.byRule[v.Rule][subject] = true
		}
	}
	for _, v := range d.Exempted {
		c.flagged.add(t.TaskDefinitionArn, v.Rule+" (exempted)")
	}
	if r.Incident != nil || r.Results[contract.APIStopTask].Changed {
		c.remediated[subject] = true
	}
	if r.Incident != nil {
		c.incidents[r.Incident.ID] = true
	}
}

// Summary is the count so far.
func (c *Counter) Summary() Summary {
	s := c.s
	s.TaskStarts = len(c.tasks)
	s.DistinctFindings = len(c.findings)
	s.Incidents = len(c.incidents)
	s.ViolatingTasks = len(c.violating)
	if s.Mode == string(contract.ModeEnforce) {
		s.Remediations = len(c.remediated)
	} else {
		// In audit mode: what enforce would have done.
		s.Remediations = len(c.violating)
	}
	s.ByRule = map[string]int{}
	for rule, tasks := range c.byRule {
		s.ByRule[rule] = len(tasks)
	}
	s.TaskDefinitions = len(c.judged)
	for _, rules := range c.flagged {
		if len(rules) > 0 {
			s.TaskDefinitionsWithFindings++
			s.FlaggedPairs += len(rules)
		}
	}
	s.CostUSD = CostOf(&s, ListPrices)
	return s
}

// Flags are the rules that flagged each task definition so far.
func (c *Counter) Flags() Flags { return c.flagged }

// Options configure a replay.
type Options struct {
	// Run is what offline.New takes (world, policy, mode…).
	Run offline.Options
	// Baseline is a second policy folder to compare with (nil: none).
	Baseline fs.FS
	// Progress, when set, is called now and then with the events done.
	Progress func(done, total int)
	// Workers is how many independent groups of events replay at once,
	// each in its own copy of the account (0: one per usable core). The
	// summary does not depend on it.
	Workers int
	// Records, when set, gets every record (of the policy, not the
	// baseline), in the events' order, after it is counted: the execution
	// page keeps some (with Run.KeepHistories).
	Records func(*offline.Record)
}

// Run replays the events and returns the summary (with the bad lines
// counted in).
func Run(ctx context.Context, opts Options, events []offline.Event, bad []BadLine) (Summary, error) {
	start := time.Now()
	part, n := partition(events, workers(opts.Workers))
	partitioning := time.Since(start)
	c, replaying, err := run(ctx, opts.Run, events, part, n, opts.Progress, opts.Records)
	if err != nil {
		return Summary{}, err
	}
	s := c.Summary()
	// Reading the events' groups is part of replaying; the setup (the
	// accounts, the policy's compilation) is not.
	s.Seconds = (partitioning + replaying).Seconds()
	if s.Seconds > 0 {
		s.EventsPerSecond = float64(s.Events) / s.Seconds
	}
	s.BadLines = len(bad)
	for _, b := range bad {
		if len(s.Errors) >= maxErrors {
			break
		}
		s.Errors = append(s.Errors, b)
	}
	if opts.Baseline != nil {
		bo := opts.Run
		bo.Policy, bo.KeepHistories = opts.Baseline, false
		base, _, err := run(ctx, bo, events, part, n, nil, nil)
		if err != nil {
			return Summary{}, fmt.Errorf("baseline: %w", err)
		}
		s.Baseline = Compare(base.Flags(), c.Flags())
	}
	return s, nil
}

// Diff is what a candidate policy flags differently from a baseline.
type Diff struct {
	NewlyFlagged    []Change `json:"newlyFlagged"`
	NoLongerFlagged []Change `json:"noLongerFlagged"`
}

// Change is one (task definition, rule).
type Change struct {
	TaskDefinition string `json:"taskDefinition"`
	Rule           string `json:"rule"`
}

// Compare lists the (task definition, rule) pairs flagged by the candidate
// and not the baseline, and the other way round.
func Compare(baseline, candidate Flags) *Diff {
	d := &Diff{NewlyFlagged: []Change{}, NoLongerFlagged: []Change{}}
	for td, rules := range candidate {
		for rule := range rules {
			if !baseline[td][rule] {
				d.NewlyFlagged = append(d.NewlyFlagged, Change{td, rule})
			}
		}
	}
	for td, rules := range baseline {
		for rule := range rules {
			if !candidate[td][rule] {
				d.NoLongerFlagged = append(d.NoLongerFlagged, Change{td, rule})
			}
		}
	}
	order := func(a, b Change) int {
		if c := strings.Compare(a.TaskDefinition, b.TaskDefinition); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule)
	}
	slices.SortFunc(d.NewlyFlagged, order)
	slices.SortFunc(d.NoLongerFlagged, order)
	return d
}
