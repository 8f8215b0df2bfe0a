// Command coverage checks the Rego coverage of the policy library. It reads
// the JSON report of `opa test --coverage --format json` on stdin and
// computes the coverage of the policy modules only (test files, which OPA
// counts as well, are left out), lists the modules that are not fully
// covered with their uncovered lines, and exits 1 when the total is below
// -min percent.
//
//	opa test policies --coverage --format json | go run ./policies/cmd/coverage -min 90
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ecs-compliance/ecs-compliance/policies/cover"
)

func main() {
	min := flag.Float64("min", 90, "minimum coverage of the policy modules, in percent")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *min); err != nil {
		fmt.Fprintln(os.Stderr, "coverage:", err)
		os.Exit(1)
	}
}

func run(r io.Reader, w io.Writer, min float64) error {
	rep, err := cover.Read(r)
	if err != nil {
		return err
	}
	s := rep.Summarize()
	for _, m := range s.Modules {
		if m.NotCovered > 0 {
			fmt.Fprintf(w, "%6.2f%%  %s (not covered: lines %s)\n", m.Percent(), m.File, m.Lines())
		}
	}
	fmt.Fprintf(w, "Rego coverage of %d policy modules: %.2f%% (%d of %d lines); minimum %.0f%%\n",
		len(s.Modules), s.Percent(), s.Covered, s.Covered+s.NotCovered, min)
	if s.Percent() < min {
		return fmt.Errorf("%.2f%% is below the minimum of %.0f%%: add tests for the lines listed above", s.Percent(), min)
	}
	return nil
}
