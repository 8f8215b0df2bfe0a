package lookup_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
)

// keyOf is the lookup of st against an empty store (the key, the subject
// and what went into them), for tests that seed a store under that key.
func keyOf(t *testing.T, st contract.State, mode contract.Mode) contract.Lookup {
	t.Helper()
	return keyWith(t, newFakeECS(t), st, mode)
}

// keyWith is keyOf with ECS as e shows it.
func keyWith(t *testing.T, e *fakeECS, st contract.State, mode contract.Mode) contract.Lookup {
	t.Helper()
	out, err := handler(e, &fakePolicy{hash: policyHash}, newStore(), mode).Handle(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHandleDecidesWhatTheTriageDoes(t *testing.T) {
	const other = "0a9b8c7d6e5f40312a1b2c3d4e5f6a7b-1" // another task's execution
	evAt := func(t *testing.T) time.Time { return mustTime(t, pendingAt) }
	cases := []struct {
		name string
		mode contract.Mode
		// seed stores what the key already has; wait is the number of
		// lookups that found the key pending before (0: the first lookup).
		seed func(t *testing.T, s *store, key string)
		wait int
		// want: the decision, the waits counted, whether the stored
		// evaluation comes back, and who holds the key after the call.
		wantNext  string
		wantWaits int
		wantEval  contract.Outcome
		wantOwner string // "self": this task's execution; "": no pending record
	}{
		{name: "nothing stored: the workflow judges, and the key is pending for this task's execution",
			mode: contract.ModeAudit, wantNext: contract.NextJudge, wantOwner: "self"},
		{name: "nothing stored in enforce mode: the same",
			mode: contract.ModeEnforce, wantNext: contract.NextJudge, wantOwner: "self"},
		{name: "a valid COMPLIANT judgement: done",
			mode: contract.ModeAudit, seed: func(t *testing.T, s *store, key string) {
				_ = s.Put(context.Background(), judged(key, contract.OutcomeCompliant, evAt(t).Add(-time.Hour), evAt(t).Add(time.Hour)))
			}, wantNext: contract.NextDone},
		{name: "a valid REPORT judgement: done, reported when it was judged",
			mode: contract.ModeAudit, seed: func(t *testing.T, s *store, key string) {
				_ = s.Put(context.Background(), judged(key, contract.OutcomeReport, evAt(t).Add(-time.Hour), evAt(t).Add(time.Hour)))
			}, wantNext: contract.NextDone},
		{name: "a valid REMEDIATE judgement: remediate with the stored evaluation",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				_ = s.Put(context.Background(), judged(key, contract.OutcomeRemediate, evAt(t).Add(-time.Hour), evAt(t).Add(time.Hour)))
			}, wantNext: contract.NextRemediate, wantEval: contract.OutcomeRemediate},
		{name: "an expired judgement is judged again",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				_ = s.Put(context.Background(), judged(key, contract.OutcomeRemediate, evAt(t).Add(-31*24*time.Hour), evAt(t).Add(-time.Second)))
			}, wantNext: contract.NextJudge, wantOwner: "self"},
		{name: "a judgement that expires at the event's time is expired",
			mode: contract.ModeAudit, seed: func(t *testing.T, s *store, key string) {
				_ = s.Put(context.Background(), judged(key, contract.OutcomeCompliant, evAt(t).Add(-time.Hour), evAt(t)))
			}, wantNext: contract.NextJudge, wantOwner: "self"},
		{name: "being judged by another execution in audit mode: done, that execution reports it",
			mode: contract.ModeAudit, seed: func(t *testing.T, s *store, key string) {
				_, _, _ = s.Memory.Begin(context.Background(), key, other, evAt(t).Add(-time.Minute), lookup.DefaultLease)
			}, wantNext: contract.NextDone, wantOwner: other},
		{name: "being judged by another execution in enforce mode: wait, one wait counted",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				_, _, _ = s.Memory.Begin(context.Background(), key, other, evAt(t).Add(-time.Minute), lookup.DefaultLease)
			}, wantNext: contract.NextWait, wantWaits: 1, wantOwner: other},
		{name: "one wait short of the limit: wait once more",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				_, _, _ = s.Memory.Begin(context.Background(), key, other, evAt(t).Add(-time.Minute), lookup.DefaultLease)
			}, wait: lookup.DefaultMaxWaits - 1, wantNext: contract.NextWait, wantWaits: lookup.DefaultMaxWaits, wantOwner: other},
		{name: "still being judged after MaxWaits: the workflow judges it too, leaving the other's mark",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				_, _, _ = s.Memory.Begin(context.Background(), key, other, evAt(t).Add(-time.Minute), lookup.DefaultLease)
			}, wait: lookup.DefaultMaxWaits, wantNext: contract.NextJudge, wantWaits: lookup.DefaultMaxWaits, wantOwner: other},
		{name: "being judged by an execution whose lease ran out: this one takes the key over",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				_, _, _ = s.Memory.Begin(context.Background(), key, other, evAt(t).Add(-lookup.DefaultLease), lookup.DefaultLease)
			}, wantNext: contract.NextJudge, wantOwner: "self"},
		{name: "being judged by this task's own execution (a retried lookup): judge, not wait on itself",
			mode: contract.ModeEnforce, seed: func(t *testing.T, s *store, key string) {
				st := stateOf(t, "service-task-pending.json")
				_, _, _ = s.Memory.Begin(context.Background(), key, st.Task.ExecutionName, evAt(t), lookup.DefaultLease)
			}, wantNext: contract.NextJudge, wantOwner: "self"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := stateOf(t, "service-task-pending.json")
			first := keyOf(t, st, tc.mode)
			s := newStore()
			if tc.seed != nil {
				tc.seed(t, s, first.Key)
			}
			if tc.wait > 0 {
				prev := first
				prev.Next, prev.Waits = contract.NextWait, tc.wait
				st.Lookup = &prev
			}
			before, _, _ := s.Memory.Get(ctx, first.Key)

			got, err := handler(newFakeECS(t), &fakePolicy{hash: policyHash}, s, tc.mode).Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if got.Next != tc.wantNext || got.Waits != tc.wantWaits || got.Key != first.Key || got.PolicyHash != policyHash || got.Reason == "" {
				t.Fatalf("lookup = next %s waits %d key %s policy %s (%q); want %s, %d waits, key %s",
					got.Next, got.Waits, got.Key, got.PolicyHash, got.Reason, tc.wantNext, tc.wantWaits, first.Key)
			}
			if tc.wantEval != "" {
				if got.Evaluation == nil || got.Evaluation.Outcome != tc.wantEval || !reflect.DeepEqual(got.Evaluation, before.Evaluation) {
					t.Errorf("evaluation = %+v, want the stored one %+v", got.Evaluation, before.Evaluation)
				}
			} else if got.Evaluation != nil {
				t.Errorf("evaluation = %+v, want none (only REMEDIATE carries it)", got.Evaluation)
			}
			if before.Status == judgement.StatusJudged && before.Valid(evAt(t)) {
				want := &contract.JudgementRef{Key: first.Key, PolicyHash: policyHash, JudgedAt: before.JudgedAt.Format(time.RFC3339),
					ExpiresAt: before.ExpiresAt.Format(time.RFC3339), Outcome: before.Evaluation.Outcome}
				if !reflect.DeepEqual(got.Judgement, want) {
					t.Errorf("judgement = %+v, want %+v", got.Judgement, want)
				}
			} else if got.Judgement != nil {
				t.Errorf("judgement = %+v, want none", got.Judgement)
			}

			after, found, _ := s.Memory.Get(ctx, first.Key)
			owner := tc.wantOwner
			if owner == "self" {
				owner = st.Task.ExecutionName
			}
			switch {
			case owner == "":
				if !reflect.DeepEqual(after, before) {
					t.Errorf("the stored record changed: %+v -> %+v", before, after)
				}
			case !found || after.Status != judgement.StatusPending || after.Owner != owner:
				t.Errorf("stored %+v (found %v), want pending for %s", after, found, owner)
			case tc.wantOwner == "self" && !after.LeaseUntil.Equal(evAt(t).Add(lookup.DefaultLease)):
				t.Errorf("lease until %s, want the event's time plus DefaultLease", after.LeaseUntil)
			}
		})
	}
}

func TestHandleAfterAWaitReusesTheSubject(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	pol := &fakePolicy{hash: policyHash}
	judging := stateOf(t, "service-task-pending.json")
	if out, err := handler(newFakeECS(t), pol, s, contract.ModeEnforce).Handle(ctx, judging); err != nil || out.Next != contract.NextJudge {
		t.Fatalf("the first task = %+v, %v; want JUDGE", out, err)
	}

	ecsB := newFakeECS(t)
	h := handler(ecsB, pol, s, contract.ModeEnforce)
	h.MaxWaits = 3
	st := stateOf(t, "service-task-other.json")
	first, err := h.Handle(ctx, st)
	if err != nil || first.Next != contract.NextWait || first.Waits != 1 {
		t.Fatalf("the second task = %+v, %v; want WAIT after 1", first, err)
	}
	calls := len(ecsB.Calls())
	// What ECS shows changes meanwhile (a tag, the service): the triage
	// still looks up the subject it started with.
	ecsB.setTags(tdArn, tagList("owner", "someone-else"))
	ecsB.editService(func(s map[string]any) { s["enableExecuteCommand"] = true })

	out := first
	for want := 2; want <= 3; want++ {
		st.Lookup = &out
		if out, err = h.Handle(ctx, st); err != nil || out.Next != contract.NextWait || out.Waits != want {
			t.Fatalf("look again = %+v, %v; want WAIT after %d", out, err, want)
		}
		if out.Key != first.Key || out.Subject != first.Subject || string(out.Service) != string(first.Service) ||
			!reflect.DeepEqual(out.TaskDefinitionTags, first.TaskDefinitionTags) || !reflect.DeepEqual(out.ServiceTags, first.ServiceTags) {
			t.Fatalf("look again changed what the key stands for: %+v\nfirst %+v", out, first)
		}
	}
	if n := len(ecsB.Calls()); n != calls {
		t.Fatalf("looking again called ECS: %v", ecsB.Calls()[calls:])
	}

	t.Run("the judgement arrives while waiting: remediate with it", func(t *testing.T) {
		s2 := newStore()
		_, _, _ = s2.Memory.Begin(ctx, first.Key, judging.Task.ExecutionName, mustTime(t, pendingAt), lookup.DefaultLease)
		st := st
		prev := out
		st.Lookup = &prev
		h := handler(ecsB, pol, s2, contract.ModeEnforce)
		if got, _ := h.Handle(ctx, st); got.Next != contract.NextWait {
			t.Fatalf("before the judgement: %s", got.Next)
		}
		at := mustTime(t, pendingAt)
		if err := s2.Put(ctx, judged(first.Key, contract.OutcomeRemediate, at, at.Add(judgement.DefaultTTL))); err != nil {
			t.Fatal(err)
		}
		got, err := h.Handle(ctx, st)
		if err != nil || got.Next != contract.NextRemediate || got.Evaluation == nil || got.Judgement == nil || got.Judgement.Outcome != contract.OutcomeRemediate {
			t.Fatalf("after the judgement = %+v, %v; want REMEDIATE with the evaluation", got, err)
		}
		if n := len(ecsB.Calls()); n != calls {
			t.Fatalf("looking again called ECS: %v", ecsB.Calls()[calls:])
		}
	})
	t.Run("after MaxWaits the workflow judges it", func(t *testing.T) {
		st := st
		prev := out
		st.Lookup = &prev
		got, err := h.Handle(ctx, st)
		if err != nil || got.Next != contract.NextJudge || got.Waits != 3 || got.Key != first.Key {
			t.Fatalf("after 3 waits = %+v, %v; want JUDGE", got, err)
		}
	})
	t.Run("a lookup that did not wait is not reused", func(t *testing.T) {
		st := st
		prev := out
		prev.Next = contract.NextJudge
		st.Lookup = &prev
		before := len(ecsB.Calls())
		got, err := h.Handle(ctx, st)
		if err != nil || len(ecsB.Calls()) != before+2 || got.Key == first.Key {
			t.Fatalf("= %+v, %v with calls %v; want the subject read again (and the changed tag in the key)", got, err, ecsB.Calls()[before:])
		}
	})
}

// TestKeyChangesWithWhatThePolicyReads: every input of the judgement key
// makes another key; the policy and the settings leave the subject alone.
func TestKeyChangesWithWhatThePolicyReads(t *testing.T) {
	cases := []struct {
		name        string
		edit        func(t *testing.T, st *contract.State, e *fakeECS, p *fakePolicy, h *lookup.Handler)
		sameSubject bool
	}{
		{"the policy bundle's hash", func(_ *testing.T, _ *contract.State, _ *fakeECS, p *fakePolicy, _ *lookup.Handler) {
			p.hash = strings.Repeat("a", 64)
		}, true},
		{"the mode", func(_ *testing.T, _ *contract.State, _ *fakeECS, _ *fakePolicy, h *lookup.Handler) {
			h.Settings.Mode = contract.ModeEnforce
		}, true},
		{"the approval setting", func(_ *testing.T, _ *contract.State, _ *fakeECS, _ *fakePolicy, h *lookup.Handler) {
			h.Settings.Approval = true
		}, true},
		{"a task definition tag's value", func(_ *testing.T, _ *contract.State, e *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			e.setTags(tdArn, tagList("owner", "team-web", "cost-center", "cc-42"))
		}, false},
		{"a task definition tag added", func(_ *testing.T, _ *contract.State, e *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			e.setTags(tdArn, tagList("owner", "team-api", "cost-center", "cc-42", "ecs-compliance:exempt", "image_tag"))
		}, false},
		{"a service tag", func(_ *testing.T, _ *contract.State, e *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			e.editService(func(s map[string]any) {
				s["tags"] = []any{map[string]any{"key": "team", "value": "payments"}, map[string]any{"key": "environment", "value": "staging"}}
			})
		}, false},
		{"the service's public IP setting", func(_ *testing.T, _ *contract.State, e *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			e.editService(func(s map[string]any) {
				s["networkConfiguration"].(map[string]any)["awsvpcConfiguration"].(map[string]any)["assignPublicIp"] = "ENABLED"
			})
		}, false},
		{"the service's execute-command setting", func(_ *testing.T, _ *contract.State, e *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			e.editService(func(s map[string]any) { s["enableExecuteCommand"] = true })
		}, false},
		{"a container's image", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			*st = withDetail(t, *st, func(d map[string]any) { containers(d)[0].(map[string]any)["image"] = "nginx:1.27" })
		}, false},
		{"a container more", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			*st = withDetail(t, *st, func(d map[string]any) {
				d["containers"] = append(containers(d), map[string]any{"name": "xray", "image": "amazon/aws-xray-daemon:3.3", "lastStatus": "PENDING"})
			})
		}, false},
		{"a container override", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			*st = withDetail(t, *st, func(d map[string]any) {
				d["overrides"] = map[string]any{"containerOverrides": []any{
					map[string]any{"name": "api", "environment": []any{map[string]any{"name": "DEBUG", "value": "1"}}},
					map[string]any{"name": "log-router"},
				}}
			})
		}, false},
		{"the capacity provider", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			*st = withDetail(t, *st, func(d map[string]any) { d["capacityProviderName"] = "FARGATE_SPOT" })
		}, false},
		{"the platform version", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			*st = withDetail(t, *st, func(d map[string]any) { d["platformVersion"] = "1.3.0" })
		}, false},
		{"the task definition revision", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			*st = withDetail(t, *st, func(d map[string]any) { d["taskDefinitionArn"] = tdArn8 })
		}, false},
		{"the event's account and region as the task says them", func(t *testing.T, st *contract.State, _ *fakeECS, _ *fakePolicy, _ *lookup.Handler) {
			task := *st.Task
			task.Region = "us-west-2"
			st.Task = &task
		}, false},
	}
	ctx := context.Background()
	base := keyOf(t, stateOf(t, "service-task-pending.json"), contract.ModeAudit)
	seen := map[string]string{base.Key: "the base"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := stateOf(t, "service-task-pending.json")
			e, p := newFakeECS(t), &fakePolicy{hash: policyHash}
			h := handler(e, p, newStore(), contract.ModeAudit)
			tc.edit(t, &st, e, p, h)
			got, err := h.Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if got.Key == base.Key {
				t.Fatalf("the key did not change")
			}
			if by, dup := seen[got.Key]; dup {
				t.Fatalf("the key is the same as with %s", by)
			}
			seen[got.Key] = tc.name
			if (got.Subject == base.Subject) != tc.sameSubject {
				t.Errorf("subject changed: %v, want %v", got.Subject != base.Subject, !tc.sameSubject)
			}
			if got.Next != contract.NextJudge {
				t.Errorf("a new key: next %s, want JUDGE", got.Next)
			}
		})
	}
}

// TestKeyIgnoresPerTaskIdentity feeds real variants of one judgement's
// tasks through the handler: the same key, so one judgement covers them.
func TestKeyIgnoresPerTaskIdentity(t *testing.T) {
	cases := []struct {
		name  string
		event string
		edit  func(t *testing.T, st *contract.State, e *fakeECS)
	}{
		{"the same task's RUNNING event (times, version, ENI details, runtime ids, digests, containers reordered)", "service-task-running.json", nil},
		{"another task of the service (task ARN, id, AZ, subnet, container ARNs)", "service-task-other.json", nil},
		{"the service's run-time state (counts, deployments, events, current revision and its counts)", "service-task-pending.json",
			func(_ *testing.T, _ *contract.State, e *fakeECS) {
				e.editService(func(s map[string]any) {
					s["desiredCount"], s["runningCount"], s["pendingCount"] = 3, 2, 1
					s["status"] = "ACTIVE"
					s["deployments"] = []any{map[string]any{"id": "ecs-svc/1234567890123456789", "status": "PRIMARY", "runningCount": 2, "rolloutState": "COMPLETED"}}
					s["events"] = []any{map[string]any{"id": "x", "message": "(service api) has reached a steady state.", "createdAt": 1795335000.0}}
					s["currentServiceDeployment"] = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/Zq8r2W"
					s["currentServiceRevisions"] = []any{map[string]any{
						"arn":                "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/api/4400371923958238208",
						"requestedTaskCount": 3, "runningTaskCount": 2, "pendingTaskCount": 1,
					}}
				})
			}},
		{"the order ECS lists the task definition's tags in", "service-task-pending.json",
			func(_ *testing.T, _ *contract.State, e *fakeECS) {
				e.setTags(tdArn, tagList("cost-center", "cc-42", "owner", "team-api"))
			}},
		{"members of the detail the policy does not read", "service-task-pending.json",
			func(t *testing.T, st *contract.State, _ *fakeECS) {
				*st = withDetail(t, *st, func(d map[string]any) {
					d["startedBy"] = "ecs-svc/9999999999999999999"
					d["lastStatus"] = "ACTIVATING"
					d["stopCode"] = ""
					d["executionStoppedAt"] = nil
					d["cpu"], d["memory"] = "256", "512"
					for _, c := range containers(d) {
						c.(map[string]any)["lastStatus"] = "RUNNING"
						c.(map[string]any)["exitCode"] = nil
					}
				})
			}},
	}
	ctx := context.Background()
	base := keyOf(t, stateOf(t, "service-task-pending.json"), contract.ModeEnforce)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := stateOf(t, tc.event)
			e := newFakeECS(t)
			if tc.edit != nil {
				tc.edit(t, &st, e)
			}
			got, err := handler(e, &fakePolicy{hash: policyHash}, newStore(), contract.ModeEnforce).Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != base.Subject || got.Key != base.Key {
				t.Fatalf("key %s (subject %s), want %s (%s)\nservice %s\nbase    %s", got.Key, got.Subject, base.Key, base.Subject, got.Service, base.Service)
			}
		})
	}
	t.Run("and the service handed on carries none of its run-time state", func(t *testing.T) {
		for _, k := range sortedKeys(base.Service) {
			if slices.Contains(judgement.ServiceRunState, k) || strings.HasPrefix(k, "currentService") {
				t.Errorf("input.service has run-time member %s", k)
			}
		}
		if !slices.Contains(sortedKeys(base.Service), "networkConfiguration") {
			t.Errorf("input.service lost its configuration: %s", base.Service)
		}
	})
}

func TestHandleWhatTheSubjectHolds(t *testing.T) {
	ctx := context.Background()
	projection := func(t *testing.T, st contract.State) json.RawMessage {
		p, err := judgement.TaskProjection(st.Detail)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	hash := func(t *testing.T, s judgement.Subject) string {
		h, err := s.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// A service task's calls, and its subject when the service is gone.
	serviceCalls := []string{"ListTagsForResource " + tdArn, "DescribeServices " + clusterArn + " api"}
	withoutService := func(t *testing.T, st contract.State, _ contract.Lookup) judgement.Subject {
		return judgement.Subject{Account: account, Region: region, TaskDefinitionArn: tdArn,
			TaskDefinitionTags: map[string]string{"owner": "team-api", "cost-center": "cc-42"}, Task: projection(t, st)}
	}
	cases := []struct {
		name      string
		event     string
		edit      func(e *fakeECS)
		wantCalls []string
		// wantSubject is the subject the lookup must hash.
		wantSubject func(t *testing.T, st contract.State, got contract.Lookup) judgement.Subject
		wantService bool
	}{
		{"a registration: the revision and its tags alone, no service call", "registration.json", nil,
			[]string{"ListTagsForResource " + tdArn8},
			func(_ *testing.T, _ contract.State, _ contract.Lookup) judgement.Subject {
				return judgement.Subject{Account: account, Region: region, TaskDefinitionArn: tdArn8, TaskDefinitionTags: map[string]string{"owner": "team-api"}}
			}, false},
		{"a standalone task: the task-level fields, no service call", "standalone-task.json", nil,
			[]string{"ListTagsForResource " + batchTD},
			func(t *testing.T, st contract.State, _ contract.Lookup) judgement.Subject {
				return judgement.Subject{Account: account, Region: region, TaskDefinitionArn: batchTD,
					TaskDefinitionTags: map[string]string{"owner": "team-data"}, Task: projection(t, st)}
			}, false},
		{"a service task: the service's configuration and tags too", "service-task-pending.json", nil, serviceCalls,
			func(t *testing.T, st contract.State, got contract.Lookup) judgement.Subject {
				return judgement.Subject{Account: account, Region: region, TaskDefinitionArn: tdArn,
					TaskDefinitionTags: map[string]string{"owner": "team-api", "cost-center": "cc-42"},
					Service:            got.Service, ServiceTags: map[string]string{"team": "payments", "environment": "prod"}, Task: projection(t, st)}
			}, true},
		{"a service that is gone (MISSING) adds nothing", "service-task-pending.json",
			func(e *fakeECS) { delete(e.services, clusterArn+"|api") }, serviceCalls, withoutService, false},
		{"a service whose describe says ServiceNotFoundException adds nothing", "service-task-pending.json",
			func(e *fakeECS) { e.fail("DescribeServices", apiErr("ServiceNotFoundException", smithy.FaultClient)) }, serviceCalls, withoutService, false},
		{"a cluster that is gone adds nothing", "service-task-pending.json",
			func(e *fakeECS) { e.fail("DescribeServices", apiErr("ClusterNotFoundException", smithy.FaultClient)) }, serviceCalls, withoutService, false},
		{"a task definition without tags: an empty set, not null", "standalone-task.json",
			func(e *fakeECS) { e.setTags(batchTD, nil) },
			[]string{"ListTagsForResource " + batchTD},
			func(t *testing.T, st contract.State, _ contract.Lookup) judgement.Subject {
				return judgement.Subject{Account: account, Region: region, TaskDefinitionArn: batchTD, TaskDefinitionTags: map[string]string{}, Task: projection(t, st)}
			}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := stateOf(t, tc.event)
			e := newFakeECS(t)
			if tc.edit != nil {
				tc.edit(e)
			}
			s := newStore()
			got, err := handler(e, &fakePolicy{hash: policyHash}, s, contract.ModeAudit).Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.Calls(), tc.wantCalls) {
				t.Errorf("ECS calls %v, want %v", e.Calls(), tc.wantCalls)
			}
			want := tc.wantSubject(t, st, got)
			if got.Subject != hash(t, want) {
				t.Errorf("subject %s, want the hash of %+v", got.Subject, want)
			}
			if got.Key != judgement.Key(policyHash, got.Subject, judgement.Settings{Mode: contract.ModeAudit}) {
				t.Errorf("key %s is not Key(policy, subject, settings)", got.Key)
			}
			if (len(got.Service) > 0) != tc.wantService || (got.ServiceTags != nil) != tc.wantService {
				t.Errorf("service %s tags %v; want a service: %v", got.Service, got.ServiceTags, tc.wantService)
			}
			if got.TaskDefinitionTags == nil || !reflect.DeepEqual(got.TaskDefinitionTags, want.TaskDefinitionTags) {
				t.Errorf("task definition tags %#v, want %#v", got.TaskDefinitionTags, want.TaskDefinitionTags)
			}
			rec, ok, _ := s.Memory.Get(ctx, got.Key)
			if got.Next != contract.NextJudge || !ok || rec.Owner != st.Task.ExecutionName || st.Task.ExecutionName == "" {
				t.Errorf("next %s, stored %+v; want JUDGE and the key pending for %q", got.Next, rec, st.Task.ExecutionName)
			}
		})
	}
}

func TestHandleNamesItsErrors(t *testing.T) {
	throttled := apiErr("ThrottlingException", smithy.FaultClient)
	denied := apiErr("AccessDeniedException", smithy.FaultClient)
	cases := []struct {
		name string
		// edit breaks something before the call.
		edit       func(t *testing.T, st *contract.State, h *lookup.Handler, e *fakeECS, p *fakePolicy, s *store)
		wantErr    string
		wantMsg    string
		wantBegins int
	}{
		{"the task definition's tags throttled: transient", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.fail("ListTagsForResource", throttled)
		}, contract.ErrTransient, "ListTagsForResource " + tdArn, 0},
		{"the task definition's tags denied: access denied", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.fail("ListTagsForResource", denied)
		}, contract.ErrAccessDenied, "ListTagsForResource", 0},
		{"the service throttled: transient", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.fail("DescribeServices", throttled)
		}, contract.ErrTransient, "DescribeServices prod/api", 0},
		{"the service denied: access denied", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.fail("DescribeServices", denied)
		}, contract.ErrAccessDenied, "DescribeServices", 0},
		{"an ECS server error: transient", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.fail("DescribeServices", apiErr("ServerException", smithy.FaultServer))
		}, contract.ErrTransient, "", 0},
		{"an ECS client without awsraw.Capture: a failure that says so", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.noRaw = true
		}, contract.ErrFailed, "awsraw.Capture", 0},
		{"a raw DescribeServices body that is not JSON: a failure", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.rawBody = []byte(`<html>502 Bad Gateway</html>`)
		}, contract.ErrFailed, "not JSON", 0},
		{"a raw DescribeServices body without the service the SDK read: a failure", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, e *fakeECS, _ *fakePolicy, _ *store) {
			e.rawBody = []byte(`{"services":[],"failures":[]}`)
		}, contract.ErrFailed, "no service", 0},
		{"the policy cannot be loaded: its own error", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, _ *fakeECS, p *fakePolicy, _ *store) {
			p.err = step.Errorf(contract.ErrNotFound, "load policy: no policy parameters under /ecs-compliance/policy")
		}, contract.ErrNotFound, "no policy parameters", 0},
		{"the store cannot be read: its own error", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, _ *fakeECS, _ *fakePolicy, s *store) {
			s.getErr = step.Errorf(contract.ErrTransient, "GetItem judgements: throttled")
		}, contract.ErrTransient, "GetItem", 0},
		{"the key cannot be taken: its own error", func(_ *testing.T, _ *contract.State, _ *lookup.Handler, _ *fakeECS, _ *fakePolicy, s *store) {
			s.beginErr = step.Errorf(contract.ErrAccessDenied, "PutItem judgements: denied")
		}, contract.ErrAccessDenied, "PutItem", 1},
		{"no $.task: invalid input", func(_ *testing.T, st *contract.State, _ *lookup.Handler, _ *fakeECS, _ *fakePolicy, _ *store) {
			st.Task = nil
		}, contract.ErrInvalidInput, "$.task", 0},
		{"a task without its account: invalid input", func(_ *testing.T, st *contract.State, _ *lookup.Handler, _ *fakeECS, _ *fakePolicy, _ *store) {
			task := *st.Task
			task.Account = ""
			st.Task = &task
		}, contract.ErrInvalidInput, "$.task", 0},
		{"a detail that is not an object: invalid input", func(_ *testing.T, st *contract.State, _ *lookup.Handler, _ *fakeECS, _ *fakePolicy, _ *store) {
			st.Detail = json.RawMessage(`["not", "a", "task"]`)
		}, contract.ErrInvalidInput, "detail", 0},
		{"a handler without its clients: a failure", func(_ *testing.T, _ *contract.State, h *lookup.Handler, _ *fakeECS, _ *fakePolicy, _ *store) {
			h.ECS = nil
		}, contract.ErrFailed, "not configured", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := stateOf(t, "service-task-pending.json")
			e, p, s := newFakeECS(t), &fakePolicy{hash: policyHash}, newStore()
			h := handler(e, p, s, contract.ModeEnforce)
			tc.edit(t, &st, h, e, p, s)
			got, err := h.Handle(context.Background(), st)
			if step.Name(err) != tc.wantErr || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("= %+v, %v (%s); want %s containing %q", got, err, step.Name(err), tc.wantErr, tc.wantMsg)
			}
			if s.begins != tc.wantBegins {
				t.Errorf("%d keys taken, want %d: a failed lookup must not mark a key it did not compute", s.begins, tc.wantBegins)
			}
		})
	}
}

func TestHandleClockAndLease(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		eventTime string
		lease     time.Duration
		wantUntil time.Time
	}{
		{"the event's time plus DefaultLease", pendingAt, 0, mustTime(t, pendingAt).Add(lookup.DefaultLease)},
		{"the event's time plus the configured lease", pendingAt, 3 * time.Minute, mustTime(t, pendingAt).Add(3 * time.Minute)},
		{"an event without a time: the clock", "", 0, clock.Add(lookup.DefaultLease)},
		{"an event whose time does not parse: the clock", "27/11/2026 09:05", 0, clock.Add(lookup.DefaultLease)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := stateOf(t, "service-task-pending.json")
			st.Time = tc.eventTime
			s := newStore()
			h := handler(newFakeECS(t), &fakePolicy{hash: policyHash}, s, contract.ModeAudit)
			h.Lease, h.Now = tc.lease, func() time.Time { return clock }
			got, err := h.Handle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			rec, _, _ := s.Memory.Get(ctx, got.Key)
			if !rec.LeaseUntil.Equal(tc.wantUntil) {
				t.Fatalf("lease until %s, want %s", rec.LeaseUntil, tc.wantUntil)
			}
		})
	}
	t.Run("a judgement valid at the event's time counts even if the clock is past it", func(t *testing.T) {
		st := stateOf(t, "service-task-pending.json")
		key := keyOf(t, st, contract.ModeAudit).Key
		s := newStore()
		at := mustTime(t, pendingAt)
		_ = s.Put(ctx, judged(key, contract.OutcomeCompliant, at.Add(-time.Hour), at.Add(time.Minute)))
		h := handler(newFakeECS(t), &fakePolicy{hash: policyHash}, s, contract.ModeAudit)
		h.Now = func() time.Time { return at.Add(time.Hour) }
		if got, err := h.Handle(ctx, st); err != nil || got.Next != contract.NextDone {
			t.Fatalf("= %+v, %v; want DONE (exemptions and judgements expire against the event's time)", got, err)
		}
	})
}

// TestHandleUsesTheRegistrationsJudgement: a revision judged at
// registration to be remediated whatever task runs it stands for each of
// its tasks; any other registration judgement does not.
func TestHandleUsesTheRegistrationsJudgement(t *testing.T) {
	ctx := context.Background()
	at := mustTime(t, pendingAt)
	cases := []struct {
		name string
		// registration is the evaluation stored under the revision's own
		// key (nil: none), valid until expires.
		registration func() *contract.Evaluation
		expires      time.Time
		// taskKey is what the task's own key holds (nil: nothing).
		taskKey  *judgement.Record
		wantNext string
		wantReg  bool // the registration's judgement is the one used
	}{
		{"a registration judgement that holds for every task: remediate without judging", func() *contract.Evaluation {
			e := evaluation(contract.OutcomeRemediate)
			e.HoldsForEveryTask = true
			return e
		}, at.Add(time.Hour), nil, contract.NextRemediate, true},
		{"one that a cluster or service exemption could lift: judge the task", func() *contract.Evaluation {
			return evaluation(contract.OutcomeRemediate)
		}, at.Add(time.Hour), nil, contract.NextJudge, false},
		{"one that has expired: judge the task", func() *contract.Evaluation {
			e := evaluation(contract.OutcomeRemediate)
			e.HoldsForEveryTask = true
			return e
		}, at, nil, contract.NextJudge, false},
		{"a report-only registration judgement: judge the task", func() *contract.Evaluation {
			e := evaluation(contract.OutcomeReport)
			e.HoldsForEveryTask = true
			return e
		}, at.Add(time.Hour), nil, contract.NextJudge, false},
		{"none: judge the task", nil, time.Time{}, nil, contract.NextJudge, false},
		{"the task's own valid judgement comes first", func() *contract.Evaluation {
			e := evaluation(contract.OutcomeRemediate)
			e.HoldsForEveryTask = true
			return e
		}, at.Add(time.Hour), func() *judgement.Record {
			r := judged("", contract.OutcomeCompliant, at.Add(-time.Minute), at.Add(time.Hour))
			return &r
		}(), contract.NextDone, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The registration of api:7 has the key the lookup of its
			// CloudTrail event computes.
			reg := withDetail(t, stateOf(t, "registration.json"), func(d map[string]any) {
				td := d["responseElements"].(map[string]any)["taskDefinition"].(map[string]any)
				td["taskDefinitionArn"], td["revision"] = tdArn, 7
			})
			regKey := keyOf(t, reg, contract.ModeEnforce).Key
			task := stateOf(t, "service-task-pending.json")
			taskKey := keyOf(t, task, contract.ModeEnforce).Key
			s := newStore()
			if tc.registration != nil {
				r := judged(regKey, contract.OutcomeRemediate, at.Add(-time.Hour), tc.expires)
				r.Evaluation = tc.registration()
				if err := s.Put(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if tc.taskKey != nil {
				r := *tc.taskKey
				r.Key = taskKey
				_ = s.Put(ctx, r)
			}
			got, err := handler(newFakeECS(t), &fakePolicy{hash: policyHash}, s, contract.ModeEnforce).Handle(ctx, task)
			if err != nil {
				t.Fatal(err)
			}
			if got.Next != tc.wantNext || got.Key != taskKey {
				t.Fatalf("next %s key %s; want %s under the task's key %s", got.Next, got.Key, tc.wantNext, taskKey)
			}
			if tc.wantReg {
				if got.Judgement == nil || got.Judgement.Key != regKey || got.Evaluation == nil || !got.Evaluation.HoldsForEveryTask {
					t.Errorf("judgement %+v evaluation %+v; want the registration's (%s)", got.Judgement, got.Evaluation, regKey)
				}
				if _, found, _ := s.Memory.Get(ctx, taskKey); found {
					t.Errorf("the task's own key was marked: it is not judged")
				}
			}
			if got.Next == contract.NextJudge {
				if rec, _, _ := s.Memory.Get(ctx, taskKey); rec.Owner != task.Task.ExecutionName {
					t.Errorf("the task's key is %+v; want it pending for the task", rec)
				}
			}
		})
	}
}

// An excluded service's tasks are left alone: not judged, not reported.
func TestExcludedServicesAreLeftAlone(t *testing.T) {
	ex, err := remediate.ParseExclusions("sandbox", "prod/legacy")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cluster, service string
		excluded         bool
	}{
		{"prod", "legacy", true},
		{"sandbox", "anything", true},
		{"prod", "api", false},
		{"staging", "legacy", false},
	} {
		t.Run(c.cluster+"/"+c.service, func(t *testing.T) {
			h := &lookup.Handler{Excluded: ex}
			st := contract.State{Task: &contract.Task{TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/" + c.cluster + "/0a1b2c3d4e5f40718293a4b5c6d7e8f9",
				Cluster: c.cluster, Service: c.service, TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
				Account: "123456789012", Region: "us-east-1"}}
			out, err := h.Handle(context.Background(), st)
			if c.excluded {
				if err != nil || out.Next != contract.NextDone || out.Key != "" {
					t.Fatalf("excluded: %+v, %v; want DONE without a key", out, err)
				}
				return
			}
			// Not excluded: it goes on (and here fails for want of clients).
			if err == nil {
				t.Fatalf("not excluded: %+v; want the lookup to go on", out)
			}
		})
	}
}

// barrierECS and barrierPolicy answer only once all three reads of a first
// look-up (the policy, the task definition's tags, the service) are under
// way: a look-up that made them one after the other would time out.
type barrier struct {
	wg sync.WaitGroup
}

func (b *barrier) arrive() error {
	b.wg.Done()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the other reads did not start: the look-up reads one after the other")
	}
}

type barrierECS struct {
	lookup.ECS
	b *barrier
}

func (e barrierECS) ListTagsForResource(ctx context.Context, in *ecs.ListTagsForResourceInput, opts ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error) {
	if err := e.b.arrive(); err != nil {
		return nil, err
	}
	return e.ECS.ListTagsForResource(ctx, in, opts...)
}

func (e barrierECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if err := e.b.arrive(); err != nil {
		return nil, err
	}
	return e.ECS.DescribeServices(ctx, in, opts...)
}

type barrierPolicy struct {
	lookup.Policy
	b *barrier
}

func (p barrierPolicy) Bundle(ctx context.Context) (contract.Bundle, error) {
	if err := p.b.arrive(); err != nil {
		return contract.Bundle{}, err
	}
	return p.Policy.Bundle(ctx)
}

// The policy's hash, the tags and the service are on the way from an event
// to a stop: a first look-up reads them at the same time.
func TestFirstLookUpReadsPolicyTagsAndServiceAtOnce(t *testing.T) {
	b := &barrier{}
	b.wg.Add(3)
	h := handler(barrierECS{newFakeECS(t), b}, barrierPolicy{&fakePolicy{hash: policyHash}, b}, newStore(), contract.ModeEnforce)
	got, err := h.Handle(context.Background(), stateOf(t, "service-task-pending.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Next != contract.NextJudge || got.PolicyHash != policyHash || len(got.Service) == 0 {
		t.Fatalf("lookup %+v", got)
	}
}
