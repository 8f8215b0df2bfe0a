package inmemory

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/scaleservice"
)

// loadWorld builds an account from a world file (unknown fields refused),
// as Load does: with each service's deployments, task sets and scalable
// target (build's loadService).
func loadWorld(t *testing.T, js string) (*Account, error) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(js))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("world: %v", err)
	}
	a, errs := build(w)
	return a, errors.Join(errs...)
}

const deployedTDs = `"taskDefinitions": [
    {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", "containerDefinitions": [{"name": "web", "image": "nginx:1"}]},
    {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4", "containerDefinitions": [{"name": "web", "image": "nginx:2"}]},
    {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7", "containerDefinitions": [{"name": "api", "image": "docker.io/library/nginx:latest"}]}
  ]`

func TestLoadServiceRejects(t *testing.T) {
	svc := func(extra string) string {
		return `{` + deployedTDs + `, "services": [{"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": "web:3", ` + extra + `}]}`
	}
	cases := []struct{ name, json, want string }{
		{"an unknown deployment controller", svc(`"deploymentController": "BLUE_GREEN"`), `deploymentController "BLUE_GREEN"`},
		{"deployments of a CODE_DEPLOY service", svc(`"deploymentController": "CODE_DEPLOY", "deployments": [{"id": "ecs-svc/1", "taskDefinition": "web:3"}]`), "taskSets, not deployments"},
		{"task sets of an ECS service", svc(`"taskSets": [{"id": "ecs-svc/1", "taskDefinition": "web:3"}]`), "deployments, not taskSets"},
		{"a deployment without id", svc(`"deployments": [{"taskDefinition": "web:3"}]`), "deployments[0]: id is required"},
		{"a deployment id twice", svc(`"deployments": [{"id": "ecs-svc/1", "taskDefinition": "web:3"}, {"id": "ecs-svc/1", "taskDefinition": "web:4"}]`), "appears twice"},
		{"a deployment status ECS does not have", svc(`"deployments": [{"id": "ecs-svc/1", "taskDefinition": "web:3", "status": "DRAINING"}]`), `status "DRAINING" is not PRIMARY, ACTIVE, INACTIVE`},
		{"two PRIMARY deployments", svc(`"deployments": [{"id": "ecs-svc/1", "taskDefinition": "web:3"}, {"id": "ecs-svc/2", "taskDefinition": "web:4", "status": "PRIMARY"}]`), "2 are PRIMARY"},
		{"a deployment of a task definition not in the world", svc(`"deployments": [{"id": "ecs-svc/1", "taskDefinition": "web:9"}]`), `task definition "web:9" is not in taskDefinitions`},
		{"an upside-down capacity range", svc(`"autoScaling": {"minCapacity": 3, "maxCapacity": 1}`), "want 0 <= minCapacity <= maxCapacity"},
		{"a negative capacity", svc(`"autoScaling": {"minCapacity": -1, "maxCapacity": 1}`), "want 0 <= minCapacity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadWorld(t, tc.json)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := ReadWorld(strings.NewReader(svc(`"autoScaling": {"minCapacity": 1, "maxCapacity": 2, "mode": "x"}`))); err == nil {
		t.Error("an unknown field of autoScaling was accepted")
	}
}

const deployedWorld = `{` + deployedTDs + `,
  "services": [
    {"cluster": "prod", "serviceName": "web", "desiredCount": 3, "taskDefinition": "web:4",
     "deployments": [{"id": "ecs-svc/4444444444444444444", "taskDefinition": "web:4"},
                     {"id": "ecs-svc/3333333333333333333", "taskDefinition": "web:3", "status": "ACTIVE"}],
     "autoScaling": {"minCapacity": 2, "maxCapacity": 10}},
    {"cluster": "prod", "serviceName": "api", "desiredCount": 2, "deploymentController": "CODE_DEPLOY",
     "taskSets": [{"id": "ecs-svc/7777777777777777777", "taskDefinition": "api:7"}],
     "autoScaling": {"minCapacity": 1, "maxCapacity": 4, "suspendedState": {"dynamicScalingInSuspended": true, "dynamicScalingOutSuspended": false, "scheduledScalingSuspended": false}}}
  ],
  "tasks": [
    {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/web3", "taskDefinitionArn": "web:3", "group": "service:web", "startedBy": "ecs-svc/3333333333333333333"},
    {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/fake", "taskDefinitionArn": "api:7", "group": "service:web", "startedBy": "ecs-svc/7777777777777777777"},
    {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/api7", "taskDefinitionArn": "api:7", "group": "service:api", "startedBy": "ecs-svc/7777777777777777777"}
  ]
}`

func TestLoadService(t *testing.T) {
	a, err := loadWorld(t, deployedWorld)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, err := a.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web", "api"}})
	if err != nil {
		t.Fatal(err)
	}
	web, api := out.Services[0], out.Services[1]
	if len(web.Deployments) != 2 || aws.ToString(web.Deployments[0].Status) != "PRIMARY" || aws.ToString(web.Deployments[1].Status) != "ACTIVE" ||
		aws.ToString(web.Deployments[1].TaskDefinition) != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3" || len(web.TaskSets) != 0 {
		t.Errorf("web %+v", web.Deployments)
	}
	if api.DeploymentController.Type != types.DeploymentControllerTypeCodeDeploy || len(api.Deployments) != 0 || len(api.TaskSets) != 1 ||
		aws.ToString(api.TaskSets[0].Id) != "ecs-svc/7777777777777777777" || aws.ToString(api.TaskSets[0].Status) != "PRIMARY" ||
		aws.ToString(api.TaskDefinition) != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7" {
		t.Errorf("api %+v %+v (its task definition is its PRIMARY task set's)", api.TaskSets, api.TaskDefinition)
	}
	// A CODE_DEPLOY service's task definition is changed by CodeDeploy, not UpdateService.
	_, err = a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String("api:7")})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "CODE_DEPLOY") {
		t.Errorf("UpdateService of a CODE_DEPLOY service's task definition: %v", err)
	}
	targets, err := a.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: astypes.ServiceNamespaceEcs})
	if err != nil || len(targets.ScalableTargets) != 2 {
		t.Fatalf("targets %+v %v", targets, err)
	}
	if s := targets.ScalableTargets[0]; aws.ToString(s.ResourceId) != "service/prod/api" || aws.ToInt32(s.MaxCapacity) != 4 ||
		!aws.ToBool(s.SuspendedState.DynamicScalingInSuspended) || aws.ToBool(s.SuspendedState.ScheduledScalingSuspended) {
		t.Errorf("api's target %+v %+v", s, s.SuspendedState)
	}
	// The snapshot gives the same world back.
	snap := a.World()
	if !reflect.DeepEqual(snap.Services[0].Deployments, []WorldDeployment{
		{ID: "ecs-svc/4444444444444444444", TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4", Status: "PRIMARY"},
		{ID: "ecs-svc/3333333333333333333", TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", Status: "ACTIVE"},
	}) || snap.Services[1].DeploymentController != "CODE_DEPLOY" || snap.Services[1].AutoScaling.SuspendedState == nil ||
		*snap.Services[0].AutoScaling != (WorldAutoScaling{MinCapacity: 2, MaxCapacity: 10}) || snap.Tasks[0].StartedBy != "ecs-svc/3333333333333333333" {
		t.Errorf("snapshot %+v", snap.Services)
	}
}

// The scale step against the account, as the local executor runs it: it
// takes the account for Application Auto Scaling too.
func TestScaleStepAgainstTheAccount(t *testing.T) {
	state := func(task, td string) contract.State {
		return contract.State{
			Task: &contract.Task{TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/" + task, ClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
				Cluster: "prod", TaskDefinitionArn: td, Family: "web", Revision: 3, Group: "service:web", Service: "web",
				Account: "123456789012", Region: "us-east-1"},
			Evaluation: &contract.Evaluation{Decision: &contract.Decision{Violations: []contract.Violation{{Rule: "privileged"}}},
				Mode: contract.ModeEnforce, Outcome: contract.OutcomeRemediate},
		}
	}
	tests := []struct {
		name    string
		task    string
		td      string
		changed bool
		reason  string
		actions []Action
		desired int32
	}{
		{"a task of the older deployment: the target is suspended, then the service scaled", "web3", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", true, "",
			[]Action{{API: "RegisterScalableTarget", Target: "service/prod/web"}, {API: "UpdateService", Target: "arn:aws:ecs:us-east-1:123456789012:service/prod/web"}}, 0},
		{"a task whose group names another service scales nothing", "fake", "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7", false,
			contract.ReasonUnverifiedMembership, nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := loadWorld(t, deployedWorld)
			if err != nil {
				t.Fatal(err)
			}
			h := &scaleservice.Handler{ECS: a}
			res, err := h.Handle(context.Background(), state(tc.task, tc.td))
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed != tc.changed || res.Reason != tc.reason {
				t.Errorf("result %+v", res)
			}
			if !reflect.DeepEqual(a.Actions(), append([]Action{}, tc.actions...)) {
				t.Errorf("actions %v, want %v", a.Actions(), tc.actions)
			}
			if s := a.findService("prod", "web"); s.desired != tc.desired {
				t.Errorf("desired count %d, want %d", s.desired, tc.desired)
			}
			if tc.changed && (res.ScalableTarget == nil || res.ScalableTarget.Previous != (contract.Scaling{MinCapacity: 2, MaxCapacity: 10})) {
				t.Errorf("scalable target %+v", res.ScalableTarget)
			}
		})
	}
}

// A service's configuration is what DescribeServices' body says of it, over
// the typed output, and what the snapshot gives back.
func TestServiceConfiguration(t *testing.T) {
	a, err := loadWorld(t, `{`+deployedTDs+`, "services": [{"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": "web:3",
	  "configuration": {"launchType": "FARGATE", "enableExecuteCommand": true,
	    "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "ENABLED", "subnets": ["subnet-1"]}}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Services []map[string]any `json:"services"`
	}
	if err := json.Unmarshal(awsraw.Body(out.ResultMetadata), &body); err != nil || len(body.Services) != 1 {
		t.Fatalf("body %s: %v", awsraw.Body(out.ResultMetadata), err)
	}
	s := body.Services[0]
	if s["launchType"] != "FARGATE" || s["enableExecuteCommand"] != true || s["serviceName"] != "web" ||
		!reflect.DeepEqual(s["networkConfiguration"], map[string]any{"awsvpcConfiguration": map[string]any{"assignPublicIp": "ENABLED", "subnets": []any{"subnet-1"}}}) {
		t.Errorf("service in the body: %v", s)
	}
	if c := a.World().Services[0].Configuration; len(c) != 3 || string(c["launchType"]) != `"FARGATE"` {
		t.Errorf("snapshot configuration %s", c)
	}
}
