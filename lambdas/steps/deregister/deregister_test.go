package deregister

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/ecstest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

var (
	throttled    = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	serverError  = &types.ServerException{Message: aws.String("Service Unavailable. Please try again later.")}
	accessDenied = &types.AccessDeniedException{Message: aws.String("not authorized to perform: ecs:DeregisterTaskDefinition")}
	refused      = &types.ClientException{Message: aws.String("The task definition is already inactive.")}
	otherClient  = &types.ClientException{Message: aws.String("Too many concurrent attempts to deregister revisions of the specified family.")}
)

func state() contract.State {
	return ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged"))
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*ecstest.Fake)
		state *contract.State
		// want
		changed    bool
		detail     string
		err        string
		calls      []string
		statusLeft types.TaskDefinitionStatus
	}{
		{
			name:       "deregisters an ACTIVE revision",
			setup:      func(f *ecstest.Fake) { f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)) },
			changed:    true,
			detail:     "status ACTIVE -> INACTIVE",
			calls:      []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusInactive,
		},
		{
			name:       "an INACTIVE revision is success without a change",
			setup:      func(f *ecstest.Fake) { f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusInactive)) },
			detail:     "already INACTIVE",
			calls:      []string{"DescribeTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusInactive,
		},
		{
			name: "a revision being deleted is success without a change",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusDeleteInProgress))
			},
			detail:     "already DELETE_IN_PROGRESS",
			calls:      []string{"DescribeTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusDeleteInProgress,
		},
		{
			name:  "a revision ECS does not know is not found, not retried",
			setup: func(*ecstest.Fake) {},
			err:   contract.ErrNotFound,
			calls: []string{"DescribeTaskDefinition"},
		},
		{
			name: "a revision gone between describe and deregister is not found",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).
					Fail("DeregisterTaskDefinition", &types.ClientException{Message: aws.String("The specified task definition does not exist.")})
			},
			err:        contract.ErrNotFound,
			calls:      []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name: "a revision someone else deregistered meanwhile is success without a change",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).
					FailAfterEffect("DeregisterTaskDefinition", refused)
			},
			detail:     "became INACTIVE meanwhile",
			calls:      []string{"DescribeTaskDefinition", "DeregisterTaskDefinition", "DescribeTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusInactive,
		},
		{
			name: "a ClientException on a revision still ACTIVE is a permanent failure",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).
					Fail("DeregisterTaskDefinition", otherClient)
			},
			err:        contract.ErrFailed,
			calls:      []string{"DescribeTaskDefinition", "DeregisterTaskDefinition", "DescribeTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name: "throttled DescribeTaskDefinition is retried",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).Fail("DescribeTaskDefinition", throttled)
			},
			err:        contract.ErrTransient,
			calls:      []string{"DescribeTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name: "a server error on DeregisterTaskDefinition is retried",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).Fail("DeregisterTaskDefinition", serverError)
			},
			err:        contract.ErrTransient,
			calls:      []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name: "access denied is not retried",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).Fail("DeregisterTaskDefinition", accessDenied)
			},
			err:        contract.ErrAccessDenied,
			calls:      []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:  "a malformed task definition ARN is invalid input, and nothing is called",
			setup: func(f *ecstest.Fake) { f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)) },
			state: func() *contract.State {
				s := state()
				s.Task.TaskDefinitionArn = "web:7"
				return &s
			}(),
			err:        contract.ErrInvalidInput,
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:  "a compliant decision is refused, and nothing is called",
			setup: func(f *ecstest.Fake) { f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)) },
			state: func() *contract.State {
				s := state()
				s.Evaluation.Decision.Compliant = true
				s.Evaluation.Outcome = contract.OutcomeCompliant
				return &s
			}(),
			err:        contract.ErrInvalidInput,
			statusLeft: types.TaskDefinitionStatusActive,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			st := state()
			if tc.state != nil {
				st = *tc.state
			}
			res, err := (&Handler{ECS: fake}).Handle(context.Background(), st)

			if calls := fake.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			if tc.statusLeft != "" {
				td, _ := fake.TaskDefinition(ecstest.TaskDefinitionArn)
				if td.Status != tc.statusLeft {
					t.Errorf("status afterwards %s, want %s", td.Status, tc.statusLeft)
				}
			}
			if tc.err != "" {
				if err == nil || step.Name(err) != tc.err {
					t.Fatalf("Handle = %+v, %v (%s); want error %s", res, err, step.Name(err), tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Handle: %v (%s)", err, step.Name(err))
			}
			if res.API != contract.APIDeregisterTaskDefinition || res.Target != ecstest.TaskDefinitionArn || res.Changed != tc.changed {
				t.Errorf("Handle = {API %s, Target %s, Changed %t}, want {DeregisterTaskDefinition, %s, %t}",
					res.API, res.Target, res.Changed, ecstest.TaskDefinitionArn, tc.changed)
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Detail %q, want it to contain %q", res.Detail, tc.detail)
			}
		})
	}
}

// Handle runs again on every retry: the second run finds the revision
// INACTIVE and changes nothing.
func TestHandleTwiceChangesOnce(t *testing.T) {
	lostResponse := fmt.Errorf("send request: %w", context.DeadlineExceeded)
	tests := []struct {
		name        string
		setup       func(*ecstest.Fake)
		firstErr    string
		firstChange bool
	}{
		{
			name:        "a second run after a success",
			setup:       func(f *ecstest.Fake) { f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)) },
			firstChange: true,
		},
		{
			name: "a retry after a DeregisterTaskDefinition whose response was lost",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)).
					FailAfterEffect("DeregisterTaskDefinition", lostResponse)
			},
			firstErr: contract.ErrTransient,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			second := ecstest.Twice(t, fake, (&Handler{ECS: fake}).Handle, state(), tc.firstErr, tc.firstChange,
				"DescribeTaskDefinition", ecstest.Change{API: "DeregisterTaskDefinition", Target: ecstest.TaskDefinitionArn})
			if !strings.Contains(second.Detail, "already INACTIVE") {
				t.Errorf("second run detail %q, want already INACTIVE", second.Detail)
			}
		})
	}
}

func TestHandleThroughECSClient(t *testing.T) {
	active, inactive, deregistered := ecstest.Testdata(t, "describe-task-definition-active.json"),
		ecstest.Testdata(t, "describe-task-definition-inactive.json"), ecstest.Testdata(t, "deregister-task-definition.json")
	const body = `{"taskDefinition": "` + ecstest.TaskDefinitionArn + `"}`
	tests := []struct {
		name       string
		describe   []ecstest.Reply
		deregister []ecstest.Reply
		changed    bool
		detail     string
		err        string
		ops        []string
	}{
		{
			name:       "sends DeregisterTaskDefinition with the task definition ARN",
			describe:   []ecstest.Reply{ecstest.OK(active)},
			deregister: []ecstest.Reply{ecstest.OK(deregistered)},
			changed:    true,
			detail:     "status ACTIVE -> INACTIVE",
			ops:        []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
		},
		{
			name:     "an INACTIVE revision is success without a change",
			describe: []ecstest.Reply{ecstest.OK(inactive)},
			detail:   "already INACTIVE",
			ops:      []string{"DescribeTaskDefinition"},
		},
		{
			name:     "ClientException Unable to describe task definition is not found",
			describe: []ecstest.Reply{ecstest.TaskDefinitionNotFound},
			err:      contract.ErrNotFound,
			ops:      []string{"DescribeTaskDefinition"},
		},
		{
			name:     "ThrottlingException is transient",
			describe: []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeTaskDefinition"},
		},
		{
			name:       "ServerException is transient",
			describe:   []ecstest.Reply{ecstest.OK(active)},
			deregister: []ecstest.Reply{ecstest.ServerError},
			err:        contract.ErrTransient,
			ops:        []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
		},
		{
			name:       "AccessDeniedException is access denied",
			describe:   []ecstest.Reply{ecstest.OK(active)},
			deregister: []ecstest.Reply{ecstest.AccessDenied},
			err:        contract.ErrAccessDenied,
			ops:        []string{"DescribeTaskDefinition", "DeregisterTaskDefinition"},
		},
		{
			name:       "a ClientException after which the revision is INACTIVE is success without a change",
			describe:   []ecstest.Reply{ecstest.OK(active), ecstest.OK(inactive)},
			deregister: []ecstest.Reply{ecstest.Error(400, "ClientException", "The task definition is already inactive.")},
			detail:     "became INACTIVE meanwhile",
			ops:        []string{"DescribeTaskDefinition", "DeregisterTaskDefinition", "DescribeTaskDefinition"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecstest.NewServer(t).On("DescribeTaskDefinition", tc.describe...).On("DeregisterTaskDefinition", tc.deregister...)
			res, err := (&Handler{ECS: srv.Client()}).Handle(context.Background(), state())
			ecstest.CheckWire(t, srv, res, err, ecstest.Wire{
				Ops: tc.ops, Bodies: map[string]string{"DescribeTaskDefinition": body, "DeregisterTaskDefinition": body}, Err: tc.err,
				API: contract.APIDeregisterTaskDefinition, Target: ecstest.TaskDefinitionArn, Changed: tc.changed, Detail: tc.detail,
			})
		})
	}
}
