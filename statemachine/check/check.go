// Package check judges ECS task definitions before they are deployed: in CI,
// on the files a change touches. It reads task definitions in the ECS API's
// shape (what `aws ecs describe-task-definition` prints, with or without its
// {taskDefinition, tags} envelope, and the input of `aws ecs
// register-task-definition --cli-input-json`), CloudFormation and SAM
// templates (JSON or YAML, every AWS::ECS::TaskDefinition resource, mapped
// to the API's shape by an explicit table), and cdk.out folders (every
// template in them), and evaluates each task definition with the same
// engine, policy bundle, enforcement levels and exemptions as the deployed
// workflow (package policy).
//
// A task definition is judged without a task: input.task is {} (task-level
// rules have nothing to read, exemptions scoped to a cluster or a service do
// not match), input.tags are the task definition's own tags, input.context
// is the account and region given (needed when the policy's default approved
// registry is the account's ECR) and the time now.
//
// Values a template builds with intrinsic functions whose result is known
// only at deploy time (parameters, other resources' attributes, imports,
// conditions) are never guessed: they are left out of the evaluated document
// and reported as unknown. The pseudo parameters AWS::AccountId,
// AWS::Region, AWS::Partition and AWS::URLSuffix are known from the account
// and region given, so Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
// Fn::FindInMap and Fn::Base64 over them and over literals are evaluated.
//
// Reports: text for people (Text), JSON for programs (JSON) and SARIF 2.1.0
// for code-scanning UIs (SARIF). Exit status (Report.ExitCode): 0 no
// deny-level violation, 1 at least one, 2 bad input.
package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/evaluate"
)

// Exit statuses.
const (
	ExitCompliant  = 0 // no deny-level violation
	ExitViolations = 1 // at least one deny-level violation
	ExitBadInput   = 2 // a file could not be read or judged
)

// Options configure a Checker.
type Options struct {
	// Bundle is the policy bundle (bundle.ReadFS of the policy folder).
	Bundle map[string]string
	// PolicySource names the bundle in reports ("policies/ (built in)").
	PolicySource string
	// Account and Region are input.context's, and what the pseudo
	// parameters AWS::AccountId and AWS::Region resolve to. They are
	// required when the policy approves the account's own ECR registry
	// (ecs.config.registries empty).
	Account, Region string
	// Mode is the deployed mode the report describes: enforce (the default)
	// or audit. It changes what the report says would happen, not the exit
	// status.
	Mode contract.Mode
	// Now is the time exemptions expire against (default: time.Now).
	Now func() time.Time
	// BaseDir is the folder report paths are relative to in SARIF (default:
	// the working directory).
	BaseDir string
	// Workers is how many goroutines read files and evaluate task
	// definitions (the compiled policy is shared): 0 is GOMAXPROCS, 1 one
	// after the other. The report does not depend on it.
	Workers int
}

// Checker judges files against one compiled policy.
type Checker struct {
	opts   Options
	policy *policy.Policy
	rules  []policy.Rule
	env    env
}

// UsageError is a problem with the options (a missing --account, a bad
// --region): the command's exit status 2, before any file is read.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

var (
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-\d+$`)
)

// New compiles the bundle and checks the options against what it needs.
func New(ctx context.Context, opts Options) (*Checker, error) {
	switch opts.Mode {
	case "":
		opts.Mode = contract.ModeEnforce
	case contract.ModeAudit, contract.ModeEnforce:
	default:
		return nil, &UsageError{fmt.Sprintf("mode %q: allowed: enforce or audit", opts.Mode)}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Account != "" && !accountPattern.MatchString(opts.Account) {
		return nil, &UsageError{fmt.Sprintf("account %q is not an AWS account id (12 digits)", opts.Account)}
	}
	if opts.Region != "" && !regionPattern.MatchString(opts.Region) {
		return nil, &UsageError{fmt.Sprintf("region %q is not an AWS Region name (such as us-east-1)", opts.Region)}
	}
	if opts.BaseDir == "" {
		opts.BaseDir, _ = os.Getwd()
	}
	data, err := policy.Data(opts.Bundle)
	if err != nil {
		return nil, err
	}
	if registries, _ := lookup(data, "ecs", "config", "registries").([]any); len(registries) == 0 && (opts.Account == "" || opts.Region == "") {
		return nil, &UsageError{"the policy approves only the account's own Amazon ECR registry in its region " +
			"(ecs.config.registries is empty), so it needs the account and the region the task definitions are deployed to: " +
			"give --account and --region, or list the approved registries in the policy data"}
	}
	rules, err := policy.Rules(opts.Bundle)
	if err != nil {
		return nil, err
	}
	p, err := policy.Compile(ctx, opts.Bundle)
	if err != nil {
		return nil, err
	}
	return &Checker{opts: opts, policy: p, rules: rules, env: newEnv(opts.Account, opts.Region)}, nil
}

// Rules are the policy's rules, from their METADATA annotations.
func (c *Checker) Rules() []policy.Rule { return c.rules }

func lookup(doc map[string]any, path ...string) any {
	var cur any = doc
	for _, key := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[key]
	}
	return cur
}

// Report is the result of a check: per file, per task definition, the
// decision.
type Report struct {
	Mode    contract.Mode  `json:"mode"`
	Policy  PolicyRef      `json:"policy"`
	Context policy.Context `json:"context"`
	Files   []File         `json:"files"`
	Summary Summary        `json:"summary"`
	// ExitCode is the command's exit status: ExitCompliant,
	// ExitViolations or ExitBadInput.
	ExitCode int `json:"exitCode"`

	rules   []policy.Rule
	baseDir string
}

// PolicyRef names the bundle that decided.
type PolicyRef struct {
	Source string `json:"source"`
	Hash   string `json:"hash"`
}

// Summary counts what the report holds.
type Summary struct {
	Files           int `json:"files"`
	TaskDefinitions int `json:"taskDefinitions"`
	// NonCompliant is how many task definitions have a deny-level
	// violation.
	NonCompliant int `json:"nonCompliant"`
	Violations   int `json:"violations"`
	Warnings     int `json:"warnings"`
	Exempted     int `json:"exempted"`
	Unknown      int `json:"unknown"`
	Unmapped     int `json:"unmapped"`
	Errors       int `json:"errors"`
}

// File is one file given (or one template of a cdk.out folder).
type File struct {
	// File is the path as given, with forward slashes.
	File string `json:"file"`
	// Kind is what the file is: "task definition", "describe-task-definition
	// output", "register-task-definition input", "CloudFormation template",
	// "SAM template", "cdk.out template".
	Kind            string           `json:"kind,omitempty"`
	TaskDefinitions []TaskDefinition `json:"taskDefinitions"`
	// Errors make the file bad input (exit status 2).
	Errors []InputError `json:"errors,omitempty"`
}

// TaskDefinition is the judgement of one task definition.
type TaskDefinition struct {
	// Name is how reports name it: the logical id in a template, else
	// family:revision, family, or the file's name.
	Name      string `json:"name"`
	LogicalID string `json:"logicalId,omitempty"`
	Family    string `json:"family,omitempty"`
	Revision  int    `json:"revision,omitempty"`
	// CDKPath is the construct path CDK records in the resource's metadata.
	CDKPath string `json:"cdkPath,omitempty"`
	// Line and Pointer locate it in the file (the logical id's line in a
	// template).
	Line    int    `json:"line,omitempty"`
	Pointer string `json:"pointer,omitempty"`
	// Outcome is the workflow's branch for this decision in the mode
	// (COMPLIANT, REPORT, REMEDIATE) and AtRuntime says it in words.
	Outcome   contract.Outcome   `json:"outcome,omitempty"`
	AtRuntime string             `json:"atRuntime,omitempty"`
	Decision  *contract.Decision `json:"decision,omitempty"`
	// Unknown values were left out of the evaluated document; Unmapped
	// properties too.
	Unknown  []Unknown  `json:"unknown"`
	Unmapped []Unmapped `json:"unmapped,omitempty"`
	// Notes are other things a reader should know about this judgement.
	Notes []string `json:"notes,omitempty"`

	containers []container
}

// Check judges every file (task definitions, templates, cdk.out folders) and
// returns the report. It never stops at a bad file: the others are judged.
// Files are read and task definitions evaluated on Options.Workers
// goroutines; the report is the same whatever their number.
func (c *Checker) Check(ctx context.Context, paths []string) (*Report, error) {
	now := c.opts.Now().UTC().Format(time.RFC3339)
	r := &Report{
		Mode:    c.opts.Mode,
		Policy:  PolicyRef{Source: c.opts.PolicySource, Hash: c.policy.Hash},
		Context: policy.Context{Account: c.opts.Account, Region: c.opts.Region, Time: now},
		Files:   []File{},
		rules:   c.rules,
		baseDir: c.opts.BaseDir,
	}
	// What to read, in the order of the report.
	var plans []pathPlan
	var reads []*fileRead
	for _, p := range paths {
		pl := c.planPath(p)
		reads = append(reads, pl.reads...)
		plans = append(plans, pl)
	}
	// Read and map every file, then evaluate every task definition found.
	workers := c.workers()
	parallel(workers, len(reads), func(i int) { c.readFile(reads[i]) })
	type job struct {
		f *fileRead
		i int
	}
	var jobs []job
	for _, f := range reads {
		f.judged = make([]TaskDefinition, len(f.targets))
		f.errs = make([]error, len(f.targets))
		for i := range f.targets {
			jobs = append(jobs, job{f, i})
		}
	}
	parallel(workers, len(jobs), func(k int) {
		j := jobs[k]
		j.f.judged[j.i], j.f.errs[j.i] = c.evaluate(ctx, j.f.targets[j.i], now)
	})
	for _, pl := range plans {
		files, err := pl.files()
		if err != nil {
			return nil, err
		}
		r.Files = append(r.Files, files...)
	}
	r.summarize()
	return r, nil
}

// workers is how many goroutines read and evaluate.
func (c *Checker) workers() int {
	if c.opts.Workers > 0 {
		return c.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// parallel runs do(0) … do(n-1) on at most workers goroutines (on the
// calling goroutine when there is one worker or one task).
func parallel(workers, n int, do func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := range n {
			do(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				do(i)
			}
		})
	}
	wg.Wait()
}

func (r *Report) summarize() {
	s := Summary{Files: len(r.Files)}
	for _, f := range r.Files {
		s.Errors += len(f.Errors)
		for _, td := range f.TaskDefinitions {
			s.TaskDefinitions++
			s.Unknown += len(td.Unknown)
			s.Unmapped += len(td.Unmapped)
			if d := td.Decision; d != nil {
				s.Violations += len(d.Violations)
				s.Warnings += len(d.Warnings)
				s.Exempted += len(d.Exempted)
				if len(d.Violations) > 0 {
					s.NonCompliant++
				}
			}
		}
	}
	r.Summary = s
	switch {
	case s.Errors > 0:
		r.ExitCode = ExitBadInput
	case s.Violations > 0:
		r.ExitCode = ExitViolations
	default:
		r.ExitCode = ExitCompliant
	}
}

// displayPath is a path as reports show it.
func displayPath(p string) string { return filepath.ToSlash(filepath.Clean(p)) }

// pathPlan is what one path given becomes in the report: a File that says
// why it cannot be read, or the files to read (one, or a cdk.out folder's
// templates).
type pathPlan struct {
	bad   *File
	reads []*fileRead
	// cdkOut is the folder's display path when the path is a cdk.out folder:
	// a File says so when none of its templates has a task definition.
	cdkOut string
}

// fileRead is one file to read and judge, then what was found in it.
type fileRead struct {
	path  string
	inCDK bool

	file    File // File, Kind and Errors once read
	targets []target
	judged  []TaskDefinition
	errs    []error
}

func badPath(p, message string) pathPlan {
	return pathPlan{bad: &File{File: displayPath(p), TaskDefinitions: []TaskDefinition{}, Errors: []InputError{{File: displayPath(p), Message: message}}}}
}

func (c *Checker) planPath(p string) pathPlan {
	st, err := os.Stat(p)
	if err != nil {
		return badPath(p, readError(err))
	}
	if !st.IsDir() {
		return pathPlan{reads: []*fileRead{{path: p}}}
	}
	if _, err := os.Stat(filepath.Join(p, "manifest.json")); err != nil {
		return badPath(p, "is a folder but not a cdk.out cloud assembly (it has no manifest.json); give task definition and template files, or a cdk.out folder")
	}
	templates, err := cdkTemplates(p)
	if err != nil {
		return badPath(p, readError(err))
	}
	pl := pathPlan{cdkOut: displayPath(p)}
	for _, t := range templates {
		pl.reads = append(pl.reads, &fileRead{path: t, inCDK: true})
	}
	return pl
}

// files are the plan's Files once its files are read and judged. The error
// is not about a file (the policy failed): the check cannot go on.
func (pl pathPlan) files() ([]File, error) {
	if pl.bad != nil {
		return []File{*pl.bad}, nil
	}
	var out []File
	found := 0
	for _, f := range pl.reads {
		file := f.file
		for i, td := range f.judged {
			if err := f.errs[i]; err != nil {
				return nil, fmt.Errorf("%s: %s: the policy failed: %w", file.File, f.targets[i].td.Name, err)
			}
			file.TaskDefinitions = append(file.TaskDefinitions, td)
		}
		found += len(file.TaskDefinitions)
		out = append(out, file)
	}
	if pl.cdkOut != "" && found == 0 {
		out = append(out, File{File: pl.cdkOut, Kind: "cdk.out", TaskDefinitions: []TaskDefinition{}, Errors: []InputError{{File: pl.cdkOut,
			Message: fmt.Sprintf("no %s resource in any of its %d templates", TaskDefinitionType, len(pl.reads))}}})
	}
	return out, nil
}

// cdkTemplates lists the CloudFormation templates of a cloud assembly: every
// *.template.json, nested stacks' and nested assemblies' (CDK Pipelines
// stages) included, assets excluded.
func cdkTemplates(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(d.Name(), "asset.") || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".template.json") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func readError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readFile reads and parses one file and finds its task definitions.
func (c *Checker) readFile(f *fileRead) {
	name := displayPath(f.path)
	f.file = File{File: name, TaskDefinitions: []TaskDefinition{}}
	data, err := os.ReadFile(f.path)
	if err != nil {
		f.file.Errors = append(f.file.Errors, InputError{File: name, Message: readError(err)})
		return
	}
	kind, targets, errs := c.read(name, data, f.inCDK)
	f.file.Kind = kind
	for _, e := range errs {
		f.file.Errors = append(f.file.Errors, *e)
	}
	f.targets = targets
}

// read parses a file and finds its task definitions, in the API's shape.
func (c *Checker) read(name string, data []byte, inCDK bool) (kind string, targets []target, errs []*InputError) {
	root, perr := parse(name, data)
	if perr != nil {
		return "", nil, []*InputError{perr}
	}
	switch {
	case root.Kind != yaml.MappingNode:
		errs = append(errs, &InputError{File: name, Line: root.Line, Message: "the file holds " + kindName(root) + "; want a task definition or a CloudFormation template (an object)"})
	case get(root, "Resources") != nil:
		kind, targets, errs = c.templateTargets(name, root, inCDK)
	case get(root, "taskDefinition") != nil || get(root, "containerDefinitions") != nil:
		kind, targets, errs = apiTargets(name, root)
	default:
		var keys []string
		for _, fl := range fields(root) {
			keys = append(keys, fl.key.Value)
		}
		if len(keys) > 6 {
			keys = append(keys[:6], "…")
		}
		errs = append(errs, &InputError{File: name, Line: root.Line, Message: fmt.Sprintf(
			"not a task definition (no containerDefinitions), describe-task-definition output (no taskDefinition) or CloudFormation template (no Resources); its keys: %s",
			strings.Join(keys, ", "))})
	}
	return kind, targets, errs
}

// target is a task definition ready to be evaluated.
type target struct {
	td   TaskDefinition
	doc  map[string]any
	tags map[string]string
}

// evaluate judges one task definition with the policy, as the evaluate step
// does, with an empty task.
func (c *Checker) evaluate(ctx context.Context, t target, now string) (TaskDefinition, error) {
	raw, err := json.Marshal(t.doc)
	if err != nil {
		return TaskDefinition{}, err
	}
	tags := t.tags
	if tags == nil {
		tags = map[string]string{}
	}
	d, err := c.policy.Decide(ctx, policy.Input{
		Task:           json.RawMessage(`{}`),
		TaskDefinition: raw,
		Tags:           tags,
		Context:        policy.Context{Account: c.opts.Account, Region: c.opts.Region, Time: now},
	})
	if err != nil {
		return TaskDefinition{}, err
	}
	td := t.td
	td.Decision = d
	td.Outcome = evaluate.Outcome(d, c.opts.Mode)
	td.AtRuntime = atRuntime(d, c.opts.Mode)
	if td.Unknown == nil {
		td.Unknown = []Unknown{}
	}
	return td, nil
}

// atRuntime says what the deployed workflow would do with a task started
// from a task definition so judged.
func atRuntime(d *contract.Decision, mode contract.Mode) string {
	switch {
	case len(d.Violations) > 0 && mode == contract.ModeEnforce:
		return "would be stopped and deregistered (mode enforce): a task started from it is stopped, its service scaled to zero, and the task definition deregistered"
	case len(d.Violations) > 0:
		return "would be reported (mode audit): deny-level violations are reported, nothing is stopped"
	case len(d.Warnings) > 0:
		return "would be reported: warnings are reported, never remediated"
	case len(d.Exempted) > 0:
		return "would be reported as exempted"
	default:
		return "would be allowed"
	}
}
