package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/statemachine/replay"
)

// A folder `fleet` wrote replays with its own world; --json prints the
// summary, the text report its counts.
func TestReplayTakesAFleetFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	var stdout, stderr bytes.Buffer
	if code := runFleet([]string{"--seed", "2", "--services", "3", "--task-starts", "12", "--violating", "1", "--out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("fleet: exit %d, stderr:\n%s", code, stderr.String())
	}
	stdout.Reset()
	if code := dispatch([]string{"replay", "--json", "--mode", "enforce", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("replay --json: exit %d, stderr:\n%s", code, stderr.String())
	}
	var s replay.Summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout.String())
	}
	// Every task of the fleet started, was judged, and none failed.
	if s.Mode != "enforce" || s.TaskStarts != 12 || s.Failed != 0 || s.Judgements == 0 || s.Remediations == 0 {
		t.Fatalf("summary %+v", s)
	}
	stdout.Reset()
	if code := dispatch([]string{"replay", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("replay: exit %d, stderr:\n%s", code, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "task starts           12") || !strings.Contains(out, "mode audit, policy "+builtInPolicy) {
		t.Errorf("text report:\n%s", out)
	}
}

func TestReplayRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no events", []string{}, "give at least one events file or folder"},
		{"a baseline that is not a folder", []string{"--baseline", "no/such/dir", "."}, "ecs-compliance replay: --baseline no/such/dir: not a folder"},
		{"a policy that is not a folder", []string{"--policy", "no/such/dir", "."}, "ecs-compliance replay: --policy no/such/dir: not a folder"},
		{"a bad mode", []string{"--mode", "strict", "testdata/events"}, `mode "strict"`},
		{"events that cannot be read", []string{"no/such/events.jsonl"}, "no/such/events.jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runReplay(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}
