package deregister

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/ecstest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

const (
	sandbox    = "arn:aws:ecs:us-east-1:123456789012:cluster/sandbox"
	web8       = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"
	web6       = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:6"
	sandboxWeb = "arn:aws:ecs:us-east-1:123456789012:service/sandbox/web"
)

// sandboxService is a service of the sandbox cluster running td.
func sandboxService(name, td string) types.Service {
	s := ecstest.Service(1)
	s.ClusterArn = aws.String(sandbox)
	s.ServiceName = aws.String(name)
	s.ServiceArn = aws.String("arn:aws:ecs:us-east-1:123456789012:service/sandbox/" + name)
	s.TaskDefinition = aws.String(td)
	s.Deployments[0].TaskDefinition = aws.String(td)
	return s
}

// sandboxTask is a running standalone task of the sandbox cluster.
func sandboxTask(id, td string) types.Task {
	t := ecstest.RunningTask()
	t.TaskArn = aws.String("arn:aws:ecs:us-east-1:123456789012:task/sandbox/" + id)
	t.ClusterArn = aws.String(sandbox)
	t.TaskDefinitionArn = aws.String(td)
	t.Group, t.StartedBy = aws.String("family:web"), aws.String("cron")
	return t
}

func exclusions(t *testing.T, clusters, services string) remediate.Exclusions {
	t.Helper()
	ex, err := remediate.ParseExclusions(clusters, services)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestHandleExcluded(t *testing.T) {
	active := func(f *ecstest.Fake) { f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusActive)) }
	listed := []string{"DescribeTaskDefinition", "ListServices", "DescribeServices", "ListTasks"}
	tests := []struct {
		name               string
		clusters, services string
		setup              func(*ecstest.Fake)
		changed            bool
		shared             []string
		detail             string
		err                string
		calls              []string
		statusLeft         types.TaskDefinitionStatus
	}{
		{
			name:       "a revision an excluded cluster's service runs is not deregistered",
			clusters:   "sandbox",
			setup:      func(f *ecstest.Fake) { active(f); f.AddService(sandboxService("web", ecstest.TaskDefinitionArn)) },
			shared:     []string{sandboxWeb},
			detail:     "task definition web:7 is also used by what remediation must leave alone: service sandbox/web (cluster sandbox is excluded); so it was not deregistered",
			calls:      listed,
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "a revision of an excluded service's older deployment is not deregistered",
			clusters: "arn:aws:ecs:us-east-1:123456789012:cluster/sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				s := sandboxService("web", web8)
				s.Deployments = append(s.Deployments, types.Deployment{Id: aws.String("ecs-svc/1"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(ecstest.TaskDefinitionArn)})
				f.AddService(s)
			},
			shared:     []string{sandboxWeb},
			calls:      listed,
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "a revision of an excluded cluster's task set is not deregistered",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				s := ecstest.TaskSetService(1, types.DeploymentControllerTypeExternal)
				s.ClusterArn, s.ServiceArn, s.TaskDefinition = aws.String(sandbox), aws.String(sandboxWeb), aws.String(web8)
				f.AddService(s)
			},
			shared:     []string{sandboxWeb},
			calls:      listed,
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:       "a revision a running task of an excluded cluster uses is not deregistered",
			clusters:   "sandbox",
			setup:      func(f *ecstest.Fake) { active(f); f.AddTask(sandboxTask("aaaa", ecstest.TaskDefinitionArn)) },
			shared:     []string{"arn:aws:ecs:us-east-1:123456789012:task/sandbox/aaaa"},
			detail:     "running task aaaa (cluster sandbox is excluded)",
			calls:      []string{"DescribeTaskDefinition", "ListServices", "ListTasks", "DescribeTasks"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "another revision of the family in an excluded cluster does not keep this one",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				f.AddTask(sandboxTask("aaaa", web6)).AddService(sandboxService("web", web8))
			},
			changed:    true,
			detail:     "status ACTIVE -> INACTIVE",
			calls:      append(slices.Clone(listed), "DescribeTasks", "DeregisterTaskDefinition"),
			statusLeft: types.TaskDefinitionStatusInactive,
		},
		{
			name:     "every page of services is read",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				for i := range 24 {
					f.AddService(sandboxService(fmt.Sprintf("svc%02d", i), web8))
				}
				f.AddService(sandboxService("zzz", ecstest.TaskDefinitionArn)).SetPageSize(10)
			},
			shared: []string{"arn:aws:ecs:us-east-1:123456789012:service/sandbox/zzz"},
			calls: []string{"DescribeTaskDefinition", "ListServices", "ListServices", "ListServices",
				"DescribeServices", "DescribeServices", "DescribeServices", "ListTasks"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "every page of tasks is read",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				for i := range 4 {
					f.AddTask(sandboxTask(fmt.Sprintf("t%d", i), web6))
				}
				f.AddTask(sandboxTask("t9", ecstest.TaskDefinitionArn)).SetPageSize(2)
			},
			shared:     []string{"arn:aws:ecs:us-east-1:123456789012:task/sandbox/t9"},
			calls:      []string{"DescribeTaskDefinition", "ListServices", "ListTasks", "ListTasks", "ListTasks", "DescribeTasks"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:       "an excluded cluster that does not exist uses nothing",
			clusters:   "gone",
			setup:      active,
			changed:    true,
			calls:      []string{"DescribeTaskDefinition", "ListServices", "ListTasks", "DeregisterTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusInactive,
		},
		{
			name:     "a revision an excluded service runs is not deregistered",
			services: "sandbox/web",
			setup: func(f *ecstest.Fake) {
				active(f)
				f.AddService(sandboxService("web", ecstest.TaskDefinitionArn)).AddService(sandboxService("other", ecstest.TaskDefinitionArn))
			},
			shared:     []string{sandboxWeb},
			detail:     "excluded service sandbox/web;",
			calls:      []string{"DescribeTaskDefinition", "DescribeServices"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "the task's own service, when excluded, keeps its revision",
			services: ecstest.ServiceArn,
			setup:    func(f *ecstest.Fake) { active(f); f.AddService(ecstest.Service(0)) },
			shared:   []string{ecstest.ServiceArn},
			detail:   "excluded service prod/web",
			calls:    []string{"DescribeTaskDefinition", "DescribeServices"},
		},
		{
			name:       "an excluded service that does not exist uses nothing",
			services:   "sandbox/web, prod/legacy",
			setup:      func(f *ecstest.Fake) { active(f); f.AddCluster(ecstest.ClusterArn) },
			changed:    true,
			calls:      []string{"DescribeTaskDefinition", "DescribeServices", "DescribeServices", "DeregisterTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusInactive,
		},
		{
			name:     "an excluded service in an excluded cluster is read once",
			clusters: "sandbox",
			services: "sandbox/web",
			setup:    func(f *ecstest.Fake) { active(f); f.AddService(sandboxService("web", ecstest.TaskDefinitionArn)) },
			shared:   []string{sandboxWeb},
			calls:    listed,
		},
		{
			name:     "many users are counted, not all listed",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				for i := range 7 {
					f.AddService(sandboxService(fmt.Sprintf("svc%d", i), ecstest.TaskDefinitionArn))
				}
			},
			detail:     "service sandbox/svc4 (cluster sandbox is excluded), 2 more; so it was not deregistered",
			calls:      listed,
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:       "throttled ListServices is retried, and nothing is deregistered",
			clusters:   "sandbox",
			setup:      func(f *ecstest.Fake) { active(f); f.AddCluster(sandbox).Fail("ListServices", throttled) },
			err:        contract.ErrTransient,
			calls:      []string{"DescribeTaskDefinition", "ListServices"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "ListTasks denied fails the step rather than deregister blindly",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				active(f)
				f.AddCluster(sandbox).Fail("ListTasks", &types.AccessDeniedException{Message: aws.String("not authorized to perform: ecs:ListTasks")})
			},
			err:        contract.ErrAccessDenied,
			calls:      []string{"DescribeTaskDefinition", "ListServices", "ListTasks"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "a DescribeServices server error is retried",
			services: "sandbox/web",
			setup: func(f *ecstest.Fake) {
				active(f)
				f.AddService(sandboxService("web", ecstest.TaskDefinitionArn)).Fail("DescribeServices", serverError)
			},
			err:        contract.ErrTransient,
			calls:      []string{"DescribeTaskDefinition", "DescribeServices"},
			statusLeft: types.TaskDefinitionStatusActive,
		},
		{
			name:     "a revision already INACTIVE needs no listing",
			clusters: "sandbox",
			setup: func(f *ecstest.Fake) {
				f.AddTaskDefinition(ecstest.TaskDefinition(types.TaskDefinitionStatusInactive)).AddService(sandboxService("web", ecstest.TaskDefinitionArn))
			},
			detail:     "already INACTIVE",
			calls:      []string{"DescribeTaskDefinition"},
			statusLeft: types.TaskDefinitionStatusInactive,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecstest.NewFake()
			tc.setup(fake)
			h := &Handler{ECS: fake, Excluded: exclusions(t, tc.clusters, tc.services)}
			res, err := h.Handle(context.Background(), state())
			if calls := fake.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			if tc.statusLeft != "" {
				if td, _ := fake.TaskDefinition(ecstest.TaskDefinitionArn); td.Status != tc.statusLeft {
					t.Errorf("status afterwards %s, want %s", td.Status, tc.statusLeft)
				}
			}
			if tc.err != "" {
				if step.Name(err) != tc.err {
					t.Fatalf("Handle = %+v, %v (%s); want error %s", res, err, step.Name(err), tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			wantReason := ""
			if !tc.changed && !strings.Contains(tc.detail, "already") {
				wantReason = contract.ReasonSharedWithExcluded
			}
			if res.Changed != tc.changed || res.Reason != wantReason || res.Target != ecstest.TaskDefinitionArn {
				t.Errorf("Handle = {Changed %t, Reason %q, Target %s}, want {%t, %q, %s}", res.Changed, res.Reason, res.Target, tc.changed, wantReason, ecstest.TaskDefinitionArn)
			}
			if tc.shared != nil && !slices.Equal(res.SharedWith, tc.shared) {
				t.Errorf("SharedWith %v, want %v", res.SharedWith, tc.shared)
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Detail %q, want it to contain %q", res.Detail, tc.detail)
			}
		})
	}
}

func TestHandleExcludedThroughECSClient(t *testing.T) {
	active := ecstest.Testdata(t, "describe-task-definition-active.json")
	service := func(name, td string) string {
		return `{"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/sandbox/` + name + `", "serviceName": "` + name + `",
		  "clusterArn": "` + sandbox + `", "status": "ACTIVE", "desiredCount": 1, "taskDefinition": "` + td + `",
		  "deploymentController": {"type": "ECS"},
		  "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": "` + td + `"}]}`
	}
	ops := func(s string) []string { return strings.Fields(s) }
	tests := []struct {
		name        string
		list        []ecstest.Reply
		describeSvc []ecstest.Reply
		listTasks   []ecstest.Reply
		changed     bool
		detail      string
		err         string
		ops         []string
		bodies      map[string]string
		token       string // the second ListServices page's nextToken
	}{
		{
			name: "follows nextToken and finds the excluded service that runs the revision",
			list: []ecstest.Reply{
				ecstest.OK(`{"serviceArns": ["arn:aws:ecs:us-east-1:123456789012:service/sandbox/a"], "nextToken": "t1"}`),
				ecstest.OK(`{"serviceArns": ["` + sandboxWeb + `"]}`),
			},
			describeSvc: []ecstest.Reply{ecstest.OK(`{"services": [` + service("a", web8) + `, ` + service("web", ecstest.TaskDefinitionArn) + `], "failures": []}`)},
			listTasks:   []ecstest.Reply{ecstest.OK(`{"taskArns": []}`)},
			detail:      "service sandbox/web (cluster sandbox is excluded)",
			ops:         ops("DescribeTaskDefinition ListServices ListServices DescribeServices ListTasks"),
			token:       "t1",
			bodies: map[string]string{
				"DescribeServices": `{"cluster": "sandbox", "services": ["arn:aws:ecs:us-east-1:123456789012:service/sandbox/a", "` + sandboxWeb + `"]}`,
				"ListTasks":        `{"cluster": "sandbox", "family": "web", "maxResults": 100}`,
			},
		},
		{
			name:      "a cluster ECS does not know uses nothing",
			list:      []ecstest.Reply{ecstest.ClusterNotFound},
			listTasks: []ecstest.Reply{ecstest.ClusterNotFound},
			changed:   true,
			ops:       ops("DescribeTaskDefinition ListServices ListTasks DeregisterTaskDefinition"),
		},
		{
			name: "a nextToken that repeats is a failure, not a loop",
			list: []ecstest.Reply{
				ecstest.OK(`{"serviceArns": [], "nextToken": "same"}`),
				ecstest.OK(`{"serviceArns": [], "nextToken": "same"}`),
			},
			err:   contract.ErrFailed,
			ops:   ops("DescribeTaskDefinition ListServices ListServices"),
			token: "same",
		},
		{
			name: "AccessDeniedException on ListServices is access denied",
			list: []ecstest.Reply{ecstest.AccessDenied},
			err:  contract.ErrAccessDenied,
			ops:  ops("DescribeTaskDefinition ListServices"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecstest.NewServer(t).On("DescribeTaskDefinition", ecstest.OK(active)).On("ListServices", tc.list...).
				On("DescribeServices", tc.describeSvc...).On("ListTasks", tc.listTasks...)
			if tc.changed {
				srv.On("DeregisterTaskDefinition", ecstest.OK(ecstest.Testdata(t, "deregister-task-definition.json")))
			}
			h := &Handler{ECS: srv.Client(), Excluded: exclusions(t, "sandbox", "")}
			res, err := h.Handle(context.Background(), state())
			bodies := map[string]string{"ListServices": `{"cluster": "sandbox", "maxResults": 100}`}
			for k, v := range tc.bodies {
				bodies[k] = v
			}
			if tc.token != "" {
				delete(bodies, "ListServices") // the second page carries the token
				if reqs := srv.Requests(); len(reqs) > 2 {
					ecstest.AssertBody(t, reqs[2], `{"cluster": "sandbox", "maxResults": 100, "nextToken": "`+tc.token+`"}`)
				}
			}
			ecstest.CheckWire(t, srv, res, err, ecstest.Wire{
				Ops: tc.ops, Bodies: bodies, Err: tc.err,
				API: contract.APIDeregisterTaskDefinition, Target: ecstest.TaskDefinitionArn, Changed: tc.changed, Detail: tc.detail,
			})
		})
	}
}
