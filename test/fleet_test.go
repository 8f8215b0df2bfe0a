package test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// summary is the part of `ecs-compliance replay --json` the fleet acceptance
// tests read.
type summary struct {
	Events                      int            `json:"events"`
	BadLines                    int            `json:"badLines"`
	Failed                      int            `json:"failed"`
	TaskStarts                  int            `json:"taskStarts"`
	Duplicates                  int            `json:"duplicates"`
	Judgements                  int            `json:"judgements"`
	StandardExecutions          int            `json:"standardExecutions"`
	StandardTransitions         int            `json:"standardTransitions"`
	ExpressRequests             int            `json:"expressRequests"`
	LambdaInvocations           int            `json:"lambdaInvocations"`
	SNSPublishes                int            `json:"snsPublishes"`
	FindingsImported            int            `json:"findingsImported"`
	DistinctFindings            int            `json:"distinctFindings"`
	ViolatingTasks              int            `json:"violatingTasks"`
	Remediations                int            `json:"remediations"`
	Incidents                   int            `json:"incidents"`
	TaskDefinitions             int            `json:"taskDefinitions"`
	TaskDefinitionsWithFindings int            `json:"taskDefinitionsWithFindings"`
	FlaggedPairs                int            `json:"flaggedPairs"`
	ByRule                      map[string]int `json:"byRule"`
	CostUSD                     struct {
		Total                float64 `json:"total"`
		PerMillionTaskStarts float64 `json:"perMillionTaskStarts"`
	} `json:"costUSD"`
}

// fleet writes a generated fleet into a temporary folder and returns it.
func fleet(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(localBin, append([]string{"fleet", "--out", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fleet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return dir
}

// replay replays a folder and returns the summary (the last line of --json).
func replay(t *testing.T, args ...string) summary {
	t.Helper()
	cmd := exec.Command(localBin, append([]string{"replay", "--json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("replay %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("replay --json: last line is not a summary: %v\n%s", err, stdout.String())
	}
	return s
}

// The acceptance criteria of the fleet-scale issue, on the generated fleet of
// 800 task starts over 16 task definitions (four statuses per task, one event
// in ten redelivered, some out of order), in audit mode.
func TestFleetAuditCostsAndReportsPerTaskDefinition(t *testing.T) {
	dir := fleet(t, "--task-starts", "800", "--services", "16")
	s := replay(t, dir)
	if s.TaskStarts != 800 || s.TaskDefinitions != 16 || s.Failed != 0 || s.BadLines != 0 {
		t.Fatalf("fleet: %d task starts, %d task definitions, %d failed, %d bad lines; want 800, 16, 0, 0",
			s.TaskStarts, s.TaskDefinitions, s.Failed, s.BadLines)
	}
	if s.SNSPublishes > s.TaskDefinitionsWithFindings {
		t.Errorf("SNS messages %d > task definitions with findings %d", s.SNSPublishes, s.TaskDefinitionsWithFindings)
	}
	if s.DistinctFindings > s.FlaggedPairs {
		t.Errorf("distinct findings %d > flagged (task definition, rule) pairs %d", s.DistinctFindings, s.FlaggedPairs)
	}
	if s.StandardExecutions > s.Judgements {
		t.Errorf("Standard executions %d > judgements %d", s.StandardExecutions, s.Judgements)
	}
	if s.Judgements != s.TaskDefinitions {
		t.Errorf("judgements %d, want one per task definition (%d)", s.Judgements, s.TaskDefinitions)
	}
	if s.CostUSD.PerMillionTaskStarts > 15 {
		t.Errorf("cost $%.2f per million task starts, want ≤ $15", s.CostUSD.PerMillionTaskStarts)
	}
	// The summary is not vacuous: the fleet has findings and violations.
	if s.TaskDefinitionsWithFindings == 0 || s.ViolatingTasks == 0 || s.ByRule["approved_registries"] == 0 {
		t.Errorf("a fleet without findings proves nothing: %+v", s)
	}
	if s.ExpressRequests != s.Events {
		t.Errorf("Express requests %d, want one per event (%d)", s.ExpressRequests, s.Events)
	}
}

// Enforce mode on the same fleet: every task of a violating definition is
// stopped, and the messages stay per judgement and incident.
func TestFleetEnforceStopsEveryViolatingTask(t *testing.T) {
	dir := fleet(t, "--task-starts", "800", "--services", "16", "--violating", "3")
	s := replay(t, "--mode", "enforce", dir)
	if s.ViolatingTasks == 0 {
		t.Fatal("no violating tasks: the fleet does not test enforce mode")
	}
	if s.Remediations != s.ViolatingTasks {
		t.Errorf("remediated %d of %d violating tasks", s.Remediations, s.ViolatingTasks)
	}
	if s.Failed != 0 {
		t.Errorf("%d executions failed", s.Failed)
	}
	if limit := s.TaskDefinitionsWithFindings + s.Incidents; s.Incidents > 0 && s.SNSPublishes > limit {
		t.Errorf("SNS messages %d > judgements with findings + incidents (%d)", s.SNSPublishes, limit)
	}
	if s.SNSPublishes > 2*s.TaskDefinitionsWithFindings {
		t.Errorf("SNS messages %d: more than two per task definition with findings (%d)", s.SNSPublishes, s.TaskDefinitionsWithFindings)
	}
}

// Revisions that roll mid-stream, standalone tasks, stop events and
// registrations: still one judgement per revision, nothing fails, and the
// stop events are filtered before anything is billed beyond the rule.
func TestFleetWithRollsStandaloneAndRegistrations(t *testing.T) {
	dir := fleet(t, "--seed", "7", "--task-starts", "900", "--standalone", "3", "--rolls", "2",
		"--stop-events", "--registrations")
	s := replay(t, "--mode", "enforce", "--world", filepath.Join(dir, "world.json"), filepath.Join(dir, "events.jsonl"))
	if s.Failed != 0 || s.BadLines != 0 {
		t.Fatalf("%d failed, %d bad lines", s.Failed, s.BadLines)
	}
	if s.StandardExecutions > s.Judgements+s.Remediations {
		t.Errorf("Standard executions %d > judgements %d + remediations %d", s.StandardExecutions, s.Judgements, s.Remediations)
	}
	if s.Remediations != s.ViolatingTasks {
		t.Errorf("remediated %d of %d violating tasks", s.Remediations, s.ViolatingTasks)
	}
}
