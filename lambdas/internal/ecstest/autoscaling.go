package ecstest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

// ScalableTarget is an Application Auto Scaling target of the fixture
// service, with its capacity range, scaling not suspended.
func ScalableTarget(minCapacity, maxCapacity int32) astypes.ScalableTarget {
	return astypes.ScalableTarget{
		ServiceNamespace:  astypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(ResourceID),
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(minCapacity),
		MaxCapacity:       aws.Int32(maxCapacity),
		ScalableTargetARN: aws.String("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0ec5b0a9b7d3d4e1a2b3c4d5e6f70819"),
		SuspendedState: &astypes.SuspendedState{
			DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false),
		},
	}
}

// AddScalableTarget registers a scalable target (by its resource ID).
func (f *Fake) AddScalableTarget(t astypes.ScalableTarget) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets[aws.ToString(t.ResourceId)] = &t
	return f
}

// ScalableTargetOf is the target of resourceID now.
func (f *Fake) ScalableTargetOf(resourceID string) (astypes.ScalableTarget, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.targets[resourceID]
	if !ok {
		return astypes.ScalableTarget{}, false
	}
	return *t, true
}

// DescribeScalableTargets answers the targets of the namespace, filtered by
// resource IDs and dimension as Application Auto Scaling does.
func (f *Fake) DescribeScalableTargets(_ context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, _ ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.begin("DescribeScalableTargets"); ok {
		return nil, ft.err
	}
	out := &applicationautoscaling.DescribeScalableTargetsOutput{ScalableTargets: []astypes.ScalableTarget{}}
	for _, id := range in.ResourceIds {
		t, ok := f.targets[id]
		if !ok || t.ServiceNamespace != in.ServiceNamespace || (in.ScalableDimension != "" && t.ScalableDimension != in.ScalableDimension) {
			continue
		}
		out.ScalableTargets = append(out.ScalableTargets, *t)
	}
	return out, nil
}

// RegisterScalableTarget updates a target's capacity and suspended state
// (members left out stay as they are) or registers a new one; a change is
// recorded as RegisterScalableTarget on the resource ID.
func (f *Fake) RegisterScalableTarget(_ context.Context, in *applicationautoscaling.RegisterScalableTargetInput, _ ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft, failing := f.begin("RegisterScalableTarget")
	if failing && !ft.after {
		return nil, ft.err
	}
	id := aws.ToString(in.ResourceId)
	t, ok := f.targets[id]
	if !ok {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			return nil, &astypes.ValidationException{Message: aws.String("MinCapacity and MaxCapacity are required to register a new scalable target")}
		}
		t = &astypes.ScalableTarget{ServiceNamespace: in.ServiceNamespace, ResourceId: aws.String(id), ScalableDimension: in.ScalableDimension,
			SuspendedState: &astypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false)}}
		f.targets[id] = t
	}
	if t.SuspendedState == nil {
		t.SuspendedState = &astypes.SuspendedState{}
	}
	before := *t
	if in.MinCapacity != nil {
		t.MinCapacity = aws.Int32(*in.MinCapacity)
	}
	if in.MaxCapacity != nil {
		t.MaxCapacity = aws.Int32(*in.MaxCapacity)
	}
	if aws.ToInt32(t.MaxCapacity) < aws.ToInt32(t.MinCapacity) {
		*t = before
		return nil, &astypes.ValidationException{Message: aws.String("Maximum capacity cannot be less than minimum capacity")}
	}
	if ss := in.SuspendedState; ss != nil {
		now := *t.SuspendedState
		for _, p := range []struct{ in, now **bool }{
			{&ss.DynamicScalingInSuspended, &now.DynamicScalingInSuspended},
			{&ss.DynamicScalingOutSuspended, &now.DynamicScalingOutSuspended},
			{&ss.ScheduledScalingSuspended, &now.ScheduledScalingSuspended},
		} {
			if *p.in != nil {
				*p.now = aws.Bool(**p.in)
			}
		}
		t.SuspendedState = &now
	}
	if !ok || settingsOf(before) != settingsOf(*t) {
		f.changes = append(f.changes, Change{API: "RegisterScalableTarget", Target: id})
	}
	if failing {
		return nil, ft.err
	}
	return &applicationautoscaling.RegisterScalableTargetOutput{ScalableTargetARN: t.ScalableTargetARN}, nil
}

// targetSettings are what RegisterScalableTarget sets: the capacity range
// and the suspended state.
type targetSettings struct {
	min, max          int32
	in, out, schedule bool
}

func settingsOf(t astypes.ScalableTarget) targetSettings {
	s := targetSettings{min: aws.ToInt32(t.MinCapacity), max: aws.ToInt32(t.MaxCapacity)}
	if ss := t.SuspendedState; ss != nil {
		s.in, s.out = aws.ToBool(ss.DynamicScalingInSuspended), aws.ToBool(ss.DynamicScalingOutSuspended)
		s.schedule = aws.ToBool(ss.ScheduledScalingSuspended)
	}
	return s
}
