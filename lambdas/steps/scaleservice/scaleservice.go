// Package scaleservice is the "Scale service to zero" step: it sets the
// desired count of the violating task's service to 0, so that the service
// scheduler does not replace the task the next step stops. It runs only for a
// task that belongs to a service ($.task.service, from the event's group
// "service:NAME"), in the task's cluster.
//
// The step is idempotent: a service already at 0, or gone (deleted, draining,
// or in a deleted cluster), is a success with Changed false.
package scaleservice

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// ECS is the part of the ECS API the step calls.
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// Handler scales the task's service to zero.
type Handler struct {
	ECS ECS
}

// goneCodes are the errors that mean the service is no longer there to scale.
var goneCodes = []string{"ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"}

// Handle reads the service's desired count and sets it to 0. The result's
// PreviousDesiredCount is the count it found, so that an operator can restore
// it once the task definition is fixed.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.ActionResult, error) {
	sub, err := remediate.Load(st)
	if err != nil {
		return contract.ActionResult{}, err
	}
	name := sub.Task.Service
	if name == "" {
		return contract.ActionResult{}, step.Errorf(contract.ErrInvalidInput,
			"$.task.service is empty: task %s (group %q) is not part of a service, and the workflow routes such tasks past this step",
			sub.Task.TaskArn, sub.Task.Group)
	}
	cluster := sub.Task.ClusterArn
	res := contract.ActionResult{API: contract.APIUpdateService, Target: sub.Task.ServiceArn()}

	out, err := h.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(cluster),
		Services: []string{name},
	})
	if remediate.IsError(err, goneCodes...) {
		res.Detail = remediate.Gone("service "+name, err)
		return remediate.Done(ctx, res)
	}
	if err != nil {
		return contract.ActionResult{}, step.AWSError("DescribeServices "+res.Target, err)
	}
	svc := find(out.Services, name)
	if svc == nil {
		if len(out.Failures) == 0 {
			return contract.ActionResult{}, step.Errorf(contract.ErrFailed,
				"DescribeServices %s: the answer has neither the service nor a failure", res.Target)
		}
		f := out.Failures[0]
		if aws.ToString(f.Reason) != "MISSING" {
			return contract.ActionResult{}, step.Errorf(contract.ErrFailed, "DescribeServices %s: failure %s %s",
				res.Target, aws.ToString(f.Reason), aws.ToString(f.Detail))
		}
		res.Detail = fmt.Sprintf("service %s no longer exists (DescribeServices: MISSING); nothing to do", name)
		return remediate.Done(ctx, res)
	}
	if a := aws.ToString(svc.ServiceArn); a != "" {
		res.Target = a
	}
	switch status := aws.ToString(svc.Status); status {
	case "DRAINING", "INACTIVE":
		res.Detail = fmt.Sprintf("service %s is %s (being deleted or deleted); nothing to do", name, status)
		return remediate.Done(ctx, res)
	}
	if svc.SchedulingStrategy == types.SchedulingStrategyDaemon {
		// A daemon service runs one task per container instance and has no
		// desired count to set: stopping its task would only have it replaced.
		return contract.ActionResult{}, step.Errorf(contract.ErrFailed,
			"service %s uses the DAEMON scheduling strategy, which cannot be scaled to zero: delete the service or fix its task definition",
			res.Target)
	}
	prev := svc.DesiredCount
	res.PreviousDesiredCount = aws.Int32(prev)
	if prev == 0 {
		res.Detail = fmt.Sprintf("service %s was already at desired count 0; nothing to do", name)
		return remediate.Done(ctx, res)
	}

	// Logged before the change: if the response is lost (a timeout), the
	// retry finds the service at 0, and this line still has the count.
	slog.InfoContext(ctx, "scaling service to zero", "service", res.Target, "previousDesiredCount", prev)
	_, err = h.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:      aws.String(cluster),
		Service:      aws.String(name),
		DesiredCount: aws.Int32(0),
	})
	if remediate.IsError(err, goneCodes...) {
		// Deleted between the two calls.
		res.PreviousDesiredCount = nil
		res.Detail = remediate.Gone("service "+name, err)
		return remediate.Done(ctx, res)
	}
	if err != nil {
		return contract.ActionResult{}, step.AWSError("UpdateService "+res.Target, err)
	}
	res.Changed = true
	res.Detail = fmt.Sprintf("desired count %d -> 0; to restore, update service %s in cluster %s to a compliant task definition with desired count %d",
		prev, name, sub.ClusterName(), prev)
	return remediate.Done(ctx, res)
}

// find is the service named name in the answer.
func find(services []types.Service, name string) *types.Service {
	for i := range services {
		if aws.ToString(services[i].ServiceName) == name {
			return &services[i]
		}
	}
	return nil
}
