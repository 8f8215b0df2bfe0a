package stoptask

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
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const wantReason = "ecs-compliance: violates approved_registries, privileged (see SNS/Security Hub)"

var (
	throttled    = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	serverError  = &types.ServerException{Message: aws.String("Service Unavailable. Please try again later.")}
	accessDenied = &types.AccessDeniedException{Message: aws.String("not authorized to perform: ecs:StopTask")}
	notFoundErr  = &types.InvalidParameterException{Message: aws.String("The referenced task was not found.")}
	clientGone   = &types.ClientException{Message: aws.String("The referenced task was not found.")}
	badParam     = &types.InvalidParameterException{Message: aws.String("Reason must be 255 characters or less.")}
)

func task(last, desired string) types.Task {
	t := ecstest.RunningTask()
	t.LastStatus, t.DesiredStatus = aws.String(last), aws.String(desired)
	return t
}

// violations: approved_registries for two containers and privileged, so the
// reason must name each rule once.
func state() contract.State {
	return ecstest.State(ecstest.Task(ecstest.ServiceName),
		ecstest.Violation("approved_registries"), ecstest.Violation("privileged"), ecstest.Violation("approved_registries"))
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*ecstest.Fake)
		state *contract.State
		// want
		changed     bool
		detail      string
		err         string
		calls       []string
		desiredLeft string // the task's desired status afterwards
		reasonLeft  string // its stopped reason afterwards
	}{
		{
			name:        "stops a running task with a reason naming the rules",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")) },
			changed:     true,
			detail:      wantReason,
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "STOPPED",
			reasonLeft:  wantReason,
		},
		{
			name:        "stops a task that is still starting",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("PROVISIONING", "RUNNING")) },
			changed:     true,
			detail:      "last status was PROVISIONING",
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "STOPPED",
			reasonLeft:  wantReason,
		},
		{
			name:        "a stopped task is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("STOPPED", "STOPPED")) },
			detail:      "already stopped",
			calls:       []string{"DescribeTasks"},
			desiredLeft: "STOPPED",
		},
		{
			name:        "a stopping task (desired status STOPPED) is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("DEACTIVATING", "STOPPED")) },
			detail:      "already stopping (last status DEACTIVATING",
			calls:       []string{"DescribeTasks"},
			desiredLeft: "STOPPED",
		},
		{
			name:   "a task ECS no longer knows (MISSING) is success without a change",
			setup:  func(f *ecstest.Fake) { f.AddCluster(ecstest.ClusterArn) },
			detail: "MISSING",
			calls:  []string{"DescribeTasks"},
		},
		{
			name: "a task of the same ARN in another cluster is not this task",
			setup: func(f *ecstest.Fake) {
				t := task("RUNNING", "RUNNING")
				t.ClusterArn = aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/staging")
				f.AddTask(t).AddCluster(ecstest.ClusterArn)
			},
			detail: "MISSING",
			calls:  []string{"DescribeTasks"},
		},
		{
			name:   "a deleted cluster is success without a change",
			setup:  func(*ecstest.Fake) {},
			detail: "ClusterNotFoundException",
			calls:  []string{"DescribeTasks"},
		},
		{
			name:        "StopTask answering task not found (InvalidParameterException) is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).Fail("StopTask", notFoundErr) },
			detail:      "The referenced task was not found.",
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "RUNNING",
		},
		{
			name:        "StopTask answering task not found (ClientException) is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).Fail("StopTask", clientGone) },
			detail:      "ClientException",
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "RUNNING",
		},
		{
			name:        "another InvalidParameterException is invalid input",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).Fail("StopTask", badParam) },
			err:         contract.ErrInvalidInput,
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "RUNNING",
		},
		{
			name:        "throttled DescribeTasks is retried",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).Fail("DescribeTasks", throttled) },
			err:         contract.ErrTransient,
			calls:       []string{"DescribeTasks"},
			desiredLeft: "RUNNING",
		},
		{
			name:        "a server error on StopTask is retried",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).Fail("StopTask", serverError) },
			err:         contract.ErrTransient,
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "RUNNING",
		},
		{
			name:        "access denied is not retried",
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).Fail("StopTask", accessDenied) },
			err:         contract.ErrAccessDenied,
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "RUNNING",
		},
		{
			name:  "a state without the decision is invalid input, and nothing is called",
			setup: func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")) },
			state: func() *contract.State {
				s := state()
				s.Evaluation.Decision = nil
				return &s
			}(),
			err:         contract.ErrInvalidInput,
			desiredLeft: "RUNNING",
		},
		{
			name:  "a state without $.task is invalid input",
			setup: func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")) },
			state: func() *contract.State {
				s := state()
				s.Task = nil
				return &s
			}(),
			err:         contract.ErrInvalidInput,
			desiredLeft: "RUNNING",
		},
		{
			name:  "a task awaiting approval that was not given is not stopped",
			setup: func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")) },
			state: func() *contract.State {
				s := state()
				s.Evaluation.ApprovalRequired = true
				return &s
			}(),
			err:         contract.ErrInvalidInput,
			desiredLeft: "RUNNING",
		},
		{
			name: "a standalone task is stopped too",
			setup: func(f *ecstest.Fake) {
				t := task("RUNNING", "RUNNING")
				t.Group = aws.String("family:web")
				f.AddTask(t)
			},
			state: func() *contract.State {
				s := ecstest.State(ecstest.Task(""), ecstest.Violation("approved_registries"), ecstest.Violation("privileged"))
				return &s
			}(),
			changed:     true,
			detail:      wantReason,
			calls:       []string{"DescribeTasks", "StopTask"},
			desiredLeft: "STOPPED",
			reasonLeft:  wantReason,
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
			h := &Handler{ECS: fake}
			res, err := h.Handle(context.Background(), st)

			if calls := fake.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			if tc.desiredLeft != "" {
				tk, _ := fake.Task(ecstest.TaskArn)
				if got := aws.ToString(tk.DesiredStatus); got != tc.desiredLeft {
					t.Errorf("desired status afterwards %s, want %s", got, tc.desiredLeft)
				}
				if tc.reasonLeft != "" && aws.ToString(tk.StoppedReason) != tc.reasonLeft {
					t.Errorf("stopped reason %q, want %q", aws.ToString(tk.StoppedReason), tc.reasonLeft)
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
			if res.API != contract.APIStopTask || res.Target != ecstest.TaskArn || res.Changed != tc.changed {
				t.Errorf("Handle = {API %s, Target %s, Changed %t}, want {StopTask, %s, %t}",
					res.API, res.Target, res.Changed, ecstest.TaskArn, tc.changed)
			}
			if res.PreviousDesiredCount != nil {
				t.Errorf("PreviousDesiredCount set on a StopTask result: %d", *res.PreviousDesiredCount)
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Detail %q, want it to contain %q", res.Detail, tc.detail)
			}
		})
	}
}

// The reason ECS receives stays within its limit however many rules broke.
func TestHandleLongReason(t *testing.T) {
	var vs []contract.Violation
	for i := range 30 {
		vs = append(vs, ecstest.Violation(fmt.Sprintf("org_policy_%02d_containers_must_not_do_something_long", i)))
	}
	fake := ecstest.NewFake().AddTask(task("RUNNING", "RUNNING"))
	res, err := (&Handler{ECS: fake}).Handle(context.Background(), ecstest.State(ecstest.Task(""), vs...))
	if err != nil || !res.Changed {
		t.Fatalf("Handle = %+v, %v; want the task stopped", res, err)
	}
	tk, _ := fake.Task(ecstest.TaskArn)
	reason := aws.ToString(tk.StoppedReason)
	if len(reason) > remediate.MaxStopReason || !strings.Contains(reason, "more; see SNS/Security Hub)") ||
		!strings.HasPrefix(reason, "ecs-compliance: violates org_policy_00_") {
		t.Errorf("reason %q (%d bytes): want the first rules, a count of the rest, within %d bytes",
			reason, len(reason), remediate.MaxStopReason)
	}
}

// Handle runs again on every retry: the second run finds the task stopping
// and changes nothing.
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
			setup:       func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")) },
			firstChange: true,
		},
		{
			name:     "a retry after a StopTask whose response was lost",
			setup:    func(f *ecstest.Fake) { f.AddTask(task("RUNNING", "RUNNING")).FailAfterEffect("StopTask", lostResponse) },
			firstErr: contract.ErrTransient,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			second := ecstest.Twice(t, fake, (&Handler{ECS: fake}).Handle, state(), tc.firstErr, tc.firstChange,
				"DescribeTasks", ecstest.Change{API: "StopTask", Target: ecstest.TaskArn})
			if !strings.Contains(second.Detail, "already stopping") {
				t.Errorf("second run detail %q, want already stopping", second.Detail)
			}
		})
	}
}

func TestHandleThroughECSClient(t *testing.T) {
	running, stopped, missing, stoppedNow := ecstest.Testdata(t, "describe-tasks-running.json"),
		ecstest.Testdata(t, "describe-tasks-stopped.json"), ecstest.Testdata(t, "describe-tasks-missing.json"),
		ecstest.Testdata(t, "stop-task.json")
	const describeBody = `{"cluster": "` + ecstest.ClusterArn + `", "tasks": ["` + ecstest.TaskArn + `"]}`
	const stopBody = `{"cluster": "` + ecstest.ClusterArn + `", "task": "` + ecstest.TaskArn + `", "reason": "` + wantReason + `"}`
	tests := []struct {
		name     string
		describe []ecstest.Reply
		stop     []ecstest.Reply
		changed  bool
		detail   string
		err      string
		ops      []string
	}{
		{
			name:     "sends StopTask with the task, its cluster and the reason",
			describe: []ecstest.Reply{ecstest.OK(running)},
			stop:     []ecstest.Reply{ecstest.OK(stoppedNow)},
			changed:  true,
			detail:   wantReason,
			ops:      []string{"DescribeTasks", "StopTask"},
		},
		{
			name:     "a STOPPED task is success without a change",
			describe: []ecstest.Reply{ecstest.OK(stopped)},
			detail:   "already stopped (stopped reason: \"Scaling activity initiated by",
			ops:      []string{"DescribeTasks"},
		},
		{
			name:     "a MISSING task is success without a change",
			describe: []ecstest.Reply{ecstest.OK(missing)},
			detail:   "MISSING",
			ops:      []string{"DescribeTasks"},
		},
		{
			name:     "InvalidParameterException task not found on StopTask is success without a change",
			describe: []ecstest.Reply{ecstest.OK(running)},
			stop:     []ecstest.Reply{ecstest.TaskNotFound},
			detail:   "InvalidParameterException: The referenced task was not found.",
			ops:      []string{"DescribeTasks", "StopTask"},
		},
		{
			name:     "ClientException task not found on StopTask is success without a change",
			describe: []ecstest.Reply{ecstest.OK(running)},
			stop:     []ecstest.Reply{ecstest.Error(400, "ClientException", "The referenced task was not found.")},
			detail:   "ClientException",
			ops:      []string{"DescribeTasks", "StopTask"},
		},
		{
			name:     "ClusterNotFoundException is success without a change",
			describe: []ecstest.Reply{ecstest.ClusterNotFound},
			detail:   "ClusterNotFoundException",
			ops:      []string{"DescribeTasks"},
		},
		{
			name:     "ThrottlingException is transient",
			describe: []ecstest.Reply{ecstest.OK(running)},
			stop:     []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeTasks", "StopTask"},
		},
		{
			name:     "ServerException is transient",
			describe: []ecstest.Reply{ecstest.ServerError},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeTasks"},
		},
		{
			name:     "AccessDeniedException is access denied",
			describe: []ecstest.Reply{ecstest.AccessDenied},
			err:      contract.ErrAccessDenied,
			ops:      []string{"DescribeTasks"},
		},
		{
			name:     "another ClientException is a permanent failure",
			describe: []ecstest.Reply{ecstest.OK(running)},
			stop:     []ecstest.Reply{ecstest.Error(400, "ClientException", "Tasks cannot be stopped while the cluster is being deleted.")},
			err:      contract.ErrFailed,
			ops:      []string{"DescribeTasks", "StopTask"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecstest.NewServer(t).On("DescribeTasks", tc.describe...).On("StopTask", tc.stop...)
			h := &Handler{ECS: srv.Client()}
			res, err := h.Handle(context.Background(), state())
			ecstest.CheckWire(t, srv, res, err, ecstest.Wire{
				Ops: tc.ops, Bodies: map[string]string{"DescribeTasks": describeBody, "StopTask": stopBody}, Err: tc.err,
				API: contract.APIStopTask, Target: ecstest.TaskArn, Changed: tc.changed, Detail: tc.detail,
			})
		})
	}
}
