package lookup_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/internal/ecstest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement/judgementtest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
)

// TestThroughECSClient runs the step on the real ECS client, with
// awsraw.Capture as main.go adds it, against an ECS endpoint: what it
// sends, and that the service it hands on is the API's JSON without its
// run-time state — the same subject as the fake gives from the same data.
func TestThroughECSClient(t *testing.T) {
	describe, err := os.ReadFile(filepath.Join("testdata", "describe-services.json"))
	if err != nil {
		t.Fatal(err)
	}
	const tdTags = `{"tags":[{"key":"owner","value":"team-api"},{"key":"cost-center","value":"cc-42"}]}`
	missing := ecstest.OK(`{"services":[],"failures":[{"arn":"` + serviceArn + `","reason":"MISSING"}]}`)
	cases := []struct {
		name        string
		tags        ecstest.Reply
		services    []ecstest.Reply // none: DescribeServices must not be called
		wantOps     []string
		wantErr     string
		wantService bool
	}{
		{"the service's configuration and tags", ecstest.OK(tdTags), []ecstest.Reply{ecstest.OK(string(describe))},
			[]string{"ListTagsForResource", "DescribeServices"}, "", true},
		{"a service ECS reports MISSING adds nothing", ecstest.OK(tdTags), []ecstest.Reply{missing},
			[]string{"ListTagsForResource", "DescribeServices"}, "", false},
		{"ServiceNotFoundException adds nothing", ecstest.OK(tdTags), []ecstest.Reply{ecstest.ServiceNotFound},
			[]string{"ListTagsForResource", "DescribeServices"}, "", false},
		{"ClusterNotFoundException adds nothing", ecstest.OK(tdTags), []ecstest.Reply{ecstest.ClusterNotFound},
			[]string{"ListTagsForResource", "DescribeServices"}, "", false},
		{"throttled tags: transient (the service was described meanwhile)", ecstest.Throttling, []ecstest.Reply{ecstest.OK(string(describe))},
			[]string{"ListTagsForResource", "DescribeServices"}, contract.ErrTransient, false},
		{"a denied describe: access denied", ecstest.OK(tdTags), []ecstest.Reply{ecstest.AccessDenied},
			[]string{"ListTagsForResource", "DescribeServices"}, contract.ErrAccessDenied, false},
		{"an ECS server error: transient", ecstest.OK(tdTags), []ecstest.Reply{ecstest.ServerError},
			[]string{"ListTagsForResource", "DescribeServices"}, contract.ErrTransient, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecstest.NewServer(t).On("ListTagsForResource", tc.tags).On("DescribeServices", tc.services...)
			o := srv.Client().Options()
			o.APIOptions = append(o.APIOptions, awsraw.Capture)
			st := stateOf(t, "service-task-pending.json")
			got, err := handler(ecs.New(o), &fakePolicy{hash: policyHash}, newStore(), contract.ModeEnforce).Handle(context.Background(), st)
			// The tags and the service are read at the same time: in either
			// order.
			if ops := srv.Ops(); !slices.Equal(slices.Sorted(slices.Values(ops)), slices.Sorted(slices.Values(tc.wantOps))) {
				t.Errorf("operations %v, want %v in any order", ops, tc.wantOps)
			}
			for _, r := range srv.Requests() {
				switch r.Op {
				case "ListTagsForResource":
					ecstest.AssertBody(t, r, `{"resourceArn":"`+tdArn+`"}`)
				case "DescribeServices":
					ecstest.AssertBody(t, r, `{"cluster":"`+clusterArn+`","services":["api"],"include":["TAGS"]}`)
				}
			}
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr {
					t.Fatalf("= %+v, %v (%s); want %s", got, err, step.Name(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got.Service != nil) != tc.wantService {
				t.Fatalf("service %s; want one: %v", got.Service, tc.wantService)
			}
			// The fake, given the same account, computes the same subject.
			e := newFakeECS(t)
			if !tc.wantService {
				delete(e.services, clusterArn+"|api")
			}
			want := keyWith(t, e, st, contract.ModeEnforce)
			if got.Subject != want.Subject || got.Key != want.Key {
				t.Errorf("subject %s through the client, %s through the fake", got.Subject, want.Subject)
			}
			if !tc.wantService {
				return
			}
			if !reflect.DeepEqual(got.ServiceTags, map[string]string{"team": "payments", "environment": "prod"}) ||
				!reflect.DeepEqual(got.TaskDefinitionTags, map[string]string{"owner": "team-api", "cost-center": "cc-42"}) {
				t.Errorf("tags %v / %v", got.TaskDefinitionTags, got.ServiceTags)
			}
			var resp struct{ Services []map[string]json.RawMessage }
			_ = json.Unmarshal(describe, &resp)
			wantKeys := []string{}
			for k := range resp.Services[0] {
				if !slices.Contains(judgement.ServiceRunState, k) && !strings.HasPrefix(k, "currentService") {
					wantKeys = append(wantKeys, k)
				}
			}
			slices.Sort(wantKeys)
			if keys := sortedKeys(got.Service); !slices.Equal(keys, wantKeys) {
				t.Errorf("input.service members %v\nwant %v", keys, wantKeys)
			}
			var svc map[string]json.RawMessage
			_ = json.Unmarshal(got.Service, &svc)
			for _, k := range wantKeys {
				if k == "tags" {
					// Sorted by key: their order means nothing.
					if !strings.Contains(string(svc[k]), `[{"key":"environment","value":"prod"},{"key":"team","value":"payments"}]`) {
						t.Errorf("input.service.tags = %s, want them sorted by key", svc[k])
					}
					continue
				}
				if !jsonEqual(svc[k], resp.Services[0][k]) {
					t.Errorf("input.service.%s = %s, want %s as ECS sent it", k, svc[k], resp.Services[0][k])
				}
			}
		})
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestThroughDynamoDB runs the lookup on the judgements table through the
// real DynamoDB client against moto: the conditional write that marks a
// key, a second execution that finds it marked, and a stored judgement
// read back.
func TestThroughDynamoDB(t *testing.T) {
	table := judgementtest.MotoTable(t)
	ctx := context.Background()
	pol := &fakePolicy{hash: policyHash}
	a, b := stateOf(t, "service-task-pending.json"), stateOf(t, "service-task-other.json")
	enforce := handler(newFakeECS(t), pol, table, contract.ModeEnforce)
	audit := handler(newFakeECS(t), pol, table, contract.ModeAudit)

	first, err := enforce.Handle(ctx, a)
	if err != nil || first.Next != contract.NextJudge {
		t.Fatalf("first task = %+v, %v; want JUDGE", first, err)
	}
	rec, ok, err := table.Get(ctx, first.Key)
	if err != nil || !ok || rec.Status != judgement.StatusPending || rec.Owner != a.Task.ExecutionName ||
		!rec.LeaseUntil.Equal(mustTime(t, a.Time).Add(lookup.DefaultLease)) {
		t.Fatalf("stored %+v %v %v; want pending for %s", rec, ok, err, a.Task.ExecutionName)
	}
	second, err := enforce.Handle(ctx, b)
	if err != nil || second.Next != contract.NextWait || second.Key != first.Key || second.Waits != 1 {
		t.Fatalf("another task of the key = %+v, %v; want WAIT", second, err)
	}
	if retry, err := enforce.Handle(ctx, a); err != nil || retry.Next != contract.NextJudge {
		t.Fatalf("the first task's retry = %+v, %v; want JUDGE again", retry, err)
	}

	at := mustTime(t, a.Time)
	if err := table.Put(ctx, judged(first.Key, contract.OutcomeRemediate, at, at.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	b.Lookup = &second
	got, err := enforce.Handle(ctx, b)
	if err != nil || got.Next != contract.NextRemediate || got.Evaluation == nil ||
		!reflect.DeepEqual(got.Evaluation.Decision, evaluation(contract.OutcomeRemediate).Decision) ||
		got.Judgement.JudgedAt != a.Time || got.Judgement.ExpiresAt != at.Add(time.Hour).Format(time.RFC3339) {
		t.Fatalf("after the judgement = %+v, %v; want REMEDIATE with the stored evaluation", got, err)
	}

	// An audit deployment has another key: judged on its own.
	if got, err := audit.Handle(ctx, b); err != nil || got.Next != contract.NextJudge || got.Key == first.Key {
		t.Fatalf("audit mode = %+v, %v; want JUDGE under another key", got, err)
	}
	// An expired judgement is taken over.
	later := stateOf(t, "service-task-running.json")
	later.Time = at.Add(2 * time.Hour).Format(time.RFC3339)
	if got, err := enforce.Handle(ctx, later); err != nil || got.Next != contract.NextJudge {
		t.Fatalf("after expiry = %+v, %v; want JUDGE", got, err)
	}
	if rec, _, _ := table.Get(ctx, first.Key); rec.Status != judgement.StatusPending || rec.Owner != later.Task.ExecutionName {
		t.Fatalf("after expiry the key is %+v; want pending for %s", rec, later.Task.ExecutionName)
	}
}
