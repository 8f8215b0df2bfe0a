package fleet_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"

	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
)

// A small fleet with every feature, as files: what a reviewer reads to see
// what the generator makes, and what catches any change to it (a change in
// Go's random streams included). Regenerate with -update and review the diff.
func TestSmallFleetMatchesItsGoldenFiles(t *testing.T) {
	f, err := fleet.Generate(fleet.Spec{Seed: 7, Services: 2, Standalone: 1, TaskStarts: 5, Rolls: 1, Violating: 1,
		StopEvents: true, Registrations: true, Span: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := f.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	goldenDir := filepath.Join("testdata", "small")
	for _, name := range []string{"world.json", "events.jsonl"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join(goldenDir, name), got)
	}
}

func TestWriteFilesWritesOneEventPerLine(t *testing.T) {
	f := generate(t, fleet.Spec{Seed: 1, TaskStarts: 50, Services: 4, Violating: 1})
	dir := filepath.Join(t.TempDir(), "new", "folder")
	if err := f.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if len(lines) != len(f.Events) {
		t.Fatalf("%d lines, %d events", len(lines), len(f.Events))
	}
	for i, line := range lines {
		if !bytes.Equal(line, f.Events[i].JSON) {
			t.Fatalf("line %d is not event %s", i+1, f.Events[i].Name)
		}
	}
}

func TestWriteFilesReportsAFolderItCannotWrite(t *testing.T) {
	f := generate(t, fleet.Spec{Seed: 1, TaskStarts: 50, Services: 4, Violating: 1})
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFiles(filepath.Join(file, "sub")); err == nil {
		t.Fatal("WriteFiles into a path under a file succeeded")
	}
}
