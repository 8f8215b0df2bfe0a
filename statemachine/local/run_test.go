package main

import (
	"bytes"
	"strings"
	"testing"
)

// The text output is what `make demo` shows a newcomer: each state entered,
// the decision, the changes, the reports and the status.
func TestRunPrintsEachExecutionForPeople(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runWorkflow([]string{"--mode", "enforce", "--world", "../../test/worlds/demo.json",
		"../../test/events/dockerhub-service-task.json", "../../test/events/dockerhub-service-task-running.json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"mode enforce, approval off",
		"── event 1/2  ../../test/events/dockerhub-service-task.json",
		"task of service api 1b2c3d4e5f6a… in cluster prod, task definition api:7 (event: PENDING)",
		"✓ Scale service to zero",
		"    ✓ Notify SNS topic", // a Parallel branch, indented under it
		"decision   NOT compliant: 1 violation",
		"✗ approved_registries",
		"UpdateService             arn:aws:ecs:us-east-1:123456789012:service/prod/api  (desired count 2 → 0)",
		"SNS        [ecs-compliance] REMEDIATED HIGH",
		"── event 2/2",
		"duplicate: this task was claimed at",
		"changes    none",
		"→ SUCCEEDED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no events":   {},
		"bad flag":    {"--nope", "x.json"},
		"no such dir": {"--policy", "/does/not/exist", "x.json"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runWorkflow(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
		})
	}
}
