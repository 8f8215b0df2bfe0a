package inmemory_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

func register(resource string, minCapacity, maxCapacity *int32, ss *astypes.SuspendedState) *applicationautoscaling.RegisterScalableTargetInput {
	return &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: minCapacity, MaxCapacity: maxCapacity, SuspendedState: ss,
	}
}

func describeTargets(t *testing.T, a *inmemory.Account, ids ...string) []astypes.ScalableTarget {
	t.Helper()
	out, err := a.DescribeScalableTargets(context.Background(), &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceIds: ids,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.ScalableTargets
}

type scaling struct {
	min, max           int32
	in, out, scheduled bool
}

func scalingOf(s astypes.ScalableTarget) scaling {
	return scaling{aws.ToInt32(s.MinCapacity), aws.ToInt32(s.MaxCapacity), aws.ToBool(s.SuspendedState.DynamicScalingInSuspended),
		aws.ToBool(s.SuspendedState.DynamicScalingOutSuspended), aws.ToBool(s.SuspendedState.ScheduledScalingSuspended)}
}

func TestRegisterScalableTarget(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	const api = "service/prod/api"
	all := &astypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(true), DynamicScalingOutSuspended: aws.Bool(true), ScheduledScalingSuspended: aws.Bool(true)}
	steps := []struct {
		name    string
		in      *applicationautoscaling.RegisterScalableTargetInput
		want    scaling
		actions int
	}{
		{"a new target", register(api, aws.Int32(2), aws.Int32(10), nil), scaling{min: 2, max: 10}, 1},
		{"the same again changes nothing", register(api, aws.Int32(2), aws.Int32(10), nil), scaling{min: 2, max: 10}, 1},
		{"only what is given changes", register(api, nil, aws.Int32(12), &astypes.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)}),
			scaling{min: 2, max: 12, scheduled: true}, 2},
		{"suspended at 0..0, as the scale step leaves it", register(api, aws.Int32(0), aws.Int32(0), all), scaling{in: true, out: true, scheduled: true}, 3},
		{"and once more changes nothing", register(api, aws.Int32(0), aws.Int32(0), all), scaling{in: true, out: true, scheduled: true}, 3},
	}
	for _, s := range steps {
		out, err := a.RegisterScalableTarget(ctx, s.in)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if arn := aws.ToString(out.ScalableTargetARN); len(arn) < 60 || arn[:58] != "arn:aws:application-autoscaling:us-east-1:123456789012:sca" {
			t.Errorf("%s: ARN %q", s.name, arn)
		}
		got := describeTargets(t, a, api)
		if len(got) != 1 || scalingOf(got[0]) != s.want || aws.ToString(got[0].ResourceId) != api ||
			got[0].ScalableDimension != astypes.ScalableDimensionECSServiceDesiredCount || got[0].ServiceNamespace != astypes.ServiceNamespaceEcs {
			t.Fatalf("%s: targets %+v, want %+v", s.name, got, s.want)
		}
		if n := len(a.Actions()); n != s.actions {
			t.Fatalf("%s: %d actions, want %d", s.name, n, s.actions)
		}
	}
	if got, want := a.Actions()[0], (inmemory.Action{API: contract.APIRegisterScalableTarget, Target: api}); got != want {
		t.Errorf("action %+v, want %+v", got, want)
	}
	// The target is part of the world's snapshot, and the snapshot loads.
	w := a.World()
	if as := w.Services[1].AutoScaling; as == nil || *as != (inmemory.WorldAutoScaling{MinCapacity: 0, MaxCapacity: 0, Suspended: true}) {
		t.Errorf("snapshot of api's target %+v", as)
	}
	if _, err := inmemory.Load(w); err != nil {
		t.Fatal(err)
	}
}

func TestDescribeScalableTargets(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	for _, s := range []string{"service/prod/web", "service/prod/api"} {
		if _, err := a.RegisterScalableTarget(ctx, register(s, aws.Int32(1), aws.Int32(3), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if got := describeTargets(t, a); len(got) != 2 || aws.ToString(got[0].ResourceId) != "service/prod/api" {
		t.Fatalf("every target of the namespace, in resource order: %+v", got)
	}
	if got := describeTargets(t, a, "service/prod/web", "service/prod/none"); len(got) != 1 || aws.ToString(got[0].ResourceId) != "service/prod/web" {
		t.Fatalf("by resource ID: %+v", got)
	}
	other, err := a.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: astypes.ServiceNamespaceDynamodb})
	if err != nil || len(other.ScalableTargets) != 0 {
		t.Fatalf("another namespace: %+v %v", other, err)
	}
	// Page by page.
	in := &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: astypes.ServiceNamespaceEcs, MaxResults: aws.Int32(1)}
	first, err := a.DescribeScalableTargets(ctx, in)
	if err != nil || len(first.ScalableTargets) != 1 || first.NextToken == nil {
		t.Fatalf("first page %+v %v", first, err)
	}
	in.NextToken = first.NextToken
	second, err := a.DescribeScalableTargets(ctx, in)
	if err != nil || len(second.ScalableTargets) != 1 || second.NextToken != nil || aws.ToString(second.ScalableTargets[0].ResourceId) != "service/prod/web" {
		t.Fatalf("second page %+v %v", second, err)
	}
}

func TestAutoScalingErrors(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"a namespace that does not exist", func() error {
			in := register("service/prod/api", aws.Int32(1), aws.Int32(2), nil)
			in.ServiceNamespace = "nope"
			_, err := a.RegisterScalableTarget(ctx, in)
			return err
		}, "ValidationException", "serviceNamespace"},
		{"a dimension of another service", func() error {
			in := register("service/prod/api", aws.Int32(1), aws.Int32(2), nil)
			in.ScalableDimension = astypes.ScalableDimensionDynamoDBTableReadCapacityUnits
			_, err := a.RegisterScalableTarget(ctx, in)
			return err
		}, "ValidationException", "Unsupported scalable dimension"},
		{"a service that does not exist", func() error {
			_, err := a.RegisterScalableTarget(ctx, register("service/prod/gone", aws.Int32(1), aws.Int32(2), nil))
			return err
		}, "ValidationException", "ECS service doesn't exist: service/prod/gone"},
		{"a new target without its capacities", func() error {
			_, err := a.RegisterScalableTarget(ctx, register("service/prod/api", aws.Int32(1), nil, nil))
			return err
		}, "ValidationException", "MinCapacity and MaxCapacity are required"},
		{"a minimum over the maximum", func() error {
			_, err := a.RegisterScalableTarget(ctx, register("service/prod/api", aws.Int32(5), aws.Int32(2), nil))
			return err
		}, "ValidationException", "cannot be greater than maximum"},
		{"a dimension without resource IDs", func() error {
			_, err := a.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
				ServiceNamespace: astypes.ServiceNamespaceEcs, ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount})
			return err
		}, "ValidationException", "resource ID"},
		{"MaxResults over 50", func() error {
			_, err := a.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: astypes.ServiceNamespaceEcs, MaxResults: aws.Int32(51)})
			return err
		}, "ValidationException", "maxResults"},
		{"a token the account did not give", func() error {
			_, err := a.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: astypes.ServiceNamespaceEcs, NextToken: aws.String("x")})
			return err
		}, "InvalidNextTokenException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			wantAPIError(t, err, tc.code, tc.msg)
			var opErr *smithy.OperationError
			if errors.As(err, &opErr); opErr.ServiceID != "Application Auto Scaling" {
				t.Errorf("service ID %q", opErr.ServiceID)
			}
		})
	}
	var validation *astypes.ValidationException
	_, err := a.RegisterScalableTarget(ctx, register("service/prod/gone", aws.Int32(1), aws.Int32(2), nil))
	if !errors.As(err, &validation) || step.Name(step.AWSError("RegisterScalableTarget", err)) != contract.ErrInvalidInput {
		t.Errorf("err %T %v: want the SDK's ValidationException, invalid input", err, err)
	}
	for name, call := range map[string]func() error{
		"RegisterScalableTarget": func() error {
			_, err := a.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{})
			return err
		},
		"DescribeScalableTargets": func() error { _, err := a.DescribeScalableTargets(ctx, nil); return err },
	} {
		var invalid smithy.InvalidParamsError
		if err := call(); !errors.As(err, &invalid) {
			t.Errorf("%s without its required members: %v, want InvalidParamsError", name, err)
		}
	}
	if len(a.Actions()) != 0 {
		t.Errorf("actions %v after errors only", a.Actions())
	}
}

func TestAutoScalingIsThrottled(t *testing.T) {
	a := newAccount(t)
	a.ThrottleFirst(1)
	ctx := context.Background()
	in := register("service/prod/api", aws.Int32(1), aws.Int32(2), nil)
	_, err := a.RegisterScalableTarget(ctx, in)
	wantAPIError(t, err, "ThrottlingException", "")
	if step.Name(step.AWSError("RegisterScalableTarget", err)) != contract.ErrTransient || len(a.Actions()) != 0 {
		t.Fatalf("throttled: %v, actions %v", err, a.Actions())
	}
	if _, err := a.RegisterScalableTarget(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: astypes.ServiceNamespaceEcs}); err == nil {
		t.Fatal("the first DescribeScalableTargets was not throttled")
	}
	if got := a.Calls(); got["Application Auto Scaling.RegisterScalableTarget"] != 2 || got["Application Auto Scaling.DescribeScalableTargets"] != 1 {
		t.Errorf("calls %v", got)
	}
	if !reflect.DeepEqual(a.Actions(), []inmemory.Action{{API: "RegisterScalableTarget", Target: "service/prod/api"}}) {
		t.Errorf("actions %v", a.Actions())
	}
}
