// Package remediate is what the three remediation steps (scale service, stop
// task, deregister task definition) share, none of it an AWS call: the
// interlock that keeps them from acting on anything but an enforced,
// approved violation, the checked ARNs of the task they act on, the reason
// StopTask records, the excluded clusters and services (Exclusions), the
// steps that undo a remediation (RestoreCommands), and small helpers for
// reading AWS errors and logging a result.
//
// It imports no AWS SDK service package.
package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Subject is the task a remediation step acts on, with its ARNs checked.
type Subject struct {
	// Task is $.task.
	Task *contract.Task
	// Cluster is $.task.clusterArn, parsed.
	Cluster arn.ARN
	// Decision is $.evaluation.decision: at least one violation.
	Decision *contract.Decision
}

// Load checks that st is a state the remediation steps may act on and
// returns its subject. Everything it rejects is a contract.ErrInvalidInput:
// a state that reaches a remediation step without an enforced violation is a
// bug in the workflow or its input, and retrying it cannot help.
//
// The interlock: $.evaluation.outcome is REMEDIATE, the decision has at least
// one violation and is not compliant, and when $.evaluation.approvalRequired
// is set $.approval.decision is APPROVED. The workflow's Choice states already
// route every other case past remediation; checking again here means a
// misrouted or hand-made execution cannot stop a compliant task.
func Load(st contract.State) (Subject, error) {
	if err := enforced(st); err != nil {
		return Subject{}, err
	}
	t := st.Task
	if t == nil {
		return Subject{}, step.Errorf(contract.ErrInvalidInput,
			"missing $.task: remediation needs the result of the Record task step")
	}
	if t.Kind == contract.KindRegistration {
		// A revision judged at registration: no task, no cluster; only its
		// deregistration applies (LoadTask refuses it).
		if _, err := ecsARN("$.task.taskDefinitionArn", t.TaskDefinitionArn, "task-definition/"); err != nil {
			return Subject{}, err
		}
		return Subject{Task: t, Decision: st.Evaluation.Decision}, nil
	}
	cluster, err := ecsARN("$.task.clusterArn", t.ClusterArn, "cluster/")
	if err != nil {
		return Subject{}, err
	}
	if _, err := ecsARN("$.task.taskArn", t.TaskArn, "task/"); err != nil {
		return Subject{}, err
	}
	if _, err := ecsARN("$.task.taskDefinitionArn", t.TaskDefinitionArn, "task-definition/"); err != nil {
		return Subject{}, err
	}
	return Subject{Task: t, Cluster: cluster, Decision: st.Evaluation.Decision}, nil
}

func enforced(st contract.State) error {
	ev := st.Evaluation
	if ev == nil || ev.Decision == nil {
		return step.Errorf(contract.ErrInvalidInput,
			"missing $.evaluation.decision: remediation runs only after the Evaluate task against policy step")
	}
	if ev.Outcome != contract.OutcomeRemediate {
		return step.Errorf(contract.ErrInvalidInput,
			"refusing to remediate: $.evaluation.outcome is %q, not %q", ev.Outcome, contract.OutcomeRemediate)
	}
	if ev.Decision.Compliant || len(ev.Decision.Violations) == 0 {
		return step.Errorf(contract.ErrInvalidInput,
			"refusing to remediate: the decision has no violation (compliant=%t, %d violations)",
			ev.Decision.Compliant, len(ev.Decision.Violations))
	}
	if ev.ApprovalRequired {
		switch a := st.Approval; {
		case a == nil:
			return step.Errorf(contract.ErrInvalidInput,
				"refusing to remediate: approval is required and $.approval is missing")
		case a.Error != nil:
			return step.Errorf(contract.ErrInvalidInput,
				"refusing to remediate: approval is required and was not given (%s: %s)", a.Error.Error, a.Error.Cause)
		case a.Decision != contract.ApprovalApproved:
			return step.Errorf(contract.ErrInvalidInput,
				"refusing to remediate: approval is required and $.approval.decision is %q, not %q",
				a.Decision, contract.ApprovalApproved)
		}
	}
	return nil
}

// LoadTask is Load for the steps that act on a running task (scale the
// service, stop the task): a registration has none, and is refused.
func LoadTask(st contract.State) (Subject, error) {
	sub, err := Load(st)
	if err == nil && sub.Task.Kind == contract.KindRegistration {
		return Subject{}, step.Errorf(contract.ErrInvalidInput,
			"refusing: %s was judged at registration, there is no task to act on (only Deregister task definition applies)", sub.Task.TaskDefinitionArn)
	}
	return sub, err
}

// ecsARN parses s as an ECS ARN whose resource starts with prefix.
func ecsARN(field, s, prefix string) (arn.ARN, error) {
	if s == "" {
		return arn.ARN{}, step.Errorf(contract.ErrInvalidInput, "missing %s", field)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}, step.Errorf(contract.ErrInvalidInput, "%s %q: %v", field, s, err)
	}
	if a.Service != "ecs" || !strings.HasPrefix(a.Resource, prefix) || len(a.Resource) == len(prefix) {
		return arn.ARN{}, step.Errorf(contract.ErrInvalidInput,
			"%s %q is not an ECS %s ARN", field, s, strings.TrimSuffix(prefix, "/"))
	}
	return a, nil
}

// TaskDefinitionName is family:revision of a task definition ARN; anything
// else as it is.
func TaskDefinitionName(td string) string {
	if a, err := arn.Parse(td); err == nil {
		if s, ok := strings.CutPrefix(a.Resource, "task-definition/"); ok {
			return s
		}
	}
	return td
}

// ClusterName is the cluster's name, the last part of its ARN.
func (s Subject) ClusterName() string {
	return strings.TrimPrefix(s.Cluster.Resource, "cluster/")
}

// ErrorMessage is the message of the AWS API error in err's chain, or "".
func ErrorMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return ""
}

// IsError reports whether err is an AWS API error with one of the codes.
func IsError(err error, codes ...string) bool {
	code := step.ErrorCode(err)
	if code == "" {
		return false
	}
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

// Gone is an ActionResult's Detail when ECS answered err because the
// resource (what: "service web", "task …") no longer exists.
func Gone(what string, err error) string {
	return fmt.Sprintf("%s no longer exists (%s: %s); nothing to do", what, step.ErrorCode(err), ErrorMessage(err))
}

// Done logs a remediation step's result and returns it, so that a step ends
// with `return remediate.Done(ctx, res)`.
func Done(ctx context.Context, res contract.ActionResult) (contract.ActionResult, error) {
	slog.InfoContext(ctx, "remediation", "api", res.API, "target", res.Target, "changed", res.Changed, "detail", res.Detail)
	return res, nil
}
