// Command benchtable turns the output of `go test -bench` (what `make bench`
// saves in .build/bench-raw.txt) into the one table of the project's
// performance figures, each with its target, and writes the README's copy of
// it.
//
//	benchtable [-lambdas "NAME…"] [-o FILE] < bench-raw.txt
//	benchtable -readme README.md -table FILE
//
// The first form prints the table (Markdown) and writes it to FILE too. A
// figure whose benchmark is not in the output is a row saying "not
// measured"; a missed target is a ✗ in its row, not an error: the exit
// status is 2 only when the output cannot be read (a benchmark line that is
// not one) or the flags are wrong. -lambdas lists the Lambdas whose cold
// start and size rows are expected (those in the output are added).
//
// The second form replaces what is between the lines <!-- bench:begin -->
// and <!-- bench:end --> of the README with FILE.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fl.SetOutput(stderr)
	lambdas := fl.String("lambdas", "", "the Lambdas (space-separated) whose cold start and binary size rows are expected")
	out := fl.String("o", "", "write the table to `FILE` too")
	readme := fl.String("readme", "", "replace the table between the bench markers of this `README` with -table")
	table := fl.String("table", "", "the table `FILE` -readme puts in the README")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *readme != "" {
		if *table == "" || fl.NArg() > 0 {
			fmt.Fprintln(stderr, "benchtable: -readme needs -table FILE")
			return 2
		}
		if err := updateReadme(*readme, *table); err != nil {
			fmt.Fprintln(stderr, "benchtable:", err)
			return 1
		}
		return 0
	}
	if fl.NArg() > 0 {
		fmt.Fprintln(stderr, "benchtable: reads go test -bench output on standard input; no arguments")
		return 2
	}
	res, err := parse(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "benchtable:", err)
		return 2
	}
	text := render(res, strings.Fields(*lambdas))
	fmt.Fprint(stdout, text)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
			fmt.Fprintln(stderr, "benchtable:", err)
			return 1
		}
	}
	return 0
}

// ---------------------------------------------------------------- parsing

// result is one benchmark's line: its metrics by unit (ns/op, B/op,
// allocs/op, ms/coldstart, …), averaged when it ran more than once.
type result struct {
	Pkg     string // the package's import path
	Name    string // BenchmarkX/sub, without the -GOMAXPROCS suffix
	Metrics map[string]float64
	runs    map[string]int
}

// results is the parsed output.
type results struct {
	GOOS, GOARCH, CPU string
	Procs             int // the -N suffix of the names (GOMAXPROCS); 1 when none
	list              []*result
}

var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// parse reads go test -bench output. Lines that are not results (headers,
// logs, PASS/FAIL, ok) are skipped, but a line that starts like a result
// (a benchmark name and an iteration count) must be one.
func parse(r io.Reader) (*results, error) {
	res := &results{Procs: 1}
	byKey := map[string]*result{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "Benchmark") {
			switch k {
			case "pkg":
				pkg = strings.TrimSpace(v)
			case "goos":
				res.GOOS = strings.TrimSpace(v)
			case "goarch":
				res.GOARCH = strings.TrimSpace(v)
			case "cpu":
				res.CPU = strings.TrimSpace(v)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // a name alone: the benchmark's own output interleaved, or a failure
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("line %d: a benchmark result with a value and no unit: %q", n, line)
		}
		name := f[0]
		if m := procsSuffix.FindStringSubmatch(name); m != nil {
			res.Procs, _ = strconv.Atoi(m[1])
			name = strings.TrimSuffix(name, m[0])
		}
		key := pkg + " " + name
		rs := byKey[key]
		if rs == nil {
			rs = &result{Pkg: pkg, Name: name, Metrics: map[string]float64{}, runs: map[string]int{}}
			byKey[key] = rs
			res.list = append(res.list, rs)
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil || math.IsNaN(v) {
				return nil, fmt.Errorf("line %d: %q is not a number (unit %s): %q", n, f[i], f[i+1], line)
			}
			unit := f[i+1]
			k := rs.runs[unit]
			rs.Metrics[unit] = (rs.Metrics[unit]*float64(k) + v) / float64(k+1)
			rs.runs[unit] = k + 1
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// find is the result of benchmark name in the package whose import path
// ends with pkg (a path in this module: "lambdas/steps/evaluate").
func (r *results) find(pkg, name string) *result {
	for _, rs := range r.list {
		if rs.Name == name && (rs.Pkg == pkg || strings.HasSuffix(rs.Pkg, "/"+pkg)) {
			return rs
		}
	}
	return nil
}

// metric is the value of unit in benchmark name of pkg, or in one of its
// sub-benchmarks (the first that has it).
func (r *results) metric(pkg, name, unit string) (float64, bool) {
	for _, rs := range r.list {
		if (rs.Name == name || strings.HasPrefix(rs.Name, name+"/")) && (rs.Pkg == pkg || strings.HasSuffix(rs.Pkg, "/"+pkg)) {
			if v, ok := rs.Metrics[unit]; ok {
				return v, true
			}
		}
	}
	return 0, false
}

// subs are the sub-benchmarks of name in pkg, in the output's order.
func (r *results) subs(pkg, name string) []*result {
	var out []*result
	for _, rs := range r.list {
		if strings.HasPrefix(rs.Name, name+"/") && (rs.Pkg == pkg || strings.HasSuffix(rs.Pkg, "/"+pkg)) {
			out = append(out, rs)
		}
	}
	return out
}

// ---------------------------------------------------------------- the table

// row is one figure: what was measured and its target.
type row struct {
	Figure, Measured, Target string
	// Met is "✓", "✗", or "—" (no target, or not measured).
	Met string
}

const notMeasured = "not measured"

// check makes a row of a value with a target: ok says whether the value
// meets it.
func check(figure, measured, target string, ok bool) row {
	met := "✗"
	if ok {
		met = "✓"
	}
	return row{figure, measured, target, met}
}

func missing(figure, target string) row { return row{figure, notMeasured, target, "—"} }

func info(figure, measured string) row { return row{figure, measured, "—", "—"} }

// Packages of the benchmarks.
const (
	pkgEvaluate = "lambdas/steps/evaluate"
	pkgPolicy   = "lambdas/policy"
	pkgOffline  = "statemachine/offline"
	pkgTest     = "test"
	pkgReplay   = "statemachine/replay"
	pkgCheck    = "statemachine/check"
	pkgReport   = "lambdas/report"
	pkgApproval = "lambdas/approval"
)

// Targets (issue 13; replay's from the issue that introduced it).
const (
	evaluateMaxMicros       = 250
	evaluateMaxAllocs       = 1000
	compileEachTimeMinRatio = 100
	firstMaxInvocations     = 5
	knownMaxInvocations     = 2
	coldStartMaxMS          = 15
	coldStartEvaluateMaxMS  = 60
	sizeMaxMB               = 12
	sizeEvaluateMaxMB       = 28
	replayMinEventsPerS     = 5000
)

func rows(r *results, lambdas []string) []row {
	var out []row

	// 1. Evaluation.
	warm := r.find(pkgEvaluate, "BenchmarkEvaluate")
	const warmFig = "Evaluate, warm (`BenchmarkEvaluate`): time per event"
	const allocFig = "Evaluate, warm: allocations per event"
	if ns, ok := metricOf(warm, "ns/op"); ok {
		out = append(out, check(warmFig, duration(ns), fmt.Sprintf("≤ %d µs", evaluateMaxMicros), ns <= evaluateMaxMicros*1e3))
	} else {
		out = append(out, missing(warmFig, fmt.Sprintf("≤ %d µs", evaluateMaxMicros)))
	}
	if a, ok := metricOf(warm, "allocs/op"); ok {
		out = append(out, check(allocFig, count(a), fmt.Sprintf("≤ %s", count(evaluateMaxAllocs)), a <= evaluateMaxAllocs))
	} else {
		out = append(out, missing(allocFig, fmt.Sprintf("≤ %s", count(evaluateMaxAllocs))))
	}
	const coldFig = "Evaluate compiling the policy for every event (`BenchmarkEvaluateCompileEachTime`)"
	cold := r.find(pkgEvaluate, "BenchmarkEvaluateCompileEachTime")
	coldNS, okCold := metricOf(cold, "ns/op")
	warmNS, okWarm := metricOf(warm, "ns/op")
	if okCold && okWarm && warmNS > 0 {
		ratio := coldNS / warmNS
		out = append(out, check(coldFig, fmt.Sprintf("%s, %s× the warm time", duration(coldNS), trim(ratio, 3)),
			fmt.Sprintf("≥ %d× the warm time", compileEachTimeMinRatio), ratio >= compileEachTimeMinRatio))
	} else {
		out = append(out, missing(coldFig, fmt.Sprintf("≥ %d× the warm time", compileEachTimeMinRatio)))
	}

	// 2. Time to stop.
	for _, m := range []struct {
		unit, figure string
		max          int
	}{
		{"first-invocations", "Time to stop, first judgement: sequential Lambda invocations", firstMaxInvocations},
		{"first-transitions", "Time to stop, first judgement: state transitions", 0},
		{"known-invocations", "Time to stop, known violating revision: sequential Lambda invocations", knownMaxInvocations},
		{"known-transitions", "Time to stop, known violating revision: state transitions", 0},
	} {
		target := "—"
		if m.max > 0 {
			target = fmt.Sprintf("≤ %d", m.max)
		}
		v, ok := r.metric(pkgOffline, "BenchmarkTimeToStop", m.unit)
		switch {
		case !ok:
			out = append(out, missing(m.figure, target))
		case m.max > 0:
			out = append(out, check(m.figure, count(v), target, v <= float64(m.max)))
		default:
			out = append(out, info(m.figure, count(v)))
		}
	}
	const handlerFig = "A full remediation in the executor: sum of its handler times"
	if v, ok := r.metric(pkgOffline, "BenchmarkTimeToStop", "remediation-handler-ms"); ok {
		out = append(out, info(handlerFig, trim(v, 3)+" ms"))
	} else {
		out = append(out, missing(handlerFig, "—"))
	}

	// 3. Cold starts, 4. sizes: the Lambdas expected and those measured.
	names := slices.Clone(lambdas)
	for _, bench := range []string{"BenchmarkColdStart", "BenchmarkLambdaBinarySize"} {
		for _, rs := range r.subs(pkgTest, bench) {
			n := strings.TrimPrefix(rs.Name, bench+"/")
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		limit, figure := float64(coldStartMaxMS), "Cold start: "+n
		if n == "evaluate" {
			limit, figure = coldStartEvaluateMaxMS, "Cold start: evaluate, compiling the policy"
		}
		target := fmt.Sprintf("≤ %s ms", trim(limit, 3))
		rs := r.find(pkgTest, "BenchmarkColdStart/"+n)
		if v, ok := metricOf(rs, "ms/coldstart"); ok {
			measured := fmt.Sprintf("%.1f ms", v)
			if init, ok := metricOf(rs, "ms/init"); ok {
				measured += fmt.Sprintf(" (init %.1f)", init)
			}
			out = append(out, check(figure, measured, target, v <= limit))
		} else {
			out = append(out, missing(figure, target))
		}
	}
	for _, n := range names {
		limit := float64(sizeMaxMB)
		if n == "evaluate" {
			limit = sizeEvaluateMaxMB
		}
		figure := "Size: " + n
		target := fmt.Sprintf("≤ %s MB", trim(limit, 3))
		if v, ok := metricOf(r.find(pkgTest, "BenchmarkLambdaBinarySize/"+n), "MB"); ok {
			out = append(out, check(figure, fmt.Sprintf("%.1f MB", v), target, v <= limit))
		} else {
			out = append(out, missing(figure, target))
		}
	}

	// 5. Throughput.
	var costs []string
	for _, mode := range []string{"audit", "enforce"} {
		figure := fmt.Sprintf("Replay of the 800-task-start fleet, %s (`BenchmarkReplay`)", mode)
		target := fmt.Sprintf("≥ %s events/s", count(replayMinEventsPerS))
		rs := r.find(pkgReplay, "BenchmarkReplay/"+mode)
		if v, ok := metricOf(rs, "events/s"); ok {
			out = append(out, check(figure, count(v)+" events/s", target, v >= replayMinEventsPerS))
		} else {
			out = append(out, missing(figure, target))
		}
		if c, ok := metricOf(rs, "$/Mstarts"); ok {
			costs = append(costs, fmt.Sprintf("$%.2f", c))
		}
	}
	// As the README's cost section gives them (test/fleet_test.go checks
	// the two agree).
	const costFig = "Replay's cost of the fleet, audit / enforce (`BenchmarkReplay`)"
	if len(costs) == 2 {
		out = append(out, info(costFig, costs[0]+" / "+costs[1]+" per million task starts"))
	} else {
		out = append(out, missing(costFig, "—"))
	}
	fleet := r.subs(pkgCheck, "BenchmarkCheckFleet")
	if len(fleet) == 0 {
		out = append(out, missing("Check of a generated fleet's task definitions (`BenchmarkCheckFleet`)", "—"))
	}
	for _, rs := range fleet {
		workers := strings.TrimPrefix(rs.Name, "BenchmarkCheckFleet/")
		figure := fmt.Sprintf("Check of a generated fleet's task definitions (`BenchmarkCheckFleet`), %s", strings.Replace(workers, "=", ": ", 1))
		if v, ok := rs.Metrics["taskdefs/s"]; ok {
			out = append(out, info(figure, count(v)+" task definitions/s"))
		} else {
			out = append(out, missing(figure, "—"))
		}
	}

	// Without targets.
	input := "Evaluate: converting the input to OPA's value, part of the warm time (`BenchmarkInputValue`)"
	if rs := r.find(pkgPolicy, "BenchmarkInputValue"); rs != nil {
		ns, _ := metricOf(rs, "ns/op")
		allocs, _ := metricOf(rs, "allocs/op")
		out = append(out, info(input, fmt.Sprintf("%s, %s allocations", duration(ns), count(allocs))))
	} else {
		out = append(out, missing(input, "—"))
	}
	for _, b := range []struct{ pkg, name, figure string }{
		{pkgReport, "BenchmarkMessage", "Report: its SNS message (`BenchmarkMessage`)"},
		{pkgReport, "BenchmarkFindings", "Report: its Security Hub findings (`BenchmarkFindings`)"},
		{pkgApproval, "BenchmarkSign", "Approval link: signing (`BenchmarkSign`)"},
		{pkgApproval, "BenchmarkVerify", "Approval link: verifying (`BenchmarkVerify`)"},
	} {
		if v, ok := metricOf(r.find(b.pkg, b.name), "ns/op"); ok {
			out = append(out, info(b.figure, duration(v)))
		} else {
			out = append(out, missing(b.figure, "—"))
		}
	}
	return out
}

func metricOf(rs *result, unit string) (float64, bool) {
	if rs == nil {
		return 0, false
	}
	v, ok := rs.Metrics[unit]
	return v, ok
}

// render is the table in Markdown, with a line about the machine before it
// and the count of targets after it.
func render(r *results, lambdas []string) string {
	rs := rows(r, lambdas)
	var b strings.Builder
	machine := []string{}
	if r.GOOS != "" {
		machine = append(machine, r.GOOS+"/"+r.GOARCH)
	}
	if r.CPU != "" {
		machine = append(machine, r.CPU)
	}
	machine = append(machine, fmt.Sprintf("GOMAXPROCS %d", r.Procs))
	fmt.Fprintf(&b, "Measured by `make bench` (%s).\n\n", strings.Join(machine, ", "))
	head := row{"Figure", "Measured", "Target", "Met"}
	width := [4]int{}
	for _, x := range append([]row{head}, rs...) {
		for i, c := range []string{x.Figure, x.Measured, x.Target, x.Met} {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(cells ...string) {
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		b.WriteString("\n")
	}
	line(head.Figure, head.Measured, head.Target, head.Met)
	line(strings.Repeat("-", width[0]), strings.Repeat("-", width[1]), strings.Repeat("-", width[2]), strings.Repeat("-", width[3]))
	met, missed, unmeasured := 0, 0, 0
	for _, x := range rs {
		line(x.Figure, x.Measured, x.Target, x.Met)
		switch {
		case x.Met == "✓":
			met++
		case x.Met == "✗":
			missed++
		case x.Measured == notMeasured && x.Target != "—":
			unmeasured++
		}
	}
	fmt.Fprintf(&b, "\nTargets: %d met, %d missed, %d not measured. Cold start: from the process's start to its "+
		"first answer (median; in brackets, to its first request for work), linux/amd64 build under the Runtime API "+
		"harness of test/coldstart_test.go. Size: linux/arm64, stripped, in MiB.\n", met, missed, unmeasured)
	return b.String()
}

// ---------------------------------------------------------------- numbers

// trim formats v with at most sig significant digits, without trailing
// zeros (12.5, 0.731, 140).
func trim(v float64, sig int) string {
	if v == 0 {
		return "0"
	}
	digits := sig - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if digits < 0 {
		digits = 0
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// count formats a count or a rate with thousands separators (6,900; 898).
func count(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// duration formats nanoseconds in the unit that reads best (3 significant
// digits).
func duration(ns float64) string {
	switch {
	case ns >= 1e9:
		return trim(ns/1e9, 3) + " s"
	case ns >= 1e6:
		return trim(ns/1e6, 3) + " ms"
	case ns >= 1e3:
		return trim(ns/1e3, 3) + " µs"
	}
	return trim(ns, 3) + " ns"
}

// ---------------------------------------------------------------- README

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// replaceTable returns the README with what is between its markers (lines
// of their own) replaced by table.
func replaceTable(readme, table string) (string, error) {
	begin := strings.Index(readme, beginMarker+"\n")
	end := strings.Index(readme, "\n"+endMarker)
	if begin < 0 || end < 0 {
		return "", fmt.Errorf("no %s and %s lines to put the table between", beginMarker, endMarker)
	}
	if strings.Count(readme, beginMarker) != 1 || strings.Count(readme, endMarker) != 1 {
		return "", errors.New("the bench markers appear more than once")
	}
	if end < begin {
		return "", fmt.Errorf("%s comes before %s", endMarker, beginMarker)
	}
	body := strings.TrimRight(table, "\n")
	head := readme[:begin+len(beginMarker)+1]
	return head + body + readme[end:], nil
}

func updateReadme(readmePath, tablePath string) error {
	table, err := os.ReadFile(tablePath)
	if err != nil {
		return err
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	out, err := replaceTable(string(readme), string(table))
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	if out == string(readme) {
		return nil
	}
	return os.WriteFile(readmePath, []byte(out), 0o644)
}
