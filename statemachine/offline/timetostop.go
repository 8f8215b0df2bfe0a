package offline

import (
	"strconv"
	"strings"
	"time"
)

// StopPath is how far an event's task was from being stopped: the Lambda
// invocations and the state transitions that ran one after the other
// between the event and the invocation that calls StopTask, that one
// included, counted from the executions' histories (the record's
// timeline). The triage counts up to its Start compliance workflow (the
// workflow starts there; what the triage does after it is not on the way);
// a Parallel's branches run side by side, so a finished Parallel counts as
// its longest branch, and inside the branch that stops the task only what
// came before the stop counts. A retry is one more invocation and one more
// transition on the way.
type StopPath struct {
	// Invocations are the sequential Lambda invocations, the stop's
	// included; Transitions the states entered on the way (both machines:
	// the triage's are not billed, they still take time).
	Invocations, Transitions int
	// Triage is how many of the invocations the triage made.
	Triage int
	// HandlerTime is the sum of the handlers' times of every Lambda the
	// event's executions invoked (the whole remediation and its report, not
	// only the way to the stop).
	HandlerTime time.Duration
}

// PathToStop measures rec's path to its StopTask (see StopPath); ok is false
// when no step of rec stopped a task.
func (r *Runner) PathToStop(rec *Record) (path StopPath, ok bool) {
	stopArn := r.functionArn("stop-task")
	kind := func(machine, state string) (lambda, stop bool) {
		def := r.workflow
		if machine == "triage" {
			def = r.triage
		}
		s := def.State(state)
		if s == nil || s.Type != "Task" || !strings.HasPrefix(s.Resource, "arn:aws:lambda:") {
			return false, false
		}
		return true, s.Resource == stopArn
	}
	var triage, workflow []StepTiming
	for _, s := range rec.Steps {
		if lambda, _ := kind(s.Machine, s.State); lambda {
			path.HandlerTime += s.Duration
		}
		if s.Machine == "triage" {
			triage = append(triage, s)
		} else {
			workflow = append(workflow, s)
		}
	}
	// The workflow's steps, by scope, and where the task was stopped.
	byScope := map[string][]StepTiming{}
	stopScope, stopAt := "", -1
	for _, s := range workflow {
		byScope[s.Scope] = append(byScope[s.Scope], s)
		if _, stop := kind("workflow", s.State); stop && stopAt < 0 {
			stopScope, stopAt = s.Scope, len(byScope[s.Scope])-1
		}
	}
	if stopAt < 0 {
		return StopPath{HandlerTime: path.HandlerTime}, false
	}
	// The triage, up to the state that starts the workflow.
	for _, s := range triage {
		if s.Scope != "" {
			continue // the triage has no Parallel; a branch would not be on the way
		}
		path.Transitions += 1 + s.Retries
		if lambda, _ := kind("triage", s.State); lambda {
			path.Invocations += 1 + s.Retries
		}
		if st := r.triage.State(s.State); st != nil && strings.HasPrefix(st.Resource, "arn:aws:states:::states:startExecution") {
			break
		}
	}
	path.Triage = path.Invocations

	// count is the sequential cost of steps (one scope's, in order): a
	// Parallel counts as its longest branch.
	var count func(scope string, steps []StepTiming) (inv, tr int)
	count = func(scope string, steps []StepTiming) (inv, tr int) {
		for _, s := range steps {
			tr += 1 + s.Retries
			if lambda, _ := kind("workflow", s.State); lambda {
				inv += 1 + s.Retries
			}
			longestInv, longestTr := 0, 0
			for b := 0; ; b++ {
				branch := branchScope(scope, s.State, b)
				steps, ok := byScope[branch]
				if !ok {
					break
				}
				i, t := count(branch, steps)
				longestInv, longestTr = max(longestInv, i), max(longestTr, t)
			}
			inv, tr = inv+longestInv, tr+longestTr
		}
		return inv, tr
	}
	// The stop's own scope up to the stop, then each enclosing scope up to
	// the Parallel that holds it (that Parallel's state included).
	inv, tr := count(stopScope, byScope[stopScope][:stopAt+1])
	for scope := stopScope; scope != ""; {
		parent, parallel := splitScope(scope)
		steps := byScope[parent]
		at := -1
		for i, s := range steps {
			if s.State == parallel {
				at = i
			}
		}
		i, t := count(parent, steps[:max(at, 0)])
		inv, tr = inv+i, tr+t+1 // +1: entering the Parallel
		scope = parent
	}
	path.Invocations += inv
	path.Transitions += tr
	return path, true
}

// branchScope is the scope of branch b of the Parallel named state in scope.
func branchScope(scope, state string, b int) string {
	s := state + "/" + strconv.Itoa(b)
	if scope != "" {
		s = scope + "/" + s
	}
	return s
}

// splitScope is a branch scope's enclosing scope and the Parallel (or Map)
// it is a branch of: "P/0" is ("", "P"); "P/0/Q/1" is ("P/0", "Q").
func splitScope(scope string) (parent, state string) {
	parts := strings.Split(scope, "/")
	if len(parts) < 2 {
		return "", scope
	}
	return strings.Join(parts[:len(parts)-2], "/"), parts[len(parts)-2]
}
