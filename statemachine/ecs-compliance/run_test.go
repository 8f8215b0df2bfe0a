package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
)

// The account and the policy of the local executor's tests
// (statemachine/offline/testdata): web:3 has a warning, api:7 and the
// registered api:8 a violation and a warning, whatever the project's rules
// (policies/) and its demo world say.
const (
	testWorld  = "../offline/testdata/world.json"
	testPolicy = "../offline/testdata/policy"
)

const (
	apiTask       = "../../test/events/dockerhub-service-task.json"         // service api, api:7, a docker.io image
	apiTaskAgain  = "../../test/events/dockerhub-service-task-running.json" // a later event of that task
	webTask       = "../../test/events/ecr-service-task.json"               // service web, web:3, warnings only
	apiSecondTask = "testdata/events/api-second-task.json"                  // another task of api:7
	webSecondTask = "testdata/events/web-second-task.json"                  // another task of web:3
	webStopped    = "testdata/events/web-task-stopped.json"                 // a stopped task: no rule delivers it
	notJSON       = "testdata/events/not-json.json"
	registration  = "../../test/events/register-task-definition.json" // api:8 registered (CloudTrail)
)

// volatile are the parts of the text output that change from run to run
// (durations, the claim's time) or with the policy bundle (its hash, and the
// judgement keys and incident ids made from it).
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[ \t]+\d+\.\d ms`), ""},
	{regexp.MustCompile(`claimed at \S+;`), "claimed at <time>;"},
	{regexp.MustCompile(`\(key [0-9a-f]{12}, policy [0-9a-f]{12}\)`), "(key <key>, policy <hash>)"},
	{regexp.MustCompile(`(?m) \([0-9a-f]{12}\)$`), " (<hash>)"},
	{regexp.MustCompile(`incident   [0-9a-f]{32}`), "incident   <id>"},
}

func normalize(out string) string {
	for _, v := range volatile {
		out = v.re.ReplaceAllString(out, v.with)
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// The text output is what `make demo` shows a newcomer: for each event, the
// triage's states and the workflow's, the judgement, the decision, the
// changes, the reports, the bill and the status.
func TestRunPrintsEachExecutionForPeople(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runWorkflow([]string{"--mode", "enforce", "--policy", testPolicy, "--world", testWorld,
		apiTask,       // judged: remediated, reported
		apiTaskAgain,  // a duplicate
		webTask,       // judged: warnings, reported once
		webSecondTask, // the judgement is known: nothing to do
		apiSecondTask, // the judgement is known: stopped, the incident counted
		webStopped,    // not delivered
		registration,  // judged before any task runs it: deregistered
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	golden.Check(t, filepath.Join("testdata", "run", "enforce.txt"), []byte(normalize(stdout.String())))
}

func TestRunPrintsABrokenEventAndGoesOn(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing.json")
	code := runWorkflow([]string{"--policy", testPolicy, "--world", testWorld, notJSON, missing, webTask}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (an execution failed); stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"── event 1/3  " + notJSON,
		"→ FAILED (Local.InvalidEvent: " + notJSON + " is not a JSON object",
		"── event 2/3  " + missing,
		"→ FAILED (Local.UnreadableEvent: " + missing + ": open " + missing,
		"── event 3/3  " + webTask,
		"SNS        [ecs-compliance] REPORTED",
		"→ SUCCEEDED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// jsonRecord is the --json execution record (design.md), decoded strictly:
// a field it does not name fails the test.
type jsonRecord struct {
	Event    string   `json:"event"`
	Status   string   `json:"status"`
	Error    string   `json:"error"`
	Cause    string   `json:"cause"`
	Filtered string   `json:"filtered"`
	Triage   []string `json:"triage"`
	States   []string `json:"states"`
	Decision *struct {
		Compliant  bool              `json:"compliant"`
		Violations []json.RawMessage `json:"violations"`
		Warnings   []json.RawMessage `json:"warnings"`
		Exempted   []json.RawMessage `json:"exempted"`
	} `json:"decision"`
	Judgement *struct {
		Key        string `json:"key"`
		PolicyHash string `json:"policyHash"`
		JudgedAt   string `json:"judgedAt"`
		ExpiresAt  string `json:"expiresAt"`
		Outcome    string `json:"outcome"`
	} `json:"judgement"`
	Actions []struct {
		API    string `json:"api"`
		Target string `json:"target"`
	} `json:"actions"`
	Notifications []struct {
		TopicArn   string            `json:"topicArn"`
		Subject    string            `json:"subject"`
		Message    string            `json:"message"`
		Attributes map[string]string `json:"attributes"`
	} `json:"notifications"`
	Findings []json.RawMessage `json:"findings"`
	Approval json.RawMessage   `json:"approval"`
	Billing  billing           `json:"billing"`
}

type billing struct {
	StandardExecutions  int `json:"standardExecutions"`
	StandardTransitions int `json:"standardTransitions"`
	ExpressRequests     int `json:"expressRequests"`
	LambdaInvocations   int `json:"lambdaInvocations"`
	FindingsImported    int `json:"findingsImported"`
	SNSPublishes        int `json:"snsPublishes"`
}

func records(t *testing.T, out []byte) []jsonRecord {
	t.Helper()
	var recs []jsonRecord
	for i, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var r jsonRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %d is not an execution record: %v\n%s", i+1, err, line)
		}
		// Lists are [] when empty, never null.
		for _, k := range []string{"triage", "states", "actions", "notifications", "findings"} {
			if !bytes.Contains(line, []byte(`"`+k+`":[`)) {
				t.Errorf("line %d: %q is not a list: %s", i+1, k, line)
			}
		}
		recs = append(recs, r)
	}
	return recs
}

func runJSON(t *testing.T, wantCode int, args ...string) []jsonRecord {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runWorkflow(append([]string{"--json"}, args...), &stdout, &stderr); code != wantCode {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, wantCode, stderr.String())
	}
	return records(t, stdout.Bytes())
}

var (
	// Record task looks the judgement up too (Look up judgement runs only
	// after a wait for another execution's judgement).
	triageJudge = []string{"Record task", "First event for this task?", "What is known about this task definition?",
		"Start compliance workflow"}
	triageDuplicate = []string{"Record task", "First event for this task?", "Skip duplicate event"}
	triageKnown     = []string{"Record task", "First event for this task?", "What is known about this task definition?",
		"Judgement known: nothing to do"}
)

func TestRunJSONRecords(t *testing.T) {
	recs := runJSON(t, 0, "--mode", "enforce", "--policy", testPolicy, "--world", testWorld, apiTask, apiTaskAgain, webTask, webSecondTask, apiSecondTask, webStopped)
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	first, dup, web, known, stored, filtered := recs[0], recs[1], recs[2], recs[3], recs[4], recs[5]

	t.Run("a first judgement that remediates", func(t *testing.T) {
		if first.Event != apiTask || first.Status != "SUCCEEDED" || !reflect.DeepEqual(first.Triage, triageJudge) {
			t.Fatalf("%s %s, triage %q", first.Event, first.Status, first.Triage)
		}
		if len(first.States) != 20 || first.States[0] != "Is the task definition judged already?" || first.States[1] != "Load policy and describe task definition" {
			t.Fatalf("states %q", first.States)
		}
		if first.Decision == nil || first.Decision.Compliant || len(first.Decision.Violations) != 1 || first.Judgement != nil {
			t.Fatalf("decision %+v, judgement %+v: evaluated now, so no stored judgement", first.Decision, first.Judgement)
		}
		// 1 triage Lambda; the workflow's 20 states (Parallel branches'
		// states included), 10 of them Lambdas.
		want := billing{StandardExecutions: 1, StandardTransitions: 20, ExpressRequests: 1, LambdaInvocations: 11,
			FindingsImported: len(first.Findings), SNSPublishes: 1}
		if first.Billing != want || want.FindingsImported == 0 || len(first.Notifications) != 1 || len(first.Actions) != 3 {
			t.Fatalf("billing %+v, want %+v; %d notifications, %d actions", first.Billing, want, len(first.Notifications), len(first.Actions))
		}
	})
	t.Run("a duplicate: one Express request, one Lambda invocation, no Standard execution", func(t *testing.T) {
		if dup.Status != "SUCCEEDED" || !reflect.DeepEqual(dup.Triage, triageDuplicate) || len(dup.States) != 0 || dup.Decision != nil {
			t.Fatalf("%s, triage %q, states %q, decision %+v", dup.Status, dup.Triage, dup.States, dup.Decision)
		}
		if want := (billing{ExpressRequests: 1, LambdaInvocations: 1}); dup.Billing != want {
			t.Fatalf("billing %+v, want %+v", dup.Billing, want)
		}
	})
	t.Run("a first judgement with warnings only: reported once", func(t *testing.T) {
		if web.Decision == nil || !web.Decision.Compliant || len(web.Actions) != 0 || len(web.Notifications) != 1 ||
			web.Billing.StandardExecutions != 1 || web.Billing.StandardTransitions != len(web.States) {
			t.Fatalf("%+v", web)
		}
	})
	t.Run("a judged compliant or report-only key: the stored judgement, nothing else", func(t *testing.T) {
		if !reflect.DeepEqual(known.Triage, triageKnown) || len(known.States) != 0 || len(known.Notifications)+len(known.Findings)+len(known.Actions) != 0 {
			t.Fatalf("triage %q, states %q", known.Triage, known.States)
		}
		if want := (billing{ExpressRequests: 1, LambdaInvocations: 1}); known.Billing != want {
			t.Fatalf("billing %+v, want %+v", known.Billing, want)
		}
		if known.Judgement == nil || known.Judgement.Outcome != "REPORT" || known.Decision == nil || len(known.Decision.Warnings) != len(web.Decision.Warnings) {
			t.Fatalf("judgement %+v, decision %+v: want web's", known.Judgement, known.Decision)
		}
	})
	t.Run("a judged key that remediates: the workflow stops the task without evaluating", func(t *testing.T) {
		if !reflect.DeepEqual(stored.Triage, triageJudge) || len(stored.States) == 0 || stored.States[1] != "Take the stored judgement" {
			t.Fatalf("triage %q, states %q", stored.Triage, stored.States)
		}
		if len(stored.Actions) != 1 || stored.Actions[0].API != "StopTask" || len(stored.Notifications) != 0 {
			t.Fatalf("actions %+v, %d notifications", stored.Actions, len(stored.Notifications))
		}
		if stored.Judgement == nil || stored.Judgement.Outcome != "REMEDIATE" || stored.Billing.StandardExecutions != 1 ||
			stored.Billing.StandardTransitions != len(stored.States) {
			t.Fatalf("judgement %+v, billing %+v", stored.Judgement, stored.Billing)
		}
	})
	t.Run("an event no rule delivers", func(t *testing.T) {
		if filtered.Status != "SUCCEEDED" || !strings.HasPrefix(filtered.Filtered, "no rule matches it") || len(filtered.Triage) != 0 ||
			filtered.Billing != (billing{}) {
			t.Fatalf("%+v", filtered)
		}
	})
}

// A broken event gets a FAILED record naming it; the events after it run.
func TestRunJSONBrokenEventAmongGoodOnes(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	recs := runJSON(t, 1, "--policy", testPolicy, "--world", testWorld, webTask, notJSON, missing, apiTask)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	for i, want := range []struct{ event, status, error string }{
		{webTask, "SUCCEEDED", ""},
		{notJSON, "FAILED", "Local.InvalidEvent"},
		{missing, "FAILED", "Local.UnreadableEvent"},
		{apiTask, "SUCCEEDED", ""},
	} {
		r := recs[i]
		if r.Event != want.event || r.Status != want.status || r.Error != want.error {
			t.Errorf("record %d: %s %s %q, want %s %s %q", i+1, r.Event, r.Status, r.Error, want.event, want.status, want.error)
		}
		if want.error != "" && (!strings.Contains(r.Cause, want.event) || len(r.Triage)+len(r.States) != 0 || r.Billing != (billing{})) {
			t.Errorf("record %d: cause %q (must name the event), triage %q, billing %+v", i+1, r.Cause, r.Triage, r.Billing)
		}
	}
	if recs[3].Billing.StandardExecutions != 1 || len(recs[3].Findings) == 0 {
		t.Errorf("the event after the broken ones: %+v", recs[3].Billing)
	}
}

func TestDispatch(t *testing.T) {
	t.Run("without a subcommand, the arguments are run's", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{"--json", "--policy", testPolicy, "--world", testWorld, webTask}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
		}
		if recs := records(t, stdout.Bytes()); len(recs) != 1 || recs[0].Event != webTask || recs[0].Status != "SUCCEEDED" {
			t.Fatalf("records %+v", recs)
		}
	})
	t.Run("an event file as the first argument", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{webTask}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "── event 1/1  "+webTask) {
			t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
	})
	for _, args := range [][]string{{"frobnicate"}, {"frobnicate", webTask}, {"rnu", "--json", webTask}} {
		t.Run("unknown subcommand "+args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := dispatch(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown subcommand "`+args[0]+`"`) || stdout.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{"help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "ecs-compliance exec") {
			t.Fatalf("exit %d, stdout %q", code, stdout.String())
		}
	})
}

func TestRunUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no events":         {},
		"bad flag":          {"--nope", "x.json"},
		"no such dir":       {"--policy", "/does/not/exist", "x.json"},
		"bad mode":          {"--mode", "strict", webTask},
		"bad approval":      {"--approval", "maybe", webTask},
		"bad world":         {"--world", notJSON, webTask},
		"negative throttle": {"--throttle-first", "-1", webTask},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runWorkflow(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
		})
	}
}
