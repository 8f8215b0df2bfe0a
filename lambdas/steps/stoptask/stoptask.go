// Package stoptask is the "Stop task" step: it stops the violating task, with
// a reason naming the rules it broke (remediate.StopReason), which ECS shows
// as the task's stopped reason.
//
// The step is idempotent: a task already stopped or stopping (desired status
// STOPPED), or no longer known to ECS, is a success with Changed false.
package stoptask

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

// ECS is the part of the ECS API the step calls.
type ECS interface {
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, optFns ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// Handler stops the task.
type Handler struct {
	ECS ECS
}

const stopped = "STOPPED"

// Handle looks the task up and, unless it is already stopped or stopping,
// stops it.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.ActionResult, error) {
	sub, err := remediate.LoadTask(st)
	if err != nil {
		return contract.ActionResult{}, err
	}
	taskArn, cluster := sub.Task.TaskArn, sub.Task.ClusterArn
	res := contract.ActionResult{API: contract.APIStopTask, Target: taskArn}

	out, err := h.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String(cluster),
		Tasks:   []string{taskArn},
	})
	if remediate.IsError(err, "ClusterNotFoundException") {
		res.Detail = remediate.Gone("cluster "+sub.ClusterName()+" of the task", err)
		return remediate.Done(ctx, res)
	}
	if err != nil {
		return contract.ActionResult{}, step.AWSError("DescribeTasks "+taskArn, err)
	}
	task := find(out.Tasks, taskArn)
	if task == nil {
		if len(out.Failures) == 0 {
			return contract.ActionResult{}, step.Errorf(contract.ErrFailed,
				"DescribeTasks %s: the answer has neither the task nor a failure", taskArn)
		}
		f := out.Failures[0]
		if aws.ToString(f.Reason) != "MISSING" {
			return contract.ActionResult{}, step.Errorf(contract.ErrFailed, "DescribeTasks %s: failure %s %s",
				taskArn, aws.ToString(f.Reason), aws.ToString(f.Detail))
		}
		res.Detail = "task no longer exists (DescribeTasks: MISSING; ECS forgets stopped tasks after about an hour); nothing to do"
		return remediate.Done(ctx, res)
	}
	last, desired := aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus)
	switch {
	case last == stopped:
		res.Detail = fmt.Sprintf("task already stopped (stopped reason: %q); nothing to do", aws.ToString(task.StoppedReason))
		return remediate.Done(ctx, res)
	case desired == stopped:
		res.Detail = fmt.Sprintf("task already stopping (last status %s, desired status STOPPED, stopped reason: %q); nothing to do",
			last, aws.ToString(task.StoppedReason))
		return remediate.Done(ctx, res)
	}

	reason := remediate.StopReason(sub.Decision.Violations)
	slog.InfoContext(ctx, "stopping task", "task", taskArn, "lastStatus", last, "reason", reason)
	_, err = h.ECS.StopTask(ctx, &ecs.StopTaskInput{
		Cluster: aws.String(cluster),
		Task:    aws.String(taskArn),
		Reason:  aws.String(reason),
	})
	if taskNotFound(err) {
		// Gone between the two calls.
		res.Detail = remediate.Gone("task", err)
		return remediate.Done(ctx, res)
	}
	if err != nil {
		return contract.ActionResult{}, step.AWSError("StopTask "+taskArn, err)
	}
	res.Changed = true
	res.Detail = fmt.Sprintf("stopped (last status was %s) with reason %q", last, reason)
	return remediate.Done(ctx, res)
}

// taskNotFound: StopTask answers a task ECS no longer knows with a client
// error ("The referenced task was not found."), or the cluster's absence.
func taskNotFound(err error) bool {
	if remediate.IsError(err, "ClusterNotFoundException") {
		return true
	}
	return remediate.IsError(err, "InvalidParameterException", "ClientException") &&
		strings.Contains(strings.ToLower(remediate.ErrorMessage(err)), "not found")
}

// find is the task with this ARN in the answer.
func find(tasks []types.Task, taskArn string) *types.Task {
	for i := range tasks {
		if aws.ToString(tasks[i].TaskArn) == taskArn {
			return &tasks[i]
		}
	}
	return nil
}
