package cover_test

import (
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/policies/cover"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name        string
		report      string
		wantPercent float64
		wantModules int
		wantLines   string // uncovered lines of the first module
	}{
		{
			name: "test files are left out of the total",
			report: `{"files": {
				"p/rule.rego": {"covered": [{"start": {"row": 1}, "end": {"row": 3}}], "not_covered": [{"start": {"row": 4}, "end": {"row": 4}}]},
				"p/rule_test.rego": {"covered": [{"start": {"row": 1}, "end": {"row": 100}}]}
			}}`,
			wantPercent: 75, wantModules: 1, wantLines: "4",
		},
		{
			name: "a line with any covered range counts as covered",
			report: `{"files": {"p/a.rego": {
				"covered": [{"start": {"row": 2}, "end": {"row": 2}}],
				"not_covered": [{"start": {"row": 2}, "end": {"row": 2}}, {"start": {"row": 5}, "end": {"row": 7}}, {"start": {"row": 9}, "end": {"row": 9}}]
			}}}`,
			wantPercent: 20, wantModules: 1, wantLines: "5-7, 9",
		},
		{
			name:        "a module never evaluated counts with all its lines",
			report:      `{"files": {"p/a.rego": {"not_covered": [{"start": {"row": 1}, "end": {"row": 2}}]}, "p/b.rego": {"covered": [{"start": {"row": 1}, "end": {"row": 2}}]}}}`,
			wantPercent: 50, wantModules: 2, wantLines: "1-2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := cover.Read(strings.NewReader(tt.report))
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Summarize()
			if s.Percent() != tt.wantPercent {
				t.Errorf("Percent() = %v, want %v", s.Percent(), tt.wantPercent)
			}
			if len(s.Modules) != tt.wantModules {
				t.Fatalf("%d modules, want %d", len(s.Modules), tt.wantModules)
			}
			if got := s.Modules[0].Lines(); got != tt.wantLines {
				t.Errorf("Lines() = %q, want %q", got, tt.wantLines)
			}
		})
	}
}

func TestReadRejectsReportsWithoutCoverage(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":          "PASS: 3/3",
		"a report of tests": `[{"location": {}, "package": "data.x", "name": "test_a"}]`,
		"no files":          `{"coverage": 100}`,
	} {
		if _, err := cover.Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
