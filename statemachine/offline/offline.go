// Package offline runs the deployed workflow (statemachine/workflow.asl.json)
// on ECS events without AWS: the ASL interpreter drives the real step
// handlers in-process, against an in-memory AWS account seeded with a world
// file and the policy bundle. It is what `go run ./statemachine/local` and
// the end-to-end tests run.
package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/deregister"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/describetaskdef"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/evaluate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/finding"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/loadpolicy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/notify"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/reportfailure"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/scaleservice"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/stoptask"
	"github.com/ecs-compliance/ecs-compliance/statemachine"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

// Approval answers of the simulated approver.
const (
	ApprovalOff     = "off"
	ApprovalApprove = "approve"
	ApprovalReject  = "reject"
	ApprovalTimeout = "timeout"
)

// DefaultTimeScale runs the definition's delays and timeouts a million times
// faster than AWS would: a 1-second retry delay takes a microsecond and the
// 24-hour approval timeout 86 milliseconds.
const DefaultTimeScale = 1e-6

// Options configure a run.
type Options struct {
	// World is the simulated account; nil: derived from the events alone.
	World *inmemory.World
	// Policy is the policy folder (bundle.ReadFS reads its modules and data).
	Policy fs.FS
	// Mode is audit or enforce (empty: audit).
	Mode contract.Mode
	// Approval is off, approve, reject or timeout (empty: off).
	Approval string
	// ThrottleFirst makes every simulated AWS call fail with a throttling
	// error on its first n tries.
	ThrottleFirst int
	// TimeScale scales the definition's delays and timeouts (0: DefaultTimeScale).
	TimeScale float64
	// Definition is the ASL document (empty: statemachine.Definition).
	Definition string
}

// Event is one input event: where it came from and its JSON.
type Event struct {
	Name string
	JSON []byte
}

// Record is what one event's execution did: the design's execution record.
type Record struct {
	Event    string             `json:"event"`
	Status   string             `json:"status"`
	Error    string             `json:"error,omitempty"`
	Cause    string             `json:"cause,omitempty"`
	States   []string           `json:"states"`
	Decision *contract.Decision `json:"decision"`
	// Actions are the ECS changes that took effect, in order.
	Actions []inmemory.Action `json:"actions"`
	// Notifications are the SNS messages published.
	Notifications []Notification `json:"notifications"`
	// Findings are the ASFF findings imported into Security Hub.
	Findings []json.RawMessage `json:"findings"`
	// Approval is the answer to "Wait for approval", when it was entered.
	Approval *contract.Approval `json:"approval,omitempty"`

	// Steps is the execution's timeline, for people (not in --json).
	Steps []StepTiming `json:"-"`
	// Task, Evaluation and Results are what the steps returned, for people.
	Task       *contract.Task                   `json:"-"`
	Evaluation *contract.Evaluation             `json:"-"`
	Results    map[string]contract.ActionResult `json:"-"`
}

// Notification is one SNS message published.
type Notification struct {
	Subject    string            `json:"subject"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// StepTiming is one state entered: how long it took and how often it was retried.
type StepTiming struct {
	State    string
	Scope    string
	Duration time.Duration
	Retries  int
	Error    string // the last error of a retried or failed state
	Failed   bool
}

// Runner runs events through the workflow, one after another, in one account.
type Runner struct {
	Account *inmemory.Account
	Bundle  contract.Bundle

	def      *asl.Definition
	opts     Options
	engine   *policy.Engine
	tasks    map[string]taskFunc // by Resource (function ARN)
	mu       sync.Mutex
	captured *capture
}

// capture collects what the steps returned during one execution.
type capture struct {
	mu         sync.Mutex
	task       *contract.Task
	evaluation *contract.Evaluation
	results    map[string]contract.ActionResult // by API
}

type taskFunc func(ctx context.Context, payload []byte) ([]byte, error)

// New builds the account (the world plus what the events need), seeds the
// policy, and wires every step handler to it.
func New(opts Options, events []Event) (*Runner, error) {
	if opts.Policy == nil {
		return nil, errors.New("offline: no policy folder")
	}
	switch opts.Mode {
	case "":
		opts.Mode = contract.ModeAudit
	case contract.ModeAudit, contract.ModeEnforce:
	default:
		return nil, fmt.Errorf("mode %q: use audit or enforce", opts.Mode)
	}
	switch opts.Approval {
	case "":
		opts.Approval = ApprovalOff
	case ApprovalOff, ApprovalApprove, ApprovalReject, ApprovalTimeout:
	default:
		return nil, fmt.Errorf("approval %q: use off, approve, reject or timeout", opts.Approval)
	}
	if opts.ThrottleFirst < 0 {
		return nil, fmt.Errorf("throttle-first %d: must be 0 or more", opts.ThrottleFirst)
	}
	if opts.TimeScale == 0 {
		opts.TimeScale = DefaultTimeScale
	}
	if opts.Definition == "" {
		opts.Definition = statemachine.Definition
	}

	parsed := make([]contract.Event, len(events))
	for i, ev := range events {
		if err := json.Unmarshal(ev.JSON, &parsed[i]); err != nil {
			return nil, fmt.Errorf("%s: not an EventBridge event: %w", ev.Name, err)
		}
	}
	var world inmemory.World
	if opts.World != nil {
		world = *opts.World
	}
	world = inmemory.DeriveWorld(world, parsed)
	acct, err := inmemory.Load(world)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}

	files, err := bundle.ReadFS(opts.Policy)
	if err != nil {
		return nil, err
	}
	if err := acct.SeedPolicy(bundle.DefaultPath, files); err != nil {
		return nil, fmt.Errorf("seed policy: %w", err)
	}
	// Compile the bundle into the evaluate step's engine now, so that a broken
	// policy is reported before any event runs (the workflow would report it
	// too, as a failure of every event); the first event reuses it.
	r := &Runner{Account: acct, opts: opts, engine: policy.NewEngine(policy.DefaultCacheSize),
		Bundle: contract.Bundle{Path: bundle.DefaultPath, Hash: bundle.Hash(files)}}
	if _, err := r.engine.Policy(context.Background(), contract.Bundle{Hash: r.Bundle.Hash, Files: files}); err != nil {
		return nil, err
	}
	if err := r.wire(); err != nil {
		return nil, err
	}
	acct.ThrottleFirst(opts.ThrottleFirst)
	return r, nil
}

// functionArn is the local ARN of a Lambda of the workflow.
func (r *Runner) functionArn(dir string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:ecs-compliance-%s", r.Account.Region(), r.Account.AccountID(), dir)
}

// topicArn is the local SNS topic.
func (r *Runner) topicArn() string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:ecs-compliance", r.Account.Region(), r.Account.AccountID())
}

// wire builds each step's handler on the account and maps the function ARNs
// the definition names to them.
func (r *Runner) wire() error {
	acct := r.Account
	eval := &evaluate.Handler{
		Engine:                 r.engine,
		Mode:                   r.opts.Mode,
		Approval:               r.opts.Approval != ApprovalOff,
		ApprovalTimeoutSeconds: evaluate.DefaultApprovalTimeoutSeconds,
	}
	handlers := map[string]taskFunc{
		"record-task": invoke((&recordtask.Handler{Store: acct.Idempotency()}).Handle, func(c *capture, t contract.Task) {
			c.task = &t
		}),
		"load-policy":              invoke((&loadpolicy.Handler{SSM: acct, Path: bundle.DefaultPath}).Handle, nil),
		"describe-task-definition": invoke((&describetaskdef.Handler{ECS: acct}).Handle, nil),
		"evaluate": invoke(eval.Handle, func(c *capture, e contract.Evaluation) {
			c.evaluation = &e
		}),
		"request-approval":           r.approvalHandler(),
		"scale-service":              invoke((&scaleservice.Handler{ECS: acct}).Handle, keepResult),
		"stop-task":                  invoke((&stoptask.Handler{ECS: acct}).Handle, keepResult),
		"deregister-task-definition": invoke((&deregister.Handler{ECS: acct}).Handle, keepResult),
		"notify":                     invoke((&notify.Handler{SNS: acct, TopicArn: r.topicArn()}).Handle, nil),
		"record-finding":             invoke((&finding.Handler{SecurityHub: acct}).Handle, nil),
		"report-failure":             invoke((&reportfailure.Handler{SNS: acct, TopicArn: r.topicArn(), Claims: acct.Idempotency()}).Handle, nil),
	}
	values := map[string]string{}
	r.tasks = map[string]taskFunc{}
	for _, f := range statemachine.Functions {
		h, ok := handlers[f.Dir]
		if !ok {
			return fmt.Errorf("offline: no handler for the %s Lambda", f.Dir)
		}
		values[f.Placeholder] = r.functionArn(f.Dir)
		r.tasks[r.functionArn(f.Dir)] = func(ctx context.Context, payload []byte) ([]byte, error) {
			return h(withCapture(ctx, r.current()), payload)
		}
	}
	def, err := statemachine.Substitute(r.opts.Definition, values)
	if err != nil {
		return err
	}
	r.def, err = asl.Parse([]byte(def))
	if err != nil {
		return fmt.Errorf("workflow definition: %w", err)
	}
	return nil
}

func keepResult(c *capture, r contract.ActionResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.results == nil {
		c.results = map[string]contract.ActionResult{}
	}
	c.results[r.API] = r
}

func (r *Runner) current() *capture {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.captured
}

type captureKey struct{}

func withCapture(ctx context.Context, c *capture) context.Context {
	return context.WithValue(ctx, captureKey{}, c)
}

// invoke adapts a step handler to a Lambda-like JSON invocation and lets the
// runner keep what it returned (for the record).
func invoke[In, Out any](h step.Handler[In, Out], keep func(*capture, Out)) taskFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := step.Invoke(ctx, h, payload)
		if err != nil || keep == nil {
			return out, err
		}
		if c, ok := ctx.Value(captureKey{}).(*capture); ok && c != nil {
			var v Out
			if json.Unmarshal(out, &v) == nil {
				keep(c, v)
			}
		}
		return out, nil
	}
}

// lambdaError is a step's error as Step Functions reports a Lambda's:
// the error name, and a cause that is the Lambda error document.
type lambdaError struct{ name, message string }

func (e *lambdaError) Error() string     { return e.message }
func (e *lambdaError) ErrorName() string { return e.name }
func (e *lambdaError) ErrorCause() string {
	b, _ := json.Marshal(map[string]string{"errorMessage": e.message, "errorType": e.name})
	return string(b)
}

// task runs one Task state attempt: a Lambda ARN (request/response) or the
// lambda:invoke.waitForTaskToken integration with its FunctionName/Payload.
func (r *Runner) task(ctx context.Context, call asl.TaskCall) (json.RawMessage, error) {
	resource, payload := call.Resource, []byte(call.Input)
	if call.Token != "" || resource == "arn:aws:states:::lambda:invoke" {
		var p struct {
			FunctionName string          `json:"FunctionName"`
			Payload      json.RawMessage `json:"Payload"`
		}
		if err := json.Unmarshal(call.Input, &p); err != nil || p.FunctionName == "" {
			return nil, &lambdaError{"States.Runtime", fmt.Sprintf("%s: Parameters need FunctionName and Payload", call.State)}
		}
		resource, payload = p.FunctionName, p.Payload
	}
	h, ok := r.tasks[resource]
	if !ok {
		return nil, &lambdaError{"Lambda.ResourceNotFoundException", fmt.Sprintf("Function not found: %s", resource)}
	}
	out, err := h(ctx, payload)
	if err != nil {
		return nil, &lambdaError{step.Name(err), err.Error()}
	}
	if resource != call.Resource { // lambda:invoke wraps the result
		return json.Marshal(map[string]any{"Payload": json.RawMessage(out), "StatusCode": 200})
	}
	return out, nil
}

// Run executes the workflow for one event and returns its record.
func (r *Runner) Run(ctx context.Context, ev Event) (*Record, error) {
	c := &capture{}
	r.mu.Lock()
	r.captured = c
	r.mu.Unlock()
	mark := r.Account.Mark()

	callbacks := asl.NewCallbacks()
	res, err := asl.Run(ctx, r.def, ev.JSON, asl.Options{
		Task: func(ctx context.Context, call asl.TaskCall) (json.RawMessage, error) {
			out, err := r.task(ctx, call)
			if err == nil && call.Token != "" {
				r.answerApproval(ctx, call)
			}
			return out, err
		},
		Callbacks: callbacks,
		TimeScale: r.opts.TimeScale,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ev.Name, err)
	}

	rec := &Record{
		Event:         ev.Name,
		Status:        res.Status,
		Error:         res.Error,
		Cause:         res.Cause,
		States:        res.StatesEntered(),
		Actions:       r.Account.ActionsSince(mark),
		Notifications: []Notification{},
		Findings:      []json.RawMessage{},
		Steps:         timeline(res.History),
		Task:          c.task,
		Evaluation:    c.evaluation,
		Results:       c.results,
	}
	if rec.Actions == nil {
		rec.Actions = []inmemory.Action{}
	}
	if c.evaluation != nil {
		rec.Decision = c.evaluation.Decision
	}
	var final contract.State
	if len(res.Output) > 0 && json.Unmarshal(res.Output, &final) == nil {
		rec.Approval = final.Approval
	}
	for _, n := range r.Account.NotificationsSince(mark) {
		rec.Notifications = append(rec.Notifications, Notification{Subject: n.Subject, Message: n.Message, Attributes: n.Attributes})
	}
	for _, f := range r.Account.FindingsSince(mark) {
		b, err := asffJSON(f)
		if err != nil {
			return nil, err
		}
		rec.Findings = append(rec.Findings, b)
	}
	return rec, nil
}

// timeline turns the history into one line per state entered.
func timeline(history []asl.Event) []StepTiming {
	var out []StepTiming
	type open struct {
		index   int
		entered time.Time
	}
	opened := map[string]open{} // scope/state → the state's line
	for _, e := range history {
		key := e.Scope + "/" + e.State
		if e.Type == asl.EventStateEntered {
			opened[key] = open{len(out), e.Time}
			out = append(out, StepTiming{State: e.State, Scope: e.Scope})
			continue
		}
		o, ok := opened[key]
		if !ok {
			continue
		}
		line := &out[o.index]
		switch e.Type {
		case asl.EventStateExited:
			line.Duration = e.Time.Sub(o.entered)
		case asl.EventTaskRetried, asl.EventParallelRetried, asl.EventMapRetried:
			line.Retries++
		case asl.EventStateFailed, asl.EventErrorCaught:
			line.Failed = true
			line.Duration = e.Time.Sub(o.entered)
		}
		if e.Error != "" {
			line.Error = e.Error
		}
	}
	return out
}
