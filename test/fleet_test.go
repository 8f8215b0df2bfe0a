package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		Prices               prices  `json:"prices"`
	} `json:"costUSD"`
}

// prices are the list prices and durations replay assumes.
type prices struct {
	StandardTransition float64 `json:"standardTransition"`
	ExpressRequest     float64 `json:"expressRequest"`
	ExpressGBSecond    float64 `json:"expressGBSecond"`
	ExpressBilledMs    float64 `json:"expressBilledMs"`
	ExpressMemoryMB    float64 `json:"expressMemoryMB"`
	LambdaRequest      float64 `json:"lambdaRequest"`
	LambdaGBSecond     float64 `json:"lambdaGBSecond"`
	LambdaBilledMs     float64 `json:"lambdaBilledMs"`
	LambdaMemoryMB     float64 `json:"lambdaMemoryMB"`
	FindingIngestion   float64 `json:"findingIngestion"`
	SNSPublish         float64 `json:"snsPublish"`
}

// The fleets of README.md's cost figures (`make fleet-replay`): 800 task
// starts over 16 services, and the same with three violating families.
var (
	auditFleet   = []string{"--task-starts", "800", "--services", "16"}
	enforceFleet = []string{"--task-starts", "800", "--services", "16", "--violating", "3"}
)

// replays are the summaries of generated fleets already replayed, by fleet
// and replay arguments: the tests below and the README's figures share
// them (a fleet is the same for the same flags).
var replays = map[string]summary{}

// fleetReplay generates a fleet with fleetArgs and replays it with
// replayArgs, once per package run.
func fleetReplay(t *testing.T, fleetArgs []string, replayArgs ...string) summary {
	t.Helper()
	key := strings.Join(fleetArgs, " ") + " | " + strings.Join(replayArgs, " ")
	if s, ok := replays[key]; ok {
		return s
	}
	s := replay(t, append(replayArgs, fleet(t, fleetArgs...))...)
	replays[key] = s
	return s
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
	s := fleetReplay(t, auditFleet)
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
	s := fleetReplay(t, enforceFleet, "--mode", "enforce")
	if s.ViolatingTasks == 0 {
		t.Fatal("no violating tasks: the fleet does not test enforce mode")
	}
	// One incident per violating revision (no family rolls here).
	if s.Incidents != 3 {
		t.Errorf("%d incidents, want one per violating task definition (3)", s.Incidents)
	}
	if s.Remediations != s.ViolatingTasks {
		t.Errorf("remediated %d of %d violating tasks", s.Remediations, s.ViolatingTasks)
	}
	if s.Failed != 0 {
		t.Errorf("%d executions failed", s.Failed)
	}
	if limit := s.TaskDefinitionsWithFindings + s.Incidents; s.SNSPublishes > limit {
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

// README.md's cost figures ("What it costs", the replay excerpt, the
// benchmark table) and statemachine/README.md's are what replay prints for
// the fleets they name: a change of the workflow, the policy or the fleet
// generator that moves them fails here until the READMEs say the new ones.
// (The "before" column is a measurement of the previous design, which no
// command of this tree reproduces.)
func TestREADMECostFiguresAreTheReplays(t *testing.T) {
	readme, machines := readmeText(t, "../README.md"), readmeText(t, "../statemachine/README.md")
	small := fleetReplay(t, []string{"--task-starts", "192", "--services", "16"})
	audit := fleetReplay(t, auditFleet)
	enforce := fleetReplay(t, enforceFleet, "--mode", "enforce")
	// BenchmarkReplay's enforce mode: the audit fleet (2 violating families).
	enforceAudit := fleetReplay(t, auditFleet, "--mode", "enforce")

	cost := func(s summary) string { return fmt.Sprintf("$%.2f", s.CostUSD.PerMillionTaskStarts) }
	rows := markdownRows(t, "../README.md", "### What it costs")
	for _, row := range []struct {
		name       string
		small, big string // the two "now" columns (prefixes: some cells explain)
	}{
		{"Standard executions / billed transitions", n(small.StandardExecutions) + " / " + n(small.StandardTransitions),
			n(audit.StandardExecutions) + " / " + n(audit.StandardTransitions)},
		{"Express requests", n(small.ExpressRequests), n(audit.ExpressRequests)},
		{"Lambda invocations", n(small.LambdaInvocations), n(audit.LambdaInvocations)},
		{"SNS messages", n(small.SNSPublishes), n(audit.SNSPublishes)},
		{"Security Hub findings (distinct)", n(small.DistinctFindings), n(audit.DistinctFindings)},
		{"**cost per million task starts**", "**" + cost(small) + "**", "**" + cost(audit) + "**"},
	} {
		cells := rows[row.name]
		if len(cells) != 4 || !startsWithFigure(cells[2], row.small) || !startsWithFigure(cells[3], row.big) {
			t.Errorf("README.md cost table, row %q: %q; replay gives %q and %q", row.name, cells, row.small, row.big)
		}
	}
	p := audit.CostUSD.Prices
	for _, want := range []string{
		fmt.Sprintf("now, %d task starts (%s events)", small.TaskStarts, n(small.Events)),
		fmt.Sprintf("now, %d task starts (%s events)", audit.TaskStarts, n(audit.Events)),
		// The enforce paragraph.
		fmt.Sprintf("all %d of their tasks are stopped, with %d SNS messages (%d of them incidents) and %d distinct findings, %s per million task starts",
			enforce.Remediations, enforce.SNSPublishes, enforce.Incidents, enforce.DistinctFindings, cost(enforce)),
		// The replay excerpt.
		fmt.Sprintf("ecs-compliance replay: %d events, mode audit", audit.Events),
		fmt.Sprintf("judgements %d over %d task definitions (%d with findings, %d task definition × rule pairs flagged)",
			audit.Judgements, audit.TaskDefinitions, audit.TaskDefinitionsWithFindings, audit.FlaggedPairs),
		fmt.Sprintf("Standard executions %d transitions %d", audit.StandardExecutions, audit.StandardTransitions),
		fmt.Sprintf("Lambda invocations %d", audit.LambdaInvocations),
		fmt.Sprintf("$%.6f in all, %s per million task starts", audit.CostUSD.Total, cost(audit)),
		// The benchmark table.
		fmt.Sprintf("%s / %s per million task starts", cost(audit), cost(enforceAudit)),
		// The prices it assumes.
		fmt.Sprintf("Standard $%s per 1,000 state transitions, Express $%.2f per million requests plus $%s per GB-second",
			dec(p.StandardTransition*1000), p.ExpressRequest*1e6, dec(p.ExpressGBSecond)),
		fmt.Sprintf("$%.2f per million requests plus $%s per GB-second on arm64", p.LambdaRequest*1e6, dec(p.LambdaGBSecond)),
		fmt.Sprintf("$%s per finding ingested", dec(p.FindingIngestion)),
		fmt.Sprintf("$%.2f per million publishes", p.SNSPublish*1e6),
		fmt.Sprintf("Express %g ms at %g MB per execution, Lambda %g ms at %g MB per invocation",
			p.ExpressBilledMs, p.ExpressMemoryMB, p.LambdaBilledMs, p.LambdaMemoryMB),
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
	for _, want := range []string{
		fmt.Sprintf("the same events start %d Standard executions", enforceAudit.StandardExecutions),
		fmt.Sprintf("%d transitions, %s per million task starts", enforceAudit.StandardTransitions, cost(enforceAudit)),
		fmt.Sprintf("the first events of %d tasks end on a stored judgement", audit.TaskStarts-audit.Judgements),
		fmt.Sprintf("$%.6f in all, %s per million task starts", audit.CostUSD.Total, cost(audit)),
	} {
		if !strings.Contains(machines, want) {
			t.Errorf("statemachine/README.md does not say %q", want)
		}
	}

	// "A judgement costs about $0.0004 …; every event after it costs one
	// Express request and one Lambda invocation (…), about $0.0000014."
	express := p.ExpressRequest + p.ExpressGBSecond*p.ExpressBilledMs/1000*p.ExpressMemoryMB/1024
	lambda := p.LambdaRequest + p.LambdaGBSecond*p.LambdaBilledMs/1000*p.LambdaMemoryMB/1024
	if event := express + lambda; math.Round(event*1e7) != 14 || !strings.Contains(readme, "about $0.0000014") {
		t.Errorf("an event after the judgement costs $%.7f; README.md says about $0.0000014", event)
	}
	// A judgement's share: its execution's transitions, its Lambdas (those
	// not spent by the triage: one per event), its findings and messages.
	workflowLambdas := audit.LambdaInvocations - audit.Events
	judgement := (float64(audit.StandardTransitions)*p.StandardTransition + float64(workflowLambdas)*lambda +
		float64(audit.FindingsImported)*p.FindingIngestion + float64(audit.SNSPublishes)*p.SNSPublish) / float64(audit.Judgements)
	if math.Round(judgement*1e4) != 4 || !strings.Contains(readme, "A judgement costs about $0.0004") {
		t.Errorf("a judgement costs $%.5f; README.md says about $0.0004", judgement)
	}
}

// readmeText is a README with its runs of white space (line breaks
// included) made single spaces, so that a phrase matches wherever the
// paragraph wraps.
func readmeText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// markdownRows are the rows of the first table after heading in the file
// at path, by their first cell: each row's cells.
func markdownRows(t *testing.T, path, heading string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), "\n"+heading+"\n")
	rows := map[string][]string{}
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break // the end of the table
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[0]] = cells
	}
	return rows
}

// startsWithFigure: cell is figure, or figure then an explanation.
func startsWithFigure(cell, figure string) bool {
	return cell == figure || strings.HasPrefix(cell, figure+" ")
}

// n is a count as the README writes it: 3,520.
func n(v int) string {
	s := strconv.Itoa(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// dec is a price as the README writes it: 0.0000133334.
func dec(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
