package inmemory_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

func TestDescribeTaskDefinition(t *testing.T) {
	tags := []types.TaskDefinitionField{types.TaskDefinitionFieldTags}
	cases := []struct {
		name      string
		ref       string
		include   []types.TaskDefinitionField
		wantArn   string
		wantImage string
		wantBody  string // substring of the raw body
		wantTags  map[string]string
		wantCode  string
		wantMsg   string
	}{
		{"by ARN, with tags, the world's JSON as written (member order, unmodelled fields), compacted", webTD, tags, webTD, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
			`{"taskDefinitionArn":"` + webTD + `","family":"web",` + `"revision":3,"status":"ACTIVE","containerDefinitions":[{"name":"web","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2","privileged":false,"user":"10001","futureField":{"kept":true}}],"networkMode":"awsvpc"}`, map[string]string{"environment": "prod", "owner": "team-web"}, "", ""},
		{"by family:revision, an INACTIVE revision is still described", "api:6", nil, apiTD6, "nginx:1.24", `"status":"INACTIVE"`, nil, "", ""},
		{"by family alone, the latest ACTIVE revision", "api", tags, apiTD7, "nginx:1.25", `"tags":[]`, map[string]string{}, "", ""},
		{"an unknown revision is a ClientException", "api:99", nil, "", "", "", nil, "ClientException", "Unable to describe task definition."},
		{"an unknown family is a ClientException", "nope", nil, "", "", "", nil, "ClientException", "Unable to describe task definition."},
		{"an ARN of another account is a ClientException", "arn:aws:ecs:us-east-1:999999999999:task-definition/web:3", nil, "", "", "", nil, "ClientException", "Unable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			out, err := a.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tc.ref), Include: tc.include})
			if tc.wantCode != "" {
				wantAPIError(t, err, tc.wantCode, tc.wantMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			td := out.TaskDefinition
			if aws.ToString(td.TaskDefinitionArn) != tc.wantArn || aws.ToString(td.ContainerDefinitions[0].Image) != tc.wantImage {
				t.Fatalf("typed %s %s", aws.ToString(td.TaskDefinitionArn), aws.ToString(td.ContainerDefinitions[0].Image))
			}
			body := awsraw.Body(out.ResultMetadata)
			if !strings.Contains(string(body), tc.wantBody) {
				t.Fatalf("raw body %s\nlacks %s", body, tc.wantBody)
			}
			var parsed struct {
				TaskDefinition map[string]any `json:"taskDefinition"`
				Tags           []struct{ Key, Value string }
			}
			if err := json.Unmarshal(body, &parsed); err != nil || parsed.TaskDefinition["taskDefinitionArn"] != tc.wantArn {
				t.Fatalf("raw body %s: %v", body, err)
			}
			gotTags := map[string]string{}
			for _, tg := range out.Tags {
				gotTags[*tg.Key] = *tg.Value
			}
			if tc.wantTags == nil && (out.Tags != nil || strings.Contains(string(body), `"tags"`)) {
				t.Fatalf("tags without Include TAGS: %v %s", out.Tags, body)
			}
			if tc.wantTags != nil && !reflect.DeepEqual(gotTags, tc.wantTags) {
				t.Fatalf("tags %v, want %v", gotTags, tc.wantTags)
			}
			if len(parsed.Tags) != len(out.Tags) {
				t.Fatalf("raw tags %v, typed %v", parsed.Tags, out.Tags)
			}
		})
	}
}

func TestDescribeTaskDefinitionTypedOutputComesFromTheSDKDecoder(t *testing.T) {
	a := newAccount(t)
	out, err := a.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:7")})
	if err != nil {
		t.Fatal(err)
	}
	td := out.TaskDefinition
	if td.RegisteredAt == nil || !td.RegisteredAt.Equal(clock.AddDate(0, 0, -7).Add(55*60e9)) ||
		td.Revision != 7 || aws.ToString(td.Family) != "api" || td.Status != types.TaskDefinitionStatusActive ||
		!aws.ToBool(td.ContainerDefinitions[0].Essential) {
		t.Fatalf("typed %+v (registeredAt %v)", td, td.RegisteredAt)
	}
}

func TestListTagsForResource(t *testing.T) {
	cases := []struct {
		name     string
		arn      string
		want     map[string]string
		wantCode string
		wantMsg  string
	}{
		{"a task definition's tags", webTD, map[string]string{"owner": "team-web", "environment": "prod"}, "", ""},
		{"a service's tags (long ARN)", apiService, map[string]string{"owner": "team-api", "tier": "edge"}, "", ""},
		{"an untagged service has none", webService, map[string]string{}, "", ""},
		{"an untagged task has none", apiTask, map[string]string{}, "", ""},
		{"a cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/prod", map[string]string{}, "", ""},
		{"a service that does not exist", "arn:aws:ecs:us-east-1:123456789012:service/prod/gone", nil, "InvalidParameterException", "could not be found"},
		{"a service in a cluster that does not exist", "arn:aws:ecs:us-east-1:123456789012:service/nope/api", nil, "ClusterNotFoundException", "Cluster not found."},
		{"a short-format service ARN", "arn:aws:ecs:us-east-1:123456789012:service/api", nil, "InvalidParameterException", "Long arn format"},
		{"a task definition that does not exist", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9", nil, "InvalidParameterException", "could not be found"},
		{"not an ECS ARN", "arn:aws:sns:us-east-1:123456789012:topic", nil, "InvalidParameterException", "Invalid resource ARN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := newAccount(t).ListTagsForResource(context.Background(), &ecs.ListTagsForResourceInput{ResourceArn: aws.String(tc.arn)})
			if tc.wantCode != "" {
				wantAPIError(t, err, tc.wantCode, tc.wantMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, tg := range out.Tags {
				got[*tg.Key] = *tg.Value
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("tags %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDescribeServices(t *testing.T) {
	a := newAccount(t)
	out, err := a.DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster:  aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/prod"),
		Services: []string{"api", "gone", webService, "old"},
		Include:  []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 3 || len(out.Failures) != 1 {
		t.Fatalf("services %d failures %d", len(out.Services), len(out.Failures))
	}
	api, web, old := out.Services[0], out.Services[1], out.Services[2]
	switch {
	case aws.ToString(api.ServiceArn) != apiService || api.DesiredCount != 2 || api.RunningCount != 1 ||
		aws.ToString(api.TaskDefinition) != apiTD7 || aws.ToString(api.Status) != "ACTIVE" || len(api.Tags) != 2:
		t.Fatalf("api %+v", api)
	case aws.ToString(web.ServiceName) != "web" || web.DesiredCount != 3 || web.RunningCount != 0:
		t.Fatalf("web %+v", web)
	case aws.ToString(old.Status) != "DRAINING":
		t.Fatalf("a DRAINING service is still described: %+v", old)
	}
	f := out.Failures[0]
	if aws.ToString(f.Arn) != "arn:aws:ecs:us-east-1:123456789012:service/prod/gone" || aws.ToString(f.Reason) != "MISSING" {
		t.Fatalf("failure %+v", f)
	}

	errCases := []struct {
		name     string
		in       *ecs.DescribeServicesInput
		wantCode string
	}{
		{"a cluster that does not exist", &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"api"}}, "ClusterNotFoundException"},
		{"the default cluster when it does not exist", &ecs.DescribeServicesInput{Services: []string{"api"}}, "ClusterNotFoundException"},
		{"no service", &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{}}, "InvalidParameterException"},
		{"more than 10 services", &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: make([]string, 11)}, "InvalidParameterException"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.DescribeServices(context.Background(), tc.in)
			wantAPIError(t, err, tc.wantCode, "")
		})
	}
}

func TestUpdateService(t *testing.T) {
	type call struct {
		service  string
		cluster  string
		count    *int32
		td       *string
		wantCode string
		wantMsg  string
		want     int32
	}
	cases := []struct {
		name        string
		calls       []call
		wantActions []inmemory.Action
	}{
		{"scaling to zero is one action", []call{{service: "api", cluster: "prod", count: aws.Int32(0), want: 0}},
			[]inmemory.Action{{API: "UpdateService", Target: apiService}}},
		{"scaling to zero twice is one action", []call{
			{service: "api", cluster: "prod", count: aws.Int32(0), want: 0},
			{service: apiService, cluster: "prod", count: aws.Int32(0), want: 0},
		}, []inmemory.Action{{API: "UpdateService", Target: apiService}}},
		{"a service ARN names its cluster", []call{{service: apiService, count: aws.Int32(1), cluster: "prod", want: 1}},
			[]inmemory.Action{{API: "UpdateService", Target: apiService}}},
		{"an update that changes nothing is no action", []call{{service: "web", cluster: "prod", count: aws.Int32(3), want: 3}}, nil},
		{"a service that does not exist", []call{{service: "gone", cluster: "prod", count: aws.Int32(0), wantCode: "ServiceNotFoundException", wantMsg: "Service not found."}}, nil},
		{"a service ARN of another cluster does not exist", []call{{service: "arn:aws:ecs:us-east-1:123456789012:service/other/api", cluster: "prod", count: aws.Int32(0), wantCode: "ServiceNotFoundException"}}, nil},
		{"a DRAINING service is not active", []call{{service: "old", cluster: "prod", count: aws.Int32(0), wantCode: "ServiceNotActiveException", wantMsg: "Service was not ACTIVE."}}, nil},
		{"a cluster that does not exist", []call{{service: "api", cluster: "nope", count: aws.Int32(0), wantCode: "ClusterNotFoundException"}}, nil},
		{"a negative count is invalid", []call{{service: "api", cluster: "prod", count: aws.Int32(-1), wantCode: "InvalidParameterException"}}, nil},
		{"an INACTIVE task definition is refused", []call{{service: "api", cluster: "prod", td: aws.String("api:6"), wantCode: "InvalidParameterException", wantMsg: "inactive"}}, nil},
		{"an unknown task definition is refused", []call{{service: "api", cluster: "prod", td: aws.String("api:99"), wantCode: "ClientException"}}, nil},
		{"a new task definition is an action", []call{{service: "web", cluster: "prod", td: aws.String("api"), want: 3}},
			[]inmemory.Action{{API: "UpdateService", Target: webService}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			for i, c := range tc.calls {
				out, err := a.UpdateService(context.Background(), &ecs.UpdateServiceInput{
					Cluster: aws.String(c.cluster), Service: aws.String(c.service), DesiredCount: c.count, TaskDefinition: c.td,
				})
				if c.wantCode != "" {
					wantAPIError(t, err, c.wantCode, c.wantMsg)
					continue
				}
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if out.Service.DesiredCount != c.want {
					t.Fatalf("call %d: desired %d, want %d", i, out.Service.DesiredCount, c.want)
				}
			}
			if got := a.Actions(); !reflect.DeepEqual(got, append([]inmemory.Action{}, tc.wantActions...)) {
				t.Fatalf("actions %v, want %v", got, tc.wantActions)
			}
		})
	}
}

func TestScalingToZeroDoesNotStopTheTasks(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	if _, err := a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), DesiredCount: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	out, err := a.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{apiTask}})
	if err != nil || aws.ToString(out.Tasks[0].LastStatus) != "RUNNING" {
		t.Fatalf("task after scale-down: %+v %v", out, err)
	}
}

func TestDescribeTasks(t *testing.T) {
	a := newAccount(t)
	out, err := a.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{
		Cluster: aws.String("prod"),
		Tasks:   []string{apiTask, "0000aaaa", "arn:aws:ecs:us-east-1:123456789012:task/prod/missing", "nope"},
		Include: []types.TaskField{types.TaskFieldTags},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tasks) != 2 || len(out.Failures) != 2 {
		t.Fatalf("tasks %d failures %d", len(out.Tasks), len(out.Failures))
	}
	running, stopped := out.Tasks[0], out.Tasks[1]
	if aws.ToString(running.LastStatus) != "RUNNING" || aws.ToString(running.DesiredStatus) != "RUNNING" ||
		aws.ToString(running.Group) != "service:api" || aws.ToString(running.TaskDefinitionArn) != apiTD7 ||
		aws.ToString(running.ClusterArn) != "arn:aws:ecs:us-east-1:123456789012:cluster/prod" || running.Tags == nil {
		t.Fatalf("running %+v", running)
	}
	if aws.ToString(stopped.TaskArn) != oldTask || aws.ToString(stopped.LastStatus) != "STOPPED" {
		t.Fatalf("stopped %+v", stopped)
	}
	for i, want := range []string{"arn:aws:ecs:us-east-1:123456789012:task/prod/missing", "arn:aws:ecs:us-east-1:123456789012:task/prod/nope"} {
		if f := out.Failures[i]; aws.ToString(f.Arn) != want || aws.ToString(f.Reason) != "MISSING" {
			t.Fatalf("failure %d %+v", i, f)
		}
	}
	if _, err := a.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("nope"), Tasks: []string{apiTask}}); err == nil {
		t.Fatal("a missing cluster must fail")
	} else {
		wantAPIError(t, err, "ClusterNotFoundException", "")
	}
	// A task asked for in another cluster is missing there.
	other, err := a.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{"arn:aws:ecs:us-east-1:123456789012:task/batch/1b2c3d4e5f6a41829304b5c6d7e8f9a0"}})
	if err != nil || len(other.Failures) != 1 {
		t.Fatalf("other cluster: %+v %v", other, err)
	}
}

func TestStopTask(t *testing.T) {
	type call struct {
		task, reason string
		wantCode     string
		wantMsg      string
	}
	cases := []struct {
		name        string
		calls       []call
		wantActions []inmemory.Action
	}{
		{"stopping a running task is one action", []call{{task: apiTask, reason: "ecs-compliance: registry"}},
			[]inmemory.Action{{API: "StopTask", Target: apiTask}}},
		{"stopping it again returns it, no second action", []call{{task: apiTask, reason: "r"}, {task: "1b2c3d4e5f6a41829304b5c6d7e8f9a0", reason: "r"}},
			[]inmemory.Action{{API: "StopTask", Target: apiTask}}},
		{"stopping a task that was already stopped is no action", []call{{task: oldTask}}, nil},
		{"a task that does not exist", []call{{task: "arn:aws:ecs:us-east-1:123456789012:task/prod/zzz", wantCode: "InvalidParameterException", wantMsg: "The referenced task was not found."}}, nil},
		{"a reason of 256 characters is refused", []call{{task: apiTask, reason: strings.Repeat("x", 256), wantCode: "InvalidParameterException", wantMsg: "at most 255"}}, nil},
		{"a reason of 255 characters is taken", []call{{task: apiTask, reason: strings.Repeat("é", 255)}},
			[]inmemory.Action{{API: "StopTask", Target: apiTask}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			var first *types.Task
			for i, c := range tc.calls {
				out, err := a.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(c.task), Reason: aws.String(c.reason)})
				if c.wantCode != "" {
					wantAPIError(t, err, c.wantCode, c.wantMsg)
					continue
				}
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				tk := out.Task
				if aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToString(tk.DesiredStatus) != "STOPPED" {
					t.Fatalf("call %d: task %+v", i, tk)
				}
				if first == nil {
					first = tk
				} else if aws.ToString(tk.StoppedReason) != aws.ToString(first.StoppedReason) || tk.Version != first.Version {
					t.Fatalf("a second stop changed the task: %+v then %+v", first, tk)
				}
			}
			if got := a.Actions(); !reflect.DeepEqual(got, append([]inmemory.Action{}, tc.wantActions...)) {
				t.Fatalf("actions %v, want %v", got, tc.wantActions)
			}
		})
	}
}

func TestStopTaskRecordsReasonAndTime(t *testing.T) {
	a := newAccount(t)
	out, err := a.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(apiTask), Reason: aws.String("violates registry")})
	if err != nil {
		t.Fatal(err)
	}
	if tk := out.Task; aws.ToString(tk.StoppedReason) != "violates registry" || tk.StopCode != types.TaskStopCodeUserInitiated ||
		tk.StoppedAt == nil || !tk.StoppedAt.Equal(clock) || tk.Version != 2 {
		t.Fatalf("task %+v", tk)
	}
}

func TestDeregisterTaskDefinition(t *testing.T) {
	type call struct {
		ref      string
		wantCode string
		wantMsg  string
	}
	cases := []struct {
		name        string
		calls       []call
		wantActions []inmemory.Action
	}{
		{"an ACTIVE revision becomes INACTIVE: one action", []call{{ref: apiTD7}}, []inmemory.Action{{API: "DeregisterTaskDefinition", Target: apiTD7}}},
		{"deregistering it again is no second action", []call{{ref: apiTD7}, {ref: "api:7"}}, []inmemory.Action{{API: "DeregisterTaskDefinition", Target: apiTD7}}},
		{"an INACTIVE revision is returned as it is", []call{{ref: "api:6"}}, nil},
		{"a family without revision is refused", []call{{ref: "api", wantCode: "ClientException", wantMsg: "revision"}}, nil},
		{"an unknown revision does not exist", []call{{ref: "api:99", wantCode: "ClientException", wantMsg: "does not exist"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			for i, c := range tc.calls {
				out, err := a.DeregisterTaskDefinition(context.Background(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(c.ref)})
				if c.wantCode != "" {
					wantAPIError(t, err, c.wantCode, c.wantMsg)
					continue
				}
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if out.TaskDefinition.Status != types.TaskDefinitionStatusInactive {
					t.Fatalf("call %d: status %s", i, out.TaskDefinition.Status)
				}
			}
			if got := a.Actions(); !reflect.DeepEqual(got, append([]inmemory.Action{}, tc.wantActions...)) {
				t.Fatalf("actions %v, want %v", got, tc.wantActions)
			}
		})
	}
}

func TestDeregisteredTaskDefinitionIsDescribedInactive(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	if _, err := a.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(apiTD7)}); err != nil {
		t.Fatal(err)
	}
	out, err := a.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(apiTD7)})
	if err != nil {
		t.Fatal(err)
	}
	body := string(awsraw.Body(out.ResultMetadata))
	if out.TaskDefinition.Status != types.TaskDefinitionStatusInactive || out.TaskDefinition.DeregisteredAt == nil ||
		!out.TaskDefinition.DeregisteredAt.Equal(clock) || !strings.Contains(body, `"status":"INACTIVE"`) {
		t.Fatalf("after deregistration: %s", body)
	}
	// With no ACTIVE revision left, the family alone names nothing.
	_, err = a.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api")})
	wantAPIError(t, err, "ClientException", "Unable to describe")
}

func TestECSErrorsAreTheSDKsTypes(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	_, err := a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("gone"), DesiredCount: aws.Int32(0)})
	var notFound *types.ServiceNotFoundException
	if !errors.As(err, &notFound) || step.Name(step.AWSError("UpdateService", err)) != contract.ErrNotFound {
		t.Fatalf("err %T %v", err, err)
	}
	_, err = a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("old"), DesiredCount: aws.Int32(0)})
	var notActive *types.ServiceNotActiveException
	if !errors.As(err, &notActive) || notActive.ErrorFault() != smithy.FaultClient {
		t.Fatalf("err %T %v", err, err)
	}
	// Missing required members fail as the SDK's client-side validation does.
	missing := []struct {
		name string
		call func() error
	}{
		{"DescribeTaskDefinition", func() error { _, err := a.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{}); return err }},
		{"ListTagsForResource", func() error { _, err := a.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{}); return err }},
		{"DescribeServices", func() error { _, err := a.DescribeServices(ctx, &ecs.DescribeServicesInput{}); return err }},
		{"UpdateService", func() error { _, err := a.UpdateService(ctx, &ecs.UpdateServiceInput{}); return err }},
		{"DescribeTasks", func() error { _, err := a.DescribeTasks(ctx, &ecs.DescribeTasksInput{}); return err }},
		{"StopTask", func() error { _, err := a.StopTask(ctx, nil); return err }},
		{"DeregisterTaskDefinition", func() error {
			_, err := a.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{})
			return err
		}},
	}
	for _, m := range missing {
		t.Run(m.name+" without its required member", func(t *testing.T) {
			var invalid smithy.InvalidParamsError
			if err := m.call(); !errors.As(err, &invalid) {
				t.Fatalf("err = %v, want InvalidParamsError", err)
			}
		})
	}
}

var deploymentIDRE = regexp.MustCompile(`^ecs-svc/[0-9]{19}$`)

// The scale step verifies a task against the service's deployments: the
// account describes them, and the task's startedBy as the event gave it.
func TestDeploymentsAndStartedBy(t *testing.T) {
	ctx := context.Background()
	prodTask := func(id, td, group, startedBy string) map[string]any {
		return map[string]any{
			"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/" + id, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
			"taskDefinitionArn": td, "group": group, "startedBy": startedBy, "lastStatus": "PENDING",
		}
	}
	tests := []struct {
		name      string
		world     inmemory.World
		events    []map[string]any
		service   string
		task      string
		wantID    string // "" = one made from the service's ARN
		wantStart string
	}{
		{
			name:    "a world task without startedBy keeps none, and the deployment's id is made up",
			world:   testWorld(t),
			service: "api", task: apiTask,
		},
		{
			name:    "the deployment's id is the startedBy its task's event carries",
			world:   inmemory.World{TaskDefinitions: testWorld(t).TaskDefinitions, Services: testWorld(t).Services},
			events:  []map[string]any{prodTask("a1", apiTD7, "service:api", "ecs-svc/1234567890123456789")},
			service: "api", task: "arn:aws:ecs:us-east-1:123456789012:task/prod/a1",
			wantID: "ecs-svc/1234567890123456789", wantStart: "ecs-svc/1234567890123456789",
		},
		{
			name:  "a RunTask task claiming the service does not make the deployment's id",
			world: inmemory.World{TaskDefinitions: testWorld(t).TaskDefinitions, Services: testWorld(t).Services},
			events: []map[string]any{
				prodTask("a1", apiTD7, "service:api", "manual"),
				prodTask("a2", webTD, "service:api", "ecs-svc/5555555555555555555"),
			},
			service: "api", task: "arn:aws:ecs:us-east-1:123456789012:task/prod/a1", wantStart: "manual",
		},
		{
			name:    "a service derived from an event is deployed by the event's deployment",
			events:  []map[string]any{prodTask("w1", apiTD7, "service:worker", "ecs-svc/4242424242424242424")},
			service: "worker", task: "arn:aws:ecs:us-east-1:123456789012:task/prod/w1",
			wantID: "ecs-svc/4242424242424242424", wantStart: "ecs-svc/4242424242424242424",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var evs []contract.Event
			for _, d := range tc.events {
				evs = append(evs, event(t, d))
			}
			a, err := inmemory.Load(inmemory.DeriveWorld(tc.world, evs))
			if err != nil {
				t.Fatal(err)
			}
			out, err := a.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{tc.service}})
			if err != nil || len(out.Services) != 1 {
				t.Fatalf("DescribeServices %+v %v", out, err)
			}
			s := out.Services[0]
			if s.DeploymentController == nil || s.DeploymentController.Type != types.DeploymentControllerTypeEcs || len(s.Deployments) != 1 || len(s.TaskSets) != 0 {
				t.Fatalf("service %+v", s)
			}
			d := s.Deployments[0]
			if aws.ToString(d.Status) != "PRIMARY" || aws.ToString(d.TaskDefinition) != apiTD7 || d.DesiredCount != s.DesiredCount {
				t.Errorf("deployment %+v", d)
			}
			if id := aws.ToString(d.Id); (tc.wantID == "" && !deploymentIDRE.MatchString(id)) || (tc.wantID != "" && id != tc.wantID) {
				t.Errorf("deployment id %q, want %q", id, tc.wantID)
			}
			tasks, err := a.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{tc.task}})
			if err != nil || len(tasks.Tasks) != 1 {
				t.Fatalf("DescribeTasks %+v %v", tasks, err)
			}
			if got := aws.ToString(tasks.Tasks[0].StartedBy); got != tc.wantStart {
				t.Errorf("startedBy %q, want %q", got, tc.wantStart)
			}
			if tc.wantStart != "" && tc.wantID == "" && aws.ToString(d.Id) == tc.wantStart {
				t.Errorf("the deployment took the id of a task it did not start")
			}
		})
	}
}

func TestUpdateServiceWithANewTaskDefinitionIsANewDeployment(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	describe := func() []types.Deployment {
		out, err := a.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Services[0].Deployments
	}
	before := describe()
	if _, err := a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("api:7")}); err != nil {
		t.Fatal(err)
	}
	after := describe()
	if len(after) != 2 || aws.ToString(after[0].Id) != aws.ToString(before[0].Id) || aws.ToString(after[0].Status) != "ACTIVE" ||
		aws.ToString(after[1].Status) != "PRIMARY" || aws.ToString(after[1].TaskDefinition) != apiTD7 ||
		aws.ToString(after[1].Id) == aws.ToString(before[0].Id) || !deploymentIDRE.MatchString(aws.ToString(after[1].Id)) {
		t.Fatalf("deployments before %+v after %+v", before, after)
	}
	// A count alone is no new deployment.
	if _, err := a.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if n := len(describe()); n != 2 {
		t.Fatalf("%d deployments after a count change, want 2", n)
	}
}

func TestListServices(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	all := []string{"arn:aws:ecs:us-east-1:123456789012:service/prod/api", "arn:aws:ecs:us-east-1:123456789012:service/prod/old", webService}
	out, err := a.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if err != nil || !reflect.DeepEqual(out.ServiceArns, all) || out.NextToken != nil {
		t.Fatalf("ListServices = %+v, %v; want every service, DRAINING included, in order", out, err)
	}
	// Page by page.
	var got []string
	in := &ecs.ListServicesInput{Cluster: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/prod"), MaxResults: aws.Int32(2)}
	for pages := 1; ; pages++ {
		out, err := a.ListServices(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.ServiceArns...)
		if out.NextToken == nil {
			if pages != 2 {
				t.Errorf("%d pages of 2 for 3 services", pages)
			}
			break
		}
		in.NextToken = out.NextToken
	}
	if !reflect.DeepEqual(got, all) {
		t.Errorf("pages gave %v", got)
	}
	errCases := []struct {
		name string
		in   *ecs.ListServicesInput
		code string
	}{
		{"an unknown cluster", &ecs.ListServicesInput{Cluster: aws.String("nope")}, "ClusterNotFoundException"},
		{"the default cluster when it does not exist", &ecs.ListServicesInput{}, "ClusterNotFoundException"},
		{"maxResults over 100", &ecs.ListServicesInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(101)}, "InvalidParameterException"},
		{"a token the account did not give", &ecs.ListServicesInput{Cluster: aws.String("prod"), NextToken: aws.String("x")}, "InvalidParameterException"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.ListServices(ctx, tc.in)
			wantAPIError(t, err, tc.code, "")
		})
	}
}

func TestListTasks(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	cases := []struct {
		name string
		in   *ecs.ListTasksInput
		want []string
		code string
	}{
		{"running tasks by default", &ecs.ListTasksInput{Cluster: aws.String("prod")}, []string{apiTask}, ""},
		{"by family", &ecs.ListTasksInput{Cluster: aws.String("prod"), Family: aws.String("api")}, []string{apiTask}, ""},
		{"another family has none", &ecs.ListTasksInput{Cluster: aws.String("prod"), Family: aws.String("web")}, nil, ""},
		{"by service", &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")}, []string{apiTask}, ""},
		{"stopped ones", &ecs.ListTasksInput{Cluster: aws.String("prod"), DesiredStatus: types.DesiredStatusStopped}, []string{oldTask}, ""},
		{"by startedBy", &ecs.ListTasksInput{Cluster: aws.String("prod"), StartedBy: aws.String("someone")}, nil, ""},
		{"family and service together", &ecs.ListTasksInput{Cluster: aws.String("prod"), Family: aws.String("api"), ServiceName: aws.String("api")}, nil, "InvalidParameterException"},
		{"an unknown cluster", &ecs.ListTasksInput{Cluster: aws.String("nope")}, nil, "ClusterNotFoundException"},
		{"maxResults 0", &ecs.ListTasksInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(0)}, nil, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := a.ListTasks(ctx, tc.in)
			if tc.code != "" {
				wantAPIError(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out.TaskArns, append([]string{}, tc.want...)) {
				t.Errorf("tasks %v, want %v", out.TaskArns, tc.want)
			}
		})
	}
}
