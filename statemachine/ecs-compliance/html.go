package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
	"github.com/ecs-compliance/ecs-compliance/statemachine/page"
)

// defaultHTMLMax is how many executions replay --html keeps by default.
const defaultHTMLMax = 200

// htmlKept says in the page which events replay --html keeps.
const htmlKept = "failed events first, then those that changed something (remediations), then those that ran the workflow, then the others, each in the order they ran"

// htmlPage collects the events' executions for --html: all of them, or
// (max > 0) at most max executions, the failed and remediating events'
// first. It keeps at most max executions per tier, so that a replay of
// many events holds few histories.
type htmlPage struct {
	max   int
	seq   int
	tiers [4][]keptRun
	// in each tier, how many executions are kept
	kept       [4]int
	events     int
	executions int
}

type keptRun struct {
	seq int
	run page.Run
}

// tier ranks a record for the page: 0 failed, 1 changed something, 2 ran
// the workflow, 3 the others.
func tier(r *offline.Record) int {
	switch {
	case r.Status != "SUCCEEDED":
		return 0
	case len(r.Actions) > 0 || r.Incident != nil:
		return 1
	case r.Billing.StandardExecutions > 0:
		return 2
	}
	return 3
}

func (h *htmlPage) add(r *offline.Record) {
	h.seq++
	h.events++
	h.executions += len(r.Executions)
	t := tier(r)
	if h.max > 0 {
		// A tier is full when the tiers before it and it hold max
		// executions: nothing after would be shown.
		before := 0
		for i := 0; i < t; i++ {
			before += h.kept[i]
		}
		if before+h.kept[t]+weight(len(r.Executions)) > h.max {
			return
		}
	}
	h.tiers[t] = append(h.tiers[t], keptRun{h.seq, pageRun(r)})
	h.kept[t] += weight(len(r.Executions))
}

// weight is what an event counts for against the maximum: its executions,
// and 1 for an event that ran none.
func weight(executions int) int { return max(1, executions) }

// runs are the events the page shows, in the order they ran.
func (h *htmlPage) runs() []page.Run {
	var chosen []keptRun
	n := 0
	for _, tier := range h.tiers {
		for _, k := range tier {
			if h.max > 0 && n+weight(len(k.run.Executions)) > h.max {
				continue
			}
			chosen = append(chosen, k)
			n += weight(len(k.run.Executions))
		}
	}
	slices.SortFunc(chosen, func(a, b keptRun) int { return a.seq - b.seq })
	out := make([]page.Run, len(chosen))
	for i, k := range chosen {
		out[i] = k.run
	}
	return out
}

// write writes the page to file and returns its size.
func (h *htmlPage) write(file, title string, notes []string) (int, error) {
	p := page.Page{Title: title, Notes: notes, Machines: graph.Deployed(), Runs: h.runs()}
	shown := 0
	for _, r := range p.Runs {
		shown += len(r.Executions)
	}
	if len(p.Runs) < h.events {
		p.Omitted = page.Omitted{Events: h.events - len(p.Runs), Executions: h.executions - shown, Kept: htmlKept}
	}
	var b bytes.Buffer
	if err := page.Write(&b, p); err != nil {
		return 0, err
	}
	if dir := filepath.Dir(file); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
	}
	return b.Len(), os.WriteFile(file, b.Bytes(), 0o644)
}

// pageRun is an event's record as the page shows it.
func pageRun(r *offline.Record) page.Run {
	run := page.Run{Event: r.Event, Status: r.Status, Summary: summary(r)}
	for _, ex := range r.Executions {
		run.Executions = append(run.Executions, page.Execution{Machine: ex.Machine, Name: ex.Name, Status: ex.Status,
			Error: ex.Error, Cause: ex.Cause, Input: ex.Input, Output: ex.Output, History: ex.History})
	}
	return run
}

// summary says in a line what an event's executions did.
func summary(r *offline.Record) string {
	var parts []string
	if t := r.Task; t != nil {
		switch {
		case t.Kind == contract.KindRegistration:
			parts = append(parts, fmt.Sprintf("registration of %s:%d", safe.Line(t.Family), t.Revision))
		case t.Service != "":
			parts = append(parts, fmt.Sprintf("task %s of service %s (%s)", shortID(t.TaskArn), safe.Line(t.Service), safe.Line(t.LastStatus)))
		default:
			parts = append(parts, fmt.Sprintf("standalone task %s (%s)", shortID(t.TaskArn), safe.Line(t.LastStatus)))
		}
		if t.Duplicate {
			parts = append(parts, "duplicate: ended in the triage")
		}
	}
	if r.Filtered != "" {
		parts = append(parts, "not delivered by the rules")
	}
	if d := r.Decision; d != nil {
		if d.Compliant {
			parts = append(parts, "compliant")
		} else {
			parts = append(parts, fmt.Sprintf("NOT compliant: %s", count(len(d.Violations), "violation")))
		}
		if r.Stored {
			parts = append(parts, "stored judgement")
		}
	}
	if r.Evaluation != nil && r.Evaluation.Outcome != "" {
		parts = append(parts, string(r.Evaluation.Outcome))
	}
	if a := r.Approval; a != nil && a.Decision != "" {
		parts = append(parts, fmt.Sprintf("%s by %s", safe.Line(a.Decision), safe.Line(a.Approver)))
	}
	if len(r.Actions) > 0 {
		apis := make([]string, len(r.Actions))
		for i, a := range r.Actions {
			apis[i] = a.API
		}
		parts = append(parts, strings.Join(apis, ", "))
	}
	if r.Error != "" {
		parts = append(parts, r.Error)
	}
	return strings.Join(parts, "; ")
}
