// Package policy evaluates ECS tasks against a Rego policy bundle with OPA.
//
// A bundle (contract.Bundle: .rego modules and data.json files keyed by their
// path) is compiled once per content hash: its modules are parsed with OPA's
// loader from an in-memory file system, so that a data.json under a folder
// lands at that folder's path in data, exactly as `opa test policies` and
// `opa eval -d policies` load the policy folder. The query
// data.ecs.compliance.decision is prepared once and each event is then a
// single evaluation. The Engine keeps the prepared queries of the last few
// bundles, so a warm Lambda pays compilation only when the policy changes.
//
// Every error is a step error named contract.ErrPolicy (a bundle that does not
// compile, with the module's file and line; a decision of the wrong shape;
// a bad configuration), so that it reaches the failure report and never causes
// a remediation; input that is not JSON is contract.ErrInvalidInput.
package policy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DecisionQuery is the query every event evaluates.
const DecisionQuery = "data.ecs.compliance.decision"

// ConfigErrorsQuery lists what is wrong with the bundle's configuration
// (data.ecs.config). It is evaluated once per bundle, without input; a bundle
// that defines it and has any is refused. A bundle without it is accepted.
const ConfigErrorsQuery = "data.ecs.compliance.config_errors"

// TaskScopedQuery is the set of rules that an exemption scoped to a
// cluster or a service (something only a task has) could lift. A decision
// made without a task (at registration) holds for every task of the
// revision only through the other rules' violations. A bundle without it:
// every rule counts as liftable (a registration's judgement then stands for
// the registration alone).
const TaskScopedQuery = "data.ecs.compliance.task_scoped_rules"

// Policy is a compiled bundle: the prepared decision query and what the
// evaluate step reads from the bundle's configuration.
type Policy struct {
	// Hash is the bundle's content hash (bundle.Hash).
	Hash string
	// ApprovalSeverities is data.ecs.config.approval.severities: the
	// severities whose violations need a person's approval before
	// remediation. Empty means every severity.
	ApprovalSeverities []string

	decision rego.PreparedEvalQuery
	// taskScoped is TaskScopedQuery prepared, when the bundle defines it.
	taskScoped *rego.PreparedEvalQuery
}

// Compile compiles a bundle's files and prepares the decision query. It
// does not cache: use an Engine for that.
func Compile(ctx context.Context, files map[string]string) (*Policy, error) {
	if len(files) == 0 {
		return nil, step.Errorf(contract.ErrPolicy, "policy bundle has no files")
	}
	if err := bundle.Validate(files); err != nil {
		return nil, step.Wrap(contract.ErrPolicy, err)
	}
	loaded, err := load(files)
	if err != nil {
		return nil, err
	}
	modules := loaded.ParsedModules()

	// Reads return AST values converted once, here, instead of converting
	// data.ecs.config on every evaluation.
	store := inmem.NewFromObjectWithOpts(loaded.Documents, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	compiler, err := compile(ctx, store, modules)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(ctx, compiler, store); err != nil {
		return nil, err
	}
	severities, err := approvalSeverities(loaded.Documents)
	if err != nil {
		return nil, err
	}
	decision, err := prepare(ctx, DecisionQuery, compiler, store)
	if err != nil {
		return nil, err
	}
	if !defines(compiler, DecisionQuery) {
		return nil, step.Errorf(contract.ErrPolicy,
			"policy bundle defines no %s: one module must declare package ecs.compliance with a rule named decision", DecisionQuery)
	}
	p := &Policy{Hash: bundle.Hash(files), ApprovalSeverities: severities, decision: decision}
	if defines(compiler, TaskScopedQuery) {
		pq, err := prepare(ctx, TaskScopedQuery, compiler, store)
		if err != nil {
			return nil, err
		}
		p.taskScoped = &pq
	}
	return p, nil
}

// TaskScopedRules evaluates TaskScopedQuery for an input: the rules that a
// task-scoped exemption could lift; known is false when the bundle does not
// define the query (then every rule must be taken as liftable).
func (p *Policy) TaskScopedRules(ctx context.Context, input any) (rules []string, known bool, err error) {
	if p.taskScoped == nil {
		return nil, false, nil
	}
	opt, err := evalInput(input)
	if err != nil {
		return nil, false, err
	}
	rs, err := p.taskScoped.Eval(ctx, opt)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, step.Errorf(contract.ErrTransient, "evaluate %s: %v", TaskScopedQuery, ctx.Err())
		}
		return nil, false, step.Errorf(contract.ErrPolicy, "evaluate %s: %s", TaskScopedQuery, flatten(err))
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, true, nil
	}
	list, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, false, step.Errorf(contract.ErrPolicy, "%s is %s, not a set of rule ids", TaskScopedQuery, kind(rs[0].Expressions[0].Value))
	}
	for _, v := range list {
		r, ok := v.(string)
		if !ok {
			return nil, false, step.Errorf(contract.ErrPolicy, "%s holds %v, not a rule id", TaskScopedQuery, v)
		}
		rules = append(rules, r)
	}
	sort.Strings(rules)
	return rules, true, nil
}

// compile compiles the modules with the custom built-ins, checking that no
// rule's path collides with the bundle's data.
func compile(ctx context.Context, store storage.Store, modules map[string]*ast.Module) (*ast.Compiler, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, step.Errorf(contract.ErrPolicy, "open policy data: %v", err)
	}
	defer store.Abort(ctx, txn)
	caps := ast.CapabilitiesForThisVersion()
	for _, b := range builtins.Declarations() {
		caps.Builtins = append(caps.Builtins, b)
	}
	compiler := ast.NewCompiler().
		WithCapabilities(caps).
		WithUseTypeCheckAnnotations(true).
		WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn))
	compiler.Compile(modules)
	if compiler.Failed() {
		return nil, step.Errorf(contract.ErrPolicy, "compile policy bundle: %s", flatten(compiler.Errors))
	}
	return compiler, nil
}

func prepare(ctx context.Context, query string, compiler *ast.Compiler, store storage.Store) (rego.PreparedEvalQuery, error) {
	opts := append([]func(*rego.Rego){
		rego.Query(query),
		rego.Compiler(compiler),
		rego.Store(store),
	}, builtins.Options()...)
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return rego.PreparedEvalQuery{}, step.Errorf(contract.ErrPolicy, "prepare %s: %s", query, flatten(err))
	}
	return pq, nil
}

// defines tells whether some module declares a rule at the query's path.
func defines(compiler *ast.Compiler, query string) bool {
	ref := ast.MustParseRef(query)
	return len(compiler.GetRulesExact(ref)) > 0
}

// checkConfig evaluates ConfigErrorsQuery (when the bundle defines it) and
// refuses the bundle when it lists anything.
func checkConfig(ctx context.Context, compiler *ast.Compiler, store storage.Store) error {
	if !defines(compiler, ConfigErrorsQuery) {
		return nil
	}
	pq, err := prepare(ctx, ConfigErrorsQuery, compiler, store)
	if err != nil {
		return err
	}
	rs, err := pq.Eval(ctx)
	if err != nil {
		return step.Errorf(contract.ErrPolicy, "evaluate %s: %s", ConfigErrorsQuery, flatten(err))
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil
	}
	list, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return step.Errorf(contract.ErrPolicy, "%s is %s, not a set of messages", ConfigErrorsQuery, kind(rs[0].Expressions[0].Value))
	}
	if len(list) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(list))
	for _, m := range list {
		msgs = append(msgs, fmt.Sprint(m))
	}
	sort.Strings(msgs)
	return step.Errorf(contract.ErrPolicy, "policy configuration (data.ecs.config) has %d error(s): %s", len(msgs), strings.Join(msgs, "; "))
}

// approvalSeverities reads data.ecs.config.approval.severities.
func approvalSeverities(docs map[string]any) ([]string, error) {
	const path = "ecs.config.approval.severities"
	cur, found := lookup(docs, strings.Split(path, ".")...)
	if !found {
		return nil, nil
	}
	list, ok := cur.([]any)
	if !ok {
		return nil, step.Errorf(contract.ErrPolicy, "data.%s is %s, not a list of severities", path, kind(cur))
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || !validSeverity(s) {
			return nil, step.Errorf(contract.ErrPolicy, "data.%s[%d] is %v; allowed: %s", path, i, v, strings.Join(severities, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// Decide evaluates the decision for one input. The input is an Input, an
// ast.Value, or any value OPA can convert (a map from JSON).
func (p *Policy) Decide(ctx context.Context, input any) (*contract.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, step.Errorf(contract.ErrTransient, "evaluate %s: %v", DecisionQuery, err)
	}
	opt, err := evalInput(input)
	if err != nil {
		return nil, err
	}
	rs, err := p.decision.Eval(ctx, opt)
	if err != nil {
		if ctx.Err() != nil {
			return nil, step.Errorf(contract.ErrTransient, "evaluate %s: %v", DecisionQuery, ctx.Err())
		}
		return nil, step.Errorf(contract.ErrPolicy, "evaluate %s: %s", DecisionQuery, flatten(err))
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, step.Errorf(contract.ErrPolicy,
			"%s is undefined for this input: the decision rule must be defined for every input (give it a default)", DecisionQuery)
	}
	d, err := parseDecision(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, step.Wrap(contract.ErrPolicy, err)
	}
	return d, nil
}

func evalInput(input any) (rego.EvalOption, error) {
	input, err := parsedInput(input)
	if err != nil {
		return nil, err
	}
	if v, ok := input.(ast.Value); ok {
		return rego.EvalParsedInput(v), nil
	}
	return rego.EvalInput(input), nil
}

// parsedInput is an Input (or *Input) converted to its ast.Value, so that
// several queries can share one conversion; any other input as it is.
func parsedInput(input any) (any, error) {
	switch in := input.(type) {
	case Input:
		return in.Value()
	case *Input:
		return in.Value()
	default:
		return input, nil
	}
}

// flatten renders OPA's error lists on one line (each item carries its
// file:row).
func flatten(err error) string {
	var items []string
	switch e := err.(type) {
	case ast.Errors:
		for _, item := range e {
			items = append(items, item.Error())
		}
	case loader.Errors:
		for _, item := range e {
			items = append(items, item.Error())
		}
	default:
		return err.Error()
	}
	return strings.Join(items, "; ")
}
