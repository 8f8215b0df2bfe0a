// Package cover reads the JSON coverage report of `opa test --coverage` and
// summarizes the coverage of policy modules, leaving test files out.
package cover

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Report is the part of OPA's coverage report this package reads.
type Report struct {
	Files map[string]File `json:"files"`
}

// File is one module's coverage: the ranges that were and were not evaluated.
type File struct {
	Covered    []Range `json:"covered"`
	NotCovered []Range `json:"not_covered"`
}

// Range is a span of lines.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Position is a line (row) in a file.
type Position struct {
	Row int `json:"row"`
}

// Read decodes a report.
func Read(r io.Reader) (*Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("read the coverage report (opa test --coverage --format json): %w", err)
	}
	if rep.Files == nil {
		return nil, fmt.Errorf("the coverage report has no files: was it run with --coverage?")
	}
	return &rep, nil
}

// Module is the coverage of one policy module.
type Module struct {
	File       string
	Covered    int
	NotCovered int
	missed     []int
}

// Percent is the module's coverage in percent (100 for a module without
// lines).
func (m Module) Percent() float64 { return percent(m.Covered, m.NotCovered) }

// Lines lists the module's uncovered lines, with ranges compressed ("4-6, 9").
func (m Module) Lines() string {
	var parts []string
	for i := 0; i < len(m.missed); {
		j := i
		for j+1 < len(m.missed) && m.missed[j+1] == m.missed[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(m.missed[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", m.missed[i], m.missed[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// Summary is the coverage of all policy modules.
type Summary struct {
	Modules    []Module
	Covered    int
	NotCovered int
}

// Percent is the total coverage in percent.
func (s Summary) Percent() float64 { return percent(s.Covered, s.NotCovered) }

func percent(covered, notCovered int) float64 {
	if covered+notCovered == 0 {
		return 100
	}
	return 100 * float64(covered) / float64(covered+notCovered)
}

// Summarize counts covered and uncovered lines per policy module (files
// ending in _test.rego are left out). A line is covered when any range on
// it was evaluated.
func (r *Report) Summarize() Summary {
	var s Summary
	names := make([]string, 0, len(r.Files))
	for name := range r.Files {
		if !strings.HasSuffix(name, "_test.rego") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		f := r.Files[name]
		covered := rows(f.Covered)
		missed := rows(f.NotCovered)
		m := Module{File: name, Covered: len(covered)}
		for row := range missed {
			if !covered[row] {
				m.missed = append(m.missed, row)
			}
		}
		sort.Ints(m.missed)
		m.NotCovered = len(m.missed)
		s.Modules = append(s.Modules, m)
		s.Covered += m.Covered
		s.NotCovered += m.NotCovered
	}
	return s
}

func rows(ranges []Range) map[int]bool {
	out := map[int]bool{}
	for _, r := range ranges {
		for row := r.Start.Row; row <= r.End.Row; row++ {
			out[row] = true
		}
	}
	return out
}
