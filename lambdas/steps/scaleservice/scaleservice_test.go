package scaleservice

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/ecstest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const (
	otherCluster = "arn:aws:ecs:us-east-1:123456789012:cluster/staging"
	apiTD        = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"
)

func withStatus(s types.Service, status string) types.Service {
	s.Status = aws.String(status)
	return s
}

// startedBy is the fixture task, running td, started by who.
func startedBy(who, td string) types.Task {
	t := ecstest.RunningTask()
	t.StartedBy, t.TaskDefinitionArn = aws.String(who), aws.String(td)
	if who == "" {
		t.StartedBy = nil
	}
	return t
}

// suspendedTarget is the fixture target already left at 0..0, suspended.
func suspendedTarget() astypes.ScalableTarget {
	t := ecstest.ScalableTarget(0, 0)
	t.SuspendedState = &astypes.SuspendedState{
		DynamicScalingInSuspended: aws.Bool(true), DynamicScalingOutSuspended: aws.Bool(true), ScheduledScalingSuspended: aws.Bool(true),
	}
	return t
}

var (
	throttled    = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	serverError  = &types.ServerException{Message: aws.String("Service Unavailable. Please try again later.")}
	accessDenied = &types.AccessDeniedException{Message: aws.String("not authorized to perform: ecs:UpdateService")}
	invalidParam = &types.InvalidParameterException{Message: aws.String("Invalid service name.")}
	notFound     = &types.ServiceNotFoundException{Message: aws.String("Service not found.")}
	notActive    = &types.ServiceNotActiveException{Message: aws.String("Service was not ACTIVE.")}
	asThrottled  = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	asConcurrent = &astypes.ConcurrentUpdateException{Message: aws.String("Concurrent update to the scalable target")}

	// the calls of a verified service task
	verified = []string{"DescribeServices", "DescribeTasks", "DescribeScalableTargets"}

	scaled    = ecstest.Change{API: "UpdateService", Target: ecstest.ServiceArn}
	suspended = ecstest.Change{API: "RegisterScalableTarget", Target: ecstest.ResourceID}
	atZero    = contract.Scaling{DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true}
)

func calls(extra ...string) []string { return append(slices.Clone(verified), extra...) }

// service is the fixture service at the desired count, with its task.
func service(desired int32) func(*ecstest.Fake) {
	return func(f *ecstest.Fake) { f.AddService(ecstest.Service(desired)).AddTask(ecstest.RunningTask()) }
}

// handleCase is one run of Handle on a fake account and what it must do.
type handleCase struct {
	name  string
	setup func(*ecstest.Fake)
	state contract.State
	// want
	changed     bool
	prev        *int32
	target      string
	detail      string // part of Detail
	reason      string
	err         string // error name; "" = success
	errText     string // part of the error's message
	calls       []string
	changes     []ecstest.Change
	desiredLeft *int32 // the service's desired count afterwards
	scalable    *contract.ScalableTarget
	targetLeft  *contract.Scaling
}

// scales: the task is verified as the service's, which has no scalable
// target and is scaled from desired to 0.
func scales(name string, setup func(*ecstest.Fake), desired int32) handleCase {
	return handleCase{name: name, setup: setup, changed: true, prev: aws.Int32(desired), target: ecstest.ServiceArn,
		detail: fmt.Sprintf("desired count %d -> 0", desired), calls: calls("UpdateService"), changes: []ecstest.Change{scaled},
		desiredLeft: aws.Int32(0)}
}

// unverified: ECS does not confirm that the task is the service's, which is
// left at desired (detail says why).
func unverified(name string, setup func(*ecstest.Fake), desired int32, detail string) handleCase {
	return handleCase{name: name, setup: setup, target: ecstest.ServiceArn, reason: contract.ReasonUnverifiedMembership, detail: detail,
		calls: []string{"DescribeServices", "DescribeTasks"}, desiredLeft: aws.Int32(desired)}
}

// fails: the call api of the service-at-3 fixture fails with err, the step
// fails with the error named want after calls, and nothing changed.
func fails(name, api string, err error, want string, calls []string) handleCase {
	return handleCase{name: name, setup: func(f *ecstest.Fake) { service(3)(f); f.Fail(api, err) }, err: want, calls: calls,
		desiredLeft: aws.Int32(3)}
}

func TestHandle(t *testing.T) {
	enforced := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("approved_registries"))
	tests := []handleCase{
		scales("scales an active service to zero and keeps the count before", service(3), 3),
		{
			name:        "a service already at zero is success without a change",
			setup:       service(0),
			prev:        aws.Int32(0),
			target:      ecstest.ServiceArn,
			detail:      "already at desired count 0",
			calls:       calls(),
			desiredLeft: aws.Int32(0),
		},
		{
			name:   "a deleted service (MISSING) is success without a change",
			setup:  func(f *ecstest.Fake) { f.AddCluster(ecstest.ClusterArn) },
			target: ecstest.ServiceArn,
			detail: "MISSING",
			calls:  []string{"DescribeServices"},
		},
		{
			name:        "an INACTIVE service is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddService(withStatus(ecstest.Service(2), "INACTIVE")) },
			target:      ecstest.ServiceArn,
			detail:      "is INACTIVE",
			calls:       []string{"DescribeServices"},
			desiredLeft: aws.Int32(2),
		},
		{
			name:        "a DRAINING service is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddService(withStatus(ecstest.Service(2), "DRAINING")) },
			target:      ecstest.ServiceArn,
			detail:      "is DRAINING",
			calls:       []string{"DescribeServices"},
			desiredLeft: aws.Int32(2),
		},
		{
			name:   "a deleted cluster is success without a change",
			setup:  func(*ecstest.Fake) {},
			target: ecstest.ServiceArn,
			detail: "ClusterNotFoundException",
			calls:  []string{"DescribeServices"},
		},
		{
			name: "only the task's cluster is touched, not a same-named service elsewhere",
			setup: func(f *ecstest.Fake) {
				s := ecstest.Service(2)
				s.ClusterArn = aws.String(otherCluster)
				s.ServiceArn = aws.String("arn:aws:ecs:us-east-1:123456789012:service/staging/web")
				f.AddService(s).AddCluster(ecstest.ClusterArn)
			},
			target: ecstest.ServiceArn,
			detail: "MISSING",
			calls:  []string{"DescribeServices"},
		},
		{
			name:        "a service deleted between describe and update is success without a change",
			setup:       func(f *ecstest.Fake) { service(3)(f); f.Fail("UpdateService", notFound) },
			target:      ecstest.ServiceArn,
			detail:      "ServiceNotFoundException",
			calls:       calls("UpdateService"),
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "a service deactivated between describe and update is success without a change",
			setup:       func(f *ecstest.Fake) { service(3)(f); f.Fail("UpdateService", notActive) },
			target:      ecstest.ServiceArn,
			detail:      "ServiceNotActiveException",
			calls:       calls("UpdateService"),
			desiredLeft: aws.Int32(3),
		},
		{
			name: "a daemon service's own task cannot be scaled and goes to the failure report",
			setup: func(f *ecstest.Fake) {
				s := ecstest.Service(0)
				s.SchedulingStrategy = types.SchedulingStrategyDaemon
				f.AddService(s).AddTask(ecstest.RunningTask())
			},
			err:   contract.ErrFailed,
			calls: []string{"DescribeServices", "DescribeTasks"},
		},

		// Membership: the group is a claim; ECS decides.
		unverified("a task whose group names another service scales nothing",
			func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(3)).AddTask(startedBy("ecs-svc/9999999999999999999", apiTD))
			}, 3,
			`was started by "ecs-svc/9999999999999999999" and runs api:3, which no deployment of service web runs (primary ecs-svc/1234567890123456789 runs web:7)`),
		unverified("a RunTask task with the service's group and task definition scales nothing",
			func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(3)).AddTask(startedBy("manual", ecstest.TaskDefinitionArn))
			}, 3,
			`runs web:7, as service web's deployment ecs-svc/1234567890123456789 does, but was started by "manual", not by that deployment`),
		unverified("a task without startedBy scales nothing",
			func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(3)).AddTask(startedBy("", ecstest.TaskDefinitionArn))
			}, 3,
			"was started by nothing (startedBy is empty)"),
		scales("a task of the service's older, still ACTIVE deployment is the service's", func(f *ecstest.Fake) {
			s := ecstest.Service(3)
			s.Deployments = append([]types.Deployment{{Id: aws.String("ecs-svc/2222222222222222222"), Status: aws.String("PRIMARY"),
				TaskDefinition: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:8")}}, s.Deployments...)
			s.Deployments[1].Status = aws.String("ACTIVE")
			f.AddService(s).AddTask(ecstest.RunningTask())
		}, 3),
		unverified("a task ECS no longer has (MISSING) scales nothing",
			func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)) }, 3,
			"no longer exists (DescribeTasks: MISSING)"),
		unverified("a task that cannot be described (its cluster is gone) scales nothing", func(f *ecstest.Fake) {
			service(3)(f)
			f.Fail("DescribeTasks", &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")})
		}, 3, "cannot be described (ClusterNotFoundException)"),
		fails("throttled DescribeTasks is retried, and nothing changed", "DescribeTasks", throttled, contract.ErrTransient,
			[]string{"DescribeServices", "DescribeTasks"}),
		scales("a CODE_DEPLOY service's task is verified against its task sets", func(f *ecstest.Fake) {
			f.AddService(ecstest.TaskSetService(2, types.DeploymentControllerTypeCodeDeploy)).AddTask(ecstest.RunningTask())
		}, 2),
		scales("an EXTERNAL service's task is verified against its task sets", func(f *ecstest.Fake) {
			f.AddService(ecstest.TaskSetService(2, types.DeploymentControllerTypeExternal)).AddTask(ecstest.RunningTask())
		}, 2),
		unverified("a task started by no task set of an EXTERNAL service scales nothing", func(f *ecstest.Fake) {
			f.AddService(ecstest.TaskSetService(2, types.DeploymentControllerTypeExternal)).AddTask(startedBy("deployer", ecstest.TaskDefinitionArn))
		}, 2, `as service web's task set ecs-svc/1234567890123456789 does, but was started by "deployer", not by that task set`),
		unverified("a task set service's task is not verified against deployments", func(f *ecstest.Fake) {
			s := ecstest.TaskSetService(2, types.DeploymentControllerTypeCodeDeploy)
			s.TaskSets = nil
			s.Deployments = ecstest.Service(2).Deployments
			f.AddService(s).AddTask(ecstest.RunningTask())
		}, 2, "service web has no task set to compare with"),

		// Application Auto Scaling.
		{
			name:        "a service with a scalable target has its scaling suspended at 0..0 first",
			setup:       func(f *ecstest.Fake) { service(3)(f); f.AddScalableTarget(ecstest.ScalableTarget(2, 10)) },
			changed:     true,
			prev:        aws.Int32(3),
			target:      ecstest.ServiceArn,
			detail:      "scalable target service/prod/web suspended at min 0, max 0 (it was min 2, max 10, scaling not suspended)",
			calls:       calls("RegisterScalableTarget", "UpdateService"),
			changes:     []ecstest.Change{suspended, scaled},
			desiredLeft: aws.Int32(0),
			scalable: &contract.ScalableTarget{ResourceID: ecstest.ResourceID, Changed: true,
				Previous: contract.Scaling{MinCapacity: 2, MaxCapacity: 10}, Now: atZero},
			targetLeft: &atZero,
		},
		{
			name:        "a service at zero whose target would scale it up is suspended",
			setup:       func(f *ecstest.Fake) { service(0)(f); f.AddScalableTarget(ecstest.ScalableTarget(1, 4)) },
			changed:     true,
			prev:        aws.Int32(0),
			target:      ecstest.ServiceArn,
			detail:      "already at desired count 0; scalable target service/prod/web suspended",
			calls:       calls("RegisterScalableTarget"),
			changes:     []ecstest.Change{suspended},
			desiredLeft: aws.Int32(0),
			scalable: &contract.ScalableTarget{ResourceID: ecstest.ResourceID, Changed: true,
				Previous: contract.Scaling{MinCapacity: 1, MaxCapacity: 4}, Now: atZero},
			targetLeft: &atZero,
		},
		{
			name:        "a target already suspended at 0..0 is left as it is",
			setup:       func(f *ecstest.Fake) { service(0)(f); f.AddScalableTarget(suspendedTarget()) },
			prev:        aws.Int32(0),
			target:      ecstest.ServiceArn,
			detail:      "already suspended at min 0, max 0; nothing to do",
			calls:       calls(),
			desiredLeft: aws.Int32(0),
			scalable:    &contract.ScalableTarget{ResourceID: ecstest.ResourceID, Previous: atZero, Now: atZero},
			targetLeft:  &atZero,
		},
		{
			name: "an unverified task leaves the scalable target alone",
			setup: func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(3)).AddTask(startedBy("manual", apiTD)).AddScalableTarget(ecstest.ScalableTarget(2, 10))
			},
			target:      ecstest.ServiceArn,
			reason:      contract.ReasonUnverifiedMembership,
			detail:      "the service was not scaled",
			calls:       []string{"DescribeServices", "DescribeTasks"},
			desiredLeft: aws.Int32(3),
			targetLeft:  &contract.Scaling{MinCapacity: 2, MaxCapacity: 10},
		},
		fails("throttled DescribeScalableTargets is retried, and nothing changed", "DescribeScalableTargets", asThrottled,
			contract.ErrTransient, calls()),
		{
			name: "a concurrent update of the target is retried, and nothing changed",
			setup: func(f *ecstest.Fake) {
				service(3)(f)
				f.AddScalableTarget(ecstest.ScalableTarget(2, 10)).Fail("RegisterScalableTarget", asConcurrent)
			},
			err:         contract.ErrTransient,
			calls:       calls("RegisterScalableTarget"),
			desiredLeft: aws.Int32(3),
			targetLeft:  &contract.Scaling{MinCapacity: 2, MaxCapacity: 10},
		},
		{
			name: "UpdateService refused after the target was suspended: the error says what was done and how to undo it",
			setup: func(f *ecstest.Fake) {
				service(3)(f)
				f.AddScalableTarget(ecstest.ScalableTarget(2, 10)).Fail("UpdateService", accessDenied)
			},
			err:         contract.ErrAccessDenied,
			errText:     "already done: scalable target service/prod/web suspended at min 0, max 0 (it was min 2, max 10, scaling not suspended): restore it after the service, with: aws application-autoscaling register-scalable-target",
			calls:       calls("RegisterScalableTarget", "UpdateService"),
			changes:     []ecstest.Change{suspended},
			desiredLeft: aws.Int32(3),
			targetLeft:  &atZero,
		},

		// Errors.
		fails("throttled DescribeServices is retried", "DescribeServices", throttled, contract.ErrTransient, []string{"DescribeServices"}),
		fails("throttled UpdateService is retried", "UpdateService", throttled, contract.ErrTransient, calls("UpdateService")),
		fails("a server error is retried", "UpdateService", serverError, contract.ErrTransient, calls("UpdateService")),
		fails("access denied is not retried", "UpdateService", accessDenied, contract.ErrAccessDenied, calls("UpdateService")),
		fails("a validation error is invalid input", "DescribeServices", invalidParam, contract.ErrInvalidInput, []string{"DescribeServices"}),
		{
			name:        "a standalone task reaching the step is invalid input, and nothing is called",
			setup:       service(3),
			state:       ecstest.State(ecstest.Task(""), ecstest.Violation("approved_registries")),
			err:         contract.ErrInvalidInput,
			desiredLeft: aws.Int32(3),
		},
		{
			name:  "a state without $.task is invalid input",
			setup: service(3),
			state: ecstest.State(nil, ecstest.Violation("approved_registries")),
			err:   contract.ErrInvalidInput,
		},
		{
			name:  "an audit-only decision is refused, and nothing is called",
			setup: service(3),
			state: func() contract.State {
				s := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("approved_registries"))
				s.Evaluation.Outcome = contract.OutcomeReport
				return s
			}(),
			err:         contract.ErrInvalidInput,
			desiredLeft: aws.Int32(3),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			st := tc.state
			if st.Evaluation == nil {
				st = enforced
			}
			h := &Handler{ECS: fake}
			res, err := h.Handle(context.Background(), st)

			if calls := fake.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			if changes := fake.Changes(); !slices.Equal(changes, tc.changes) {
				t.Errorf("changes %v, want %v", changes, tc.changes)
			}
			if tc.desiredLeft != nil {
				s, _ := fake.Service(ecstest.ClusterArn, ecstest.ServiceName)
				if s.DesiredCount != *tc.desiredLeft {
					t.Errorf("desired count afterwards %d, want %d", s.DesiredCount, *tc.desiredLeft)
				}
			}
			if tc.targetLeft != nil {
				got, _ := fake.ScalableTargetOf(ecstest.ResourceID)
				if s := scaling(got); s != *tc.targetLeft {
					t.Errorf("scalable target afterwards %+v, want %+v", s, *tc.targetLeft)
				}
			}
			if tc.err != "" {
				if err == nil || step.Name(err) != tc.err || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("Handle = %+v, %v (%s); want error %s containing %q", res, err, step.Name(err), tc.err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("Handle: %v (%s)", err, step.Name(err))
			}
			if res.API != contract.APIUpdateService || res.Target != tc.target || res.Changed != tc.changed || res.Reason != tc.reason {
				t.Errorf("Handle = {API %s, Target %s, Changed %t, Reason %q}, want {UpdateService, %s, %t, %q}",
					res.API, res.Target, res.Changed, res.Reason, tc.target, tc.changed, tc.reason)
			}
			if !equalPtr(res.PreviousDesiredCount, tc.prev) {
				t.Errorf("PreviousDesiredCount %s, want %s", show(res.PreviousDesiredCount), show(tc.prev))
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Detail %q, want it to contain %q", res.Detail, tc.detail)
			}
			if !reflect.DeepEqual(res.ScalableTarget, tc.scalable) {
				t.Errorf("ScalableTarget %+v, want %+v", res.ScalableTarget, tc.scalable)
			}
		})
	}
}

// A fake that is only ECS: the step cannot check the scalable target, and
// says so instead of scaling without it.
func TestHandleWithoutAutoScalingClient(t *testing.T) {
	fake := ecstest.NewFake().AddService(ecstest.Service(3)).AddTask(ecstest.RunningTask())
	h := &Handler{ECS: struct{ ECS }{fake}}
	_, err := h.Handle(context.Background(), ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged")))
	if step.Name(err) != contract.ErrFailed || !strings.Contains(err.Error(), "no Application Auto Scaling client") {
		t.Fatalf("err = %v, want %s naming the missing client", err, contract.ErrFailed)
	}
	if len(fake.Changes()) != 0 {
		t.Errorf("changes %v, want none", fake.Changes())
	}
}

// Handle runs again on every retry: the second run finds the service at zero
// (and the target suspended) and changes nothing.
func TestHandleTwiceChangesOnce(t *testing.T) {
	lostResponse := fmt.Errorf("send request: %w", context.DeadlineExceeded)
	tests := []struct {
		name        string
		setup       func(*ecstest.Fake)
		firstErr    string
		firstChange bool
		changes     []ecstest.Change
	}{
		{
			name:        "a second run after a success",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(4)).AddTask(ecstest.RunningTask()) },
			firstChange: true,
			changes:     []ecstest.Change{scaled},
		},
		{
			name: "a retry after an UpdateService whose response was lost",
			setup: func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(4)).AddTask(ecstest.RunningTask()).FailAfterEffect("UpdateService", lostResponse)
			},
			firstErr: contract.ErrTransient,
			changes:  []ecstest.Change{scaled},
		},
		{
			name: "a second run after suspending the target and scaling",
			setup: func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(4)).AddTask(ecstest.RunningTask()).AddScalableTarget(ecstest.ScalableTarget(2, 8))
			},
			firstChange: true,
			changes:     []ecstest.Change{suspended, scaled},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			st := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged"))
			second := ecstest.Twice(t, fake, (&Handler{ECS: fake}).Handle, st, tc.firstErr, tc.firstChange, "DescribeScalableTargets", tc.changes...)
			if !equalPtr(second.PreviousDesiredCount, aws.Int32(0)) {
				t.Errorf("second run = %+v, want desired count 0 before it", second)
			}
		})
	}
}

// A RegisterScalableTarget whose response is lost leaves the target
// suspended and the service up: the retry finds the target at 0..0 and
// scales the service, each change once.
func TestHandleRetryAfterALostSuspension(t *testing.T) {
	fake := ecstest.NewFake().AddService(ecstest.Service(4)).AddTask(ecstest.RunningTask()).AddScalableTarget(ecstest.ScalableTarget(2, 8)).
		FailAfterEffect("RegisterScalableTarget", fmt.Errorf("send request: %w", context.DeadlineExceeded))
	h := &Handler{ECS: fake}
	st := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged"))
	if first, err := h.Handle(context.Background(), st); step.Name(err) != contract.ErrTransient {
		t.Fatalf("first run %+v, %v; want %s", first, err, contract.ErrTransient)
	}
	second, err := h.Handle(context.Background(), st)
	if err != nil || !second.Changed || second.ScalableTarget == nil || second.ScalableTarget.Changed || *second.PreviousDesiredCount != 4 {
		t.Fatalf("second run %+v, %v; want the service scaled from 4 and the target found suspended", second, err)
	}
	if got := fake.Changes(); !slices.Equal(got, []ecstest.Change{suspended, scaled}) {
		t.Errorf("changes %v, want one suspension and one scaling", got)
	}
}

// A run that finds $.remediation.service from an earlier attempt of the
// same execution keeps that attempt's original values: by now AWS only has
// the changed ones (desired count 0, target suspended at 0..0).
func TestHandleKeepsTheOriginalValuesItIsGiven(t *testing.T) {
	fake := ecstest.NewFake().AddService(ecstest.Service(3)).AddTask(ecstest.RunningTask()).AddScalableTarget(ecstest.ScalableTarget(2, 10))
	h := &Handler{ECS: fake}
	st := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged"))
	first, err := h.Handle(context.Background(), st)
	if err != nil || !first.Changed {
		t.Fatalf("first run %+v, %v", first, err)
	}
	st.Remediation = &contract.Remediation{Service: &first}
	second, err := h.Handle(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	want := contract.ActionResult{
		API: contract.APIUpdateService, Target: ecstest.ServiceArn, Changed: true, PreviousDesiredCount: aws.Int32(3),
		ScalableTarget: &contract.ScalableTarget{ResourceID: ecstest.ResourceID, Changed: true,
			Previous: contract.Scaling{MinCapacity: 2, MaxCapacity: 10}, Now: atZero},
	}
	second.Detail = ""
	if !reflect.DeepEqual(second, want) {
		t.Errorf("second run\n %+v\nwant\n %+v", second, want)
	}
	if got := fake.Changes(); !slices.Equal(got, []ecstest.Change{suspended, scaled}) {
		t.Errorf("changes %v, want one suspension and one scaling", got)
	}

	// Without what the first run returned, the second only sees AWS now.
	bare, err := h.Handle(context.Background(), ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged")))
	if err != nil || bare.Changed || *bare.PreviousDesiredCount != 0 || bare.ScalableTarget.Previous != atZero {
		t.Errorf("run without the earlier result = %+v, %v", bare, err)
	}

	// A result for another service is not taken for this one's.
	other := first
	other.Target = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	st.Remediation = &contract.Remediation{Service: &other}
	if res, err := h.Handle(context.Background(), st); err != nil || *res.PreviousDesiredCount != 0 {
		t.Errorf("run with another service's result = %+v, %v", res, err)
	}
}

func TestMember(t *testing.T) {
	tests := []struct {
		name string
		task types.Task
		svc  types.Service
		want bool
		why  string
	}{
		{"the service's own task", ecstest.RunningTask(), ecstest.Service(1), true, ""},
		{"a task set's task", ecstest.RunningTask(), ecstest.TaskSetService(1, types.DeploymentControllerTypeCodeDeploy), true, ""},
		{"another task definition", startedBy(ecstest.DeploymentID, apiTD), ecstest.Service(1), false, "which no deployment of service web runs"},
		{"no task definition at all", startedBy(ecstest.DeploymentID, ""), ecstest.Service(1), false, "runs no task definition"},
		{"a service without deployments", ecstest.RunningTask(), func() types.Service { s := ecstest.Service(1); s.Deployments = nil; return s }(),
			false, "has no deployment to compare with"},
		{"a default (unset) controller uses deployments", ecstest.RunningTask(), func() types.Service { s := ecstest.Service(1); s.DeploymentController = nil; return s }(),
			true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := member(tc.task, tc.svc)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("member = %t %q, want %t containing %q", ok, why, tc.want, tc.why)
			}
		})
	}
}

func TestHandleThroughECSClient(t *testing.T) {
	active, missing, updated := ecstest.Testdata(t, "describe-services-active.json"), ecstest.Testdata(t, "describe-services-missing.json"), ecstest.Testdata(t, "update-service.json")
	running := ecstest.Testdata(t, "describe-tasks-running.json")
	runTask := strings.Replace(running, `"startedBy": "ecs-svc/1234567890123456789"`, `"startedBy": "manual"`, 1)
	targets, noTargets, registered := ecstest.Testdata(t, "describe-scalable-targets.json"), ecstest.Testdata(t, "describe-scalable-targets-none.json"), ecstest.Testdata(t, "register-scalable-target.json")
	const (
		describeBody  = `{"cluster": "` + ecstest.ClusterArn + `", "services": ["web"]}`
		tasksBody     = `{"cluster": "` + ecstest.ClusterArn + `", "tasks": ["` + ecstest.TaskArn + `"]}`
		targetsBody   = `{"ServiceNamespace": "ecs", "ResourceIds": ["service/prod/web"], "ScalableDimension": "ecs:service:DesiredCount"}`
		registerBody  = `{"ServiceNamespace": "ecs", "ResourceId": "service/prod/web", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 0, "MaxCapacity": 0, "SuspendedState": {"DynamicScalingInSuspended": true, "DynamicScalingOutSuspended": true, "ScheduledScalingSuspended": true}}`
		updateBody    = `{"cluster": "` + ecstest.ClusterArn + `", "service": "web", "desiredCount": 0}`
		verifiedThree = "DescribeServices DescribeTasks DescribeScalableTargets"
	)
	ops := func(s string) []string { return strings.Fields(s) }
	tests := []struct {
		name     string
		describe []ecstest.Reply
		tasks    []ecstest.Reply
		targets  []ecstest.Reply
		register []ecstest.Reply
		update   []ecstest.Reply
		changed  bool
		prev     *int32
		previous *contract.Scaling
		detail   string
		err      string
		ops      []string
	}{
		{
			name:     "sends desiredCount 0 for the service in the task's cluster",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.OK(updated)},
			changed:  true,
			prev:     aws.Int32(3),
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "suspends the scalable target at 0..0, then scales",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(targets)},
			register: []ecstest.Reply{ecstest.OK(registered)},
			update:   []ecstest.Reply{ecstest.OK(updated)},
			changed:  true,
			prev:     aws.Int32(3),
			previous: &contract.Scaling{MinCapacity: 2, MaxCapacity: 10, ScheduledScalingSuspended: true},
			detail:   "(it was min 2, max 10, scheduled scaling suspended)",
			ops:      ops(verifiedThree + " RegisterScalableTarget UpdateService"),
		},
		{
			name:     "a task started by RunTask scales nothing",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(runTask)},
			detail:   `but was started by "manual"`,
			ops:      ops("DescribeServices DescribeTasks"),
		},
		{
			name:     "a MISSING failure is success without a change",
			describe: []ecstest.Reply{ecstest.OK(missing)},
			detail:   "MISSING",
			ops:      ops("DescribeServices"),
		},
		{
			name:     "ServiceNotFoundException on update is success without a change",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.ServiceNotFound},
			detail:   "ServiceNotFoundException: Service not found.",
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "ServiceNotActiveException on update is success without a change",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.ServiceInactive},
			detail:   "ServiceNotActiveException",
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "ClusterNotFoundException is success without a change",
			describe: []ecstest.Reply{ecstest.ClusterNotFound},
			detail:   "ClusterNotFoundException",
			ops:      ops("DescribeServices"),
		},
		{
			name:     "ThrottlingException on describe is transient",
			describe: []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      ops("DescribeServices"),
		},
		{
			name:     "ThrottlingException on DescribeTasks is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      ops("DescribeServices DescribeTasks"),
		},
		{
			name:     "ThrottlingException on DescribeScalableTargets is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      ops(verifiedThree),
		},
		{
			name:     "Application Auto Scaling's AccessDeniedException is access denied",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(targets)},
			register: []ecstest.Reply{ecstest.Error(400, "AccessDeniedException", "not authorized to perform: application-autoscaling:RegisterScalableTarget")},
			err:      contract.ErrAccessDenied,
			ops:      ops(verifiedThree + " RegisterScalableTarget"),
		},
		{
			name:     "ConcurrentUpdateException is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(targets)},
			register: []ecstest.Reply{ecstest.Error(500, "ConcurrentUpdateException", "Concurrent update to the scalable target")},
			err:      contract.ErrTransient,
			ops:      ops(verifiedThree + " RegisterScalableTarget"),
		},
		{
			name:     "ThrottlingException on update is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "ServerException is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.ServerError},
			err:      contract.ErrTransient,
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "an unmodelled 503 is transient",
			describe: []ecstest.Reply{ecstest.Error(503, "ServiceUnavailableException", "Service unavailable")},
			err:      contract.ErrTransient,
			ops:      ops("DescribeServices"),
		},
		{
			name:     "AccessDeniedException is access denied",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.AccessDenied},
			err:      contract.ErrAccessDenied,
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "InvalidParameterException is invalid input",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.Error(400, "InvalidParameterException", "Invalid desired count.")},
			err:      contract.ErrInvalidInput,
			ops:      ops(verifiedThree + " UpdateService"),
		},
		{
			name:     "another ClientException is a permanent failure",
			describe: []ecstest.Reply{ecstest.OK(active)},
			tasks:    []ecstest.Reply{ecstest.OK(running)},
			targets:  []ecstest.Reply{ecstest.OK(noTargets)},
			update:   []ecstest.Reply{ecstest.Error(400, "ClientException", "The service could not be updated.")},
			err:      contract.ErrFailed,
			ops:      ops(verifiedThree + " UpdateService"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecstest.NewServer(t).On("DescribeServices", tc.describe...).On("DescribeTasks", tc.tasks...).
				On("DescribeScalableTargets", tc.targets...).On("RegisterScalableTarget", tc.register...).On("UpdateService", tc.update...)
			h := &Handler{ECS: srv.Client(), AutoScaling: srv.AutoScalingClient()}
			res, err := h.Handle(context.Background(), ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("approved_registries")))
			ok := ecstest.CheckWire(t, srv, res, err, ecstest.Wire{
				Ops: tc.ops, Err: tc.err,
				Bodies: map[string]string{"DescribeServices": describeBody, "DescribeTasks": tasksBody, "DescribeScalableTargets": targetsBody,
					"RegisterScalableTarget": registerBody, "UpdateService": updateBody},
				API: contract.APIUpdateService, Target: ecstest.ServiceArn, Changed: tc.changed, Detail: tc.detail,
			})
			if !ok {
				return
			}
			if !equalPtr(res.PreviousDesiredCount, tc.prev) {
				t.Errorf("previous desired count %s, want %s", show(res.PreviousDesiredCount), show(tc.prev))
			}
			switch {
			case tc.previous == nil && res.ScalableTarget != nil:
				t.Errorf("scalable target %+v, want none", res.ScalableTarget)
			case tc.previous != nil && (res.ScalableTarget == nil || res.ScalableTarget.Previous != *tc.previous || !res.ScalableTarget.Changed):
				t.Errorf("scalable target %+v, want changed from %+v", res.ScalableTarget, *tc.previous)
			}
		})
	}
}

func equalPtr(a, b *int32) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// The step as the Lambda runtime runs it: the workflow document in as JSON,
// the ActionResult out as JSON (what lands in $.remediation.service).
func TestInvokeJSON(t *testing.T) {
	const document = `{
	  "version": "0", "detail-type": "ECS Task State Change", "source": "aws.ecs",
	  "account": "123456789012", "region": "us-east-1",
	  "detail": {"taskArn": "` + ecstest.TaskArn + `"},
	  "task": {"taskArn": "` + ecstest.TaskArn + `", "clusterArn": "` + ecstest.ClusterArn + `", "cluster": "prod",
	           "taskDefinitionArn": "` + ecstest.TaskDefinitionArn + `", "family": "web", "revision": 7,
	           "group": "service:web", "service": "web", "account": "123456789012", "region": "us-east-1", "duplicate": false},
	  "evaluation": {"policy": {"path": "/ecs-compliance/policy", "hash": "0123abcd"},
	                 "decision": {"compliant": false, "violations": [{"rule": "approved_registries", "title": "t", "severity": "HIGH",
	                              "container": "app", "message": "m", "controls": []}], "warnings": [], "exempted": []},
	                 "mode": "enforce", "outcome": "REMEDIATE", "approvalRequired": false}
	}`
	tests := []struct {
		name    string
		desired int32
		target  *astypes.ScalableTarget
		task    types.Task
		want    string
	}{
		{
			name:    "a scaled service reports the count before",
			desired: 2,
			task:    ecstest.RunningTask(),
			want: `{"api": "UpdateService", "target": "` + ecstest.ServiceArn + `", "changed": true, "previousDesiredCount": 2,
			        "detail": "desired count 2 -> 0; to restore, update service web in cluster prod to a compliant task definition with desired count 2"}`,
		},
		{
			name:    "a service already at zero reports 0, not nothing",
			desired: 0,
			task:    ecstest.RunningTask(),
			want: `{"api": "UpdateService", "target": "` + ecstest.ServiceArn + `", "changed": false, "previousDesiredCount": 0,
			        "detail": "service web was already at desired count 0; nothing to do"}`,
		},
		{
			name:    "a suspended scalable target reports what it was",
			desired: 2,
			target:  ptr(ecstest.ScalableTarget(1, 6)),
			task:    ecstest.RunningTask(),
			want: `{"api": "UpdateService", "target": "` + ecstest.ServiceArn + `", "changed": true, "previousDesiredCount": 2,
			        "scalableTarget": {"resourceId": "service/prod/web", "changed": true,
			          "previous": {"minCapacity": 1, "maxCapacity": 6, "dynamicScalingInSuspended": false, "dynamicScalingOutSuspended": false, "scheduledScalingSuspended": false},
			          "now": {"minCapacity": 0, "maxCapacity": 0, "dynamicScalingInSuspended": true, "dynamicScalingOutSuspended": true, "scheduledScalingSuspended": true}},
			        "detail": "desired count 2 -> 0; to restore, update service web in cluster prod to a compliant task definition with desired count 2; scalable target service/prod/web suspended at min 0, max 0 (it was min 1, max 6, scaling not suspended): restore it after the service, with: aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/prod/web --min-capacity 1 --max-capacity 6 --suspended-state DynamicScalingInSuspended=false,DynamicScalingOutSuspended=false,ScheduledScalingSuspended=false"}`,
		},
		{
			name:    "an unverified task reports why, with a reason code",
			desired: 2,
			task:    startedBy("manual", apiTD),
			want: `{"api": "UpdateService", "target": "` + ecstest.ServiceArn + `", "changed": false, "reason": "UNVERIFIED_MEMBERSHIP",
			        "detail": "task 1b2c3d4e5f6a41829304b5c6d7e8f9a0 was started by \"manual\" and runs api:3, which no deployment of service web runs (primary ecs-svc/1234567890123456789 runs web:7): ECS does not confirm that the task belongs to service web, so the service was not scaled (the task is stopped next)"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake().AddService(ecstest.Service(tc.desired)).AddTask(tc.task)
			if tc.target != nil {
				fake.AddScalableTarget(*tc.target)
			}
			h := &Handler{ECS: fake}
			out, err := step.Invoke(context.Background(), h.Handle, []byte(document))
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("output %s\nwant %s", out, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
