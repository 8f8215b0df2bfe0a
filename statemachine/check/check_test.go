package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
	"github.com/ecs-compliance/ecs-compliance/policies"
	"github.com/ecs-compliance/ecs-compliance/statemachine/check"
)

// now is the time of every test's judgement (exemptions expire against it).
func now() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }

const (
	account = "123456789012"
	region  = "us-east-1"
)

// library is the policy bundle built into the command.
func library(t testing.TB) map[string]string {
	t.Helper()
	files, err := bundle.ReadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// withData returns the library with data.json's ecs.config changed by edit.
func withData(t testing.TB, edit func(config map[string]any)) map[string]string {
	t.Helper()
	files := library(t)
	var data map[string]any
	if err := json.Unmarshal([]byte(files["data.json"]), &data); err != nil {
		t.Fatal(err)
	}
	edit(data["ecs"].(map[string]any)["config"].(map[string]any))
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	files["data.json"] = string(b)
	return files
}

type setup struct {
	bundle          map[string]string
	account, region string
	mode            contract.Mode
}

func newChecker(t testing.TB, s setup) *check.Checker {
	t.Helper()
	if s.bundle == nil {
		s.bundle = library(t)
	}
	c, err := check.New(context.Background(), check.Options{
		Bundle:       s.bundle,
		PolicySource: "policies/ (built in)",
		Account:      s.account,
		Region:       s.region,
		Mode:         s.mode,
		Now:          now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inRepo runs the test from the repository's root, so that fixture paths
// read as people type them (test/taskdefs/…), and returns the absolute path
// of this package's testdata.
func inRepo(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(wd, "..", ".."))
	return filepath.Join(wd, "testdata")
}

func run(t *testing.T, c *check.Checker, paths ...string) *check.Report {
	t.Helper()
	r, err := c.Check(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// outputs renders the three reports, with the policy's hash replaced by
// POLICYHASH so that the golden files change with what the policy says, not
// with every edit of it.
func outputs(t *testing.T, r *check.Report) (text, js, sarif []byte) {
	t.Helper()
	var a, b, c bytes.Buffer
	if err := r.Text(&a); err != nil {
		t.Fatal(err)
	}
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := r.SARIF(&c); err != nil {
		t.Fatal(err)
	}
	hash := []byte(r.Policy.Hash)
	norm := func(out []byte) []byte {
		out = bytes.ReplaceAll(out, hash, []byte("POLICYHASH"))
		return bytes.ReplaceAll(out, hash[:12], []byte("POLICYHASH"))
	}
	return norm(a.Bytes()), norm(b.Bytes()), norm(c.Bytes())
}

// TestProjectSamplesGolden judges the project's sample task definitions and
// templates (test/taskdefs, test/templates) and compares the three reports
// with their golden files.
func TestProjectSamplesGolden(t *testing.T) {
	testdata := inRepo(t)
	c := newChecker(t, setup{account: account, region: region})
	for _, tc := range []struct {
		name  string
		paths []string
		exit  int
	}{
		{"taskdefs", []string{"test/taskdefs/hardened.json", "test/taskdefs/unapproved-registry.json", "test/taskdefs/register-input.json", "test/taskdefs/ghcr-sidecar.yaml"}, check.ExitViolations},
		{"templates", []string{"test/templates/hardened.json", "test/templates/service.yaml", "test/templates/sam-app.yaml", "test/templates/cdk-assembly"}, check.ExitViolations},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, c, tc.paths...)
			if r.ExitCode != tc.exit {
				t.Errorf("exit %d, want %d", r.ExitCode, tc.exit)
			}
			text, js, sarif := outputs(t, r)
			golden.Check(t, filepath.Join(testdata, "golden", tc.name+".txt"), text)
			golden.Check(t, filepath.Join(testdata, "golden", tc.name+".json"), js)
			golden.Check(t, filepath.Join(testdata, "golden", tc.name+".sarif"), sarif)
		})
	}
}

// TestSARIFValidatesAgainstTheSchema validates the SARIF output (findings of
// every kind, exempted ones, unknown values, unmapped properties and input
// errors) against the SARIF 2.1.0 JSON schema, formats asserted.
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	testdata := inRepo(t)
	schemaFile := filepath.Join(testdata, "sarif-2.1.0-rtm.5.json")
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.AssertFormat()
	if err := compiler.AddResource("sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := compiler.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	exempting := withData(t, func(config map[string]any) {
		config["exemptions"] = []any{map[string]any{
			"scope": map[string]any{"family": "web"}, "rules": []any{"approved_registries"},
			"reason": "vendor image until the migration, ticket SEC-42", "expires": "2026-12-31",
		}}
	})
	for _, tc := range []struct {
		name  string
		setup setup
		paths []string
	}{
		{"project samples", setup{account: account, region: region}, []string{"test/taskdefs", "test/templates"}},
		{"exempted finding", setup{bundle: exempting, account: account, region: region}, []string{"test/taskdefs/unapproved-registry.json"}},
		{"bad input", setup{account: account, region: region}, []string{filepath.Join(testdata, "bad", "syntax-error.json"), "no/such/file.json"}},
		{"nothing given", setup{account: account, region: region}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, p := range tc.paths {
				if st, err := os.Stat(p); err == nil && st.IsDir() && !isAssembly(p) {
					entries, _ := os.ReadDir(p)
					for _, e := range entries {
						paths = append(paths, filepath.Join(p, e.Name()))
					}
					continue
				}
				paths = append(paths, p)
			}
			r := run(t, newChecker(t, tc.setup), paths...)
			var out bytes.Buffer
			if err := r.SARIF(&out); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("the SARIF log does not validate: %v\n%s", err, out.Bytes())
			}
		})
	}
	// The schema is really applied: a log with a wrong level is refused.
	broken, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if schema.Validate(broken) == nil {
		t.Error("the schema accepts a result with level \"fatal\"")
	}
}

func isAssembly(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "manifest.json"))
	return err == nil
}

// TestBadInputNamesTheFileAndWhere: every kind of bad input is exit 2 with
// the file and, where there is one, the line and JSON pointer; the files
// that can be judged still are.
func TestBadInputNamesTheFileAndWhere(t *testing.T) {
	testdata := inRepo(t)
	bad := func(name string) string {
		rel, err := filepath.Rel(mustGetwd(t), filepath.Join(testdata, "bad", name))
		if err != nil {
			t.Fatal(err)
		}
		return rel
	}
	c := newChecker(t, setup{account: account, region: region})
	tests := []struct {
		file string
		want string
	}{
		{bad("syntax-error.json"), "statemachine/check/testdata/bad/syntax-error.json:4:43: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{bad("syntax-error.yaml"), "statemachine/check/testdata/bad/syntax-error.yaml:2: invalid YAML: did not find expected '-' indicator"},
		{bad("not-an-object.json"), "statemachine/check/testdata/bad/not-an-object.json:1: the file holds a list; want a task definition or a CloudFormation template (an object)"},
		{bad("unknown-shape.json"), "statemachine/check/testdata/bad/unknown-shape.json:1: not a task definition (no containerDefinitions), describe-task-definition output (no taskDefinition) or CloudFormation template (no Resources); its keys: name, image"},
		{bad("no-container-list.json"), "statemachine/check/testdata/bad/no-container-list.json:1: /containerDefinitions: a task definition needs containerDefinitions, a list of container definitions"},
		{bad("empty.json"), "statemachine/check/testdata/bad/empty.json: the file is empty"},
		{bad("two-documents.yaml"), "statemachine/check/testdata/bad/two-documents.yaml:3: the file holds several YAML documents; give one task definition or template per file"},
		{bad("describe-bad-tags.json"), "statemachine/check/testdata/bad/describe-bad-tags.json:3: /tags: tags is an object, not a list of {key, value}"},
		{bad("intrinsic-in-taskdef.yaml"), "statemachine/check/testdata/bad/intrinsic-in-taskdef.yaml:4:12: /containerDefinitions/0/image: !Sub is a CloudFormation intrinsic function, which a task definition file cannot hold"},
		{bad("no-task-definition.json"), "statemachine/check/testdata/bad/no-task-definition.json:1: /Resources: no AWS::ECS::TaskDefinition resource in this template (it has 1 resource of other types)"},
		{"no/such/file.json", "no/such/file.json: no such file or folder"},
		{bad(""), "statemachine/check/testdata/bad: is a folder but not a cdk.out cloud assembly (it has no manifest.json); give task definition and template files, or a cdk.out folder"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			r := run(t, c, tc.file, "test/taskdefs/unapproved-registry.json")
			if r.ExitCode != check.ExitBadInput {
				t.Errorf("exit %d, want %d", r.ExitCode, check.ExitBadInput)
			}
			if len(r.Files) != 2 || len(r.Files[0].Errors) != 1 {
				t.Fatalf("files %+v, want the bad one with one error and the good one", r.Files)
			}
			if got := r.Files[0].Errors[0].Error(); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if len(r.Files[1].TaskDefinitions) != 1 || len(r.Files[1].TaskDefinitions[0].Decision.Violations) != 1 {
				t.Errorf("the good file was not judged: %+v", r.Files[1])
			}
		})
	}
}

// TestOneBadResourceDoesNotHideTheOthers: a template whose second task
// definition has wrong property types reports both errors with their lines
// and still judges the first.
func TestOneBadResourceDoesNotHideTheOthers(t *testing.T) {
	testdata := inRepo(t)
	r := run(t, newChecker(t, setup{account: account, region: region}), filepath.Join(testdata, "bad", "wrong-types.yaml"))
	if r.ExitCode != check.ExitBadInput {
		t.Errorf("exit %d, want 2", r.ExitCode)
	}
	f := r.Files[0]
	var errs []string
	for _, e := range f.Errors {
		errs = append(errs, fmt.Sprintf("%d %s %s", e.Line, e.Pointer, e.Message))
	}
	want := []string{
		`16 /Resources/Bad/Properties/ContainerDefinitions/0/Privileged Privileged is "yes", not a boolean (true or false)`,
		`17 /Resources/Bad/Properties/ContainerDefinitions/0/Memory Memory is "512MB", not a whole number`,
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	if len(f.TaskDefinitions) != 1 || f.TaskDefinitions[0].LogicalID != "Good" || f.TaskDefinitions[0].Outcome != contract.OutcomeReport {
		t.Errorf("task definitions %+v, want Good judged", f.TaskDefinitions)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestExemptionsAndEnforcementApplyAsAtRuntime: the bundle's enforcement
// levels and exemptions decide, as in the deployed workflow; exemptions
// scoped to what a task definition alone does not have (cluster, service)
// do not match.
func TestExemptionsAndEnforcementApplyAsAtRuntime(t *testing.T) {
	inRepo(t)
	exemption := func(scope map[string]any, expires string) func(map[string]any) {
		return func(config map[string]any) {
			ex := map[string]any{"scope": scope, "rules": []any{"approved_registries"}, "reason": "vendor image, ticket SEC-42"}
			if expires != "" {
				ex["expires"] = expires
			}
			config["exemptions"] = []any{ex}
		}
	}
	enforce := func(rule, level string) func(map[string]any) {
		return func(config map[string]any) {
			config["enforcement"].(map[string]any)[rule] = level
		}
	}
	tests := []struct {
		name         string
		edit         func(map[string]any)
		wantExit     int
		wantOutcome  contract.Outcome
		wantExempted int
		wantRegistry string // where approved_registries lands: violations, warnings, exempted or none
	}{
		{"shipped configuration: the registry rule denies", func(map[string]any) {}, 1, contract.OutcomeRemediate, 0, "violations"},
		{"an exemption for the family covers it", exemption(map[string]any{"family": "web"}, "2026-12-31"), 0, contract.OutcomeReport, 1, "exempted"},
		{"an exemption for the account covers it", exemption(map[string]any{"account": account}, ""), 0, contract.OutcomeReport, 1, "exempted"},
		{"an expired exemption does not", exemption(map[string]any{"family": "web"}, "2026-11-26"), 1, contract.OutcomeRemediate, 0, "violations"},
		{"an exemption for a cluster does not match a task definition alone", exemption(map[string]any{"cluster": "prod"}, ""), 1, contract.OutcomeRemediate, 0, "violations"},
		{"an exemption for a service does not either", exemption(map[string]any{"service": "web"}, ""), 1, contract.OutcomeRemediate, 0, "violations"},
		{"the rule at warn only warns", enforce("approved_registries", "warn"), 0, contract.OutcomeReport, 0, "warnings"},
		{"the rule off is not reported", enforce("approved_registries", "off"), 0, contract.OutcomeReport, 0, "none"},
		{"another rule at deny denies", enforce("image_digest", "deny"), 1, contract.OutcomeRemediate, 0, "violations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChecker(t, setup{bundle: withData(t, tc.edit), account: account, region: region})
			r := run(t, c, "test/taskdefs/unapproved-registry.json")
			td := r.Files[0].TaskDefinitions[0]
			if r.ExitCode != tc.wantExit || td.Outcome != tc.wantOutcome || len(td.Decision.Exempted) != tc.wantExempted {
				t.Errorf("exit %d, outcome %s, %d exempted; want %d, %s, %d", r.ExitCode, td.Outcome, len(td.Decision.Exempted), tc.wantExit, tc.wantOutcome, tc.wantExempted)
			}
			where := "none"
			for _, list := range []struct {
				name  string
				items []contract.Violation
			}{{"violations", td.Decision.Violations}, {"warnings", td.Decision.Warnings}, {"exempted", td.Decision.Exempted}} {
				for _, v := range list.items {
					if v.Rule == "approved_registries" {
						where = list.name
					}
				}
			}
			if where != tc.wantRegistry {
				t.Errorf("approved_registries is in %s, want %s", where, tc.wantRegistry)
			}
		})
	}
}

// TestAccountAndRegionAreNeededOnlyWhenThePolicyNeedsThem.
func TestAccountAndRegionAreNeededOnlyWhenThePolicyNeedsThem(t *testing.T) {
	inRepo(t)
	registries := withData(t, func(config map[string]any) {
		config["registries"] = []any{"123456789012.dkr.ecr.us-east-1.amazonaws.com"}
	})
	tests := []struct {
		name    string
		opts    check.Options
		wantErr string
	}{
		{"the account's ECR by default: both needed", check.Options{Bundle: library(t)}, "give --account and --region"},
		{"the account alone is not enough", check.Options{Bundle: library(t), Account: account}, "give --account and --region"},
		{"registries listed: neither needed", check.Options{Bundle: registries}, ""},
		{"an account that is not one", check.Options{Bundle: registries, Account: "12345"}, `account "12345" is not an AWS account id (12 digits)`},
		{"a region that is not one", check.Options{Bundle: registries, Region: "useast1"}, `region "useast1" is not an AWS Region name`},
		{"a mode that is not one", check.Options{Bundle: registries, Mode: "dry-run"}, `mode "dry-run": allowed: enforce or audit`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := check.New(context.Background(), tc.opts)
			var ue *check.UsageError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.wantErr != "" && (err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want a usage error containing %q", err, tc.wantErr)
			}
		})
	}

	// Without the flags, the pseudo parameters are unknown, not guessed.
	c := newChecker(t, setup{bundle: registries})
	r := run(t, c, "test/templates/hardened.json")
	td := r.Files[0].TaskDefinitions[0]
	if len(td.Unknown) == 0 || td.Unknown[0].Field != "/taskDefinition/containerDefinitions/0/image" || !strings.Contains(td.Unknown[0].Reason, "give --account") {
		t.Errorf("unknown = %+v, want the image, naming --account", td.Unknown)
	}
}

// TestChinaRegionsResolveTheirURLSuffix: AWS::URLSuffix in a cn- region is
// amazonaws.com.cn, which is where the policy's default registry is too.
func TestChinaRegionsResolveTheirURLSuffix(t *testing.T) {
	inRepo(t)
	r := run(t, newChecker(t, setup{account: account, region: "cn-north-1"}), "test/templates/cdk-assembly")
	for _, f := range r.Files {
		for _, td := range f.TaskDefinitions {
			if td.LogicalID != "WebTaskDef2F8A1B3C" {
				continue
			}
			if len(td.Decision.Violations) != 0 {
				t.Errorf("the CDK asset image in cn-north-1 is not approved: %+v", td.Decision.Violations)
			}
			return
		}
	}
	t.Error("WebTaskDef2F8A1B3C not judged")
}

// TestModeChangesTheWordingNotTheExitStatus.
func TestModeChangesTheWordingNotTheExitStatus(t *testing.T) {
	inRepo(t)
	for _, tc := range []struct {
		mode    contract.Mode
		outcome contract.Outcome
		words   string
	}{
		{contract.ModeEnforce, contract.OutcomeRemediate, "would be stopped and deregistered (mode enforce)"},
		{contract.ModeAudit, contract.OutcomeReport, "would be reported (mode audit)"},
	} {
		r := run(t, newChecker(t, setup{account: account, region: region, mode: tc.mode}), "test/taskdefs/unapproved-registry.json")
		td := r.Files[0].TaskDefinitions[0]
		if r.ExitCode != check.ExitViolations || td.Outcome != tc.outcome || !strings.HasPrefix(td.AtRuntime, tc.words) {
			t.Errorf("mode %s: exit %d, outcome %s, %q", tc.mode, r.ExitCode, td.Outcome, td.AtRuntime)
		}
	}
}

// TestReportsReadNaturallyWithoutATask: nothing in any report speaks of a
// task that does not exist (no task ARN, no "task of service").
func TestReportsReadNaturallyWithoutATask(t *testing.T) {
	inRepo(t)
	r := run(t, newChecker(t, setup{account: account, region: region}),
		"test/taskdefs/unapproved-registry.json", "test/taskdefs/register-input.json", "test/templates/service.yaml")
	text, js, sarif := outputs(t, r)
	// In SARIF, what check writes: results and notifications (the rules'
	// descriptions are the policy's).
	var log struct {
		Runs []struct {
			Results     json.RawMessage `json:"results"`
			Invocations json.RawMessage `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarif, &log); err != nil {
		t.Fatal(err)
	}
	sarif = append(log.Runs[0].Results, log.Runs[0].Invocations...)
	for name, out := range map[string][]byte{"text": text, "json": js, "sarif": sarif} {
		for _, bad := range []string{"taskArn", "task of service", "standalone task", ":task/", `"task"`, "cluster"} {
			if bytes.Contains(out, []byte(bad)) {
				t.Errorf("%s report contains %q", name, bad)
			}
		}
	}
}

// TestNamesFromFilesAreSafeToPrint: terminal escapes and line breaks in a
// container's name or image do not reach the text report.
func TestNamesFromFilesAreSafeToPrint(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "evil.json")
	td := `{"family": "web\u001b[2J", "containerDefinitions": [{"name": "web\nFAKE LINE", "image": "evil.io/x:1\u001b]0;title\u0007"}]}`
	if err := os.WriteFile(file, []byte(td), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, newChecker(t, setup{account: account, region: region}), file)
	var out bytes.Buffer
	if err := r.Text(&out); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\x07") {
		t.Errorf("the text report holds control characters:\n%q", out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "FAKE LINE") {
			t.Errorf("a name forged a line of the report: %q", line)
		}
	}
}

// BenchmarkCheckTemplate is the time to judge one template with two task
// definitions (test/templates/service.yaml: read, parse, map, evaluate
// both), the policy compiled once beforehand as the command does.
func BenchmarkCheckTemplate(b *testing.B) {
	wd, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	b.Chdir(filepath.Join(wd, "..", ".."))
	c := newChecker(b, setup{account: account, region: region})
	for b.Loop() {
		if _, err := c.Check(context.Background(), []string{"test/templates/service.yaml"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckNew is the policy's compilation, paid once per run.
func BenchmarkCheckNew(b *testing.B) {
	files := library(b)
	for b.Loop() {
		if _, err := check.New(context.Background(), check.Options{Bundle: files, Account: account, Region: region}); err != nil {
			b.Fatal(err)
		}
	}
}
