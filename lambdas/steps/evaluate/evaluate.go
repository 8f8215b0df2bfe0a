// Package evaluate is the "Evaluate task against policy" step: it evaluates
// the task (the event's detail and the described task definition) against the
// policy bundle that "Load policy from Parameter Store" put in
// $.evaluation.policy, and decides the branch the workflow takes.
//
// The bundle is compiled once per content hash and the prepared query is
// reused by every later invocation of a warm Lambda (see package policy). The
// step returns the whole workflow document (its state's ResultPath is "$"):
// $.evaluation becomes the bundle without its files (path, hash and versions
// stay, so that reports say which policy decided), the decision, the mode,
// the outcome and whether a person must approve the remediation; and the raw
// task definition in $.described becomes its summary, so that neither the
// modules nor the task definition's environment values ride through the rest
// of the workflow (state size, execution history, logs).
//
// A policy that does not compile or answers in the wrong shape is a
// contract.ErrPolicy: the workflow sends it to the failure report, never to
// remediation.
package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Engine evaluates a bundle's decision for an input (policy.Engine);
// taskScoped asks for the rules a task-scoped exemption could lift too.
type Engine interface {
	Evaluate(ctx context.Context, b contract.Bundle, input any, taskScoped bool) (policy.Result, error)
}

// Handler evaluates a task against the policy.
type Handler struct {
	Engine Engine
	// Mode is audit (report only) or enforce (remediate deny-level
	// violations); empty means audit.
	Mode contract.Mode
	// Approval makes a remediation wait for a person's approval when a
	// violation's severity is in the bundle's ecs.config.approval.severities
	// (all severities when that list is empty).
	Approval bool
	// ApprovalTimeoutSeconds is how long "Wait for approval" waits.
	ApprovalTimeoutSeconds int
}

// Handle evaluates the task in st and returns the document with the new
// $.evaluation and the summarised $.described.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.State, error) {
	ev, err := h.Evaluate(ctx, st)
	if err != nil {
		return contract.State{}, err
	}
	summary, err := contract.SummarizeTaskDefinition(st.Described.TaskDefinition)
	if err != nil {
		return contract.State{}, step.Errorf(contract.ErrInvalidInput, "evaluate: $.described.taskDefinition: %v", err)
	}
	out := st
	out.Evaluation = &ev
	d := *st.Described
	d.TaskDefinition = summary
	out.Described = &d
	return out, nil
}

// Evaluate evaluates the task in st and returns the new $.evaluation.
func (h *Handler) Evaluate(ctx context.Context, st contract.State) (contract.Evaluation, error) {
	mode, err := h.mode()
	if err != nil {
		return contract.Evaluation{}, err
	}
	if h.Engine == nil {
		return contract.Evaluation{}, step.Errorf(contract.ErrFailed, "evaluate: no policy engine configured")
	}
	input, err := Input(st)
	if err != nil {
		return contract.Evaluation{}, err
	}
	bundle := st.Evaluation.Policy
	registration := st.Task != nil && st.Task.Kind == contract.KindRegistration
	res, err := h.Engine.Evaluate(ctx, bundle, input, registration)
	if err != nil {
		return contract.Evaluation{}, err
	}
	d := res.Decision
	out := contract.Evaluation{
		Policy:   contract.Bundle{Path: bundle.Path, Hash: res.Hash, Versions: bundle.Versions},
		Decision: d,
		Mode:     mode,
		Outcome:  Outcome(d, mode),
	}
	if out.Policy.Hash == "" {
		out.Policy.Hash = bundle.Hash
	}
	if registration && out.Outcome == contract.OutcomeRemediate && res.TaskScopedKnown {
		out.HoldsForEveryTask = !slices.Contains(res.TaskScopedRules, "*") && slices.ContainsFunc(d.Violations, func(v contract.Violation) bool {
			return !slices.Contains(res.TaskScopedRules, v.Rule)
		})
	}
	if h.Approval && out.Outcome == contract.OutcomeRemediate && needsApproval(d.Violations, res.ApprovalSeverities) {
		out.ApprovalRequired = true
		out.ApprovalTimeoutSeconds = h.ApprovalTimeoutSeconds
	}
	slog.InfoContext(ctx, "task evaluated",
		"taskArn", taskArn(st), "outcome", out.Outcome, "mode", mode,
		"violations", rules(d.Violations), "warnings", rules(d.Warnings), "exempted", rules(d.Exempted),
		"approvalRequired", out.ApprovalRequired, "policyHash", out.Policy.Hash)
	return out, nil
}

func (h *Handler) mode() (contract.Mode, error) {
	switch h.Mode {
	case "":
		return contract.ModeAudit, nil
	case contract.ModeAudit, contract.ModeEnforce:
		return h.Mode, nil
	default:
		return "", step.Errorf(contract.ErrFailed, "evaluate: mode %q is neither audit nor enforce", h.Mode)
	}
}

// Input is the policy input for the task in st: the event's detail as
// input.task, $.described as input.taskDefinition, input.tags and
// input.service, and the event's account, region and time as input.context.
// A registration (a task definition judged without a task) has an empty
// input.task and no input.service: task-level rules do not apply.
func Input(st contract.State) (policy.Input, error) {
	if st.Evaluation == nil || len(st.Evaluation.Policy.Files) == 0 {
		return policy.Input{}, step.Errorf(contract.ErrInvalidInput,
			"missing $.evaluation.policy.files: the Load policy from Parameter Store step puts the bundle there")
	}
	if st.Described == nil || len(st.Described.TaskDefinition) == 0 || string(st.Described.TaskDefinition) == "null" {
		return policy.Input{}, step.Errorf(contract.ErrInvalidInput,
			"missing $.described.taskDefinition: the Describe task definition step puts it there")
	}
	registration := st.Task != nil && st.Task.Kind == contract.KindRegistration
	if !registration && (len(st.Detail) == 0 || string(st.Detail) == "null") {
		return policy.Input{}, step.Errorf(contract.ErrInvalidInput, "missing $.detail: the input is not an ECS Task State Change event")
	}
	account, region := st.Account, st.Region
	if st.Task != nil {
		if account == "" {
			account = st.Task.Account
		}
		if region == "" {
			region = st.Task.Region
		}
	}
	if account == "" || region == "" {
		return policy.Input{}, step.Errorf(contract.ErrInvalidInput,
			"the event has no account or region (account %q, region %q): the policy needs them (the default approved registry is the account's ECR)",
			account, region)
	}
	if st.Time != "" {
		if _, err := time.Parse(time.RFC3339, st.Time); err != nil {
			return policy.Input{}, step.Errorf(contract.ErrInvalidInput, "the event's time %q is not RFC 3339: %v", st.Time, err)
		}
	}
	tags := st.Described.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	in := policy.Input{
		Task:           st.Detail,
		TaskDefinition: st.Described.TaskDefinition,
		Tags:           tags,
		Service:        st.Described.Service,
		Context:        policy.Context{Account: account, Region: region, Time: st.Time},
	}
	if registration {
		in.Task, in.Service = json.RawMessage(`{}`), nil
	}
	return in, nil
}

// Outcome is the branch for a decision: COMPLIANT when there is nothing at
// all to report, REMEDIATE when there are deny-level violations in enforce
// mode, REPORT otherwise (warnings, exemptions, or violations in audit mode).
func Outcome(d *contract.Decision, mode contract.Mode) contract.Outcome {
	switch {
	case len(d.Violations) > 0 && mode == contract.ModeEnforce:
		return contract.OutcomeRemediate
	case len(d.Violations) == 0 && len(d.Warnings) == 0 && len(d.Exempted) == 0:
		return contract.OutcomeCompliant
	default:
		return contract.OutcomeReport
	}
}

// needsApproval: some violation's severity is one of severities; an empty
// list means every severity.
func needsApproval(violations []contract.Violation, severities []string) bool {
	if len(violations) == 0 {
		return false
	}
	if len(severities) == 0 {
		return true
	}
	return slices.ContainsFunc(violations, func(v contract.Violation) bool {
		return slices.Contains(severities, v.Severity)
	})
}

func rules(vs []contract.Violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if !slices.Contains(out, v.Rule) {
			out = append(out, v.Rule)
		}
	}
	return out
}

func taskArn(st contract.State) string {
	if st.Task != nil {
		return st.Task.TaskArn
	}
	return ""
}

// DefaultApprovalTimeoutSeconds is how long an approval waits by default (a
// day).
const DefaultApprovalTimeoutSeconds = 86400

// maxApprovalTimeoutSeconds is the longest approval wait: 30 days, well
// inside the workflow's own TimeoutSeconds (35 days), so that a wait always
// times out into the report rather than the execution timing out first.
const maxApprovalTimeoutSeconds = 30 * 24 * 60 * 60

// FromEnv configures a Handler (without its Engine) from the Lambda's
// environment: MODE (audit | enforce, default audit), APPROVAL (off | on,
// default off) and APPROVAL_TIMEOUT_SECONDS (1 to 2592000, 30 days, default 86400).
func FromEnv(getenv func(string) string) (*Handler, error) {
	settings, err := judgement.SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	h := &Handler{Mode: settings.Mode, Approval: settings.Approval, ApprovalTimeoutSeconds: DefaultApprovalTimeoutSeconds}
	if s := strings.TrimSpace(getenv("APPROVAL_TIMEOUT_SECONDS")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxApprovalTimeoutSeconds {
			return nil, fmt.Errorf("APPROVAL_TIMEOUT_SECONDS is %q; allowed: a whole number of seconds from 1 to %d (default %d)",
				s, maxApprovalTimeoutSeconds, DefaultApprovalTimeoutSeconds)
		}
		h.ApprovalTimeoutSeconds = n
	}
	return h, nil
}
