package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

func TestFleetWritesTheWorldAndTheEvents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	var stdout, stderr bytes.Buffer
	code := runFleet([]string{"--seed", "3", "--services", "4", "--standalone", "1", "--task-starts", "40", "--rolls", "1",
		"--violating", "1", "--redelivery", "0", "--stop-events", "--registrations", "--out", dir}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if _, err := inmemory.ReadWorldFile(filepath.Join(dir, "world.json")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(b), "\n")
	out := stdout.String()
	for _, want := range []string{
		"wrote " + filepath.Join(dir, "world.json") + " and " + filepath.Join(dir, "events.jsonl") + ": ",
		"6 task definitions (4 services, 1 standalone; 1 violating, 1 hardened, 1 rolled), 40 task starts, ",
		" 0 redelivered", // --redelivery 0 means none
		"seed 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, " "+strconv.Itoa(lines)+" events") {
		t.Errorf("want one line naming the %d events written:\n%s", lines, out)
	}

	// The same flags write the same bytes.
	again := filepath.Join(t.TempDir(), "again")
	if code := runFleet([]string{"--seed", "3", "--services", "4", "--standalone", "1", "--task-starts", "40", "--rolls", "1",
		"--violating", "1", "--redelivery", "0", "--stop-events", "--registrations", "--out", again}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if b2, _ := os.ReadFile(filepath.Join(again, "events.jsonl")); !bytes.Equal(b, b2) {
		t.Error("the same flags wrote different events")
	}
}

func TestFleetHelpDocumentsTheFilesAndFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runFleet([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"DIR/world.json", "DIR/events.jsonl", "-task-starts", "-violating", "-out-of-order",
		"-stop-events", "-registrations", "replay --world DIR/world.json DIR/events.jsonl"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestFleetUsageErrors(t *testing.T) {
	out := t.TempDir()
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no --out":             {[]string{}, "--out DIR is required"},
		"bad flag":             {[]string{"--nope", "--out", out}, "flag provided but not defined"},
		"an argument":          {[]string{"--out", out, "extra"}, `unexpected argument "extra"`},
		"negative services":    {[]string{"--services", "-1", "--out", out}, "--services -1 is negative"},
		"no task starts":       {[]string{"--task-starts", "0", "--out", out}, "at least one task must start"},
		"redelivery above one": {[]string{"--redelivery", "2", "--out", out}, "--redelivery 2 is not a fraction"},
		"bad start":            {[]string{"--start", "yesterday", "--out", out}, `--start "yesterday"`},
		"no families":          {[]string{"--services", "0", "--out", out}, "no families"},
		"impossible fleet": {[]string{"--services", "3", "--violating", "4", "--task-starts", "2", "--out", out},
			"Violating is 4, but there are only 3 families; TaskStarts is 2"},
		"bad status": {[]string{"--statuses", "PENDING,STOPPED", "--out", out}, `status "STOPPED"`},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runFleet(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q, want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

func TestFleetReportsAFolderItCannotWrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runFleet([]string{"--out", filepath.Join(file, "sub")}, &stdout, &stderr); code != 1 || stderr.Len() == 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
