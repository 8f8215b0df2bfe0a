package ecstest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// The task the fixtures are about: task 1b2c… of service web in cluster prod.
const (
	Account           = "123456789012"
	Region            = "us-east-1"
	ClusterArn        = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	ServiceName       = "web"
	ServiceArn        = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
	TaskArn           = "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0"
	TaskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	// DeploymentID is the service's PRIMARY deployment, which started the
	// task (its startedBy).
	DeploymentID = "ecs-svc/1234567890123456789"
	// ResourceID is the service's Application Auto Scaling resource ID.
	ResourceID = "service/prod/web"
)

// Task is $.task for the fixture task; service "" makes it a standalone task
// (group "family:web").
func Task(service string) *contract.Task {
	t := &contract.Task{
		TaskArn:           TaskArn,
		ClusterArn:        ClusterArn,
		Cluster:           "prod",
		TaskDefinitionArn: TaskDefinitionArn,
		Family:            "web",
		Revision:          7,
		Group:             "family:web",
		LaunchType:        "FARGATE",
		LastStatus:        "RUNNING",
		Account:           Account,
		Region:            Region,
	}
	if service != "" {
		t.Group, t.Service = "service:"+service, service
	}
	return t
}

// Violation is a deny-level violation of rule.
func Violation(rule string) contract.Violation {
	return contract.Violation{
		Rule: rule, Title: rule, Severity: contract.SeverityHigh, Container: "app",
		Message: "container app breaks " + rule, Enforcement: "deny",
	}
}

// State is the workflow document as the remediation steps receive it: an
// enforced decision (REMEDIATE, no approval required) with the violations.
func State(task *contract.Task, violations ...contract.Violation) contract.State {
	return contract.State{
		Event: contract.Event{Source: "aws.ecs", DetailType: "ECS Task State Change", Account: Account, Region: Region},
		Task:  task,
		Evaluation: &contract.Evaluation{
			Policy:   contract.Bundle{Path: "/ecs-compliance/policy", Hash: "0123abcd"},
			Decision: &contract.Decision{Compliant: false, Violations: violations},
			Mode:     contract.ModeEnforce,
			Outcome:  contract.OutcomeRemediate,
		},
	}
}

// Service is the fixture service: ACTIVE, REPLICA, with the desired count,
// deployed by ECS (one PRIMARY deployment, DeploymentID, of the fixture task
// definition).
func Service(desired int32) types.Service {
	return types.Service{
		ServiceArn:           aws.String(ServiceArn),
		ServiceName:          aws.String(ServiceName),
		ClusterArn:           aws.String(ClusterArn),
		Status:               aws.String("ACTIVE"),
		DesiredCount:         desired,
		RunningCount:         desired,
		SchedulingStrategy:   types.SchedulingStrategyReplica,
		TaskDefinition:       aws.String(TaskDefinitionArn),
		LaunchType:           types.LaunchTypeFargate,
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeEcs},
		Deployments: []types.Deployment{{
			Id: aws.String(DeploymentID), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(TaskDefinitionArn),
			DesiredCount: desired, RunningCount: desired,
		}},
	}
}

// TaskSetService is the fixture service under a CODE_DEPLOY or EXTERNAL
// deployment controller: no deployments, one PRIMARY task set (id
// DeploymentID) of the fixture task definition.
func TaskSetService(desired int32, controller types.DeploymentControllerType) types.Service {
	s := Service(desired)
	s.DeploymentController = &types.DeploymentController{Type: controller}
	s.Deployments = nil
	s.TaskSets = []types.TaskSet{{
		Id: aws.String(DeploymentID), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(TaskDefinitionArn),
		TaskSetArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-set/prod/web/" + DeploymentID),
	}}
	if controller == types.DeploymentControllerTypeCodeDeploy {
		// Who created the task set; not what its tasks' startedBy says.
		s.TaskSets[0].StartedBy = aws.String("CODE_DEPLOY")
	}
	return s
}

// RunningTask is the fixture task, RUNNING, started by the service's
// deployment.
func RunningTask() types.Task {
	return types.Task{
		TaskArn:           aws.String(TaskArn),
		ClusterArn:        aws.String(ClusterArn),
		TaskDefinitionArn: aws.String(TaskDefinitionArn),
		Group:             aws.String("service:" + ServiceName),
		StartedBy:         aws.String(DeploymentID),
		LastStatus:        aws.String("RUNNING"),
		DesiredStatus:     aws.String("RUNNING"),
		LaunchType:        types.LaunchTypeFargate,
	}
}

// TaskDefinition is the fixture task definition with the status.
func TaskDefinition(status types.TaskDefinitionStatus) types.TaskDefinition {
	return types.TaskDefinition{
		TaskDefinitionArn: aws.String(TaskDefinitionArn),
		Family:            aws.String("web"),
		Revision:          7,
		Status:            status,
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("nginx:1.25"), Essential: aws.Bool(true)},
		},
	}
}
