// Package deregister is the "Deregister task definition" step: it marks the
// violating task's task definition revision INACTIVE, so that no new task or
// service can be started from it. (Tasks and services that already use it
// keep running; the steps before this one scaled the service to zero and
// stopped the task.)
//
// An exclusion protects what it names: a revision that an excluded cluster's
// services or running tasks, or an excluded service, use (Handler.Excluded)
// is not deregistered. The result says which (Reason SHARED_WITH_EXCLUDED,
// SharedWith) instead.
//
// The step is idempotent: a revision already INACTIVE (or being deleted) is a
// success with Changed false. A revision ECS does not know is an error
// (contract.ErrNotFound): the task ran from it, so its absence means the
// input points at the wrong account or region.
package deregister

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// ECS is the part of the ECS API the step calls. The four reads after the
// first two are only called when something is excluded.
type ECS interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	ListServices(ctx context.Context, in *ecs.ListServicesInput, optFns ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// Handler deregisters the task's task definition.
type Handler struct {
	ECS ECS
	// Excluded are the clusters and services whose task definitions the
	// step leaves registered (from EXCLUDED_CLUSTERS and EXCLUDED_SERVICES,
	// see remediate.ParseExclusions). None: no extra call.
	Excluded remediate.Exclusions
}

// Handle reads the revision's status and, when it is ACTIVE, deregisters it.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.ActionResult, error) {
	sub, err := remediate.Load(st)
	if err != nil {
		return contract.ActionResult{}, err
	}
	tdArn := sub.Task.TaskDefinitionArn
	res := contract.ActionResult{API: contract.APIDeregisterTaskDefinition, Target: tdArn}

	out, err := h.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tdArn)})
	if err != nil {
		return contract.ActionResult{}, classify("DescribeTaskDefinition "+tdArn, err)
	}
	if out.TaskDefinition == nil {
		return contract.ActionResult{}, step.Errorf(contract.ErrFailed,
			"DescribeTaskDefinition %s: the answer has no task definition", tdArn)
	}
	if a := aws.ToString(out.TaskDefinition.TaskDefinitionArn); a != "" {
		res.Target = a
	}
	if status := out.TaskDefinition.Status; notActive(status) {
		res.Detail = fmt.Sprintf("task definition already %s; nothing to do", status)
		return remediate.Done(ctx, res)
	}
	if !h.Excluded.Empty() {
		users, err := h.excludedUsers(ctx, res.Target, aws.ToString(out.TaskDefinition.Family))
		if err != nil {
			return contract.ActionResult{}, err
		}
		if len(users) > 0 {
			res.Reason = contract.ReasonSharedWithExcluded
			for _, u := range users {
				res.SharedWith = append(res.SharedWith, u.arn)
			}
			res.Detail = sharedDetail(remediate.TaskDefinitionName(res.Target), users)
			slog.WarnContext(ctx, "task definition shared with excluded resources: not deregistered", "taskDefinition", res.Target, "sharedWith", res.SharedWith)
			return remediate.Done(ctx, res)
		}
	}

	slog.InfoContext(ctx, "deregistering task definition", "taskDefinition", res.Target)
	dout, err := h.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(tdArn)})
	if err != nil {
		err = classify("DeregisterTaskDefinition "+tdArn, err)
		if step.Name(err) == contract.ErrFailed && h.inactive(ctx, tdArn) {
			// Deregistered by someone else between the two calls, and ECS
			// refused to do it twice.
			res.Detail = "task definition became INACTIVE meanwhile; nothing to do"
			return remediate.Done(ctx, res)
		}
		return contract.ActionResult{}, err
	}
	res.Changed = true
	now := "INACTIVE"
	if dout.TaskDefinition != nil && dout.TaskDefinition.Status != "" {
		now = string(dout.TaskDefinition.Status)
	}
	res.Detail = fmt.Sprintf("status %s -> %s: no new task or service can use this revision", out.TaskDefinition.Status, now)
	return remediate.Done(ctx, res)
}

// inactive reports whether ECS now says the revision is not ACTIVE.
func (h *Handler) inactive(ctx context.Context, tdArn string) bool {
	out, err := h.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tdArn)})
	return err == nil && out.TaskDefinition != nil && notActive(out.TaskDefinition.Status)
}

func notActive(s types.TaskDefinitionStatus) bool {
	return s == types.TaskDefinitionStatusInactive || s == types.TaskDefinitionStatusDeleteInProgress
}

// classify names an ECS error. ECS answers an unknown task definition with a
// ClientException ("Unable to describe task definition."), which in general
// is not retryable and not a "not found": here it is ErrNotFound.
func classify(op string, err error) error {
	if remediate.IsError(err, "ClientException", "InvalidParameterException") {
		msg := strings.ToLower(remediate.ErrorMessage(err))
		for _, s := range []string{"unable to describe task definition", "not found", "does not exist"} {
			if strings.Contains(msg, s) {
				return step.Wrap(contract.ErrNotFound, fmt.Errorf("%s: %w", op, err))
			}
		}
	}
	return step.AWSError(op, err)
}
