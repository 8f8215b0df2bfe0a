package inmemory_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

func TestReadWorldRejects(t *testing.T) {
	td := func(s string) string { return `{"taskDefinitions": [` + s + `], "services": []}` }
	cases := []struct {
		name, json, want string
	}{
		{"an unknown top-level field (a typo)", `{"taskDefinition": []}`, "unknown field"},
		{"two JSON values", `{} {}`, "more than one"},
		{"a task definition that is not an object", td(`[1]`), "not a JSON object"},
		{"a task definition without ARN or family and revision", td(`{"containerDefinitions": []}`), "neither taskDefinitionArn"},
		{"a task definition ARN of another resource", td(`{"taskDefinitionArn": "arn:aws:ecs:us-east-1:1:cluster/x"}`), "not arn:"},
		{"a family that contradicts the ARN", td(`{"taskDefinitionArn": "` + webTD + `", "family": "api"}`), "do not match"},
		{"a revision written as a string", td(`{"family": "x", "revision": "3"}`), "not an ECS task definition"},
		{"a container field of the wrong type", td(`{"family": "x", "revision": 1, "containerDefinitions": [{"name": "a", "privileged": "yes"}]}`), "ECS API's shape"},
		{"an unknown status", td(`{"family": "x", "revision": 1, "status": "GONE"}`), "status"},
		{"a task definition twice", td(`{"family": "x", "revision": 1}, {"family": "x", "revision": 1}`), "twice"},
		{"a service without a cluster", `{"services": [{"serviceName": "a"}]}`, "cluster and serviceName"},
		{"a service with a negative count", `{"services": [{"cluster": "c", "serviceName": "a", "desiredCount": -1}]}`, "negative"},
		{"a service with an unknown status", `{"services": [{"cluster": "c", "serviceName": "a", "status": "PAUSED"}]}`, "status"},
		{"a service whose task definition is not in the world", `{"services": [{"cluster": "c", "serviceName": "a", "taskDefinition": "zzz:1"}]}`, "not in taskDefinitions"},
		{"a service twice", `{"services": [{"cluster": "c", "serviceName": "a"}, {"cluster": "c", "serviceName": "a"}]}`, "twice"},
		{"a task ARN that is not a task", `{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1:service/c/a"}]}`, "not an ECS task ARN"},
		{"an old-format task ARN without a cluster", `{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1:task/abc"}]}`, "no cluster"},
		{"a task whose cluster contradicts its ARN", `{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1:task/a/abc", "cluster": "b"}]}`, "not \"b\""},
		{"a task status ECS does not have", `{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1:task/a/abc", "lastStatus": "DONE"}]}`, "not an ECS task status"},
		{"a tag key that is not an ARN", `{"tags": {"web": {"a": "b"}}}`, "not an ARN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inmemory.ReadWorld(strings.NewReader(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestNewSkipsWhatLoadRefuses(t *testing.T) {
	w := inmemory.World{TaskDefinitions: []json.RawMessage{
		json.RawMessage(`{"family": "good", "revision": 1}`),
		json.RawMessage(`{"containerDefinitions": []}`),
	}}
	if _, err := inmemory.Load(w); err == nil || !strings.Contains(err.Error(), "taskDefinitions[1]") {
		t.Fatalf("Load err = %v, want taskDefinitions[1] named", err)
	}
	a := inmemory.New(w)
	out, err := a.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("good:1")})
	if err != nil || aws.ToString(out.TaskDefinition.TaskDefinitionArn) != "arn:aws:ecs:us-east-1:123456789012:task-definition/good:1" {
		t.Fatalf("good:1 = %v, %v", out, err)
	}
}

func TestAccountAndRegion(t *testing.T) {
	cases := []struct {
		name                string
		world               inmemory.World
		wantAccount, region string
	}{
		{"given in the world", inmemory.World{Account: "111122223333", Region: "eu-west-1"}, "111122223333", "eu-west-1"},
		{"taken from the first task definition ARN", inmemory.World{TaskDefinitions: []json.RawMessage{
			json.RawMessage(`{"taskDefinitionArn": "arn:aws:ecs:ap-south-1:444455556666:task-definition/a:1"}`),
		}}, "444455556666", "ap-south-1"},
		{"defaults for an empty world", inmemory.World{}, inmemory.DefaultAccount, inmemory.DefaultRegion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := inmemory.New(tc.world)
			if a.AccountID() != tc.wantAccount || a.Region() != tc.region {
				t.Fatalf("account %s region %s", a.AccountID(), a.Region())
			}
		})
	}
}

func TestDeriveWorld(t *testing.T) {
	detail := func(taskID, td, group string, images ...string) map[string]any {
		var cs []any
		for i, im := range images {
			cs = append(cs, map[string]any{"name": []string{"app", "sidecar"}[i], "image": im})
		}
		return map[string]any{
			"taskArn": "arn:aws:ecs:eu-west-1:210987654321:task/batch/" + taskID, "clusterArn": "arn:aws:ecs:eu-west-1:210987654321:cluster/batch",
			"taskDefinitionArn": td, "group": group, "launchType": "FARGATE", "cpu": "256", "memory": "512", "containers": cs,
		}
	}
	const jobTD = "arn:aws:ecs:eu-west-1:210987654321:task-definition/job:4"
	base := inmemory.World{Services: []inmemory.WorldService{{Cluster: "batch", ServiceName: "kept", DesiredCount: 5}}}
	events := []contract.Event{
		event(t, detail("t1", jobTD, "service:worker", "busybox:1", "envoy:1")),
		event(t, detail("t1", jobTD, "service:worker", "busybox:1", "envoy:1")), // a second event of the same task
		event(t, detail("t2", jobTD, "service:kept", "busybox:1")),
		event(t, detail("t3", "arn:aws:ecs:eu-west-1:210987654321:task-definition/cron:1", "family:cron", "alpine:3")),
		{Source: "aws.ecs", Detail: json.RawMessage(`{"lastStatus": "RUNNING"}`)}, // names no task: skipped
	}
	w := inmemory.DeriveWorld(base, events)

	t.Run("the account and region come from the events", func(t *testing.T) {
		if w.Account != "210987654321" || w.Region != "eu-west-1" {
			t.Fatalf("account %s region %s", w.Account, w.Region)
		}
	})
	t.Run("each task definition is derived once from the event's containers", func(t *testing.T) {
		if len(w.TaskDefinitions) != 2 {
			t.Fatalf("%d task definitions", len(w.TaskDefinitions))
		}
		var td struct {
			TaskDefinitionArn    string
			Family               string
			Revision             int
			Status               string
			Cpu                  string
			ContainerDefinitions []struct {
				Name, Image string
				Essential   bool
			}
			RequiresCompatibilities []string
		}
		if err := json.Unmarshal(w.TaskDefinitions[0], &td); err != nil {
			t.Fatal(err)
		}
		if td.TaskDefinitionArn != jobTD || td.Family != "job" || td.Revision != 4 || td.Status != "ACTIVE" || td.Cpu != "256" ||
			len(td.ContainerDefinitions) != 2 || td.ContainerDefinitions[1].Image != "envoy:1" || !td.ContainerDefinitions[0].Essential ||
			!reflect.DeepEqual(td.RequiresCompatibilities, []string{"FARGATE"}) {
			t.Fatalf("derived %+v", td)
		}
	})
	t.Run("a service group not in the world becomes a service of one task; one in it is kept", func(t *testing.T) {
		want := []inmemory.WorldService{
			{Cluster: "batch", ServiceName: "kept", DesiredCount: 5},
			{Cluster: "batch", ServiceName: "worker", DesiredCount: 1, TaskDefinition: jobTD},
		}
		if !reflect.DeepEqual(w.Services, want) {
			t.Fatalf("services %+v", w.Services)
		}
	})
	t.Run("each event's task exists, running, once", func(t *testing.T) {
		if len(w.Tasks) != 3 || w.Tasks[0].LastStatus != "RUNNING" || w.Tasks[0].Cluster != "batch" || w.Tasks[2].Group != "family:cron" {
			t.Fatalf("tasks %+v", w.Tasks)
		}
	})
	t.Run("the world given is not changed", func(t *testing.T) {
		if len(base.Services) != 1 || base.Account != "" || len(base.TaskDefinitions) != 0 {
			t.Fatalf("base changed: %+v", base)
		}
	})
	t.Run("the derived world loads", func(t *testing.T) {
		if err := w.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a task definition already in the world is not derived again", func(t *testing.T) {
		again := inmemory.DeriveWorld(w, events)
		if len(again.TaskDefinitions) != 2 || len(again.Services) != 2 || len(again.Tasks) != 3 {
			t.Fatalf("derived twice: %d tds %d services %d tasks", len(again.TaskDefinitions), len(again.Services), len(again.Tasks))
		}
	})
}

func TestWorldSnapshotFollowsChanges(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	if _, err := a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), DesiredCount: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(apiTask)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(apiTD7)}); err != nil {
		t.Fatal(err)
	}
	w := a.World()
	if w.Services[1].DesiredCount != 0 || w.Tasks[0].LastStatus != "STOPPED" || !strings.Contains(string(w.TaskDefinitions[2]), `"status":"INACTIVE"`) {
		t.Fatalf("snapshot %+v", w)
	}
	// The snapshot round-trips into an account in the same state.
	if _, err := inmemory.Load(w); err != nil {
		t.Fatal(err)
	}
}

// The scale step checks a task's startedBy: the derived task keeps the
// event's.
func TestDeriveWorldKeepsStartedBy(t *testing.T) {
	ev := event(t, map[string]any{
		"taskArn": apiTask, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "taskDefinitionArn": apiTD7,
		"group": "service:api", "startedBy": "ecs-svc/1234567890123456789",
	})
	w := inmemory.DeriveWorld(inmemory.World{}, []contract.Event{ev})
	if len(w.Tasks) != 1 || w.Tasks[0].StartedBy != "ecs-svc/1234567890123456789" {
		t.Fatalf("tasks %+v", w.Tasks)
	}
	a, err := inmemory.Load(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.World().Tasks[0].StartedBy; got != "ecs-svc/1234567890123456789" {
		t.Errorf("snapshot startedBy %q", got)
	}
}

func TestReadWorldTakesTheNewServiceFields(t *testing.T) {
	const js = `{"services": [{"cluster": "c", "serviceName": "a", "deploymentController": "EXTERNAL",
	  "taskSets": [{"id": "ecs-svc/1", "taskDefinition": "x:1", "status": "ACTIVE"}],
	  "autoScaling": {"minCapacity": 1, "maxCapacity": 2, "suspended": true}}],
	  "taskDefinitions": [{"family": "x", "revision": 1}],
	  "tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/t", "group": "service:a", "startedBy": "ecs-svc/1"}]}`
	w, err := inmemory.ReadWorld(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	s := w.Services[0]
	if s.DeploymentController != "EXTERNAL" || len(s.TaskSets) != 1 || s.TaskSets[0] != (inmemory.WorldDeployment{ID: "ecs-svc/1", TaskDefinition: "x:1", Status: "ACTIVE"}) ||
		*s.AutoScaling != (inmemory.WorldAutoScaling{MinCapacity: 1, MaxCapacity: 2, Suspended: true}) || w.Tasks[0].StartedBy != "ecs-svc/1" {
		t.Fatalf("world %+v", w)
	}
	// DeriveWorld copies them: changing the copy leaves the world given alone.
	out := inmemory.DeriveWorld(w, nil)
	out.Services[0].TaskSets[0].ID = "changed"
	out.Services[0].AutoScaling.MaxCapacity = 9
	if w.Services[0].TaskSets[0].ID != "ecs-svc/1" || w.Services[0].AutoScaling.MaxCapacity != 2 {
		t.Fatalf("DeriveWorld shares the world's slices or pointers: %+v", w.Services[0])
	}
}
