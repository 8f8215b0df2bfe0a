package replay

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// Options.Records gets every record of the policy (not of the baseline), in
// the events' order whatever the workers, with the executions' histories
// when the run keeps them.
func TestRecordsInTheEventsOrder(t *testing.T) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	f, err := fleet.Generate(fleet.Spec{Seed: 4, Services: 3, TaskStarts: 24, Violating: 1})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]offline.Event, len(f.Events))
	for i, e := range f.Events {
		evs[i] = offline.Event{Name: e.Name, JSON: e.JSON}
	}
	var got []*offline.Record
	opts := Options{Run: offline.Options{Policy: policies.FS, World: &f.World, Mode: contract.ModeEnforce, KeepHistories: true},
		Baseline: policies.FS, Workers: 3, Records: func(r *offline.Record) { got = append(got, r) }}
	if _, err := Run(context.Background(), opts, evs, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("%d records for %d events (the baseline's too?)", len(got), len(evs))
	}
	for i, r := range got {
		if r.Event != evs[i].Name {
			t.Fatalf("record %d is of %s, want %s", i, r.Event, evs[i].Name)
		}
		if r.Filtered == "" && (len(r.Executions) == 0 || len(r.Executions[0].History) == 0) {
			t.Fatalf("record %d (%s) has no history", i, r.Event)
		}
	}
}
