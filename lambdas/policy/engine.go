package policy

import (
	"context"
	"sync"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DefaultCacheSize is how many compiled bundles an Engine keeps: the current
// policy and a few recent ones (a deployment rolls from one to the next while
// executions that loaded the previous one are still running).
const DefaultCacheSize = 4

// Engine compiles bundles once per content hash and evaluates decisions. It
// is safe for concurrent use; concurrent requests for a bundle that is being
// compiled wait for that compilation instead of repeating it.
type Engine struct {
	size int

	mu      sync.Mutex
	clock   uint64
	entries map[string]*entry
}

type entry struct {
	ready   chan struct{} // closed when policy/err are set
	policy  *Policy
	err     error
	lastUse uint64
}

// NewEngine returns an Engine that keeps at most size compiled bundles
// (DefaultCacheSize when size < 1).
func NewEngine(size int) *Engine {
	if size < 1 {
		size = DefaultCacheSize
	}
	return &Engine{size: size, entries: map[string]*entry{}}
}

// Result is one evaluation: the decision and the bundle's approval
// severities.
type Result struct {
	// Hash is the bundle's content hash.
	Hash     string
	Decision *contract.Decision
	// ApprovalSeverities is the bundle's ecs.config.approval.severities
	// (empty means every severity).
	ApprovalSeverities []string
	// TaskScopedRules are the rules a task-scoped exemption could lift
	// (TaskScopedQuery), evaluated only when asked for and the decision has
	// violations; TaskScopedKnown is false when they were not evaluated or
	// the bundle does not say.
	TaskScopedRules []string
	TaskScopedKnown bool
}

// Evaluate evaluates the bundle's decision for one input, compiling the
// bundle only when its hash is not cached. With taskScoped (the evaluate
// step sets it for a registration, the only judgement that needs them) and
// a decision with violations, it also evaluates TaskScopedQuery on the same
// input, converted once.
func (e *Engine) Evaluate(ctx context.Context, b contract.Bundle, input any, taskScoped bool) (Result, error) {
	p, err := e.Policy(ctx, b)
	if err != nil {
		return Result{}, err
	}
	if taskScoped {
		if input, err = parsedInput(input); err != nil {
			return Result{}, err
		}
	}
	d, err := p.Decide(ctx, input)
	if err != nil {
		return Result{}, err
	}
	res := Result{Hash: p.Hash, Decision: d, ApprovalSeverities: p.ApprovalSeverities}
	if taskScoped && len(d.Violations) > 0 {
		if res.TaskScopedRules, res.TaskScopedKnown, err = p.TaskScopedRules(ctx, input); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// Policy returns the compiled bundle, from the cache when its hash is there.
// The hash is b.Hash (computed from the files when empty); when a bundle is
// compiled, its files must match that hash.
func (e *Engine) Policy(ctx context.Context, b contract.Bundle) (*Policy, error) {
	if len(b.Files) == 0 {
		return nil, step.Errorf(contract.ErrInvalidInput, "the policy bundle has no files ($.evaluation.policy.files is empty)")
	}
	hash := b.Hash
	if hash == "" {
		hash = bundle.Hash(b.Files)
	}

	e.mu.Lock()
	e.clock++
	if en, ok := e.entries[hash]; ok {
		en.lastUse = e.clock
		e.mu.Unlock()
		select {
		case <-en.ready:
		case <-ctx.Done():
			return nil, step.Errorf(contract.ErrTransient, "wait for policy compilation: %v", ctx.Err())
		}
		if en.err != nil {
			return nil, en.err
		}
		return en.policy, nil
	}
	en := &entry{ready: make(chan struct{}), lastUse: e.clock}
	e.entries[hash] = en
	e.evictLocked()
	e.mu.Unlock()

	en.policy, en.err = compileChecked(ctx, hash, b.Files)
	if en.err != nil {
		// Do not keep failures: the next call may come with a context that
		// is not cancelled, and a bad bundle is rare enough to recompile.
		e.mu.Lock()
		if e.entries[hash] == en {
			delete(e.entries, hash)
		}
		e.mu.Unlock()
	}
	close(en.ready)
	return en.policy, en.err
}

func compileChecked(ctx context.Context, hash string, files map[string]string) (*Policy, error) {
	if got := bundle.Hash(files); got != hash {
		return nil, step.Errorf(contract.ErrPolicy,
			"policy bundle hash %s does not match its files (hash %s): the bundle was altered after it was loaded", hash, got)
	}
	p, err := Compile(ctx, files)
	if err != nil && ctx.Err() != nil {
		return nil, step.Errorf(contract.ErrTransient, "compile policy bundle: %v", ctx.Err())
	}
	return p, err
}

// evictLocked drops the least recently used compiled bundles beyond the
// size. Entries still compiling are kept (their callers hold them anyway).
func (e *Engine) evictLocked() {
	for len(e.entries) > e.size {
		var oldest string
		var oldestUse uint64
		for h, en := range e.entries {
			select {
			case <-en.ready:
			default:
				continue
			}
			if oldest == "" || en.lastUse < oldestUse {
				oldest, oldestUse = h, en.lastUse
			}
		}
		if oldest == "" {
			return
		}
		delete(e.entries, oldest)
	}
}

// Cached reports how many compiled bundles the engine holds.
func (e *Engine) Cached() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.entries)
}
