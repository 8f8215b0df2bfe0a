package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// pageData is what the tests read of the page's data.
type pageData struct {
	Machines []struct {
		Name string `json:"name"`
	} `json:"machines"`
	Runs []struct {
		Event      string `json:"event"`
		Status     string `json:"status"`
		Summary    string `json:"summary"`
		Executions []struct {
			Machine int `json:"machine"`
			Visits  []struct {
				State string `json:"state"`
				Input int    `json:"input"`
			} `json:"visits"`
		} `json:"executions"`
	} `json:"runs"`
}

var pageDataScript = regexp.MustCompile(`(?s)<script type="application/json" id="page-data">(.*?)</script>`)

func readPage(t *testing.T, file string) (string, pageData) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := pageDataScript.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no page data", file)
	}
	var d pageData
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatal(err)
	}
	return string(b), d
}

// run --html writes the page of the events' executions (the triage's and
// the workflow's), and says where; with --json, on stderr.
func TestRunWritesTheExecutionPage(t *testing.T) {
	for _, jsonOut := range []bool{false, true} {
		file := filepath.Join(t.TempDir(), "sub", "page.html")
		args := []string{"run", "--mode", "enforce", "--world", testWorld, "--policy", testPolicy, "--html", file, webTask, apiTask, apiTaskAgain, webStopped}
		if jsonOut {
			args = append(args[:1], append([]string{"--json"}, args[1:]...)...)
		}
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr.String())
		}
		said, other := stdout.String(), stderr.String()
		if jsonOut {
			said, other = other, said
			for _, line := range strings.Split(strings.TrimSpace(other), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("--json: stdout has %q", line)
				}
			}
		}
		if !strings.Contains(said, "execution page: "+file+" (") {
			t.Errorf("--json %t: the output does not say where the page is:\n%s", jsonOut, said)
		}
		page, d := readPage(t, file)
		if !strings.Contains(page, `<svg class="graph" data-machine="triage"`) || !strings.Contains(page, `<svg class="graph" data-machine="workflow"`) {
			t.Error("the page lacks a machine")
		}
		var events, machines []string
		for _, r := range d.Runs {
			events = append(events, r.Event)
			var ms []string
			for _, ex := range r.Executions {
				ms = append(ms, d.Machines[ex.Machine].Name)
			}
			machines = append(machines, strings.Join(ms, "+"))
		}
		if want := []string{webTask, apiTask, apiTaskAgain, webStopped}; !slices.Equal(events, want) {
			t.Errorf("runs %q, want %q", events, want)
		}
		// A filtered event ran nothing.
		if want := []string{"triage+workflow", "triage+workflow", "triage", ""}; !slices.Equal(machines, want) {
			t.Errorf("executions %q, want %q", machines, want)
		}
		if s := d.Runs[1].Summary; !strings.Contains(s, "StopTask") || !strings.Contains(s, "REMEDIATE") {
			t.Errorf("summary of the remediated task: %q", s)
		}
	}
}

// replay --html keeps at most --html-max executions, the failed events'
// first, then the remediations', and says how many it left out.
func TestReplayPageKeepsTheFailedAndRemediatingFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	var stdout, stderr bytes.Buffer
	if code := runFleet([]string{"--seed", "2", "--services", "3", "--task-starts", "12", "--violating", "1", "--out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("fleet: exit %d, stderr:\n%s", code, stderr.String())
	}
	file := filepath.Join(t.TempDir(), "replay.html")
	stdout.Reset()
	if code := dispatch([]string{"replay", "--mode", "enforce", "--html", file, "--html-max", "6", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("replay: exit %d, stderr:\n%s", code, stderr.String())
	}
	if !regexp.MustCompile(`execution page: .*replay\.html \(\d+ KB, \d events? of \d+ events\)`).MatchString(stdout.String()) {
		t.Errorf("replay does not say where the page is:\n%s", stdout.String())
	}
	page, d := readPage(t, file)
	// The fleet's three remediations come first (two executions each, the
	// triage's and the workflow's), and fill the page.
	for _, r := range d.Runs {
		if !strings.Contains(r.Summary, "StopTask") || len(r.Executions) != 2 {
			t.Errorf("kept %s: %q, %d executions; want a remediation", r.Event, r.Summary, len(r.Executions))
		}
	}
	if len(d.Runs) != 3 {
		t.Errorf("%d events kept, want 3 (6 executions)", len(d.Runs))
	}
	if !regexp.MustCompile(`id="omitted">Showing \d of \d+ events \(\d executions\); \d+ events \(\d+ executions\) are left out\.`).MatchString(page) {
		t.Errorf("the page does not say what it left out")
	}

	stderr.Reset()
	if code := dispatch([]string{"replay", "--html", file, "--html-max", "0", dir}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--html-max 0: must be 1 or more") {
		t.Errorf("--html-max 0: exit %d, %s", code, stderr.String())
	}
}

// The page's choice of events: failed, then changed something, then ran
// the workflow, then the others, each in order; an event's executions
// together; at most max executions.
func TestHTMLPageChoosesByTier(t *testing.T) {
	rec := func(name, status string, executions int, changed, workflow bool) *offline.Record {
		r := &offline.Record{Event: name, Status: status}
		for range executions {
			r.Executions = append(r.Executions, offline.Execution{Machine: "triage"})
		}
		if changed {
			r.Actions = []inmemory.Action{{API: contract.APIStopTask}}
		}
		if workflow {
			r.Billing.StandardExecutions = 1
		}
		return r
	}
	h := &htmlPage{max: 5}
	for _, r := range []*offline.Record{
		rec("other1", "SUCCEEDED", 1, false, false),
		rec("judged1", "SUCCEEDED", 2, false, true),
		rec("stopped1", "SUCCEEDED", 2, true, true),
		rec("failed1", "FAILED", 2, false, true),
		rec("other2", "SUCCEEDED", 1, false, false),
		rec("stopped2", "SUCCEEDED", 2, true, true),
		rec("filtered", "SUCCEEDED", 0, false, false),
		rec("failed2", "FAILED", 1, false, false),
	} {
		h.add(r)
	}
	var got []string
	for _, r := range h.runs() {
		got = append(got, r.Event)
	}
	// failed1 (2) + failed2 (1) + stopped1 (2) = 5; stopped2 does not fit.
	if want := []string{"stopped1", "failed1", "failed2"}; !slices.Equal(got, want) {
		t.Errorf("kept %q, want %q", got, want)
	}
	all := &htmlPage{}
	all.add(rec("a", "SUCCEEDED", 1, false, false))
	all.add(rec("b", "FAILED", 2, false, false))
	if n := len(all.runs()); n != 2 {
		t.Errorf("without a maximum: %d runs, want all 2", n)
	}
}
