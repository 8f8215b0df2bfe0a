// Package scaleservice is the "Scale service to zero" step: it sets the
// desired count of the violating task's service to 0, so that the service
// scheduler does not replace the task the next step stops. It runs only for a
// task that belongs to a service ($.task.service, from the event's group
// "service:NAME"), in the task's cluster.
//
// The event's group is a claim, not proof: RunTask accepts any group. Before
// it changes anything the step asks ECS whether the task belongs to the
// service (DescribeTasks and DescribeServices, see member): the task must run
// the task definition of one of the service's deployments (task sets, for the
// CODE_DEPLOY and EXTERNAL deployment controllers) and have been started by
// it. A task that ECS does not confirm scales nothing: the result says why
// (Reason UNVERIFIED_MEMBERSHIP) and the workflow goes on to stop the task.
//
// A service with an Application Auto Scaling target would be scaled up again
// (a service may keep using an INACTIVE task definition), so the step first
// suspends the target's scaling and sets its capacity to 0..0
// (RegisterScalableTarget), recording what it was in the result's
// ScalableTarget.Previous, then sets the desired count to 0.
//
// The step is idempotent: a service already at 0 and a target already
// suspended at 0..0, or a service gone (deleted, draining, or in a deleted
// cluster), are a success with Changed false. When $.remediation.service
// already holds this service's result from an earlier attempt, its original
// values (desired count, target) are kept, since by now AWS only has the
// changed ones.
package scaleservice

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// ECS is the part of the ECS API the step calls.
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// AutoScaling is the part of the Application Auto Scaling API the step calls.
type AutoScaling interface {
	DescribeScalableTargets(ctx context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, optFns ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error)
	RegisterScalableTarget(ctx context.Context, in *applicationautoscaling.RegisterScalableTargetInput, optFns ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error)
}

// Handler scales the task's service to zero.
type Handler struct {
	ECS ECS
	// AutoScaling is Application Auto Scaling. When nil, ECS is used if it
	// implements AutoScaling too (the in-memory account does).
	AutoScaling AutoScaling
}

// goneCodes are the errors that mean the service is no longer there to scale.
var goneCodes = []string{"ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"}

// suspendedAtZero is what the step leaves a scalable target at.
var suspendedAtZero = contract.Scaling{
	DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true,
}

// Handle verifies that the task belongs to its service, suspends the
// service's scalable target and sets its desired count to 0. The result's
// PreviousDesiredCount and ScalableTarget.Previous are what it found, so that
// an operator can restore them once the task definition is fixed.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.ActionResult, error) {
	sub, err := remediate.LoadTask(st)
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

	// Is the task the service's? Only ECS can say.
	ok, why, err := h.verify(ctx, sub, *svc)
	if err != nil {
		return contract.ActionResult{}, err
	}
	if !ok {
		res.Reason = contract.ReasonUnverifiedMembership
		res.Detail = why + fmt.Sprintf(": ECS does not confirm that the task belongs to service %s, so the service was not scaled (the task is stopped next)", name)
		slog.WarnContext(ctx, "task not verified as the service's", "service", res.Target, "task", sub.Task.TaskArn, "why", why)
		return remediate.Done(ctx, res)
	}
	if svc.SchedulingStrategy == types.SchedulingStrategyDaemon {
		// A daemon service runs one task per container instance and has no
		// desired count to set: stopping its task would only have it replaced.
		return contract.ActionResult{}, step.Errorf(contract.ErrFailed,
			"service %s uses the DAEMON scheduling strategy, which cannot be scaled to zero: delete the service or fix its task definition",
			res.Target)
	}

	earlier := earlierResult(st, res.Target, sub.Task.ServiceArn())
	prev := svc.DesiredCount
	res.PreviousDesiredCount = aws.Int32(prev)
	if earlier != nil {
		res.Changed = earlier.Changed
		if earlier.PreviousDesiredCount != nil {
			res.PreviousDesiredCount = aws.Int32(*earlier.PreviousDesiredCount)
		}
	}

	// Scaling first: once the target is suspended at 0..0 nothing scales the
	// service up between this call and the next.
	target, err := h.suspend(ctx, sub, earlier)
	if err != nil {
		return contract.ActionResult{}, err
	}
	res.ScalableTarget = target
	if target != nil && target.Changed {
		res.Changed = true
	}

	if prev == 0 {
		res.Detail = fmt.Sprintf("service %s was already at desired count 0", name)
		if earlier != nil && earlier.Changed {
			res.Detail += fmt.Sprintf(" (scaled by an earlier attempt from desired count %s)", show(res.PreviousDesiredCount))
		}
		res.Detail += targetDetail(target, "; nothing to do")
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
		res.Detail = remediate.Gone("service "+name, err) + targetDetail(target, "")
		return remediate.Done(ctx, res)
	}
	if err != nil {
		e := step.AWSError("UpdateService "+res.Target, err)
		if target != nil && target.Changed {
			// A fault after a change: the error carries what was done, for
			// the failure report, since a retry only finds the changed target.
			return contract.ActionResult{}, step.Wrap(step.Name(e), fmt.Errorf("%w; already done: %s", e, strings.TrimPrefix(targetDetail(target, ""), "; ")))
		}
		return contract.ActionResult{}, e
	}
	res.Changed = true
	res.Detail = fmt.Sprintf("desired count %d -> 0; to restore, update service %s in cluster %s to a compliant task definition with desired count %s",
		prev, name, sub.ClusterName(), show(res.PreviousDesiredCount)) + targetDetail(target, "")
	return remediate.Done(ctx, res)
}

// verify asks ECS for the task and checks it against the service (member).
// A task ECS no longer has cannot be verified.
func (h *Handler) verify(ctx context.Context, sub remediate.Subject, svc types.Service) (bool, string, error) {
	taskArn := sub.Task.TaskArn
	out, err := h.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String(sub.Task.ClusterArn),
		Tasks:   []string{taskArn},
	})
	if remediate.IsError(err, "ClusterNotFoundException") {
		return false, fmt.Sprintf("task %s cannot be described (%s)", taskID(taskArn), step.ErrorCode(err)), nil
	}
	if err != nil {
		return false, "", step.AWSError("DescribeTasks "+taskArn, err)
	}
	for _, t := range out.Tasks {
		if aws.ToString(t.TaskArn) == taskArn {
			ok, why := member(t, svc)
			return ok, why, nil
		}
	}
	reason := "no answer"
	if len(out.Failures) > 0 {
		reason = aws.ToString(out.Failures[0].Reason)
	}
	return false, fmt.Sprintf("task %s no longer exists (DescribeTasks: %s)", taskID(taskArn), reason), nil
}

// unit is a deployment or a task set: what runs a service's tasks.
type unit struct{ id, taskDefinition, status string }

// member reports whether ECS's own description of the task shows that it
// belongs to the service, and if not says why. It does when the task runs
// the task definition of one of the service's deployments and its
// startedBy is that deployment's id. A service whose deployment controller
// is CODE_DEPLOY or EXTERNAL has task sets instead of deployments; their
// tasks' startedBy is the task set's id.
func member(task types.Task, svc types.Service) (bool, string) {
	td, startedBy := aws.ToString(task.TaskDefinitionArn), aws.ToString(task.StartedBy)
	kind, units := "deployment", []unit{}
	switch controller(svc) {
	case types.DeploymentControllerTypeCodeDeploy, types.DeploymentControllerTypeExternal:
		kind = "task set"
		for _, s := range svc.TaskSets {
			units = append(units, unit{aws.ToString(s.Id), aws.ToString(s.TaskDefinition), aws.ToString(s.Status)})
		}
	default:
		for _, d := range svc.Deployments {
			units = append(units, unit{aws.ToString(d.Id), aws.ToString(d.TaskDefinition), aws.ToString(d.Status)})
		}
	}
	var sameTD []unit
	for _, u := range units {
		if u.taskDefinition == td && td != "" {
			if u.id == startedBy && startedBy != "" {
				return true, ""
			}
			sameTD = append(sameTD, u)
		}
	}
	id, by := taskID(aws.ToString(task.TaskArn)), "nothing (startedBy is empty)"
	if startedBy != "" {
		by = fmt.Sprintf("%q", startedBy)
	}
	svcName := aws.ToString(svc.ServiceName)
	switch {
	case len(units) == 0:
		return false, fmt.Sprintf("task %s was started by %s and runs %s, and service %s has no %s to compare with",
			id, by, shortTD(td), svcName, kind)
	case len(sameTD) > 0:
		return false, fmt.Sprintf("task %s runs %s, as service %s's %s %s does, but was started by %s, not by that %s",
			id, shortTD(td), svcName, kind, sameTD[0].id, by, kind)
	}
	var runs []string
	for _, u := range units {
		runs = append(runs, fmt.Sprintf("%s %s runs %s", strings.ToLower(u.status), u.id, shortTD(u.taskDefinition)))
	}
	return false, fmt.Sprintf("task %s was started by %s and runs %s, which no %s of service %s runs (%s)",
		id, by, shortTD(td), kind, svcName, strings.Join(runs, "; "))
}

func controller(svc types.Service) types.DeploymentControllerType {
	if svc.DeploymentController == nil || svc.DeploymentController.Type == "" {
		return types.DeploymentControllerTypeEcs
	}
	return svc.DeploymentController.Type
}

// autoScaling is the Application Auto Scaling client.
func (h *Handler) autoScaling() (AutoScaling, error) {
	if h.AutoScaling != nil {
		return h.AutoScaling, nil
	}
	if as, ok := h.ECS.(AutoScaling); ok {
		return as, nil
	}
	return nil, step.Errorf(contract.ErrFailed,
		"the scale step has no Application Auto Scaling client, so it cannot check the service's scalable target")
}

// suspend finds the service's scalable target and, unless it is already
// suspended at 0..0, suspends it. It returns nil when the service has no
// target.
func (h *Handler) suspend(ctx context.Context, sub remediate.Subject, earlier *contract.ActionResult) (*contract.ScalableTarget, error) {
	as, err := h.autoScaling()
	if err != nil {
		return nil, err
	}
	resourceID := "service/" + sub.ClusterName() + "/" + sub.Task.Service
	in := &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace:  astypes.ServiceNamespaceEcs,
		ResourceIds:       []string{resourceID},
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
	}
	var found *astypes.ScalableTarget
	for page := 0; found == nil; page++ {
		out, err := as.DescribeScalableTargets(ctx, in)
		if err != nil {
			return nil, step.AWSError("DescribeScalableTargets "+resourceID, err)
		}
		for i, t := range out.ScalableTargets {
			if aws.ToString(t.ResourceId) == resourceID && t.ScalableDimension == astypes.ScalableDimensionECSServiceDesiredCount {
				found = &out.ScalableTargets[i]
				break
			}
		}
		next := aws.ToString(out.NextToken)
		if next == "" || next == aws.ToString(in.NextToken) || page >= 100 {
			break
		}
		in.NextToken = aws.String(next)
	}
	if found == nil {
		return nil, nil
	}
	now := scaling(*found)
	target := &contract.ScalableTarget{ResourceID: resourceID, Previous: now, Now: now}
	if e := earlier; e != nil && e.ScalableTarget != nil && e.ScalableTarget.ResourceID == resourceID {
		target.Previous, target.Changed = e.ScalableTarget.Previous, e.ScalableTarget.Changed
	}
	if now == suspendedAtZero {
		return target, nil
	}
	slog.InfoContext(ctx, "suspending scalable target", "resourceId", resourceID,
		"previousMinCapacity", now.MinCapacity, "previousMaxCapacity", now.MaxCapacity,
		"previousSuspended", remediate.DescribeScaling(now))
	_, err = as.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace:  astypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(resourceID),
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(0),
		MaxCapacity:       aws.Int32(0),
		SuspendedState: &astypes.SuspendedState{
			DynamicScalingInSuspended:  aws.Bool(true),
			DynamicScalingOutSuspended: aws.Bool(true),
			ScheduledScalingSuspended:  aws.Bool(true),
		},
	})
	if err != nil {
		return nil, step.AWSError("RegisterScalableTarget "+resourceID, err)
	}
	target.Changed, target.Now = true, suspendedAtZero
	return target, nil
}

// scaling is a target's capacity and suspended state.
func scaling(t astypes.ScalableTarget) contract.Scaling {
	s := contract.Scaling{MinCapacity: aws.ToInt32(t.MinCapacity), MaxCapacity: aws.ToInt32(t.MaxCapacity)}
	if ss := t.SuspendedState; ss != nil {
		s.DynamicScalingInSuspended = aws.ToBool(ss.DynamicScalingInSuspended)
		s.DynamicScalingOutSuspended = aws.ToBool(ss.DynamicScalingOutSuspended)
		s.ScheduledScalingSuspended = aws.ToBool(ss.ScheduledScalingSuspended)
	}
	return s
}

// targetDetail is what the result's Detail says about the target; none is
// the text when there is no change to tell of (a service without a target).
func targetDetail(t *contract.ScalableTarget, none string) string {
	switch {
	case t == nil:
		return none
	case t.Changed:
		return fmt.Sprintf("; scalable target %s suspended at min 0, max 0 (it was %s): restore it after the service, with: %s",
			t.ResourceID, remediate.DescribeScaling(t.Previous), remediate.RegisterScalableTargetCommand(t.ResourceID, t.Previous))
	default:
		return fmt.Sprintf("; scalable target %s already suspended at min 0, max 0", t.ResourceID) + none
	}
}

// earlierResult is $.remediation.service when an earlier attempt of this
// execution left a result for the same service.
func earlierResult(st contract.State, arns ...string) *contract.ActionResult {
	if st.Remediation == nil || st.Remediation.Service == nil {
		return nil
	}
	e := st.Remediation.Service
	if e.API != contract.APIUpdateService || e.Reason != "" {
		return nil
	}
	for _, a := range arns {
		if a != "" && e.Target == a {
			return e
		}
	}
	return nil
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

// taskID is the last part of a task ARN.
func taskID(taskArn string) string {
	return taskArn[strings.LastIndex(taskArn, "/")+1:]
}

// shortTD is family:revision of a task definition ARN.
func shortTD(td string) string {
	if td == "" {
		return "no task definition"
	}
	return remediate.TaskDefinitionName(td)
}

func show(p *int32) string {
	if p == nil {
		return "unknown"
	}
	return fmt.Sprint(*p)
}
