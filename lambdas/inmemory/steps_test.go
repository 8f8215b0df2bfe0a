package inmemory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/describetaskdef"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/loadpolicy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

// TestStepsAgainstTheAccount runs the first three steps' real handlers
// against the account, through step.Invoke (JSON in, JSON out) as the local
// executor does, retrying throttled calls as the state machine would.
func TestStepsAgainstTheAccount(t *testing.T) {
	for _, throttle := range []int{0, 2} {
		t.Run(fmt.Sprintf("throttle first %d", throttle), func(t *testing.T) {
			a := newAccount(t)
			files := map[string]string{"data.json": `{"ecs":{"config":{}}}`, "rules/registry/registry.rego": "package ecs.rules.registry\n"}
			if err := a.SeedPolicy(bundle.DefaultPath, files); err != nil {
				t.Fatal(err)
			}
			a.ThrottleFirst(throttle)
			ev := event(t, map[string]any{
				"taskArn": apiTask, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
				"taskDefinitionArn": apiTD7, "group": "service:api", "lastStatus": "PENDING", "desiredStatus": "RUNNING",
			})
			ev.Account, ev.Region = inmemory.DefaultAccount, inmemory.DefaultRegion
			state, _ := json.Marshal(contract.State{Event: ev})

			// invoke runs a step the way the workflow does: retried while the
			// error is Compliance.Transient, at most 6 retries.
			invoke := func(run func([]byte) ([]byte, error), field string) {
				t.Helper()
				var out []byte
				var err error
				for attempt := 0; attempt <= 6; attempt++ {
					if out, err = run(state); err == nil || step.Name(err) != contract.ErrTransient {
						break
					}
				}
				if err != nil {
					t.Fatalf("%s: %v", field, err)
				}
				var doc map[string]json.RawMessage
				_ = json.Unmarshal(state, &doc)
				doc[field] = out
				state, _ = json.Marshal(doc)
			}
			record := &recordtask.Handler{Store: a.Idempotency(), Now: func() time.Time { return clock }}
			recordIn, _ := json.Marshal(contract.RecordTaskInput{Event: ev, ExecutionID: "exec-1"})
			invoke(func([]byte) ([]byte, error) { return step.Invoke(context.Background(), record.Handle, recordIn) }, "task")
			load := &loadpolicy.Handler{SSM: a}
			invoke(func(b []byte) ([]byte, error) { return step.Invoke(context.Background(), load.Handle, b) }, "evaluation")
			describe := &describetaskdef.Handler{ECS: a}
			invoke(func(b []byte) ([]byte, error) { return step.Invoke(context.Background(), describe.Handle, b) }, "described")

			var st contract.State
			if err := json.Unmarshal(state, &st); err != nil {
				t.Fatal(err)
			}
			if st.Task.Duplicate || st.Task.Service != "api" || st.Task.FirstSeen != "2026-11-27T09:05:00Z" {
				t.Fatalf("task %+v", st.Task)
			}
			if st.Evaluation.Policy.Hash != bundle.Hash(files) || st.Evaluation.Policy.Versions[bundle.DefaultPath+"/data.json"] != 1 {
				t.Fatalf("policy %+v", st.Evaluation.Policy)
			}
			if !strings.Contains(string(st.Described.TaskDefinition), `"image":"nginx:1.25"`) ||
				st.Described.Tags["owner"] != "team-api" || st.Described.Tags["tier"] != "edge" {
				t.Fatalf("described %s %v", st.Described.TaskDefinition, st.Described.Tags)
			}

			// The next event of the same task is a duplicate.
			again, err := record.Handle(context.Background(), contract.RecordTaskInput{Event: ev, ExecutionID: "exec-2"})
			if err != nil && step.Name(err) == contract.ErrTransient {
				again, err = record.Handle(context.Background(), contract.RecordTaskInput{Event: ev, ExecutionID: "exec-2"})
			}
			if err != nil || !again.Duplicate {
				t.Fatalf("second event: %+v %v", again, err)
			}
		})
	}
}

func BenchmarkDescribeTaskDefinition(b *testing.B) {
	w, err := inmemory.ReadWorld(strings.NewReader(worldJSON))
	if err != nil {
		b.Fatal(err)
	}
	a := inmemory.New(w)
	in := &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(webTD), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}}
	for b.Loop() {
		if _, err := a.DescribeTaskDefinition(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
