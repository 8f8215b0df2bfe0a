package replay

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

func event(detail string) offline.Event {
	return offline.Event{Name: "e", JSON: []byte(`{"detail": ` + detail + `}`)}
}

func TestPartitionKeepsFamiliesAndServicesTogether(t *testing.T) {
	const cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	evs := []offline.Event{
		event(`{"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7", "clusterArn": "` + cluster + `", "group": "service:api"}`),
		event(`{"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", "clusterArn": "` + cluster + `", "group": "service:web"}`),
		// Another family in service api: api's group.
		event(`{"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api-v2:1", "clusterArn": "` + cluster + `", "group": "service:api"}`),
		// A registration of family web: web's group.
		event(`{"requestParameters": {"family": "web"}}`),
		// A standalone task of api-v2: api's group through the family.
		event(`{"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api-v2:2", "clusterArn": "` + cluster + `", "group": "family:api-v2"}`),
		{Name: "broken", JSON: []byte(`{`)},
		event(`{"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/batch:1", "clusterArn": "` + cluster + `", "group": "family:batch"}`),
	}
	part, n := partition(evs, 8)
	if n != 4 {
		t.Errorf("%d workers, want 4 (api, web, batch, the broken event)", n)
	}
	if part[0] != part[2] || part[0] != part[4] {
		t.Errorf("api's family and service were split: %v", part)
	}
	if part[1] != part[3] {
		t.Errorf("web's registration and task were split: %v", part)
	}
	if part[0] == part[1] || part[0] == part[6] || part[1] == part[6] {
		t.Errorf("independent groups share a worker with 8 available: %v", part)
	}
	if part, n := partition(evs, 1); n != 1 || part[0] != 0 || part[6] != 0 {
		t.Errorf("one worker: %v, %d", part, n)
	}
}

func TestFamilyOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:ecs:us-east-1:123456789012:task-definition/api:7":        "api",
		"arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/a:b-c:12": "a:b-c",
		"api:7": "api",
		"api":   "api",
	} {
		if got := familyOf(in); got != want {
			t.Errorf("familyOf(%q) = %q, want %q", in, got, want)
		}
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
