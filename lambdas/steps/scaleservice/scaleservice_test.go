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
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/ecstest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const otherCluster = "arn:aws:ecs:us-east-1:123456789012:cluster/staging"

func withStatus(s types.Service, status string) types.Service {
	s.Status = aws.String(status)
	return s
}

var (
	throttled    = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	serverError  = &types.ServerException{Message: aws.String("Service Unavailable. Please try again later.")}
	accessDenied = &types.AccessDeniedException{Message: aws.String("not authorized to perform: ecs:UpdateService")}
	invalidParam = &types.InvalidParameterException{Message: aws.String("Invalid service name.")}
	notFound     = &types.ServiceNotFoundException{Message: aws.String("Service not found.")}
	notActive    = &types.ServiceNotActiveException{Message: aws.String("Service was not ACTIVE.")}
)

func TestHandle(t *testing.T) {
	enforced := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("approved_registries"))
	tests := []struct {
		name  string
		setup func(*ecstest.Fake)
		state contract.State
		// want
		changed     bool
		prev        *int32
		target      string
		detail      string // part of Detail
		err         string // error name; "" = success
		calls       []string
		desiredLeft *int32 // the service's desired count afterwards
	}{
		{
			name:        "scales an active service to zero and keeps the count before",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)) },
			changed:     true,
			prev:        aws.Int32(3),
			target:      ecstest.ServiceArn,
			detail:      "desired count 3 -> 0",
			calls:       []string{"DescribeServices", "UpdateService"},
			desiredLeft: aws.Int32(0),
		},
		{
			name:        "a service already at zero is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(0)) },
			prev:        aws.Int32(0),
			target:      ecstest.ServiceArn,
			detail:      "already at desired count 0",
			calls:       []string{"DescribeServices"},
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
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("UpdateService", notFound) },
			target:      ecstest.ServiceArn,
			detail:      "ServiceNotFoundException",
			calls:       []string{"DescribeServices", "UpdateService"},
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "a service deactivated between describe and update is success without a change",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("UpdateService", notActive) },
			target:      ecstest.ServiceArn,
			detail:      "ServiceNotActiveException",
			calls:       []string{"DescribeServices", "UpdateService"},
			desiredLeft: aws.Int32(3),
		},
		{
			name: "a daemon service cannot be scaled and goes to the failure report",
			setup: func(f *ecstest.Fake) {
				s := ecstest.Service(0)
				s.SchedulingStrategy = types.SchedulingStrategyDaemon
				f.AddService(s)
			},
			err:   contract.ErrFailed,
			calls: []string{"DescribeServices"},
		},
		{
			name:        "throttled DescribeServices is retried",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("DescribeServices", throttled) },
			err:         contract.ErrTransient,
			calls:       []string{"DescribeServices"},
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "throttled UpdateService is retried",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("UpdateService", throttled) },
			err:         contract.ErrTransient,
			calls:       []string{"DescribeServices", "UpdateService"},
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "a server error is retried",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("UpdateService", serverError) },
			err:         contract.ErrTransient,
			calls:       []string{"DescribeServices", "UpdateService"},
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "access denied is not retried",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("UpdateService", accessDenied) },
			err:         contract.ErrAccessDenied,
			calls:       []string{"DescribeServices", "UpdateService"},
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "a validation error is invalid input",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)).Fail("DescribeServices", invalidParam) },
			err:         contract.ErrInvalidInput,
			calls:       []string{"DescribeServices"},
			desiredLeft: aws.Int32(3),
		},
		{
			name:        "a standalone task reaching the step is invalid input, and nothing is called",
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)) },
			state:       ecstest.State(ecstest.Task(""), ecstest.Violation("approved_registries")),
			err:         contract.ErrInvalidInput,
			desiredLeft: aws.Int32(3),
		},
		{
			name:  "a state without $.task is invalid input",
			setup: func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)) },
			state: ecstest.State(nil, ecstest.Violation("approved_registries")),
			err:   contract.ErrInvalidInput,
		},
		{
			name:  "an audit-only decision is refused, and nothing is called",
			setup: func(f *ecstest.Fake) { f.AddService(ecstest.Service(3)) },
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
			if tc.desiredLeft != nil {
				s, _ := fake.Service(ecstest.ClusterArn, ecstest.ServiceName)
				if s.DesiredCount != *tc.desiredLeft {
					t.Errorf("desired count afterwards %d, want %d", s.DesiredCount, *tc.desiredLeft)
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
			if res.API != contract.APIUpdateService || res.Target != tc.target || res.Changed != tc.changed {
				t.Errorf("Handle = {API %s, Target %s, Changed %t}, want {UpdateService, %s, %t}",
					res.API, res.Target, res.Changed, tc.target, tc.changed)
			}
			if !equalPtr(res.PreviousDesiredCount, tc.prev) {
				t.Errorf("PreviousDesiredCount %s, want %s", show(res.PreviousDesiredCount), show(tc.prev))
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Detail %q, want it to contain %q", res.Detail, tc.detail)
			}
			wantChanges := 0
			if tc.changed {
				wantChanges = 1
			}
			if n := len(fake.Changes()); n != wantChanges {
				t.Errorf("%d changes took effect (%v), want %d", n, fake.Changes(), wantChanges)
			}
		})
	}
}

// Handle runs again on every retry: the second run finds the service at zero
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
			setup:       func(f *ecstest.Fake) { f.AddService(ecstest.Service(4)) },
			firstChange: true,
		},
		{
			name: "a retry after an UpdateService whose response was lost",
			setup: func(f *ecstest.Fake) {
				f.AddService(ecstest.Service(4)).FailAfterEffect("UpdateService", lostResponse)
			},
			firstErr: contract.ErrTransient,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			st := ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("privileged"))
			second := ecstest.Twice(t, fake, (&Handler{ECS: fake}).Handle, st, tc.firstErr, tc.firstChange,
				ecstest.Change{API: "UpdateService", Target: ecstest.ServiceArn}, "DescribeServices")
			if !equalPtr(second.PreviousDesiredCount, aws.Int32(0)) {
				t.Errorf("second run = %+v, want desired count 0 before it", second)
			}
		})
	}
}

func TestHandleThroughECSClient(t *testing.T) {
	active, missing, updated := ecstest.Testdata(t, "describe-services-active.json"), ecstest.Testdata(t, "describe-services-missing.json"), ecstest.Testdata(t, "update-service.json")
	const describeBody = `{"cluster": "` + ecstest.ClusterArn + `", "services": ["web"]}`
	const updateBody = `{"cluster": "` + ecstest.ClusterArn + `", "service": "web", "desiredCount": 0}`
	tests := []struct {
		name     string
		describe []ecstest.Reply
		update   []ecstest.Reply
		changed  bool
		prev     *int32
		detail   string
		err      string
		ops      []string
	}{
		{
			name:     "sends desiredCount 0 for the service in the task's cluster",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.OK(updated)},
			changed:  true,
			prev:     aws.Int32(3),
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "a MISSING failure is success without a change",
			describe: []ecstest.Reply{ecstest.OK(missing)},
			detail:   "MISSING",
			ops:      []string{"DescribeServices"},
		},
		{
			name:     "ServiceNotFoundException on update is success without a change",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.ServiceNotFound},
			detail:   "ServiceNotFoundException: Service not found.",
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "ServiceNotActiveException on update is success without a change",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.ServiceInactive},
			detail:   "ServiceNotActiveException",
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "ClusterNotFoundException is success without a change",
			describe: []ecstest.Reply{ecstest.ClusterNotFound},
			detail:   "ClusterNotFoundException",
			ops:      []string{"DescribeServices"},
		},
		{
			name:     "ThrottlingException on describe is transient",
			describe: []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeServices"},
		},
		{
			name:     "ThrottlingException on update is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.Throttling},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "ServerException is transient",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.ServerError},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "an unmodelled 503 is transient",
			describe: []ecstest.Reply{ecstest.Error(503, "ServiceUnavailableException", "Service unavailable")},
			err:      contract.ErrTransient,
			ops:      []string{"DescribeServices"},
		},
		{
			name:     "AccessDeniedException is access denied",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.AccessDenied},
			err:      contract.ErrAccessDenied,
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "InvalidParameterException is invalid input",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.Error(400, "InvalidParameterException", "Invalid desired count.")},
			err:      contract.ErrInvalidInput,
			ops:      []string{"DescribeServices", "UpdateService"},
		},
		{
			name:     "another ClientException is a permanent failure",
			describe: []ecstest.Reply{ecstest.OK(active)},
			update:   []ecstest.Reply{ecstest.Error(400, "ClientException", "The service could not be updated.")},
			err:      contract.ErrFailed,
			ops:      []string{"DescribeServices", "UpdateService"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecstest.NewServer(t).On("DescribeServices", tc.describe...).On("UpdateService", tc.update...)
			h := &Handler{ECS: srv.Client()}
			res, err := h.Handle(context.Background(), ecstest.State(ecstest.Task(ecstest.ServiceName), ecstest.Violation("approved_registries")))
			ok := ecstest.CheckWire(t, srv, res, err, ecstest.Wire{
				Ops: tc.ops, Bodies: map[string]string{"DescribeServices": describeBody, "UpdateService": updateBody}, Err: tc.err,
				API: contract.APIUpdateService, Target: ecstest.ServiceArn, Changed: tc.changed, Detail: tc.detail,
			})
			if ok && !equalPtr(res.PreviousDesiredCount, tc.prev) {
				t.Errorf("previous desired count %s, want %s", show(res.PreviousDesiredCount), show(tc.prev))
			}
		})
	}
}

func equalPtr(a, b *int32) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func show(p *int32) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
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
		want    string
	}{
		{
			name:    "a scaled service reports the count before",
			desired: 2,
			want: `{"api": "UpdateService", "target": "` + ecstest.ServiceArn + `", "changed": true, "previousDesiredCount": 2,
			        "detail": "desired count 2 -> 0; to restore, update service web in cluster prod to a compliant task definition with desired count 2"}`,
		},
		{
			name:    "a service already at zero reports 0, not nothing",
			desired: 0,
			want: `{"api": "UpdateService", "target": "` + ecstest.ServiceArn + `", "changed": false, "previousDesiredCount": 0,
			        "detail": "service web was already at desired count 0; nothing to do"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{ECS: ecstest.NewFake().AddService(ecstest.Service(tc.desired))}
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
