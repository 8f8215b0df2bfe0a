package replay_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
	"github.com/ecs-compliance/ecs-compliance/statemachine/replay"
)

// benchFleet is the fleet of the acceptance: 800 task starts over 16
// task definitions, the four Fargate statuses, one event in ten redelivered.
func benchFleet(b *testing.B) (fleet.Fleet, []offline.Event) {
	b.Helper()
	f, err := fleet.Generate(fleet.Spec{Seed: 1, Services: 16, TaskStarts: 800})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]offline.Event, len(f.Events))
	for i, e := range f.Events {
		evs[i] = offline.Event{Name: e.Name, JSON: e.JSON}
	}
	return f, evs
}

// BenchmarkReplay replays the fleet in audit and enforce mode and reports
// the throughput (events/s, the target is 5,000 on the 2-core build
// machine) and the cost per million task starts.
func BenchmarkReplay(b *testing.B) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	f, evs := benchFleet(b)
	for _, mode := range []contract.Mode{contract.ModeAudit, contract.ModeEnforce} {
		b.Run(string(mode), func(b *testing.B) {
			var s replay.Summary
			var replaying float64
			for b.Loop() {
				var err error
				s, err = replay.Run(context.Background(), replay.Options{Run: offline.Options{Policy: policies.FS, World: &f.World, Mode: mode}}, evs, nil)
				if err != nil {
					b.Fatal(err)
				}
				replaying += s.Seconds
			}
			// Throughput as replay reports it: events per second of
			// replaying (the account's setup and the policy's compilation,
			// once per replay, not included).
			b.ReportMetric(float64(len(evs))*float64(b.N)/replaying, "events/s")
			b.ReportMetric(s.CostUSD.PerMillionTaskStarts, "$/Mstarts")
		})
	}
}
