package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// Limits of SNS Publish.
const (
	// MaxSubject: "Subjects must be ... less than 100 characters long".
	MaxSubject = 99
	// MaxBody keeps the message (with its attributes) under SNS's 256 KiB.
	MaxBody = 240 * 1024
)

// SNS message attribute data types.
const (
	TypeString      = "String"
	TypeStringArray = "String.Array"
)

// Message attribute names, for SNS subscription filter policies.
const (
	AttrSeverity = "severity" // highest severity: CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL
	AttrCluster  = "cluster"  // cluster name
	AttrService  = "service"  // service name (service tasks only)
	AttrRules    = "rules"    // rule ids (String.Array)
	AttrOutcome  = "outcome"  // REMEDIATED, REPORTED or FAILED
)

// SNSMessage is an SNS message: what the notify and report-failure steps
// publish. (Message is the function that builds one.)
type SNSMessage struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Attributes are the message attributes, by name.
	Attributes map[string]Attribute `json:"attributes"`
}

// Attribute is one SNS message attribute.
type Attribute struct {
	// DataType is "String" or "String.Array" (Value is then a JSON array).
	DataType string `json:"dataType"`
	Value    string `json:"value"`
}

// facts is everything a report says, read once from the state.
type facts struct {
	st       contract.State
	task     taskInfo
	td       *taskDefinition
	items    []item
	approval approvalInfo
	outcome  string
}

func readFacts(st contract.State, strict bool) (*facts, error) {
	t, err := readTask(st, strict)
	if err != nil {
		return nil, err
	}
	f := &facts{st: st, task: t, approval: readApproval(st.Approval), outcome: outcomeOf(st)}
	if st.Evaluation != nil {
		if f.items, err = readItems(st.Evaluation.Decision, strict); err != nil {
			return nil, err
		}
	}
	if f.td, err = readTaskDefinition(st); err != nil && strict {
		return nil, err
	}
	f.sanitize()
	return f, nil
}

// Message builds the SNS report of an evaluated task: remediated, or reported
// only (audit mode, warnings only, exempted, approval rejected or timed out).
// For a state with a failure ($.failure set) it returns FailureMessage.
func Message(st contract.State) (SNSMessage, error) {
	if len(st.Failure) > 0 {
		return FailureMessage(st)
	}
	if st.Evaluation == nil || st.Evaluation.Decision == nil {
		return SNSMessage{}, fmt.Errorf("report: the state has no decision ($.evaluation.decision): nothing to report")
	}
	f, err := readFacts(st, true)
	if err != nil {
		return SNSMessage{}, fmt.Errorf("report: %w", err)
	}
	if len(f.items) == 0 {
		return SNSMessage{}, fmt.Errorf("report: task %s is compliant (no violation, warning or exemption): nothing to report", f.task.TaskArn)
	}

	var b text
	b.line("%s", f.headline())
	b.blank()
	b.para(f.explanation())
	f.writeScope(&b)
	f.writeTask(&b)
	f.writeItems(&b)
	f.writeApproval(&b)
	f.writeDone(&b)
	f.writeRestore(&b)
	f.writePolicy(&b)
	f.writeEvent(&b)

	return SNSMessage{Subject: f.subject(), Body: b.String(), Attributes: f.attributes()}, nil
}

// FailureMessage builds the SNS report of a failed workflow: the step that
// failed, its error and cause, the actions that had already taken effect and
// what remains to check. It works with whatever the state holds (a failure in
// "Record task" leaves only the event).
func FailureMessage(st contract.State) (SNSMessage, error) {
	key, info, ok := failure(st)
	if !ok {
		return SNSMessage{}, fmt.Errorf("report: the state has no failure ($.failure): nothing failed")
	}
	f, err := readFacts(st, false)
	if err != nil {
		return SNSMessage{}, fmt.Errorf("report: %w", err)
	}
	f.outcome = OutcomeFailed
	step := StepName(key)
	errMsg, errType := lambdaCause(info.Cause)

	var b text
	b.line("ecs-compliance FAILED at %q while handling an ECS task in %s.", step, f.task.Where())
	b.blank()
	b.line("Failed step: %s", step)
	b.line("Error:       %s", cmp.Or(info.Error, "(none)"))
	if errType != "" && errType != info.Error {
		b.line("Error type:  %s", errType)
	}
	b.block("Cause:       ", cmp.Or(errMsg, "(none)"))
	// Steps that run side by side (the scaling and the stop) can both
	// fail: the others are named too.
	for _, other := range failedSteps(st)[1:] {
		msg, _ := lambdaCause(st.Failure[other].Cause)
		b.block("Also failed: ", fmt.Sprintf("%s (%s): %s", StepName(other), cmp.Or(st.Failure[other].Error, "(none)"), cmp.Or(msg, "(none)")))
	}
	b.blank()
	b.para(errorHint(info.Error, f))
	f.writeTask(&b)

	b.section("Already done (these changes took effect)")
	n := 0
	for _, a := range actions(st.Remediation) {
		if a.Changed {
			n++
			b.item(n, describeAction(a, f.task))
			b.indent(a.API + " " + a.Target)
		}
	}
	if n == 0 {
		b.line("  Nothing: no change had taken effect when the step failed.")
	}
	b.section("What to check now")
	for _, c := range f.remaining(key) {
		b.bullet(c)
	}
	if f.items != nil {
		f.writeItems(&b)
	}
	f.writeApproval(&b)
	f.writePolicy(&b)
	f.writeEvent(&b)

	subject := fmt.Sprintf("[ecs-compliance] FAILED at %s: %s", step, f.task.Where())
	return SNSMessage{Subject: cleanSubject(subject), Body: b.String(), Attributes: f.attributes()}, nil
}

// failure is the (first, in workflow order) step key of $.failure.
func failure(st contract.State) (string, contract.ErrorInfo, bool) {
	keys := failedSteps(st)
	if len(keys) == 0 {
		return "", contract.ErrorInfo{}, false
	}
	return keys[0], st.Failure[keys[0]], true
}

// failedSteps are the step keys of $.failure, in workflow order.
func failedSteps(st contract.State) []string {
	keys := make([]string, 0, len(st.Failure))
	for k := range st.Failure {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := stepIndex(a) - stepIndex(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}

var stepOrder = []string{
	contract.StepRecordTask, contract.StepLookUpJudgement, contract.StepStartWorkflow,
	contract.StepPrepare, contract.StepLoadPolicy, contract.StepDescribe, contract.StepEvaluate, contract.StepRecordJudgement,
	contract.StepApproval, contract.StepScaleService, contract.StepStopTask, contract.StepDeregister,
	contract.StepCountIncident, contract.StepReport, contract.StepReportFailure,
}

func stepIndex(key string) int {
	if i := slices.Index(stepOrder, key); i >= 0 {
		return i
	}
	return len(stepOrder)
}

// lambdaCause returns the errorMessage and errorType of a Lambda error cause
// ({"errorMessage": ..., "errorType": ..., ...}), or the cause as it is.
func lambdaCause(cause string) (msg, typ string) {
	var c struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    string  `json:"errorType"`
	}
	if err := json.Unmarshal([]byte(cause), &c); err == nil && c.ErrorMessage != nil {
		return strings.TrimSpace(*c.ErrorMessage), c.ErrorType
	}
	return strings.TrimSpace(cause), ""
}

func errorHint(name string, f *facts) string {
	switch name {
	case contract.ErrAccessDenied:
		return "The step's IAM role lacks a permission (the cause names it). Fix the role in the stack; it was not retried."
	case contract.ErrNotFound:
		return "A resource the step needs does not exist (the cause names it); it was not retried."
	case contract.ErrInvalidInput:
		return "The step rejected its input (a malformed event or state); it was not retried. Keep this message and the execution's input for the bug report."
	case contract.ErrPolicy:
		where := ""
		if f.st.Evaluation != nil && f.st.Evaluation.Policy.Path != "" {
			where = " in " + f.st.Evaluation.Policy.Path
		}
		return "The policy bundle" + where + " does not compile or its decision has the wrong shape. Test it offline (opa test, go run ./statemachine/ecs-compliance) and publish a fixed version."
	case contract.ErrTransient, "Lambda.TooManyRequestsException", "Lambda.ServiceException":
		return "AWS kept throttling or failing through all of the step's retries (6 attempts with backoff)."
	case "States.Timeout", "Sandbox.Timedout":
		return "The step timed out (after its retries)."
	default:
		return "See the cause, and the step's Lambda logs in CloudWatch for the details."
	}
}

// remaining lists what to check after a failure at step key.
func (f *facts) remaining(key string) []string {
	t := f.task
	var out []string
	idx := stepIndex(key)
	switch {
	case idx <= stepIndex(contract.StepEvaluate):
		out = append(out, "The task was not evaluated: it runs unchecked, and nothing was changed.")
	case key == contract.StepRecordJudgement:
		out = append(out, "The policy decided but the judgement was not stored: nothing was changed, its report did not go out, and the next task with the same judgement key is evaluated again.")
	case key == contract.StepCountIncident:
		out = append(out, "The remediation steps finished (see above), but the task was not counted in its incident and the report did not go out.")
	case key == contract.StepApproval:
		out = append(out, "The approval request failed: nothing was changed and the task is still running.")
	case key == contract.StepReport:
		done := "Nothing was changed (report only)"
		if len(actions(f.st.Remediation)) > 0 {
			done = "The remediation steps finished (see above)"
		}
		out = append(out, done+", but the report failed: the SNS report or the Security Hub findings may be missing. Check the topic's delivery and that Security Hub is enabled in "+cmp.Or(t.Region, "the region")+".")
	}
	if idx >= stepIndex(contract.StepScaleService) && idx <= stepIndex(contract.StepDeregister) {
		r := f.st.Remediation
		if r == nil {
			r = &contract.Remediation{}
		}
		cluster := remediate.Quote(t.Cluster)
		if t.Service != "" && r.Service == nil {
			out = append(out, fmt.Sprintf("Service %s was not scaled to zero: its scheduler replaces a task stopped by hand. Scale it with:\n"+
				"aws ecs update-service --cluster %s --service %s --desired-count 0", t.Service, cluster, remediate.Quote(t.Service)))
		}
		if r.Task == nil && t.TaskArn != "" {
			out = append(out, fmt.Sprintf("The task may still be running. Check it with:\n"+
				"aws ecs describe-tasks --cluster %s --tasks %s --query 'tasks[0].lastStatus'\n"+
				"and stop it with:\n"+
				"aws ecs stop-task --cluster %s --task %s --reason 'ecs-compliance: policy violation'",
				cluster, remediate.Quote(t.TaskID), cluster, remediate.Quote(t.TaskID)))
		}
		if r.TaskDefinition == nil && t.TaskDefinitionArn != "" {
			out = append(out, fmt.Sprintf("Task definition %s is still ACTIVE, so it can be started again. Deregister it with:\n"+
				"aws ecs deregister-task-definition --task-definition %s", t.TaskDefinition(), remediate.Quote(t.TaskDefinition())))
		}
	}
	out = append(out, f.restoreSteps()...)
	if f.st.Task != nil && f.st.Task.TaskArn != "" && !f.st.Task.Duplicate {
		out = append(out, "The task's claim in the idempotency table is released with this report, so a redelivered or later event for this task gets a new try.")
	}
	return out
}

func (f *facts) headline() string {
	where := f.task.Where()
	if f.task.Registration {
		td := f.task.TaskDefinition()
		if f.outcome == OutcomeRemediated {
			return "ecs-compliance DEREGISTERED task definition " + td + " at registration, before any task ran it."
		}
		return "ecs-compliance REPORTED task definition " + td + " at registration (nothing was changed)."
	}
	switch f.outcome {
	case OutcomeRemediated:
		return "ecs-compliance REMEDIATED a non-compliant ECS task in " + where + "."
	default:
		return "ecs-compliance REPORTED an ECS task in " + where + " (nothing was changed)."
	}
}

// explanation says what happened and why, in a sentence or three.
func (f *facts) explanation() string {
	nv, nw, ne := count(f.items, kindViolation), count(f.items, kindWarning), count(f.items, kindExempted)
	mode := contract.Mode("")
	timeout := 0
	if f.st.Evaluation != nil {
		mode, timeout = f.st.Evaluation.Mode, f.st.Evaluation.ApprovalTimeoutSeconds
	}
	noun, running := "The task", "the task is still running"
	if f.task.Registration {
		noun, running = "Task definition "+f.task.TaskDefinition(), "the task definition stays ACTIVE"
	}
	var s []string
	switch {
	case f.outcome == OutcomeRemediated:
		s = append(s, fmt.Sprintf(noun+" breaks %s enforced with deny (mode: %s), so ecs-compliance %s.",
			f.rules(kindViolation), cmp.Or(string(mode), "enforce"), f.actionSummary()))
		if f.approval.Status == contract.ApprovalApproved {
			s = append(s, "The remediation was approved"+by(f.approval.Approver)+at(f.approval.DecidedAt)+".")
		}
	case f.approval.Status == contract.ApprovalRejected:
		s = append(s, fmt.Sprintf(noun+" breaks %s enforced with deny, but the remediation was REJECTED%s%s, so nothing was changed and "+running+".",
			f.rules(kindViolation), by(f.approval.Approver), at(f.approval.DecidedAt)))
		if f.approval.Reason != "" {
			s = append(s, "Reason given: "+strings.TrimRight(f.approval.Reason, ".")+".")
		}
	case f.approval.Status == contract.ApprovalTimedOut:
		s = append(s, fmt.Sprintf(noun+" breaks %s enforced with deny, but nobody approved or rejected the remediation%s. An unanswered request does not remediate: nothing was changed and "+running+".",
			f.rules(kindViolation), within(timeout)))
	case f.approval.Status != "" && f.approval.Status != contract.ApprovalApproved:
		s = append(s, fmt.Sprintf(noun+" breaks %s enforced with deny, but the approval ended with %s, so nothing was changed and "+running+".",
			f.rules(kindViolation), f.approval.Status))
	case nv > 0 && mode == contract.ModeAudit && f.task.Registration:
		s = append(s, fmt.Sprintf(noun+" breaks %s, but the deployment runs in audit mode: ecs-compliance reports and does not act. In enforce mode it would have been deregistered before any task ran it.",
			f.rules(kindViolation)))
	case nv > 0 && mode == contract.ModeAudit:
		s = append(s, fmt.Sprintf(noun+" breaks %s, but the deployment runs in audit mode: ecs-compliance reports and does not act. In enforce mode %sthe task would have been stopped and its task definition deregistered. The task is still running.",
			f.rules(kindViolation), map[bool]string{true: "its service would have been scaled to zero, ", false: ""}[f.task.Service != ""]))
	case nv > 0:
		s = append(s, fmt.Sprintf(noun+" breaks %s, but the remediation did not run (outcome %s): nothing was changed.", f.rules(kindViolation), f.evalOutcome()))
	case nw > 0:
		s = append(s, fmt.Sprintf(noun+" breaks %s set to warn (ecs.config.enforcement): ecs-compliance reports them and does not act; "+running+".", f.rules(kindWarning)))
	default:
		s = append(s, fmt.Sprintf(noun+" breaks %s, but every violation is covered by an exemption in the policy data (ecs.config.exemptions): nothing was changed. Review the exemptions before they expire.", f.rules(kindExempted)))
	}
	if nv > 0 {
		var also []string
		if nw > 0 {
			also = append(also, plural(nw, "warning"))
		}
		if ne > 0 {
			also = append(also, plural(ne, "exempted violation"))
		}
		if len(also) > 0 {
			s = append(s, "It also has "+joinAnd(also)+", listed below.")
		}
	}
	return strings.Join(s, " ")
}

// rules counts the distinct rules of a kind of entry: "2 rules (3
// violations)" when a rule fails for several containers, else "2 rules".
func (f *facts) rules(kind string) string {
	var ids []string
	n := 0
	for _, it := range f.items {
		if it.Kind == kind {
			n++
			ids = appendNew(ids, it.Rule)
		}
	}
	if n == len(ids) {
		return plural(len(ids), "rule")
	}
	return plural(len(ids), "rule") + " (" + plural(n, map[string]string{kindViolation: "violation", kindWarning: "warning", kindExempted: "exempted violation"}[kind]) + ")"
}

func (f *facts) evalOutcome() string {
	if f.st.Evaluation == nil || f.st.Evaluation.Outcome == "" {
		return "unknown"
	}
	return string(f.st.Evaluation.Outcome)
}

// actionSummary: "scaled service web to zero, stopped the task and
// deregistered task definition web:7".
func (f *facts) actionSummary() string {
	var parts []string
	for _, a := range actions(f.st.Remediation) {
		switch {
		case a.API == contract.APIUpdateService && a.Changed:
			parts = append(parts, "scaled service "+f.task.Service+" to zero")
		case a.API == contract.APIUpdateService:
			parts = append(parts, "left service "+f.task.Service+" as it was (nothing to change)")
		case a.API == contract.APIStopTask && a.Changed:
			parts = append(parts, "stopped the task")
		case a.API == contract.APIStopTask:
			parts = append(parts, "found the task already stopped")
		case a.API == contract.APIDeregisterTaskDefinition && a.Changed:
			parts = append(parts, "deregistered task definition "+f.task.TaskDefinition())
		case a.API == contract.APIDeregisterTaskDefinition:
			parts = append(parts, "found task definition "+f.task.TaskDefinition()+" already INACTIVE")
		default:
			parts = append(parts, "called "+a.API)
		}
	}
	return joinAnd(parts)
}

// writeScope says what this one message stands for: a task definition
// revision judged once under a policy version, or a remediation incident
// that later tasks of the revision join without another message.
func (f *facts) writeScope(b *text) {
	var lines []string
	td := f.task.TaskDefinition()
	switch {
	case f.st.Incident != nil:
		in := f.st.Incident
		lines = append(lines, fmt.Sprintf("Remediation incident %s: task definition %s under this policy version, %s so far (since %s).",
			in.ID, td, plural(in.Tasks, "task"), cmp.Or(in.FirstAt, "now")),
			"Every later task that starts from this revision is stopped the same way without another message; the Security Hub findings count them.")
	case f.st.Judgement != nil && f.outcome == OutcomeReported:
		lines = append(lines, fmt.Sprintf("Task definition %s was judged under this policy version; this is its report. Later tasks with the same judgement (revision, tags, service, task-level fields) are not evaluated or reported again; a new message comes when what the revision is flagged for changes.", td))
	}
	if f.task.Registration {
		lines = append(lines, "Judged at registration (CloudTrail's RegisterTaskDefinition), before any task ran it; its first tasks need no new evaluation.")
	}
	if len(lines) == 0 {
		return
	}
	b.section("Scope")
	for _, l := range lines {
		b.block("  ", l)
	}
}

func (f *facts) writeTask(b *text) {
	t := f.task
	if t.Registration {
		b.section("Task definition")
		b.field("Task definition", cmp.Or(t.TaskDefinition(), "(unknown)"))
		if t.TaskDefinitionArn != "" && t.TaskDefinitionArn != t.TaskDefinition() {
			b.more(t.TaskDefinitionArn)
		}
		if f.td != nil {
			for i, c := range f.td.ContainerDefinitions {
				b.field(map[bool]string{true: "Containers"}[i == 0], c.Name+": "+c.Image)
			}
		}
		if t.RegisteredBy != "" {
			b.field("Registered by", t.RegisteredBy)
		}
		if t.Account != "" || t.Region != "" {
			b.field("Account", strings.TrimSuffix(t.Account+" / "+t.Region, " / "))
		}
		return
	}
	b.section("Task")
	b.field("Cluster", cmp.Or(t.Cluster, "(unknown)"))
	if t.Service != "" {
		b.field("Service", t.Service)
		b.more(t.ServiceArn())
	} else if t.Group != "" {
		b.field("Service", "none (standalone task, group "+t.Group+")")
	}
	b.field("Task", cmp.Or(t.TaskID, "(unknown)"))
	if t.TaskArn != "" && t.TaskArn != t.TaskID {
		b.more(t.TaskArn)
	}
	b.field("Task definition", cmp.Or(t.TaskDefinition(), "(unknown)"))
	if t.TaskDefinitionArn != "" && t.TaskDefinitionArn != t.TaskDefinition() {
		b.more(t.TaskDefinitionArn)
	}
	if len(t.Containers) > 0 {
		for i, c := range t.Containers {
			label := ""
			if i == 0 {
				label = "Containers"
			}
			b.field(label, c.Name+": "+c.Image)
		}
	}
	if t.Account != "" || t.Region != "" {
		b.field("Account", strings.TrimSuffix(t.Account+" / "+t.Region, " / "))
	}
	if t.LaunchType != "" {
		b.field("Launch type", t.LaunchType)
	}
	if t.StartedBy != "" {
		b.field("Started by", t.StartedBy)
	}
	if t.FirstSeen != "" {
		b.field("First seen", t.FirstSeen)
	}
}

func (f *facts) writeItems(b *text) {
	for _, l := range []struct{ kind, title string }{
		{kindViolation, "Violations"},
		{kindWarning, "Warnings"},
		{kindExempted, "Exempted"},
	} {
		n := count(f.items, l.kind)
		if n == 0 {
			continue
		}
		b.section(fmt.Sprintf("%s (%d)", l.title, n))
		i := 0
		for _, it := range f.items {
			if it.Kind != l.kind {
				continue
			}
			i++
			head := "[" + it.Severity + "] " + it.Rule
			if it.Title != "" {
				head += ": " + it.Title
			}
			b.item(i, head)
			if it.Container != "" {
				c := "Container: " + it.Container
				if img := f.task.image(it.Container, f.td); img != "" {
					c += " (" + img + ")"
				}
				b.indent(c)
			} else {
				b.indent("Scope: the whole task")
			}
			if it.Message != "" {
				b.indent(it.Message)
			}
			if it.Remediation != "" {
				b.indent("Fix: " + it.Remediation)
			}
			if len(it.Controls) > 0 {
				b.indent("Controls: " + strings.Join(it.Controls, "; "))
			}
			if e := it.Exemption; e != nil {
				s := "Exempted: " + cmp.Or(e.Reason, "(no reason given)")
				if e.Expires != "" {
					s += " (expires " + e.Expires + ")"
				}
				b.indent(s)
			}
		}
	}
}

func (f *facts) writeApproval(b *text) {
	a := f.approval
	if a.Status == "" {
		return
	}
	b.section("Approval")
	switch a.Status {
	case contract.ApprovalApproved:
		b.field("Decision", "APPROVED"+by(a.Approver)+at(a.DecidedAt))
	case contract.ApprovalRejected:
		b.field("Decision", "REJECTED"+by(a.Approver)+at(a.DecidedAt))
	case contract.ApprovalTimedOut:
		timeout := 0
		if f.st.Evaluation != nil {
			timeout = f.st.Evaluation.ApprovalTimeoutSeconds
		}
		b.field("Decision", "TIMED OUT: no answer"+within(timeout)+"; the default is not to remediate")
	default:
		b.field("Decision", a.Status)
	}
	if a.Reason != "" {
		b.field("Reason", a.Reason)
	}
	if a.Cause != "" {
		b.field("Detail", a.Cause)
	}
}

func (f *facts) writeDone(b *text) {
	b.section("What was done")
	acts := actions(f.st.Remediation)
	if len(acts) == 0 {
		b.line("  Nothing: no ECS resource was changed.")
		return
	}
	for i, a := range acts {
		b.item(i+1, describeAction(a, f.task))
		b.indent(a.API + " " + a.Target)
	}
}

// describeAction is one line saying what a remediation step did.
func describeAction(a contract.ActionResult, t taskInfo) string {
	var s string
	switch a.API {
	case contract.APIUpdateService:
		name := cmp.Or(t.Service, a.Target)
		if a.Changed {
			s = "Scaled service " + name + " to 0 tasks"
			if a.PreviousDesiredCount != nil {
				s += fmt.Sprintf(" (desired count was %d)", *a.PreviousDesiredCount)
			}
		} else {
			s = "Service " + name + ": nothing to change"
		}
	case contract.APIStopTask:
		if a.Changed {
			s = "Stopped task " + cmp.Or(t.TaskID, a.Target)
		} else {
			s = "Task " + cmp.Or(t.TaskID, a.Target) + ": nothing to change"
		}
	case contract.APIDeregisterTaskDefinition:
		if a.Changed {
			s = "Deregistered task definition " + cmp.Or(t.TaskDefinition(), a.Target) + "; it is now INACTIVE"
		} else {
			s = "Task definition " + cmp.Or(t.TaskDefinition(), a.Target) + ": nothing to change"
		}
	default:
		s = fmt.Sprintf("%s %s (changed: %t)", a.API, a.Target, a.Changed)
	}
	switch a.Reason {
	case contract.ReasonUnverifiedMembership:
		s = "Service " + cmp.Or(t.Service, a.Target) + " was NOT scaled: ECS does not confirm that the task belongs to it (its group is not proof)"
	case contract.ReasonSharedWithExcluded:
		s = "Task definition " + cmp.Or(t.TaskDefinition(), a.Target) + " was NOT deregistered: it is used by what the deployment excludes (" +
			strings.Join(safeList(a.SharedWith), ", ") + ")"
	}
	if st := a.ScalableTarget; st != nil && st.Changed {
		s += "; suspended its Application Auto Scaling target " + safe.Line(st.ResourceID) + " (it was " + remediate.DescribeScaling(st.Previous) +
			"; now " + remediate.DescribeScaling(st.Now) + ")"
	}
	if a.Detail != "" {
		s += " - " + safe.Line(a.Detail)
	}
	return s
}

func safeList(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = safe.Line(s)
	}
	return out
}

func (f *facts) writeRestore(b *text) {
	t := f.task
	acts := actions(f.st.Remediation)
	if f.outcome != OutcomeRemediated || len(acts) == 0 {
		b.section("How to fix")
		if count(f.items, kindExempted) == len(f.items) {
			b.block("  ", "Nothing is required while the exemptions hold. When one expires the rule applies again: fix the task definition (see Fix above) before then.")
			return
		}
		if t.Registration {
			b.block("  ", "The task definition stays ACTIVE. Fix it (see Fix under each entry above) and register the fixed revision; tasks started from this revision get the same judgement.")
			return
		}
		b.block("  ", "The task is still running as it was. Fix the task definition (see Fix under each entry above), register the fixed revision and deploy it; the next task started from it is evaluated again.")
		return
	}
	b.section("How to restore")
	if t.Registration {
		file := cmp.Or(t.Family, "task-definition") + ".json"
		b.item(1, fmt.Sprintf("Task definition %s is INACTIVE, and a deregistered revision cannot be reactivated; no task ran it. Register a fixed revision:\n"+
			"aws ecs describe-task-definition --task-definition %s --query taskDefinition > %s\n"+
			"fix what the entries above name, delete the read-only fields (%s), then:\n"+
			"aws ecs register-task-definition --cli-input-json file://%s",
			t.TaskDefinition(), remediate.Quote(t.TaskDefinition()), file, remediate.ReadOnlyTaskDefinitionFields, file))
		return
	}
	lines := f.restoreSteps()
	if len(lines) == 0 {
		lines = append(lines, "Nothing was changed that needs restoring: fix the task definition (see Fix under each entry above) and register the fixed revision.")
	}
	for i, l := range lines {
		b.item(i+1, l)
	}
}

// safeTask is $.task with the values the reports show made safe (what
// restore commands quote).
func (f *facts) safeTask() *contract.Task {
	t := f.task
	return &contract.Task{TaskArn: t.TaskArn, ClusterArn: t.ClusterArn, Cluster: t.Cluster, TaskDefinitionArn: t.TaskDefinitionArn,
		Family: t.Family, Revision: t.Revision, Group: t.Group, Service: t.Service, Account: t.Account, Region: t.Region}
}

// restoreSteps say how to undo what the remediation changed
// (remediate.RestoreCommands), one item each: its text, then its commands.
func (f *facts) restoreSteps() []string {
	var lines []string
	for _, s := range remediate.RestoreCommands(f.safeTask(), f.st.Remediation) {
		lines = append(lines, strings.Join(append([]string{s.Text}, s.Commands...), "\n"))
	}
	return lines
}

func (f *facts) writePolicy(b *text) {
	ev := f.st.Evaluation
	if ev == nil || (ev.Policy.Hash == "" && ev.Policy.Path == "") {
		return
	}
	b.section("Policy")
	if ev.Policy.Path != "" {
		b.field("Path", ev.Policy.Path)
	}
	if ev.Policy.Hash != "" {
		b.field("Hash", "sha256:"+ev.Policy.Hash)
	}
	names := make([]string, 0, len(ev.Policy.Versions))
	for k := range ev.Policy.Versions {
		names = append(names, k)
	}
	slices.Sort(names)
	for i, k := range names {
		label := ""
		if i == 0 {
			label = "Versions"
		}
		b.field(label, fmt.Sprintf("%s v%d", k, ev.Policy.Versions[k]))
	}
	if ev.Mode != "" {
		b.field("Mode", string(ev.Mode))
	}
}

func (f *facts) writeEvent(b *text) {
	if f.st.ID == "" && f.st.Time == "" {
		return
	}
	b.blank()
	b.line("Event %s (%s, %s)", cmp.Or(f.st.ID, "-"), cmp.Or(f.st.DetailType, "-"), cmp.Or(f.st.Time, "-"))
}

func (f *facts) subject() string {
	var counts []string
	for _, k := range []struct {
		kind, one string
	}{{kindViolation, "violation"}, {kindWarning, "warning"}, {kindExempted, "exempted"}} {
		if n := count(f.items, k.kind); n > 0 && k.kind == kindExempted {
			counts = append(counts, fmt.Sprintf("%d exempted", n))
		} else if n > 0 {
			counts = append(counts, plural(n, k.one))
		}
	}
	qual := ""
	switch {
	case f.outcome == OutcomeRemediated:
	case f.approval.Status == contract.ApprovalRejected:
		qual = " (approval rejected)"
	case f.approval.Status == contract.ApprovalTimedOut:
		qual = " (approval timed out)"
	case count(f.items, kindViolation) > 0 && f.st.Evaluation != nil && f.st.Evaluation.Mode == contract.ModeAudit:
		qual = " (audit mode)"
	}
	head := fmt.Sprintf("[ecs-compliance] %s %s%s", f.outcome, highest(f.items), qual)
	return fitSubject(head+": "+strings.Join(counts, ", ")+" in "+f.task.Where(), head+": "+f.task.Where())
}

// fitSubject is the first candidate that fits an SNS subject as it is, or
// the last one cut to fit.
func fitSubject(candidates ...string) string {
	for _, c := range candidates {
		if s := sanitizeSubject(c); len(s) <= MaxSubject {
			return s
		}
	}
	return cleanSubject(candidates[len(candidates)-1])
}

func (f *facts) attributes() map[string]Attribute {
	attrs := map[string]Attribute{AttrOutcome: {DataType: TypeString, Value: f.outcome}}
	if s := highest(f.items); s != "" {
		attrs[AttrSeverity] = Attribute{DataType: TypeString, Value: s}
	}
	if f.task.Cluster != "" {
		attrs[AttrCluster] = Attribute{DataType: TypeString, Value: f.task.Cluster}
	}
	if f.task.Service != "" {
		attrs[AttrService] = Attribute{DataType: TypeString, Value: f.task.Service}
	}
	if ids := ruleIDs(f.items); len(ids) > 0 {
		b, _ := json.Marshal(ids) // []string always marshals
		attrs[AttrRules] = Attribute{DataType: TypeStringArray, Value: string(b)}
	}
	return attrs
}

// cleanSubject makes s a valid SNS subject: printable ASCII, no line breaks,
// at most MaxSubject characters.
func cleanSubject(s string) string {
	out := sanitizeSubject(s)
	if len(out) > MaxSubject {
		out = out[:MaxSubject-3] + "..."
	}
	return out
}

// sanitizeSubject replaces line breaks and tabs with spaces and non-ASCII
// characters with "?", and drops other control characters.
func sanitizeSubject(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case r >= utf8.RuneSelf:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func by(who string) string {
	if who == "" {
		return ""
	}
	return " by " + who
}

func at(when string) string {
	if when == "" {
		return ""
	}
	return " at " + when
}

func within(seconds int) string {
	if seconds <= 0 {
		return ""
	}
	return " within " + duration(seconds)
}

// duration: 86400 -> "24h", 5400 -> "90m", 45 -> "45s".
func duration(seconds int) string {
	switch {
	case seconds%3600 == 0:
		return strconv.Itoa(seconds/3600) + "h"
	case seconds%60 == 0:
		return strconv.Itoa(seconds/60) + "m"
	default:
		return strconv.Itoa(seconds) + "s"
	}
}
