package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
	"github.com/ecs-compliance/ecs-compliance/statemachine/replay"
)

// compact is a fixture event on one line, as an archive or a log has it.
func compact(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../test/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func write(t *testing.T, path string, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func names(evs []offline.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Name)
	}
	return out
}

func TestReadTakesFilesLinesAndFolders(t *testing.T) {
	dir := t.TempDir()
	ev := string(compact(t, "ecr-service-task.json"))
	pretty, err := os.ReadFile("../../test/events/ecr-service-task.json")
	if err != nil {
		t.Fatal(err)
	}
	one := write(t, filepath.Join(dir, "one.json"), string(pretty))
	array := write(t, filepath.Join(dir, "array.json"), "[\n"+ev+",\n42,\n"+ev+"\n]\n")
	lines := write(t, filepath.Join(dir, "archive.jsonl"), strings.Join([]string{
		ev,
		"2026-11-27T09:00:00.123Z\tINFO\tevent received " + ev, // a log line: the prefix is skipped
		"",
		"not an event",
		`{"source": "aws.ecs", "detail": `, // cut short
		"[" + ev + "]",
		"   " + ev + "   ",
	}, "\n"))
	folder := filepath.Join(dir, "folder")
	write(t, filepath.Join(folder, "b.json"), ev)
	write(t, filepath.Join(folder, "a", "z.jsonl"), ev+"\n"+ev+"\n")
	write(t, filepath.Join(folder, ".hidden.json"), ev)
	write(t, filepath.Join(folder, "c.txt"), "just text\n")

	for _, tc := range []struct {
		name   string
		paths  []string
		events []string
		bad    []string
	}{
		{"a pretty-printed event", []string{one}, []string{one}, nil},
		{"a JSON array", []string{array}, []string{array + "[0]", array + "[2]"}, []string{array + "[1]"}},
		{"JSON lines, with log prefixes and lines that are not events", []string{lines},
			[]string{lines + ":1", lines + ":2", lines + ":7"}, []string{lines + ":4", lines + ":5", lines + ":6"}},
		{"a folder, recursively, in name order, without hidden files", []string{folder},
			[]string{filepath.Join(folder, "a", "z.jsonl") + ":1", filepath.Join(folder, "a", "z.jsonl") + ":2", filepath.Join(folder, "b.json")},
			[]string{filepath.Join(folder, "c.txt") + ":1"}},
		{"several paths, in order", []string{one, array}, []string{one, array + "[0]", array + "[2]"}, []string{array + "[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, bad, err := replay.Read(tc.paths)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(evs); !reflect.DeepEqual(got, tc.events) {
				t.Errorf("events %q\nwant %q", got, tc.events)
			}
			var where []string
			for _, b := range bad {
				where = append(where, b.Where)
				if b.Error == "" {
					t.Errorf("bad line %s without a reason", b.Where)
				}
			}
			if !reflect.DeepEqual(where, tc.bad) {
				t.Errorf("bad lines %q\nwant %q", where, tc.bad)
			}
			for _, e := range evs {
				var m map[string]any
				if err := json.Unmarshal(e.JSON, &m); err != nil || m["source"] != "aws.ecs" {
					t.Errorf("%s: %s is not the event (%v)", e.Name, e.JSON, err)
				}
			}
		})
	}
	t.Run("a path that cannot be read is an error", func(t *testing.T) {
		if _, _, err := replay.Read([]string{one, filepath.Join(dir, "missing.json")}); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("a line too long to be an event is a bad line; the lines after it are read", func(t *testing.T) {
		long := write(t, filepath.Join(dir, "long.jsonl"), ev+"\n"+`{"x": "`+strings.Repeat("a", 2<<20)+`"}`+"\n"+ev+"\n")
		evs, bad, err := replay.Read([]string{long})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(evs), []string{long + ":1", long + ":3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if len(bad) != 1 || bad[0].Where != long+":2" {
			t.Errorf("bad lines %+v, want line 2", bad)
		}
	})
}

// The hand-made set: task starts of two revisions, a second task of one,
// a later event of a task, an event the rules do not deliver, a
// registration, and two lines that are not events.
func handMadeSet(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	web, api := compact(t, "ecr-service-task.json"), compact(t, "dockerhub-service-task.json")
	web2 := bytes.ReplaceAll(web, []byte("0a1b2c3d4e5f40718293a4b5c6d7e8f9"), []byte("0a1b2c3d4e5f40718293a4b5c6d7e800"))
	stopped := bytes.Replace(api, []byte(`"desiredStatus":"RUNNING"`), []byte(`"desiredStatus":"STOPPED"`), 1)
	if bytes.Equal(stopped, api) {
		t.Fatal("the fixture has no desiredStatus RUNNING")
	}
	write(t, filepath.Join(dir, "1-archive.jsonl"), strings.Join([]string{
		"2026-11-27T09:00:00Z " + string(web),
		"2026-11-27T09:00:05Z " + string(web2),
		"2026-11-27T09:00:06Z connection reset, retrying",
		string(api),
		string(compact(t, "dockerhub-service-task-running.json")),
	}, "\n")+"\n")
	write(t, filepath.Join(dir, "2-more.json"), "["+string(stopped)+","+string(compact(t, "register-task-definition.json"))+`,"not an event"]`)
	return []string{dir}
}

// The local executor's test account and policy (statemachine/offline's
// testdata): web:3 has a warning, api:7 (nginx:1.25) and the registered
// api:8 a violation and a warning, whatever the project's rules say.
var testPolicy = os.DirFS("../offline/testdata/policy")

func testWorld(t *testing.T) *inmemory.World {
	t.Helper()
	w, err := inmemory.ReadWorldFile("../offline/testdata/world.json")
	if err != nil {
		t.Fatal(err)
	}
	return &w
}

func quiet(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(prev) })
}

func TestRunSumsUpAHandMadeSet(t *testing.T) {
	quiet(t)
	events, bad, err := replay.Read(handMadeSet(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 6 || len(bad) != 2 {
		t.Fatalf("%d events, %d bad lines; want 6 and 2", len(events), len(bad))
	}
	opts := offline.Options{Policy: testPolicy, World: testWorld(t), Mode: contract.ModeAudit}
	s, err := replay.Run(context.Background(), replay.Options{Run: opts}, events, bad)
	if err != nil {
		t.Fatal(err)
	}

	// The same events through the local executor: the records' billing adds
	// up to the replay's counters.
	r, err := offline.New(opts, events)
	if err != nil {
		t.Fatal(err)
	}
	var billed offline.Billing
	for _, ev := range events {
		billed.Add(r.Run(context.Background(), ev).Billing)
	}
	if billed.FindingsImported == 0 {
		t.Fatal("no finding imported: the set lost its point")
	}

	type counters struct {
		Events, BadLines, Filtered, Failed, TaskStarts, Registrations, Duplicates, Judgements     int
		StandardExecutions, StandardTransitions, ExpressRequests, LambdaInvocations, SNSPublishes int
		FindingsImported, ViolatingTasks, Remediations, TaskDefinitions, WithFindings             int
		ApprovedRegistries                                                                        int
	}
	got := counters{s.Events, s.BadLines, s.Filtered, s.Failed, s.TaskStarts, s.Registrations, s.Duplicates, s.Judgements,
		s.StandardExecutions, s.StandardTransitions, s.ExpressRequests, s.LambdaInvocations, s.SNSPublishes,
		s.FindingsImported, s.ViolatingTasks, s.Remediations, s.TaskDefinitions, s.TaskDefinitionsWithFindings,
		s.ByRule["approved_registries"]}
	want := counters{
		Events: 6, BadLines: 2, Filtered: 1, Failed: 0,
		TaskStarts: 3, Registrations: 1, Duplicates: 1,
		// web:3, api:7 and the registered api:8; the second web task finds
		// web:3 judged.
		Judgements: 3, StandardExecutions: 3,
		// Each judgement that reports: the choice, the load-and-describe
		// Parallel and its two branches, evaluate, record, decide, the
		// report's Parallel and its two branches.
		StandardTransitions: 30,
		// Every delivered event (not the filtered one).
		ExpressRequests: 5,
		// 1 triage (Record task looks the judgement up) + 6 workflow per
		// judgement, 1 for the known judgement, 1 for the duplicate.
		LambdaInvocations: 3*7 + 1 + 1,
		SNSPublishes:      3, FindingsImported: billed.FindingsImported,
		// The api task and the api:8 registration run docker.io images; in
		// audit mode a remediation is what enforce would do.
		ViolatingTasks: 2, Remediations: 2, TaskDefinitions: 3, WithFindings: 3, ApprovedRegistries: 2,
	}
	if got != want {
		t.Errorf("summary\n%+v\nwant\n%+v", got, want)
	}
	if b := (offline.Billing{StandardExecutions: s.StandardExecutions, StandardTransitions: s.StandardTransitions, ExpressRequests: s.ExpressRequests,
		LambdaInvocations: s.LambdaInvocations, FindingsImported: s.FindingsImported, SNSPublishes: s.SNSPublishes}); b != billed {
		t.Errorf("the replay's counters %+v, the records' billing %+v", b, billed)
	}
	if s.DistinctFindings == 0 || s.DistinctFindings > s.FindingsImported {
		t.Errorf("%d distinct findings of %d imported", s.DistinctFindings, s.FindingsImported)
	}
	if s.Mode != "audit" || s.Baseline != nil {
		t.Errorf("mode %q, baseline %+v", s.Mode, s.Baseline)
	}
	if len(s.Errors) != 2 || !strings.HasSuffix(s.Errors[0].Where, "1-archive.jsonl:3") {
		t.Errorf("errors %+v: want the two bad lines", s.Errors)
	}
	if c := replay.CostOf(&s, replay.ListPrices); !reflect.DeepEqual(c, s.CostUSD) {
		t.Errorf("costUSD %+v, want CostOf %+v", s.CostUSD, c)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"events", "taskStarts", "duplicates", "judgements", "standardExecutions", "standardTransitions",
		"expressRequests", "lambdaInvocations", "snsPublishes", "findingsImported", "distinctFindings", "violatingTasks",
		"remediations", "byRule", "costUSD", "eventsPerSecond"} {
		if !bytes.Contains(b, []byte(`"`+key+`":`)) {
			t.Errorf("--json summary lacks %q: %s", key, b)
		}
	}

	t.Run("compared with a baseline that flags nothing", func(t *testing.T) {
		nothing := fstest.MapFS{"compliant.rego": {Data: []byte("package ecs.compliance\n\ndecision := {\"compliant\": true, \"violations\": [], \"warnings\": [], \"exempted\": []}\n")}}
		withBase, err := replay.Run(context.Background(), replay.Options{Run: opts, Baseline: nothing}, events, bad)
		if err != nil {
			t.Fatal(err)
		}
		d := withBase.Baseline
		if d == nil || len(d.NoLongerFlagged) != 0 || len(d.NewlyFlagged) != s.FlaggedPairs {
			t.Fatalf("baseline diff %+v: want the %d pairs the policy flags, all new", d, s.FlaggedPairs)
		}
		if !reflect.DeepEqual(d.NewlyFlagged, replay.Compare(replay.Flags{}, flagsOf(d.NewlyFlagged)).NewlyFlagged) {
			t.Fatalf("newly flagged not in order: %+v", d.NewlyFlagged)
		}
	})
}

func flagsOf(cs []replay.Change) replay.Flags {
	f := replay.Flags{}
	for _, c := range cs {
		if f[c.TaskDefinition] == nil {
			f[c.TaskDefinition] = map[string]bool{}
		}
		f[c.TaskDefinition][c.Rule] = true
	}
	return f
}

// Counter on records made by hand: what each counter counts.
func TestCounterCountsRecords(t *testing.T) {
	const (
		td7   = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
		td8   = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
		taskA = "arn:aws:ecs:us-east-1:123456789012:task/prod/a"
		taskB = "arn:aws:ecs:us-east-1:123456789012:task/prod/b"
	)
	v := func(rule string) contract.Violation { return contract.Violation{Rule: rule} }
	violating := &contract.Decision{Violations: []contract.Violation{v("approved_registries")}, Warnings: []contract.Violation{v("image_digest")},
		Exempted: []contract.Violation{v("non_root_user")}}
	finding := func(id string) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"Id": %q}`, id)) }
	records := []*offline.Record{
		// a first judgement of api:7 (task A), remediated
		{Status: "SUCCEEDED", Task: &contract.Task{TaskArn: taskA, TaskDefinitionArn: td7}, Decision: violating, Judged: &contract.Judgement{},
			Incident: &contract.Incident{First: true}, Findings: []json.RawMessage{finding("f1"), finding("f2")},
			Billing: offline.Billing{StandardExecutions: 1, StandardTransitions: 16, ExpressRequests: 1, LambdaInvocations: 12, FindingsImported: 2, SNSPublishes: 1}},
		// a later event of task A
		{Status: "SUCCEEDED", Task: &contract.Task{TaskArn: taskA, TaskDefinitionArn: td7, Duplicate: true},
			Billing: offline.Billing{ExpressRequests: 1, LambdaInvocations: 1}},
		// task B of api:7: the stored judgement, stopped
		{Status: "SUCCEEDED", Task: &contract.Task{TaskArn: taskB, TaskDefinitionArn: td7}, Decision: violating, Stored: true,
			Results:  map[string]contract.ActionResult{contract.APIStopTask: {API: contract.APIStopTask, Changed: true}},
			Findings: []json.RawMessage{finding("f1")},
			Billing:  offline.Billing{StandardExecutions: 1, StandardTransitions: 11, ExpressRequests: 1, LambdaInvocations: 7, FindingsImported: 1}},
		// a registration of api:8 with a warning
		{Status: "SUCCEEDED", Task: &contract.Task{Kind: contract.KindRegistration, TaskDefinitionArn: td8},
			Decision: &contract.Decision{Compliant: true, Warnings: []contract.Violation{v("image_digest")}}, Judged: &contract.Judgement{}},
		// a duplicate registration
		{Status: "SUCCEEDED", Task: &contract.Task{Kind: contract.KindRegistration, TaskDefinitionArn: td8, Duplicate: true}},
		// filtered, and failed
		{Status: "SUCCEEDED", Filtered: "no rule matches it"},
		{Event: "broken.json", Status: "FAILED", Error: "Local.InvalidEvent", Cause: "broken.json is not a JSON object"},
	}
	for _, tc := range []struct {
		mode         contract.Mode
		remediations int
	}{
		{contract.ModeEnforce, 2}, // A (its incident) and B (stopped)
		{contract.ModeAudit, 2},   // what enforce would do: the violating tasks
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			c := replay.NewCounter(tc.mode)
			for _, r := range records {
				c.Add(r)
			}
			s := c.Summary()
			type counters struct {
				Events, Filtered, Failed, TaskStarts, Registrations, Duplicates, Judgements                          int
				StandardExecutions, StandardTransitions, ExpressRequests, LambdaInvocations, SNS, Findings, Distinct int
				Violating, Remediations, TaskDefinitions, WithFindings, Pairs                                        int
			}
			got := counters{s.Events, s.Filtered, s.Failed, s.TaskStarts, s.Registrations, s.Duplicates, s.Judgements,
				s.StandardExecutions, s.StandardTransitions, s.ExpressRequests, s.LambdaInvocations, s.SNSPublishes, s.FindingsImported, s.DistinctFindings,
				s.ViolatingTasks, s.Remediations, s.TaskDefinitions, s.TaskDefinitionsWithFindings, s.FlaggedPairs}
			// The duplicates: task A's later event and the redelivered
			// registration.
			want := counters{Events: 7, Filtered: 1, Failed: 1, TaskStarts: 2, Registrations: 1, Duplicates: 2, Judgements: 2,
				StandardExecutions: 2, StandardTransitions: 27, ExpressRequests: 3, LambdaInvocations: 20, SNS: 1, Findings: 3, Distinct: 2,
				// api:7 × {approved_registries, image_digest, non_root_user (exempted)}, api:8 × image_digest
				Violating: 2, Remediations: tc.remediations, TaskDefinitions: 2, WithFindings: 2, Pairs: 4}
			if got != want {
				t.Errorf("summary\n%+v\nwant\n%+v", got, want)
			}
			// byRule counts tasks (or registered revisions), not events;
			// exemptions are not flags.
			if want := map[string]int{"approved_registries": 2, "image_digest": 3}; !reflect.DeepEqual(s.ByRule, want) {
				t.Errorf("byRule %v, want %v", s.ByRule, want)
			}
			if len(s.Errors) != 1 || s.Errors[0].Where != "broken.json" || !strings.Contains(s.Errors[0].Error, "Local.InvalidEvent") {
				t.Errorf("errors %+v", s.Errors)
			}
			if f := c.Flags(); !f[td7]["non_root_user (exempted)"] || !f[td7]["approved_registries"] || !f[td8]["image_digest"] {
				t.Errorf("flags %v", f)
			}
		})
	}
	t.Run("enforce counts only what was remediated", func(t *testing.T) {
		c := replay.NewCounter(contract.ModeEnforce)
		c.Add(&offline.Record{Status: "SUCCEEDED", Task: &contract.Task{TaskArn: taskA, TaskDefinitionArn: td7}, Decision: violating})
		if s := c.Summary(); s.ViolatingTasks != 1 || s.Remediations != 0 {
			t.Errorf("violating %d, remediations %d; want 1 and 0 (approval rejected: nothing stopped)", s.ViolatingTasks, s.Remediations)
		}
	})
}

func TestCostOf(t *testing.T) {
	// Prices whose arithmetic is exact in binary: a request costs its price
	// plus GB-seconds (memory/1024 × milliseconds/1000) at the GB-second price.
	p := replay.Prices{StandardTransition: 0.5, ExpressRequest: 2, ExpressGBSecond: 4, ExpressBilledMs: 500, ExpressMemoryMB: 512,
		LambdaRequest: 1, LambdaGBSecond: 8, LambdaBilledMs: 250, LambdaMemoryMB: 256, FindingIngestion: 0.25, SNSPublish: 0.125}
	s := replay.Summary{StandardTransitions: 10, ExpressRequests: 4, LambdaInvocations: 6, FindingsImported: 8, SNSPublishes: 16, TaskStarts: 3}
	c := replay.CostOf(&s, p)
	want := map[string]float64{
		"standardTransitions": 10 * 0.5,
		"expressRequests":     4 * (2 + 4*0.5*0.5),
		"lambdaInvocations":   6 * (1 + 8*0.25*0.25),
		"findingsImported":    8 * 0.25,
		"snsPublishes":        16 * 0.125,
	}
	if !reflect.DeepEqual(c.Breakdown, want) || c.Total != 30 || c.PerMillionTaskStarts != 10e6 || c.Prices != p {
		t.Errorf("CostOf = %+v\nwant breakdown %v, total 30, 10e6 per million task starts", c, want)
	}
	if c := replay.CostOf(&replay.Summary{ExpressRequests: 5}, p); c.PerMillionTaskStarts != 0 || c.Total != 15 {
		t.Errorf("no task starts: %+v", c)
	}

	t.Run("list prices", func(t *testing.T) {
		// A million duplicates (one Express request, one Lambda invocation
		// each): $1.00 + 64 MB × 100 ms at $0.00001667/GB-s, $0.20 + 256 MB
		// × 40 ms at $0.0000133334/GB-s.
		s := replay.Summary{ExpressRequests: 1e6, LambdaInvocations: 1e6, TaskStarts: 1e6}
		c := replay.CostOf(&s, replay.ListPrices)
		if want := 1.1041875 + 0.333334; math.Abs(c.Total-want) > 1e-9 || math.Abs(c.PerMillionTaskStarts-want) > 1e-9 {
			t.Errorf("a million duplicates cost %v (%v per million), want %v", c.Total, c.PerMillionTaskStarts, want)
		}
		s = replay.Summary{StandardTransitions: 1000, FindingsImported: 1000, SNSPublishes: 1e6}
		if c := replay.CostOf(&s, replay.ListPrices); math.Abs(c.Total-(0.025+0.03+0.5)) > 1e-12 {
			t.Errorf("1,000 transitions, 1,000 findings, a million messages cost %v", c.Total)
		}
	})

	t.Run("the same counters cost the same, run after run", func(t *testing.T) {
		// One first judgement's billing: a sum in another order differs in
		// the last digit, and the --json summary must not.
		s := replay.Summary{StandardTransitions: 16, ExpressRequests: 1, LambdaInvocations: 12, FindingsImported: 8, SNSPublishes: 1, TaskStarts: 1}
		first := replay.CostOf(&s, replay.ListPrices)
		for range 200 {
			if c := replay.CostOf(&s, replay.ListPrices); c.Total != first.Total || c.PerMillionTaskStarts != first.PerMillionTaskStarts {
				t.Fatalf("total %v, then %v", first.Total, c.Total)
			}
		}
	})
}

func TestCompare(t *testing.T) {
	base := replay.Flags{
		"td/api:7": {"approved_registries": true, "image_digest": true},
		"td/web:3": {"health_check": true},
	}
	cand := replay.Flags{
		"td/api:7": {"approved_registries": true, "non_root_user": true},
		"td/db:1":  {"privileged": true, "approved_registries": true},
	}
	d := replay.Compare(base, cand)
	want := &replay.Diff{
		NewlyFlagged:    []replay.Change{{"td/api:7", "non_root_user"}, {"td/db:1", "approved_registries"}, {"td/db:1", "privileged"}},
		NoLongerFlagged: []replay.Change{{"td/api:7", "image_digest"}, {"td/web:3", "health_check"}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Compare = %+v\nwant %+v", d, want)
	}
	if d := replay.Compare(nil, nil); d.NewlyFlagged == nil || d.NoLongerFlagged == nil || len(d.NewlyFlagged)+len(d.NoLongerFlagged) != 0 {
		t.Errorf("Compare(nil, nil) = %+v, want two empty lists (JSON [])", d)
	}
	if d := replay.Compare(cand, cand); len(d.NewlyFlagged)+len(d.NoLongerFlagged) != 0 {
		t.Errorf("a policy compared with itself: %+v", d)
	}
}
