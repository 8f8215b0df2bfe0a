package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/statemachine/check"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
)

// fleetSpec is a fleet big enough for a stable throughput figure: 256
// families (240 services, 16 standalone), 24 of them rolled to a second
// revision, 12 violating: 280 task definitions.
var fleetSpec = fleet.Spec{Seed: 1, Services: 240, Standalone: 16, Rolls: 24, Violating: 12, TaskStarts: 800}

// fleetFiles writes every task definition of the fleet to dir as
// describe-task-definition output (the revision and its tags), one file per
// revision, and returns the paths in the fleet's order.
func fleetFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	f, err := fleet.Generate(fleetSpec)
	if err != nil {
		tb.Fatal(err)
	}
	type tag struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	var paths []string
	for i, raw := range f.World.TaskDefinitions {
		var head struct{ TaskDefinitionArn string }
		if err := json.Unmarshal(raw, &head); err != nil {
			tb.Fatal(err)
		}
		tags := []tag{}
		own := f.World.Tags[head.TaskDefinitionArn]
		for _, k := range slices.Sorted(maps.Keys(own)) {
			tags = append(tags, tag{k, own[k]})
		}
		b, err := json.MarshalIndent(map[string]any{"taskDefinition": raw, "tags": tags}, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("taskdef-%04d.json", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func checkerWith(tb testing.TB, workers int) *check.Checker {
	tb.Helper()
	c, err := check.New(context.Background(), check.Options{
		Bundle: library(tb), PolicySource: "policies/ (built in)", Account: account, Region: region,
		Mode: contract.ModeEnforce, Now: now, Workers: workers,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkCheckFleet judges every task definition of a generated fleet
// (fleetSpec: 280 revisions, one file each: read, parse, map, evaluate), the
// policy compiled once beforehand as the command does, with one worker and
// with one per core (GOMAXPROCS, what `ecs-compliance check` uses), and
// reports taskdefs/s.
func BenchmarkCheckFleet(b *testing.B) {
	paths := fleetFiles(b, b.TempDir())
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c := checkerWith(b, workers)
			judged := 0
			for b.Loop() {
				r, err := c.Check(context.Background(), paths)
				if err != nil {
					b.Fatal(err)
				}
				if r.Summary.TaskDefinitions != len(paths) || r.Summary.Errors != 0 {
					b.Fatalf("summary %+v, want %d task definitions judged", r.Summary, len(paths))
				}
				judged += r.Summary.TaskDefinitions
			}
			b.ReportMetric(float64(judged)/b.Elapsed().Seconds(), "taskdefs/s")
		})
	}
}

// TestWorkersDoNotChangeTheReport checks the fleet and the project's samples
// (task definitions, templates, a cdk.out folder, bad input) with one
// worker and with several: the reports are the same, byte for byte.
func TestWorkersDoNotChangeTheReport(t *testing.T) {
	paths := fleetFiles(t, t.TempDir())
	inRepo(t)
	paths = append(paths, "test/taskdefs", "test/taskdefs/hardened.json", "test/taskdefs/unapproved-registry.json",
		"test/taskdefs/ghcr-sidecar.yaml", "test/templates/service.yaml", "test/templates/sam-app.yaml",
		"test/templates/cdk-assembly", "test/templates/no-task-definition.yaml", "no/such/file.json")
	var want []byte
	for _, workers := range []int{1, 2, 7} {
		r, err := checkerWith(t, workers).Check(context.Background(), paths)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := r.JSON(&got); err != nil {
			t.Fatal(err)
		}
		if r.Summary.TaskDefinitions < 280 || r.Summary.NonCompliant == 0 || r.Summary.Errors < 2 {
			t.Fatalf("workers %d: summary %+v; want the fleet judged, violations and the bad input reported", workers, r.Summary)
		}
		if want == nil {
			want = got.Bytes()
			continue
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("the report with %d workers differs from the one with 1", workers)
		}
	}
}
