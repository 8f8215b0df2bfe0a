package remediate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

func i32(n int32) *int32 { return &n }

func TestRestoreCommands(t *testing.T) {
	service := &contract.Task{TaskArn: taskArn, ClusterArn: clusterArn, Cluster: "prod", TaskDefinitionArn: tdArn,
		Family: "web", Revision: 7, Group: "service:web", Service: "web", Account: "123456789012", Region: "us-east-1"}
	standalone := &contract.Task{TaskArn: taskArn, ClusterArn: clusterArn, Cluster: "prod", TaskDefinitionArn: tdArn,
		Family: "web", Revision: 7, Group: "family:web", Account: "123456789012", Region: "us-east-1"}
	deregistered := &contract.ActionResult{API: contract.APIDeregisterTaskDefinition, Target: tdArn, Changed: true}
	stopped := &contract.ActionResult{API: contract.APIStopTask, Target: taskArn, Changed: true}
	scaled := func(prev int32) *contract.ActionResult {
		return &contract.ActionResult{API: contract.APIUpdateService, Changed: true, PreviousDesiredCount: i32(prev)}
	}
	withTarget := func(a *contract.ActionResult, changed bool, prev contract.Scaling) *contract.ActionResult {
		a.ScalableTarget = &contract.ScalableTarget{ResourceID: "service/prod/web", Changed: changed, Previous: prev}
		if !changed {
			a.Changed = false
		}
		return a
	}
	const (
		describe   = "aws ecs describe-task-definition --task-definition web:7 --query taskDefinition > web.json"
		register   = "aws ecs register-task-definition --cli-input-json file://web.json"
		update3    = "aws ecs update-service --cluster prod --service web --task-definition web --desired-count 3"
		restore210 = "aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/prod/web --min-capacity 2 --max-capacity 10 --suspended-state DynamicScalingInSuspended=false,DynamicScalingOutSuspended=false,ScheduledScalingSuspended=true"
		runTask    = "aws ecs run-task --cluster prod --task-definition web"
	)
	tests := []struct {
		name     string
		task     *contract.Task
		r        *contract.Remediation
		commands [][]string // per step
		texts    []string   // part of each step's text
	}{
		{name: "no remediation, nothing to restore", task: service},
		{name: "nothing changed, nothing to restore", task: service, r: &contract.Remediation{
			Service: &contract.ActionResult{API: contract.APIUpdateService, PreviousDesiredCount: i32(0)},
			Task:    &contract.ActionResult{API: contract.APIStopTask}, TaskDefinition: &contract.ActionResult{API: contract.APIDeregisterTaskDefinition}}},
		{
			name:     "a remediated service: new revision, then the count",
			task:     service,
			r:        &contract.Remediation{Service: scaled(3), Task: stopped, TaskDefinition: deregistered},
			commands: [][]string{{describe, register}, {update3}},
			texts:    []string{"deregistration cannot be undone", "give it back its desired count (3)"},
		},
		{
			name: "a suspended scalable target comes back after the service, as it was",
			task: service,
			r: &contract.Remediation{Service: withTarget(scaled(3), true, contract.Scaling{MinCapacity: 2, MaxCapacity: 10, ScheduledScalingSuspended: true}),
				Task: stopped, TaskDefinition: deregistered},
			commands: [][]string{{describe, register}, {update3}, {restore210}},
			texts:    []string{"", "", "as it was (min 2, max 10, scheduled scaling suspended); not before"},
		},
		{
			name: "a service already at 0 whose target was suspended: only the target",
			task: service,
			r: &contract.Remediation{Service: withTarget(scaled(0), true, contract.Scaling{MinCapacity: 2, MaxCapacity: 10, ScheduledScalingSuspended: true}),
				Task: stopped},
			commands: [][]string{{restore210}},
		},
		{
			name:     "a target found already suspended is not restored to anything",
			task:     service,
			r:        &contract.Remediation{Service: withTarget(scaled(0), false, contract.Scaling{DynamicScalingInSuspended: true}), Task: stopped},
			commands: nil,
		},
		{
			name:     "an unknown count before says so",
			task:     service,
			r:        &contract.Remediation{Service: &contract.ActionResult{API: contract.APIUpdateService, Changed: true}},
			commands: [][]string{{"aws ecs update-service --cluster prod --service web --task-definition web --desired-count N"}},
			texts:    []string{"not known"},
		},
		{
			name:     "a standalone task is run again from the fixed revision",
			task:     standalone,
			r:        &contract.Remediation{Task: stopped, TaskDefinition: deregistered},
			commands: [][]string{{describe, register}, {runTask}},
			texts:    []string{"", "ECS does not restart a stopped task"},
		},
		{
			name: "a task whose service was not verified is run again, its service untouched",
			task: service,
			r: &contract.Remediation{Service: &contract.ActionResult{API: contract.APIUpdateService, Reason: contract.ReasonUnverifiedMembership},
				Task: stopped, TaskDefinition: deregistered},
			commands: [][]string{{describe, register}, {runTask}},
			texts:    []string{"", "which ECS does not confirm it belongs to"},
		},
		{
			name:     "a revision kept for an excluded service has nothing to undo",
			task:     standalone,
			r:        &contract.Remediation{TaskDefinition: &contract.ActionResult{API: contract.APIDeregisterTaskDefinition, Reason: contract.ReasonSharedWithExcluded}},
			commands: nil,
		},
		{
			name:     "names that need quoting are quoted",
			task:     &contract.Task{Cluster: "it's", Service: "web", Family: "web", Revision: 7},
			r:        &contract.Remediation{Service: scaled(1)},
			commands: [][]string{{`aws ecs update-service --cluster 'it'\''s' --service web --task-definition web --desired-count 1`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps := RestoreCommands(tc.task, tc.r)
			var got [][]string
			for _, s := range steps {
				got = append(got, s.Commands)
				if s.Text == "" {
					t.Errorf("a step without text: %+v", s)
				}
			}
			if !reflect.DeepEqual(got, tc.commands) {
				t.Errorf("commands\n %q\nwant\n %q", got, tc.commands)
			}
			for i, want := range tc.texts {
				if i < len(steps) && !strings.Contains(steps[i].Text, want) {
					t.Errorf("step %d text %q, want it to contain %q", i+1, steps[i].Text, want)
				}
			}
		})
	}
	if RestoreCommands(nil, &contract.Remediation{}) != nil {
		t.Error("a nil task gives steps")
	}
}

func TestDescribeScaling(t *testing.T) {
	for s, want := range map[contract.Scaling]string{
		{MinCapacity: 1, MaxCapacity: 4}: "min 1, max 4, scaling not suspended",
		{DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true}: "min 0, max 0, all scaling suspended",
		{MaxCapacity: 2, DynamicScalingInSuspended: true, ScheduledScalingSuspended: true}:                   "min 0, max 2, scale-in, scheduled scaling suspended",
	} {
		if got := DescribeScaling(s); got != want {
			t.Errorf("DescribeScaling(%+v) = %q, want %q", s, got, want)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"prod-cluster_1": "prod-cluster_1",
		"web:7":          "web:7",
		"my cluster":     "'my cluster'",
		"it's":           `'it'\''s'`,
		"":               "''",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}
