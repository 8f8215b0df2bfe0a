package inmemory

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// serviceAutoScaling is Application Auto Scaling's service ID, as the SDK's
// OperationError names it.
const serviceAutoScaling = "Application Auto Scaling"

// scalableTarget is an ECS service's Application Auto Scaling target
// (namespace ecs, dimension ecs:service:DesiredCount): its capacity range
// and which scaling is suspended.
type scalableTarget struct {
	min, max           int32
	in, out, scheduled bool // DynamicScalingIn/OutSuspended, ScheduledScalingSuspended
	created            time.Time
}

func asErr(op string, err error) error { return opError(serviceAutoScaling, op, err) }

func validation(op, msg string) error {
	return asErr(op, &astypes.ValidationException{Message: aws.String(msg)})
}

// resourceID is a service's Application Auto Scaling resource ID.
func resourceID(s *service) string { return "service/" + s.cluster + "/" + s.name }

// targetARN is a scalable target's ARN: its id is made from the resource ID.
func (a *Account) targetARN(resource string) string {
	h := fnv.New128a()
	h.Write([]byte(resource))
	return arn.ARN{Partition: a.partition, Service: "application-autoscaling", Region: a.region, AccountID: a.account,
		Resource: fmt.Sprintf("scalable-target/0e%x", h.Sum(nil)[:15])}.String()
}

func (a *Account) typedTarget(s *service) astypes.ScalableTarget {
	t := s.target
	return astypes.ScalableTarget{
		ServiceNamespace:  astypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(resourceID(s)),
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(t.min),
		MaxCapacity:       aws.Int32(t.max),
		RoleARN: aws.String(arn.ARN{Partition: a.partition, Service: "iam", AccountID: a.account,
			Resource: "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"}.String()),
		CreationTime:      aws.Time(t.created),
		ScalableTargetARN: aws.String(a.targetARN(resourceID(s))),
		SuspendedState: &astypes.SuspendedState{
			DynamicScalingInSuspended:  aws.Bool(t.in),
			DynamicScalingOutSuspended: aws.Bool(t.out),
			ScheduledScalingSuspended:  aws.Bool(t.scheduled),
		},
	}
}

// serviceOfResource is the service of an ECS resource ID
// ("service/CLUSTER/NAME"), or nil.
func (a *Account) serviceOfResource(id string) *service {
	rest, ok := strings.CutPrefix(id, "service/")
	cluster, name, two := strings.Cut(rest, "/")
	if !ok || !two {
		return nil
	}
	return a.findService(cluster, name)
}

// DescribeScalableTargets describes the scalable targets of a service
// namespace, filtered by resource IDs (at most 50) and dimension, in resource
// ID order, 50 a page unless MaxResults (1–50) says otherwise. Only ECS
// services have targets here; another namespace has none. A dimension
// without resource IDs and a bad MaxResults are a ValidationException, a
// bad NextToken an InvalidNextTokenException.
func (a *Account) DescribeScalableTargets(ctx context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, _ ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error) {
	const op = "DescribeScalableTargets"
	if in == nil || in.ServiceNamespace == "" {
		return nil, paramsError(serviceAutoScaling, op, "DescribeScalableTargetsInput", "ServiceNamespace")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := strings.Join([]string{string(in.ServiceNamespace), strings.Join(in.ResourceIds, ","), string(in.ScalableDimension), aws.ToString(in.NextToken)}, "\x00")
	if err := a.begin(ctx, serviceAutoScaling, op, key); err != nil {
		return nil, err
	}
	n := int32(50)
	switch {
	case !knownNamespace(in.ServiceNamespace):
		return nil, validation(op, fmt.Sprintf("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", in.ServiceNamespace))
	case len(in.ResourceIds) > 50:
		return nil, validation(op, "1 validation error detected: Value at 'resourceIds' failed to satisfy constraint: Member must have length less than or equal to 50")
	case in.ScalableDimension != "" && len(in.ResourceIds) == 0:
		return nil, validation(op, "If you specify a scalable dimension, you must also specify a resource ID.")
	case in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 50):
		return nil, validation(op, "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must be between 1 and 50")
	case in.MaxResults != nil:
		n = *in.MaxResults
	}
	var targets []*service
	if in.ServiceNamespace == astypes.ServiceNamespaceEcs &&
		(in.ScalableDimension == "" || in.ScalableDimension == astypes.ScalableDimensionECSServiceDesiredCount) {
		for _, s := range a.services {
			if s.target != nil && (len(in.ResourceIds) == 0 || containsString(in.ResourceIds, resourceID(s))) {
				targets = append(targets, s)
			}
		}
	}
	sort.Slice(targets, func(i, j int) bool { return resourceID(targets[i]) < resourceID(targets[j]) })
	from := 0
	if t := aws.ToString(in.NextToken); t != "" {
		off, ok := strings.CutPrefix(t, "inmemory:")
		i, err := strconv.Atoi(off)
		if !ok || err != nil || i < 0 || i > len(targets) {
			return nil, asErr(op, &astypes.InvalidNextTokenException{Message: aws.String("Invalid token")})
		}
		from = i
	}
	to := min(from+int(n), len(targets))
	out := &applicationautoscaling.DescribeScalableTargetsOutput{ScalableTargets: []astypes.ScalableTarget{}}
	for _, s := range targets[from:to] {
		out.ScalableTargets = append(out.ScalableTargets, a.typedTarget(s))
	}
	if to < len(targets) {
		out.NextToken = aws.String("inmemory:" + strconv.Itoa(to))
	}
	return out, nil
}

// RegisterScalableTarget registers an ECS service's scalable target or
// updates it: MinCapacity, MaxCapacity and each member of SuspendedState
// that is given; what is left out stays as it was (a new target needs both
// capacities). A change is recorded as an Action RegisterScalableTarget on
// the resource ID. A namespace or dimension other than ecs /
// ecs:service:DesiredCount, a service that does not exist, or a capacity
// range that is negative or upside down is a ValidationException.
//
// Unlike Application Auto Scaling, the account does not then move the
// service's desired count into the new range (no scaling is simulated).
func (a *Account) RegisterScalableTarget(ctx context.Context, in *applicationautoscaling.RegisterScalableTargetInput, _ ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error) {
	const op = "RegisterScalableTarget"
	if in == nil || in.ServiceNamespace == "" || in.ResourceId == nil || in.ScalableDimension == "" {
		var missing []string
		if in == nil || in.ServiceNamespace == "" {
			missing = append(missing, "ServiceNamespace")
		}
		if in == nil || in.ResourceId == nil {
			missing = append(missing, "ResourceId")
		}
		if in == nil || in.ScalableDimension == "" {
			missing = append(missing, "ScalableDimension")
		}
		return nil, paramsError(serviceAutoScaling, op, "RegisterScalableTargetInput", missing...)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s", in.ServiceNamespace, *in.ResourceId, in.ScalableDimension,
		optInt(in.MinCapacity), optInt(in.MaxCapacity))
	if ss := in.SuspendedState; ss != nil {
		key += fmt.Sprintf("\x00%s/%s/%s", optBool(ss.DynamicScalingInSuspended), optBool(ss.DynamicScalingOutSuspended), optBool(ss.ScheduledScalingSuspended))
	}
	if err := a.begin(ctx, serviceAutoScaling, op, key); err != nil {
		return nil, err
	}
	switch {
	case !knownNamespace(in.ServiceNamespace):
		return nil, validation(op, fmt.Sprintf("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", in.ServiceNamespace))
	case in.ServiceNamespace != astypes.ServiceNamespaceEcs:
		return nil, validation(op, fmt.Sprintf("the in-memory account has only ECS services, not %s resources", in.ServiceNamespace))
	case in.ScalableDimension != astypes.ScalableDimensionECSServiceDesiredCount:
		return nil, validation(op, fmt.Sprintf("Unsupported scalable dimension '%s' for service namespace 'ecs'", in.ScalableDimension))
	}
	s := a.serviceOfResource(*in.ResourceId)
	if s == nil || s.status == "INACTIVE" {
		return nil, validation(op, "ECS service doesn't exist: "+*in.ResourceId)
	}
	t := s.target
	fresh := t == nil
	if fresh {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			return nil, validation(op, "MinCapacity and MaxCapacity are required when registering a new scalable target")
		}
		t = &scalableTarget{created: a.clock().UTC()}
	}
	next := *t
	if in.MinCapacity != nil {
		next.min = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		next.max = *in.MaxCapacity
	}
	switch {
	case next.min < 0 || next.max < 0:
		return nil, validation(op, "Minimum and maximum capacity must be 0 or more")
	case next.max < next.min:
		return nil, validation(op, fmt.Sprintf("Minimum capacity (%d) cannot be greater than maximum capacity (%d)", next.min, next.max))
	}
	if ss := in.SuspendedState; ss != nil {
		for _, p := range []struct {
			in  *bool
			now *bool
		}{{ss.DynamicScalingInSuspended, &next.in}, {ss.DynamicScalingOutSuspended, &next.out}, {ss.ScheduledScalingSuspended, &next.scheduled}} {
			if p.in != nil {
				*p.now = *p.in
			}
		}
	}
	if fresh || next != *t {
		s.target = &next
		a.actions = append(a.actions, Action{API: contract.APIRegisterScalableTarget, Target: *in.ResourceId})
	}
	return &applicationautoscaling.RegisterScalableTargetOutput{ScalableTargetARN: aws.String(a.targetARN(*in.ResourceId))}, nil
}

func knownNamespace(ns astypes.ServiceNamespace) bool {
	for _, v := range ns.Values() {
		if v == ns {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func optInt(p *int32) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(int(*p))
}

func optBool(p *bool) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatBool(*p)
}
