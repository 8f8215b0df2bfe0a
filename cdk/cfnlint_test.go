package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// cfn-lint (the AWS CloudFormation linter, a pip package) checks the
// synthesized templates against CloudFormation's resource schemas and
// rules: what CDK and cdk-nag do not — property values, formats, regional
// availability, dynamic references, dependencies. It is not a Go tool: the
// test runs it when it is installed and says so when it is not; CI sets
// CFN_LINT_REQUIRED=1, which makes a missing cfn-lint a failure. CFN_LINT
// names another binary.

// cfnLintAllowed are the warnings the templates may have, each with why it
// is harmless. Any other warning, and every error, fails the test.
var cfnLintAllowed = map[string]string{
	"W3005": "CDK makes each function and state machine DependsOn its role as well as the role's default policy; " +
		"the role's DependsOn repeats the dependency the Role GetAtt already makes, and changes nothing",
}

// cfnLintMatch is one finding of `cfn-lint --format json`.
type cfnLintMatch struct {
	Rule struct {
		ID string `json:"Id"`
	} `json:"Rule"`
	Level    string `json:"Level"`
	Message  string `json:"Message"`
	Filename string `json:"Filename"`
	Location struct {
		Start struct {
			LineNumber int `json:"LineNumber"`
		} `json:"Start"`
		Path []any `json:"Path"`
	} `json:"Location"`
}

// cfnLint is the cfn-lint binary, or a skip (a failure under
// CFN_LINT_REQUIRED=1) when there is none.
func cfnLint(t *testing.T) string {
	t.Helper()
	name := os.Getenv("CFN_LINT")
	if name == "" {
		name = "cfn-lint"
	}
	bin, err := exec.LookPath(name)
	if err == nil {
		var out []byte
		if out, err = exec.Command(bin, "--version").CombinedOutput(); err == nil {
			t.Logf("%s", bytes.TrimSpace(out))
			return bin
		}
		err = fmt.Errorf("%s --version: %v: %s", bin, err, out)
	}
	if os.Getenv("CFN_LINT_REQUIRED") == "1" {
		t.Fatalf("cfn-lint is required (CFN_LINT_REQUIRED=1) but cannot run: %v", err)
	}
	t.Skipf("SKIPPED: cfn-lint is not installed (%v): the synthesized templates are NOT linted. Install it with `pip install cfn-lint`; CI sets CFN_LINT_REQUIRED=1", err)
	return ""
}

// runCfnLint lints the templates in one run (cfn-lint's start-up is most
// of its time) against the regions they are for, and returns the findings.
func runCfnLint(bin string, regions []string, templates []string) ([]cfnLintMatch, error) {
	args := append([]string{"--format", "json", "--regions"}, regions...)
	args = append(append(args, "--"), templates...)
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// Exit codes 2, 4 and 8 (and their sums) mean errors, warnings or
	// informational findings, all in the JSON; anything else is a crash.
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode()&^(2|4|8) != 0) {
		return nil, fmt.Errorf("%s: %v: %s", bin, err, stderr.String())
	}
	var matches []cfnLintMatch
	if err := json.Unmarshal(stdout.Bytes(), &matches); err != nil {
		return nil, fmt.Errorf("cfn-lint's output is not its JSON (%v): %s %s", err, stdout.String(), stderr.String())
	}
	return matches, nil
}

// Every synthesized variant — the first deploy (audit, defaults), enforce
// with approval, an e-mail address, excluded clusters and services, and
// registrations off with the shipped policy bundle — has no cfn-lint error
// and no warning but the ones cfnLintAllowed explains.
func TestCfnLintFindsNoErrorInAnyVariant(t *testing.T) {
	bin := cfnLint(t)
	variants := []struct {
		name  string
		stack func(*testing.T) *synthed
	}{
		{"default", defaults},
		{"enforce, approval, e-mail, exclusions", configured},
		{"registrations off, shipped bundle", registrationsOff},
	}
	templates := map[string]string{} // path -> variant
	var regions []string
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			s := v.stack(t)
			templates[filepath.Join(s.outdir, "EcsCompliance.template.json")] = v.name
			if !slices.Contains(regions, s.env.Region) {
				regions = append(regions, s.env.Region)
			}
		})
	}
	if len(templates) == 0 {
		t.Fatal("no template to lint")
	}
	paths := make([]string, 0, len(templates))
	for p := range templates {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	matches, err := runCfnLint(bin, regions, paths)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[string]int{}
	for _, p := range paths {
		counts[templates[p]] = map[string]int{}
	}
	for _, m := range matches {
		variant := templates[m.Filename]
		if variant == "" {
			variant = m.Filename
		}
		if counts[variant] == nil {
			counts[variant] = map[string]int{}
		}
		counts[variant][m.Level+" "+m.Rule.ID]++
		where := fmt.Sprintf("%s: %s %s line %d (%v): %s", variant, m.Level, m.Rule.ID, m.Location.Start.LineNumber, m.Location.Path, m.Message)
		switch {
		case m.Level == "Warning" && cfnLintAllowed[m.Rule.ID] != "":
		case m.Level == "Informational":
			t.Logf("%s", where)
		default:
			t.Errorf("%s", where)
		}
	}
	for _, p := range paths {
		var parts []string
		for k, n := range counts[templates[p]] {
			parts = append(parts, fmt.Sprintf("%d× %s", n, k))
		}
		sort.Strings(parts)
		if len(parts) == 0 {
			parts = []string{"nothing"}
		}
		t.Logf("cfn-lint %s: %s", templates[p], strings.Join(parts, ", "))
	}
}

// The allowlist is explained, and holds warnings only: an error is never
// allowed.
func TestCfnLintAllowsOnlyExplainedWarnings(t *testing.T) {
	for id, why := range cfnLintAllowed {
		if !strings.HasPrefix(id, "W") || len(why) < 40 {
			t.Errorf("%s: %q", id, why)
		}
	}
}
