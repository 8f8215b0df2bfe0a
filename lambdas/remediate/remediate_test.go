package remediate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const (
	clusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	taskArn    = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
	tdArn      = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
)

func enforcedState() contract.State {
	return contract.State{
		Task: &contract.Task{TaskArn: taskArn, ClusterArn: clusterArn, Cluster: "prod", TaskDefinitionArn: tdArn,
			Service: "web", Group: "service:web", Account: "123456789012", Region: "us-east-1"},
		Evaluation: &contract.Evaluation{
			Decision: &contract.Decision{Violations: []contract.Violation{{Rule: "approved_registries"}}},
			Mode:     contract.ModeEnforce,
			Outcome:  contract.OutcomeRemediate,
		},
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*contract.State)
		wantErr string // error message part; "" = accepted
	}{
		{name: "an enforced violation is accepted", edit: func(*contract.State) {}},
		{
			name: "an approved remediation is accepted",
			edit: func(s *contract.State) {
				s.Evaluation.ApprovalRequired = true
				s.Approval = &contract.Approval{Decision: contract.ApprovalApproved, Approver: "alice"}
			},
		},
		{name: "missing $.task", edit: func(s *contract.State) { s.Task = nil }, wantErr: "missing $.task"},
		{name: "missing $.evaluation", edit: func(s *contract.State) { s.Evaluation = nil }, wantErr: "missing $.evaluation.decision"},
		{name: "missing decision", edit: func(s *contract.State) { s.Evaluation.Decision = nil }, wantErr: "missing $.evaluation.decision"},
		{
			name:    "an audit-only outcome is refused",
			edit:    func(s *contract.State) { s.Evaluation.Outcome = contract.OutcomeReport },
			wantErr: `outcome is "REPORT"`,
		},
		{
			name:    "a compliant decision is refused",
			edit:    func(s *contract.State) { s.Evaluation.Decision.Compliant = true },
			wantErr: "no violation",
		},
		{
			name:    "a decision without violations is refused",
			edit:    func(s *contract.State) { s.Evaluation.Decision.Violations = nil },
			wantErr: "no violation",
		},
		{
			name:    "required approval that is missing is refused",
			edit:    func(s *contract.State) { s.Evaluation.ApprovalRequired = true },
			wantErr: "$.approval is missing",
		},
		{
			name: "a rejected approval is refused",
			edit: func(s *contract.State) {
				s.Evaluation.ApprovalRequired = true
				s.Approval = &contract.Approval{Error: &contract.ErrorInfo{Error: contract.ErrApprovalRejected, Cause: "rejected by bob"}}
			},
			wantErr: "rejected by bob",
		},
		{
			name: "an approval without the APPROVED decision is refused",
			edit: func(s *contract.State) {
				s.Evaluation.ApprovalRequired = true
				s.Approval = &contract.Approval{Decision: "MAYBE"}
			},
			wantErr: `"MAYBE"`,
		},
		{name: "missing cluster ARN", edit: func(s *contract.State) { s.Task.ClusterArn = "" }, wantErr: "missing $.task.clusterArn"},
		{name: "cluster name instead of ARN", edit: func(s *contract.State) { s.Task.ClusterArn = "prod" }, wantErr: "$.task.clusterArn"},
		{
			name:    "a task ARN where the cluster ARN belongs",
			edit:    func(s *contract.State) { s.Task.ClusterArn = taskArn },
			wantErr: "not an ECS cluster ARN",
		},
		{
			name:    "an ARN of another service",
			edit:    func(s *contract.State) { s.Task.TaskArn = "arn:aws:ec2:us-east-1:123456789012:task/prod/x" },
			wantErr: "not an ECS task ARN",
		},
		{
			name: "a task definition ARN without a resource",
			edit: func(s *contract.State) {
				s.Task.TaskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/"
			},
			wantErr: "not an ECS task-definition ARN",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := enforcedState()
			tc.edit(&st)
			sub, err := Load(st)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if sub.Task != st.Task || sub.Decision != st.Evaluation.Decision || sub.Cluster.String() != clusterArn {
					t.Errorf("Load = %+v, want the state's task, decision and cluster", sub)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted the state; want an error containing %q", tc.wantErr)
			}
			if step.Name(err) != contract.ErrInvalidInput || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Load error %s %q; want %s containing %q", step.Name(err), err, contract.ErrInvalidInput, tc.wantErr)
			}
		})
	}
}

func TestClusterName(t *testing.T) {
	st := enforcedState()
	st.Task.ClusterArn = "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod"
	sub, err := Load(st)
	if err != nil {
		t.Fatal(err)
	}
	if sub.ClusterName() != "prod" {
		t.Errorf("ClusterName = %q, want prod", sub.ClusterName())
	}
}

func TestTaskDefinitionName(t *testing.T) {
	for in, want := range map[string]string{
		tdArn: "web:7",
		"arn:aws:ecs:us-east-1:123456789012:service/prod/web": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
		"web:7": "web:7",
	} {
		if got := TaskDefinitionName(in); got != want {
			t.Errorf("TaskDefinitionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	notFound := &smithy.GenericAPIError{Code: "ServiceNotFoundException", Message: "Service not found.", Fault: smithy.FaultClient}
	wrapped := &smithy.OperationError{ServiceID: "ECS", OperationName: "UpdateService", Err: notFound}
	tests := []struct {
		name    string
		err     error
		codes   []string
		wantIs  bool
		wantMsg string
	}{
		{"an ECS error through the SDK's wrapping", wrapped, []string{"ClusterNotFoundException", "ServiceNotFoundException"}, true, "Service not found."},
		{"another code", wrapped, []string{"ServiceNotActiveException"}, false, "Service not found."},
		{"a generic API error", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, []string{"ThrottlingException"}, true, "Rate exceeded"},
		{"not an API error", errors.New("boom"), []string{""}, false, ""},
		{"no error", nil, []string{""}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsError(tc.err, tc.codes...); got != tc.wantIs {
				t.Errorf("IsError = %t, want %t", got, tc.wantIs)
			}
			if got := ErrorMessage(tc.err); got != tc.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.wantMsg)
			}
		})
	}
	if got, want := Gone("service web", wrapped), "service web no longer exists (ServiceNotFoundException: Service not found.); nothing to do"; got != want {
		t.Errorf("Gone = %q, want %q", got, want)
	}
	res, err := Done(context.Background(), contract.ActionResult{API: contract.APIStopTask, Target: taskArn})
	if err != nil || res.Target != taskArn {
		t.Errorf("Done = %+v, %v; want the result unchanged and no error", res, err)
	}
}

// A revision judged at registration has no task: it may be deregistered,
// never "stopped" or "scaled".
func TestRegistrationsAreDeregisteredOnly(t *testing.T) {
	st := contract.State{
		Task: &contract.Task{Kind: contract.KindRegistration, TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8",
			Family: "api", Revision: 8, Account: "123456789012", Region: "us-east-1"},
		Evaluation: &contract.Evaluation{Outcome: contract.OutcomeRemediate,
			Decision: &contract.Decision{Violations: []contract.Violation{{Rule: "approved_registries"}}}},
	}
	if sub, err := Load(st); err != nil || sub.Task.TaskDefinitionArn == "" {
		t.Fatalf("Load of a registration: %v", err)
	}
	if _, err := LoadTask(st); step.Name(err) != contract.ErrInvalidInput {
		t.Fatalf("LoadTask of a registration: %v, want %s", err, contract.ErrInvalidInput)
	}
	st.Task.TaskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:cluster/x"
	if _, err := Load(st); step.Name(err) != contract.ErrInvalidInput {
		t.Fatalf("a registration without a task definition ARN: %v", err)
	}
}
