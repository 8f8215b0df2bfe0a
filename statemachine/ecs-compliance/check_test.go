package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkExamples are the project's sample task definitions and templates and
// the exit status `ecs-compliance check` gives each, as documented in the
// README and as `make check-example` runs them.
var checkExamples = []struct {
	file string
	exit int
}{
	{"test/taskdefs/hardened.json", 0},            // describe-task-definition output, compliant
	{"test/taskdefs/unapproved-registry.json", 1}, // Docker Hub image
	{"test/taskdefs/register-input.json", 0},      // register-task-definition input: warnings only
	{"test/taskdefs/ghcr-sidecar.yaml", 1},        // a sidecar from ghcr.io
	{"test/templates/hardened.json", 0},           // CloudFormation JSON, compliant
	{"test/templates/service.yaml", 1},            // CloudFormation YAML: WorkerTaskDefinition uses Docker Hub
	{"test/templates/sam-app.yaml", 0},            // SAM: the image is a parameter, unknown
	{"test/templates/cdk-assembly", 1},            // a cdk.out folder: MetricsTaskDef uses public.ecr.aws
	{"test/templates/no-task-definition.yaml", 2}, // no task definition: bad input
}

func chdirRepo(t *testing.T) {
	t.Helper()
	t.Chdir(filepath.Join("..", ".."))
}

func runCheckArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = dispatch(append([]string{"check"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCheckExamples runs check on each of the project's samples, as `make
// check-example` does, and expects the documented exit status.
func TestCheckExamples(t *testing.T) {
	chdirRepo(t)
	for _, ex := range checkExamples {
		t.Run(ex.file, func(t *testing.T) {
			code, stdout, stderr := runCheckArgs(t, "--account", "123456789012", "--region", "us-east-1", ex.file)
			if code != ex.exit {
				t.Errorf("exit %d, want %d\n%s%s", code, ex.exit, stdout, stderr)
			}
		})
	}
}

// decisionOf reads check's JSON report.
type jsonReport struct {
	Files []struct {
		File            string `json:"file"`
		TaskDefinitions []struct {
			Name      string `json:"name"`
			LogicalID string `json:"logicalId"`
			Decision  struct {
				Violations []struct {
					Rule string `json:"rule"`
				} `json:"violations"`
			} `json:"decision"`
		} `json:"taskDefinitions"`
	} `json:"files"`
	ExitCode int `json:"exitCode"`
}

// TestCheckJSONNamesTheRuleAndTheLogicalID is the "done when": a
// task definition with an unapproved registry exits 1 and names the rule, a
// hardened one exits 0, a template names the logical id.
func TestCheckJSONNamesTheRuleAndTheLogicalID(t *testing.T) {
	chdirRepo(t)
	tests := []struct {
		file     string
		exit     int
		name     string
		violates string
	}{
		{"test/taskdefs/unapproved-registry.json", 1, "web:7", "approved_registries"},
		{"test/taskdefs/hardened.json", 0, "payments:12", ""},
		{"test/templates/service.yaml", 1, "WorkerTaskDefinition", "approved_registries"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			code, stdout, stderr := runCheckArgs(t, "--format", "json", "--account", "123456789012", "--region", "us-east-1", tc.file)
			if code != tc.exit {
				t.Fatalf("exit %d, want %d: %s", code, tc.exit, stderr)
			}
			var r jsonReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			if r.ExitCode != tc.exit {
				t.Errorf("exitCode %d in the report, want %d", r.ExitCode, tc.exit)
			}
			found := false
			for _, td := range r.Files[0].TaskDefinitions {
				if td.Name != tc.name {
					continue
				}
				found = true
				var rules []string
				for _, v := range td.Decision.Violations {
					rules = append(rules, v.Rule)
				}
				if got := strings.Join(rules, ","); got != tc.violates {
					t.Errorf("%s violates %q, want %q", td.Name, got, tc.violates)
				}
				if strings.HasSuffix(tc.file, ".yaml") && td.LogicalID != tc.name {
					t.Errorf("logical id %q, want %q", td.LogicalID, tc.name)
				}
			}
			if !found {
				t.Errorf("no task definition named %s in %s", tc.name, stdout)
			}
		})
	}
}

func TestCheckFlagsAndTheirErrors(t *testing.T) {
	chdirRepo(t)
	tests := []struct {
		name       string
		args       []string
		exit       int
		wantStderr string
	}{
		{"help", []string{"-h"}, 0, "Exit status: 0 no deny-level violation"},
		{"no file", []string{"--account", "123456789012", "--region", "us-east-1"}, 2, "give at least one task definition, template or cdk.out folder"},
		{"a format that does not exist", []string{"--format", "xml", "x.json"}, 2, `--format "xml": allowed: text, json or sarif`},
		{"a mode that does not exist", []string{"--mode", "dry-run", "x.json"}, 2, `--mode "dry-run": allowed: enforce or audit`},
		{"the default policy needs the account", []string{"test/taskdefs/hardened.json"}, 2, "give --account and --region"},
		{"a policy folder that is not one", []string{"--policy", "no/such/dir", "test/taskdefs/hardened.json"}, 2, "--policy no/such/dir: not a folder"},
		{"a bad account", []string{"--account", "abc", "--region", "us-east-1", "test/taskdefs/hardened.json"}, 2, `account "abc" is not an AWS account id`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCheckArgs(t, tc.args...)
			if code != tc.exit || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.exit, tc.wantStderr)
			}
		})
	}
}

// TestCheckHelpDocumentsEveryFlag: -h names every flag, every input shape
// and the exit statuses.
func TestCheckHelpDocumentsEveryFlag(t *testing.T) {
	_, _, stderr := runCheckArgs(t, "-h")
	for _, want := range []string{"-policy", "-format", "-output", "-account", "-region", "-mode",
		"describe-task-definition", "register-task-definition", "CloudFormation or SAM template", "cdk.out",
		"unknown", "unmapped", "Exit status", "ecs.config.registries"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check -h does not mention %q", want)
		}
	}
}

// TestCheckOutputFile: with --output, the SARIF report goes to the file and
// the text report to standard output, for a CI log.
func TestCheckOutputFile(t *testing.T) {
	chdirRepo(t)
	out := filepath.Join(t.TempDir(), "results.sarif")
	code, stdout, stderr := runCheckArgs(t, "--format", "sarif", "--output", out, "--account", "123456789012", "--region", "us-east-1",
		"test/taskdefs/unapproved-registry.json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("not a SARIF log with results (%v):\n%s", err, b)
	}
	if !strings.Contains(stdout, "✗ approved_registries") || !strings.Contains(stdout, "sarif report written to "+out) {
		t.Errorf("standard output lacks the text report:\n%s", stdout)
	}
}
