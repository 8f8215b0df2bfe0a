package replay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

const (
	account = "123456789012"
	cluster = "arn:aws:ecs:us-east-1:" + account + ":cluster/prod"
)

// taskEvent is a task state change Record task accepts: task id (one hex
// digit, repeated), task definition family:revision, group, desiredStatus.
func taskEvent(id, td, group, desired string) offline.Event {
	return offline.Event{Name: "task " + id, JSON: []byte(`{"source": "aws.ecs", "detail-type": "ECS Task State Change", "account": "` + account +
		`", "region": "us-east-1", "detail": {"taskArn": "arn:aws:ecs:us-east-1:` + account + `:task/prod/` + strings.Repeat(id, 32) +
		`", "clusterArn": "` + cluster + `", "taskDefinitionArn": "arn:aws:ecs:us-east-1:` + account + `:task-definition/` + td +
		`", "group": "` + group + `", "lastStatus": "RUNNING", "desiredStatus": "` + desired + `"}}`)}
}

// registration is CloudTrail's RegisterTaskDefinition of family:revision.
func registration(family, revision string) offline.Event {
	return offline.Event{Name: "registration " + family, JSON: []byte(`{"source": "aws.ecs", "detail-type": "AWS API Call via CloudTrail", "account": "` +
		account + `", "region": "us-east-1", "detail": {"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition", ` +
		`"awsRegion": "us-east-1", "recipientAccountId": "` + account + `", "responseElements": {"taskDefinition": {"taskDefinitionArn": ` +
		`"arn:aws:ecs:us-east-1:` + account + `:task-definition/` + family + `:` + revision + `", "family": "` + family + `", "revision": ` + revision + `}}}}`)}
}

func TestPartitionKeepsFamiliesAndServicesTogether(t *testing.T) {
	evs := []offline.Event{
		taskEvent("1", "api:7", "service:api", "RUNNING"),
		taskEvent("2", "web:3", "service:web", "RUNNING"),
		// Another family in service api: api's group.
		taskEvent("3", "api-v2:1", "service:api", "RUNNING"),
		// A registration of family web: web's group.
		registration("web", "4"),
		// A standalone task of api-v2: api's group through the family.
		taskEvent("4", "api-v2:2", "family:api-v2", "RUNNING"),
		{Name: "broken", JSON: []byte(`{`)},
		taskEvent("5", "batch:1", "family:batch", "RUNNING"),
		// Events Record task refuses: each a group of its own.
		taskEvent("6", "api:7", "service:api", "STOPPED"),
		taskEvent("7", "web:3", "service:web", "STOPPED"),
	}
	for i, ev := range evs {
		if _, _, ok := groupKeys(ev.JSON); ok != (i < 5 || i == 6) {
			t.Fatalf("%s: Record task accepts it: %t", ev.Name, ok)
		}
	}
	part, n := partition(evs, 8)
	if n != 6 {
		t.Errorf("%d workers, want 6 (api, web, batch, the broken event, the two stop events)", n)
	}
	if part[0] != part[2] || part[0] != part[4] {
		t.Errorf("api's family and service were split: %v", part)
	}
	if part[1] != part[3] {
		t.Errorf("web's registration and task were split: %v", part)
	}
	if part[0] == part[1] || part[0] == part[6] || part[1] == part[6] || part[7] == part[0] || part[8] == part[1] {
		t.Errorf("independent groups share a worker with 8 available: %v", part)
	}
	// Two workers: the largest group first, each group to the least
	// loaded worker.
	part, n = partition(evs, 2)
	load := make([]int, n)
	for _, w := range part {
		load[w]++
	}
	if n != 2 || load[0]+load[1] != len(evs) || load[0]-load[1] > 1 || load[1]-load[0] > 1 {
		t.Errorf("two workers: loads %v, want %d events spread evenly", load, len(evs))
	}
	if part, n := partition(evs, 1); n != 1 || slices.ContainsFunc(part, func(w int) bool { return w != 0 }) {
		t.Errorf("one worker: %v, %d", part, n)
	}
}

// The summary does not depend on the number of workers: a fleet with
// rolling revisions, standalone tasks, registrations and stop events,
// replayed serially and on four workers, in both modes.
func TestParallelReplayCountsAsSerial(t *testing.T) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	f, err := fleet.Generate(fleet.Spec{Seed: 3, Services: 6, Standalone: 2, TaskStarts: 120, Violating: 2, Rolls: 2,
		Registrations: true, StopEvents: true, Redelivery: 0.2, OutOfOrder: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]offline.Event, len(f.Events))
	for i, e := range f.Events {
		evs[i] = offline.Event{Name: e.Name, JSON: e.JSON}
	}
	evs = append(evs, offline.Event{Name: "broken", JSON: []byte("{")})
	for _, mode := range []contract.Mode{contract.ModeAudit, contract.ModeEnforce} {
		summary := func(workers int) Summary {
			s, err := Run(context.Background(), Options{Run: offline.Options{Policy: policies.FS, World: &f.World, Mode: mode}, Workers: workers}, evs, nil)
			if err != nil {
				t.Fatal(err)
			}
			s.Seconds, s.EventsPerSecond = 0, 0
			return s
		}
		serial, parallel := summary(1), summary(4)
		if !reflect.DeepEqual(serial, parallel) {
			t.Errorf("%s: serial and parallel replays differ:\nserial   %+v\nparallel %+v", mode, serial, parallel)
		}
		if serial.Judgements == 0 || serial.Failed != 1 || (mode == contract.ModeEnforce && serial.Remediations == 0) {
			t.Errorf("%s: the fleet proves nothing: %+v", mode, serial)
		}
	}
}

// A cancelled replay is an error, whatever the number of workers.
func TestRunStopsWhenCancelled(t *testing.T) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	evs := []offline.Event{taskEvent("1", "api:7", "service:api", "RUNNING"), taskEvent("2", "web:3", "service:web", "RUNNING")}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 2} {
		if _, err := Run(ctx, Options{Run: offline.Options{Policy: policies.FS}, Workers: workers}, evs, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: %v, want context.Canceled", workers, err)
		}
	}
}
