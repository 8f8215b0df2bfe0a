package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lambdas are the Lambdas of testdata/bench-raw.txt (a recorded `go test
// -bench` run of the benchmarks `make bench` runs, on a busy 2-core
// machine, without BenchmarkTimeToStop), and one it has no figure of.
var lambdas = strings.Fields(`approval-callback count-incident deregister-task-definition describe-task-definition
	evaluate load-policy look-up-judgement notify record-finding record-judgement record-task report-failure
	request-approval scale-service stop-task brand-new`)

func sample(t *testing.T) *results {
	t.Helper()
	f, err := os.Open("testdata/bench-raw.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rowOf is the row whose figure starts with prefix.
func rowOf(t *testing.T, rs []row, prefix string) row {
	t.Helper()
	for _, r := range rs {
		if strings.HasPrefix(r.Figure, prefix) {
			return r
		}
	}
	t.Fatalf("no row %q", prefix)
	return row{}
}

func TestTableOfTheRecordedSample(t *testing.T) {
	r := sample(t)
	if r.GOOS != "linux" || r.GOARCH != "amd64" || r.CPU != "Intel(R) Xeon(R) Processor" || r.Procs != 2 {
		t.Errorf("machine %s/%s %q, GOMAXPROCS %d", r.GOOS, r.GOARCH, r.CPU, r.Procs)
	}
	rs := rows(r, lambdas)
	for _, c := range []struct {
		prefix string
		want   row
	}{
		{"Evaluate, warm (`BenchmarkEvaluate`)", row{Measured: "5.93 ms", Target: "≤ 250 µs", Met: "✗"}},
		{"Evaluate, warm: allocations", row{Measured: "8,292", Target: "≤ 1,000", Met: "✗"}},
		{"Evaluate compiling the policy", row{Measured: "89.3 ms, 15.1× the warm time", Target: "≥ 100× the warm time", Met: "✗"}},
		{"Time to stop, first judgement: sequential", row{Measured: notMeasured, Target: "≤ 5", Met: "—"}},
		{"Time to stop, first judgement: state transitions", row{Measured: notMeasured, Target: "—", Met: "—"}},
		{"Time to stop, known violating revision: sequential", row{Measured: notMeasured, Target: "≤ 2", Met: "—"}},
		{"A full remediation", row{Measured: notMeasured, Target: "—", Met: "—"}},
		{"Cold start: evaluate, compiling", row{Measured: "59.9 ms (init 8.3)", Target: "≤ 60 ms", Met: "✓"}},
		{"Cold start: look-up-judgement", row{Measured: "16.4 ms (init 11.5)", Target: "≤ 15 ms", Met: "✗"}},
		{"Cold start: stop-task", row{Measured: "8.3 ms (init 5.8)", Target: "≤ 15 ms", Met: "✓"}},
		{"Cold start: brand-new", row{Measured: notMeasured, Target: "≤ 15 ms", Met: "—"}},
		{"Size: evaluate", row{Measured: "20.9 MB", Target: "≤ 28 MB", Met: "✓"}},
		{"Size: record-task", row{Measured: "9.6 MB", Target: "≤ 12 MB", Met: "✓"}},
		{"Size: brand-new", row{Measured: notMeasured, Target: "≤ 12 MB", Met: "—"}},
		{"Replay of the 800-task-start fleet, audit", row{Measured: "3,141 events/s", Target: "≥ 5,000 events/s", Met: "✗"}},
		{"Replay of the 800-task-start fleet, enforce", row{Measured: "3,400 events/s", Target: "≥ 5,000 events/s", Met: "✗"}},
		{"Replay's cost of the fleet", row{Measured: "$13.83 / $37.84 per million task starts", Target: "—", Met: "—"}},
		{"Check of a generated fleet's task definitions (`BenchmarkCheckFleet`), workers: 1", row{Measured: "477 task definitions/s", Target: "—", Met: "—"}},
		{"Check of a generated fleet's task definitions (`BenchmarkCheckFleet`), workers: 2", row{Measured: "359 task definitions/s", Target: "—", Met: "—"}},
		{"Evaluate: converting the input", row{Measured: "95.6 µs, 1,342 allocations", Target: "—", Met: "—"}},
		{"Report: its SNS message", row{Measured: "92.2 µs", Target: "—", Met: "—"}},
		{"Report: its Security Hub findings", row{Measured: "64.3 µs", Target: "—", Met: "—"}},
		{"Approval link: signing", row{Measured: "1.19 µs", Target: "—", Met: "—"}},
		{"Approval link: verifying", row{Measured: "1.11 µs", Target: "—", Met: "—"}},
	} {
		got := rowOf(t, rs, c.prefix)
		c.want.Figure = got.Figure
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.prefix, got, c.want)
		}
	}
	// 3 evaluation + 5 time to stop + 16 cold starts + 16 sizes + 3 replay
	// + 2 check + 5 others.
	if len(rs) != 50 {
		t.Errorf("%d rows, want 50", len(rs))
	}
	out := render(r, lambdas)
	if !strings.HasPrefix(out, "Measured by `make bench` (linux/amd64, Intel(R) Xeon(R) Processor, GOMAXPROCS 2).\n\n| Figure ") ||
		!strings.Contains(out, "\n\nTargets: 28 met, 7 missed, 4 not measured. Cold start: ") {
		t.Errorf("table:\n%s", out)
	}
	// Every line of the table has its four cells, aligned.
	var width int
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		if n := len([]rune(l)); width == 0 {
			width = n
		} else if n != width || strings.Count(l, " |") != 4 {
			t.Errorf("misaligned line: %q", l)
		}
	}
}

func TestTimeToStopRows(t *testing.T) {
	raw := `pkg: github.com/ecs-compliance/ecs-compliance/statemachine/offline
BenchmarkTimeToStop-2   	     100	   1234567 ns/op	         5.000 first-invocations	        14.00 first-transitions	         3.000 known-invocations	         6.000 known-transitions	        12.34 remediation-handler-ms
`
	r, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	rs := rows(r, nil)
	for prefix, want := range map[string][2]string{
		"Time to stop, first judgement: sequential":          {"5", "✓"},
		"Time to stop, first judgement: state transitions":   {"14", "—"},
		"Time to stop, known violating revision: sequential": {"3", "✗"},
		"Time to stop, known violating revision: state":      {"6", "—"},
		"A full remediation":                                 {"12.3 ms", "—"},
	} {
		if got := rowOf(t, rs, prefix); got.Measured != want[0] || got.Met != want[1] {
			t.Errorf("%s: %q %s, want %q %s", prefix, got.Measured, got.Met, want[0], want[1])
		}
	}
	// In sub-benchmarks, the first with the metric.
	r, err = parse(strings.NewReader(strings.Replace(raw, "BenchmarkTimeToStop-2", "BenchmarkTimeToStop/enforce-2", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := rowOf(t, rows(r, nil), "Time to stop, first judgement: sequential"); got.Measured != "5" {
		t.Errorf("from a sub-benchmark: %+v", got)
	}
}

func TestRepeatedRunsAreAveraged(t *testing.T) {
	raw := "pkg: x/lambdas/approval\nBenchmarkSign-4 100 1000 ns/op\nBenchmarkSign-4 100 3000 ns/op\n"
	r, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := rowOf(t, rows(r, nil), "Approval link: signing"); got.Measured != "2 µs" || r.Procs != 4 {
		t.Errorf("%+v, GOMAXPROCS %d", got, r.Procs)
	}
}

func TestOnlyUnreadableOutputFails(t *testing.T) {
	for name, raw := range map[string]string{
		"not a number":    "BenchmarkSign-2   100   1.2.3 ns/op\n",
		"value, no unit":  "BenchmarkSign-2   100   1200 ns/op   7\n",
		"infinite number": "BenchmarkSign-2   100   NaN ns/op\n",
	} {
		t.Run(name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if code := run(nil, strings.NewReader(raw), &out, &errs); code != 2 || !strings.Contains(errs.String(), "line 1") {
				t.Errorf("exit %d, stderr %q; want 2 and the line", code, errs.String())
			}
		})
	}
	// Failures, logs and names alone are not results; every figure is then
	// not measured, which is no error.
	raw := "--- FAIL: BenchmarkColdStart/x\n    coldstart_test.go:58: the function exited\nBenchmarkColdStart/y-2  \t{\"level\":\"INFO\"}\nFAIL\nexit status 1\n"
	var out, errs bytes.Buffer
	if code := run([]string{"-lambdas", "x y"}, strings.NewReader(raw), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "Targets: 0 met, 0 missed, 11 not measured.") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestRunWritesTheTableItPrints(t *testing.T) {
	raw, err := os.ReadFile("testdata/bench-raw.txt")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bench.txt")
	var out, errs bytes.Buffer
	// Missed targets are ✗ in the table, not a failure.
	if code := run([]string{"-lambdas", strings.Join(lambdas, " "), "-o", file}, bytes.NewReader(raw), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != out.String() || !strings.Contains(out.String(), "| ✗   |") {
		t.Errorf("written:\n%s\nprinted:\n%s", written, out.String())
	}
	if code := run([]string{"extra"}, bytes.NewReader(raw), &out, &errs); code != 2 {
		t.Errorf("an argument: exit %d, want 2", code)
	}
}

func TestReplaceTable(t *testing.T) {
	readme := "# Title\n\nBefore.\n\n" + beginMarker + "\nold table\nold line\n" + endMarker + "\n\nAfter.\n"
	got, err := replaceTable(readme, "new table\n\nTargets.\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nBefore.\n\n" + beginMarker + "\nnew table\n\nTargets.\n" + endMarker + "\n\nAfter.\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	again, err := replaceTable(got, "new table\n\nTargets.\n")
	if err != nil || again != got {
		t.Errorf("replacing again changed it: %v\n%s", err, again)
	}
	empty, err := replaceTable("a\n"+beginMarker+"\n"+endMarker+"\nb\n", "t")
	if err != nil || empty != "a\n"+beginMarker+"\nt\n"+endMarker+"\nb\n" {
		t.Errorf("between adjacent markers: %q, %v", empty, err)
	}
	for name, bad := range map[string]string{
		"no markers": "# Title\n",
		"no end":     beginMarker + "\nx\n",
		"reversed":   endMarker + "\nx\n" + beginMarker + "\n",
		"twice":      beginMarker + "\nx\n" + endMarker + "\n" + beginMarker + "\ny\n" + endMarker + "\n",
	} {
		if _, err := replaceTable(bad, "t"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRunUpdatesTheReadme(t *testing.T) {
	dir := t.TempDir()
	readme, table := filepath.Join(dir, "README.md"), filepath.Join(dir, "bench.txt")
	if err := os.WriteFile(readme, []byte("x\n"+beginMarker+"\nold\n"+endMarker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(table, []byte("| new |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run([]string{"-readme", readme, "-table", table}, nil, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if b, _ := os.ReadFile(readme); string(b) != "x\n"+beginMarker+"\n| new |\n"+endMarker+"\n" {
		t.Errorf("README:\n%s", b)
	}
	if code := run([]string{"-readme", readme}, nil, &out, &errs); code != 2 {
		t.Errorf("-readme without -table: exit %d, want 2", code)
	}
	if code := run([]string{"-readme", filepath.Join(dir, "missing.md"), "-table", table}, nil, &out, &errs); code != 1 {
		t.Errorf("a missing README: exit %d, want 1", code)
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{trim(12.5, 3), "12.5"}, {trim(0.7312, 3), "0.731"}, {trim(140.2, 3), "140"}, {trim(20.94, 3), "20.9"},
		{trim(8.0, 3), "8"}, {trim(0, 3), "0"}, {trim(1234.6, 3), "1235"},
		{count(6900.4), "6,900"}, {count(898), "898"}, {count(1234567), "1,234,567"}, {count(-1500), "-1,500"},
		{duration(245123), "245 µs"}, {duration(32_500_000), "32.5 ms"}, {duration(731), "731 ns"}, {duration(1.3e9), "1.3 s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
