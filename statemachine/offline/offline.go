// Package offline runs the deployed state machines on ECS events without
// AWS: the ASL interpreter drives the real step handlers in-process, against
// an in-memory AWS account seeded with a world file and the policy bundle.
// Each event goes where the deployed rules send it: the Express triage
// (statemachine/triage.asl.json), which claims the task and looks up its
// judgement, and — only when the triage starts it — the Standard workflow
// (statemachine/workflow.asl.json), which judges the task definition and
// remediates. It is what `ecs-compliance run` and `replay` and the
// end-to-end tests run.
package offline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policystore"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/countincident"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/deregister"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/describetaskdef"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/evaluate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/finding"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/loadpolicy"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/notify"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordjudgement"
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

// DefaultTimeScale runs the definitions' delays and timeouts a million times
// faster than AWS would: a 1-second retry delay takes a microsecond and the
// 24-hour approval timeout 86 milliseconds.
const DefaultTimeScale = 1e-6

// SDKAttempts is how often the AWS SDK's standard retryer tries a
// throttled call (its default) before a step sees the error: --throttle-first
// 2 is absorbed by the SDK, more reaches the state machines' Retry.
const SDKAttempts = 3

// minExecutionTimeout is the least real time an execution may take before
// its (scaled) TimeoutSeconds fires: the handlers run in real time.
const minExecutionTimeout = time.Minute

// Names of the local state machines.
const (
	TriageName   = "ecs-compliance-triage"
	WorkflowName = "ecs-compliance-workflow"
)

// startExecution is the Step Functions integration the triage starts the
// Standard workflow with.
const startExecution = "arn:aws:states:::states:startExecution"

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
	// TimeScale scales the definitions' delays and timeouts (0: DefaultTimeScale).
	TimeScale float64
	// Definition and Triage are the ASL documents (empty:
	// statemachine.Definition and statemachine.Triage).
	Definition string
	Triage     string
	// ExcludedClusters are cluster ARNs the task rule ignores (the CDK
	// setting excludedClusters).
	ExcludedClusters []string
	// JudgementTTL is how long a judgement holds (0: judgement.DefaultTTL).
	JudgementTTL time.Duration
	// KeepHistories keeps each execution's whole history, the states'
	// inputs and outputs included, in Record.Executions (for the execution
	// page). Without it the histories are kept without data
	// (asl.Options.OmitHistoryData) and only the timeline reaches the
	// record: a replay of many events is several times faster.
	KeepHistories bool
	// Approver answers approval requests in place of the simulated person
	// (with Approval approve or reject); nil: the simulated person.
	Approver Approver
}

// Event is one input event: where it came from and its JSON.
type Event struct {
	Name string
	JSON []byte
}

// Billing is what one event caused, as AWS bills it: Standard executions
// and their state transitions (every state entered, every retry), Express
// requests, Lambda invocations (every attempt), Security Hub finding
// ingestions and SNS publishes.
type Billing struct {
	StandardExecutions  int `json:"standardExecutions"`
	StandardTransitions int `json:"standardTransitions"`
	ExpressRequests     int `json:"expressRequests"`
	LambdaInvocations   int `json:"lambdaInvocations"`
	FindingsImported    int `json:"findingsImported"`
	SNSPublishes        int `json:"snsPublishes"`
}

// Add adds o to b.
func (b *Billing) Add(o Billing) {
	b.StandardExecutions += o.StandardExecutions
	b.StandardTransitions += o.StandardTransitions
	b.ExpressRequests += o.ExpressRequests
	b.LambdaInvocations += o.LambdaInvocations
	b.FindingsImported += o.FindingsImported
	b.SNSPublishes += o.SNSPublishes
}

// Record is what one event's executions did: the design's execution record.
type Record struct {
	Event  string `json:"event"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// Filtered says why no rule delivered the event (then nothing ran).
	Filtered string `json:"filtered,omitempty"`
	// Triage are the triage's states entered; States the Standard
	// workflow's (empty when the triage did not start it).
	Triage []string `json:"triage"`
	States []string `json:"states"`
	// Decision is the decision that applied: evaluated now, or taken from
	// a stored judgement (then Judgement names it).
	Decision  *contract.Decision     `json:"decision"`
	Judgement *contract.JudgementRef `json:"judgement,omitempty"`
	// Actions are the changes that took effect, in remediation order
	// (remediationOrder): the workflow scales the service and stops the
	// task at the same time, so their order in time varies from run to run.
	Actions []inmemory.Action `json:"actions"`
	// Notifications are the SNS messages published.
	Notifications []Notification `json:"notifications"`
	// Findings are the ASFF findings imported into Security Hub.
	Findings []json.RawMessage `json:"findings"`
	// Approval is the answer to "Wait for approval", when it was entered.
	Approval *contract.Approval `json:"approval,omitempty"`
	Billing  Billing            `json:"billing"`

	// Steps is the timeline (triage, then workflow), for people (not in --json).
	Steps []StepTiming `json:"-"`
	// Executions are the event's executions, the triage first, with their
	// whole histories: only with Options.KeepHistories.
	Executions []Execution `json:"-"`
	// What the steps returned, for people and for replay's counters.
	Task       *contract.Task                   `json:"-"`
	Lookup     *contract.Lookup                 `json:"-"`
	Evaluation *contract.Evaluation             `json:"-"`
	Stored     bool                             `json:"-"` // Decision came from a stored judgement
	Judged     *contract.Judgement              `json:"-"` // what "Record judgement" returned
	Incident   *contract.Incident               `json:"-"`
	Results    map[string]contract.ActionResult `json:"-"`
}

// Notification is one SNS message published.
type Notification struct {
	TopicArn   string            `json:"topicArn,omitempty"`
	Subject    string            `json:"subject"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Execution is one execution an event caused, with its history.
type Execution struct {
	// Machine is "triage" or "workflow"; StateMachineArn the machine's
	// local ARN.
	Machine, StateMachineArn string
	// Name is the execution's name, Arn its ARN.
	Name, Arn            string
	Status, Error, Cause string
	// Input and Output are the execution's (Output when it succeeded).
	Input, Output json.RawMessage
	History       []asl.Event
}

// StepTiming is one state entered: how long it took and how often it was retried.
type StepTiming struct {
	Machine  string // "triage" or "workflow"
	State    string
	Scope    string
	Duration time.Duration
	Retries  int
	Error    string // the last error of a retried or failed state
	Failed   bool
}

// Runner runs events through the triage and the workflow in one account.
// Run may be called from several goroutines (tasks starting at once); the
// per-event Actions, Notifications and Findings of a Record are exact only
// when runs do not overlap.
type Runner struct {
	Account *inmemory.Account
	Bundle  contract.Bundle
	// Judgements is the judgement store (DynamoDB's stand-in).
	Judgements *judgement.Memory

	triage, workflow *asl.Definition
	opts             Options
	settings         judgement.Settings
	engine           *policy.Engine
	tasks            map[string]taskFunc // by Resource (function ARN)
	rules            []map[string]any
	// world and files are the account and the policy as New built them
	// (before any event ran), for Fork.
	world inmemory.World
	files map[string]string

	mu    sync.Mutex
	names map[string]bool // Standard execution names used
}

// capture collects what one event's executions did.
type capture struct {
	mu         sync.Mutex
	task       *contract.Task
	lookup     *contract.Lookup
	evaluation *contract.Evaluation
	judged     *contract.Judgement
	incident   *contract.Incident
	results    map[string]contract.ActionResult // by API
	lambdas    int
	started    []startedExecution
}

type startedExecution struct {
	name  string
	input json.RawMessage
}

func (c *capture) set(f func(*capture)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

type taskFunc func(ctx context.Context, payload []byte) ([]byte, error)

// New builds the account (the world plus what the events need), seeds the
// policy, and wires every step handler to it. An event that cannot be read
// contributes nothing to the world; its run reports why.
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
	if opts.Triage == "" {
		opts.Triage = statemachine.Triage
	}

	var parsed []contract.Event
	for _, ev := range events {
		var e contract.Event
		if json.Unmarshal(ev.JSON, &e) == nil {
			parsed = append(parsed, e)
		}
	}
	var world inmemory.World
	if opts.World != nil {
		world = *opts.World
	}
	world = inmemory.DeriveWorld(world, parsed)
	acct, err := inmemory.Load(world)
	if err != nil {
		return nil, err // inmemory says "world: …"
	}

	files, err := bundle.ReadFS(opts.Policy)
	if err != nil {
		return nil, err
	}
	r := &Runner{opts: opts, world: world, files: files, engine: policy.NewEngine(policy.DefaultCacheSize),
		Bundle:   contract.Bundle{Path: bundle.DefaultPath, Hash: bundle.Hash(files)},
		settings: judgement.Settings{Mode: opts.Mode, Approval: opts.Approval != ApprovalOff},
		rules:    []map[string]any{statemachine.TaskEventPattern(opts.ExcludedClusters), statemachine.RegistrationEventPattern()},
	}
	if err := r.open(acct); err != nil {
		return nil, err
	}
	// Compile the bundle into the evaluate step's engine now, so that a broken
	// policy is reported before any event runs (the workflow would report it
	// too, as a failure of every event); the first judgement reuses it.
	if _, err := r.engine.Policy(context.Background(), contract.Bundle{Hash: r.Bundle.Hash, Files: files}); err != nil {
		return nil, err
	}
	if err := r.parse(); err != nil {
		return nil, err
	}
	return r, nil
}

// Fork returns a runner on a new copy of the account as New built it
// (before any event ran), with judgements and execution names of its own,
// that shares r's compiled policy and parsed definitions: replay runs
// independent groups of events side by side without deriving the world,
// compiling the policy or parsing the definitions again. r and its forks
// may run at the same time.
func (r *Runner) Fork() (*Runner, error) {
	acct, err := inmemory.Load(r.world) // New loaded the same world
	if err != nil {
		return nil, err
	}
	f := &Runner{opts: r.opts, world: r.world, files: r.files, engine: r.engine, Bundle: r.Bundle,
		settings: r.settings, rules: r.rules, triage: r.triage, workflow: r.workflow}
	if err := f.open(acct); err != nil {
		return nil, err
	}
	return f, nil
}

// open makes acct the runner's account: seeds the policy, starts empty
// judgement and execution-name stores, and wires every step handler to it.
func (r *Runner) open(acct *inmemory.Account) error {
	if err := acct.SeedPolicy(bundle.DefaultPath, r.files); err != nil {
		return fmt.Errorf("seed policy: %w", err)
	}
	r.Account, r.Judgements, r.names = acct, &judgement.Memory{}, map[string]bool{}
	if err := r.wire(); err != nil {
		return err
	}
	acct.ThrottleFirst(r.opts.ThrottleFirst)
	acct.SDKAttempts(SDKAttempts)
	return nil
}

// functionArn is the local ARN of a Lambda.
func (r *Runner) functionArn(dir string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:ecs-compliance-%s", r.Account.Region(), r.Account.AccountID(), dir)
}

// stateMachineArn is the local ARN of a state machine.
func (r *Runner) stateMachineArn(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", r.Account.Region(), r.Account.AccountID(), name)
}

// topicArn is the local report topic.
func (r *Runner) topicArn() string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:ecs-compliance", r.Account.Region(), r.Account.AccountID())
}

// wire builds each step's handler on the account and maps the function ARNs
// the definitions name to them.
func (r *Runner) wire() error {
	acct := r.Account
	eval := &evaluate.Handler{
		Engine:                 r.engine,
		Mode:                   r.opts.Mode,
		Approval:               r.opts.Approval != ApprovalOff,
		ApprovalTimeoutSeconds: evaluate.DefaultApprovalTimeoutSeconds,
	}
	look := &lookup.Handler{ECS: acct, Store: r.Judgements, Settings: r.settings, CacheTTL: lookup.DefaultCacheTTL,
		Policy: &policystore.Cache{SSM: acct, Path: bundle.DefaultPath}}
	handlers := map[string]taskFunc{
		// Record task looks up a claimed task's judgement in the same
		// invocation, with the same handler as Look up judgement.
		"record-task": invoke((&recordtask.Handler{Store: acct.Idempotency(), LookUp: look}).Triage, func(c *capture, st contract.State) {
			c.task = st.Task
			if st.Lookup != nil {
				c.lookup = st.Lookup
			}
		}),
		"look-up-judgement": invoke(look.Handle, func(c *capture, l contract.Lookup) {
			c.lookup = &l
		}),
		"load-policy":              invoke((&loadpolicy.Handler{SSM: acct, Path: bundle.DefaultPath}).Handle, nil),
		"describe-task-definition": invoke((&describetaskdef.Handler{ECS: acct}).Handle, nil),
		"evaluate": invoke(eval.Handle, func(c *capture, st contract.State) {
			c.evaluation = st.Evaluation
		}),
		"record-judgement": invoke((&recordjudgement.Handler{Store: r.Judgements, Settings: r.settings, TTL: r.opts.JudgementTTL}).Handle,
			func(c *capture, j contract.Judgement) { c.judged = &j }),
		"request-approval":           r.approvalHandler(),
		"scale-service":              invoke((&scaleservice.Handler{ECS: acct}).Handle, keepResult),
		"stop-task":                  invoke((&stoptask.Handler{ECS: acct}).Handle, keepResult),
		"deregister-task-definition": invoke((&deregister.Handler{ECS: acct}).Handle, keepResult),
		"count-incident": invoke((&countincident.Handler{Store: r.Judgements}).Handle, func(c *capture, in contract.Incident) {
			c.incident = &in
		}),
		"notify":         invoke((&notify.Handler{SNS: acct, TopicArn: r.topicArn()}).Handle, nil),
		"record-finding": invoke((&finding.Handler{SecurityHub: acct}).Handle, nil),
		"report-failure": invoke((&reportfailure.Handler{SNS: acct, TopicArn: r.topicArn(), Claims: acct.Idempotency(),
			Judgements: r.Judgements}).Handle, nil),
	}
	r.tasks = map[string]taskFunc{}
	for _, f := range statemachine.Functions {
		h, ok := handlers[f.Dir]
		if !ok {
			return fmt.Errorf("offline: no handler for the %s Lambda", f.Dir)
		}
		r.tasks[r.functionArn(f.Dir)] = h
	}
	return nil
}

// parse parses the triage and the workflow with the local ARNs of the
// functions and of the workflow put in.
func (r *Runner) parse() error {
	values := map[string]string{statemachine.WorkflowArnPlaceholder: r.stateMachineArn(WorkflowName)}
	for _, f := range statemachine.Functions {
		values[f.Placeholder] = r.functionArn(f.Dir)
	}
	parse := func(name, doc string) (*asl.Definition, error) {
		def, err := statemachine.Substitute(doc, values)
		if err != nil {
			return nil, fmt.Errorf("%s definition: %w", name, err)
		}
		d, err := asl.Parse([]byte(def))
		if err != nil {
			return nil, fmt.Errorf("%s definition: %w", name, err)
		}
		return d, nil
	}
	var err error
	if r.triage, err = parse("triage", r.opts.Triage); err != nil {
		return err
	}
	r.workflow, err = parse("workflow", r.opts.Definition)
	return err
}

func keepResult(c *capture, res contract.ActionResult) {
	if c.results == nil {
		c.results = map[string]contract.ActionResult{}
	}
	c.results[res.API] = res
}

type captureKey struct{}

func withCapture(ctx context.Context, c *capture) context.Context {
	return context.WithValue(ctx, captureKey{}, c)
}

func captureOf(ctx context.Context) *capture {
	c, _ := ctx.Value(captureKey{}).(*capture)
	return c
}

// invoke adapts a step handler to a Lambda-like JSON invocation and lets the
// runner keep what it returned (for the record): the value the handler
// returned, which step.Invoke encodes (not decoded again from its encoding).
func invoke[In, Out any](h step.Handler[In, Out], keep func(*capture, Out)) taskFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		c := captureOf(ctx)
		if keep == nil || c == nil {
			return step.Invoke(ctx, h, payload)
		}
		var kept Out
		b, err := step.Invoke(ctx, func(ctx context.Context, in In) (Out, error) {
			out, err := h(ctx, in)
			kept = out
			return out, err
		}, payload)
		if err == nil {
			c.set(func(c *capture) { keep(c, kept) })
		}
		return b, err
	}
}

// lambdaError is an error as Step Functions reports a Lambda's or an
// integration's: the error name, and a cause.
type lambdaError struct{ name, message string }

func (e *lambdaError) Error() string     { return e.message }
func (e *lambdaError) ErrorName() string { return e.name }
func (e *lambdaError) ErrorCause() string {
	b, _ := json.Marshal(map[string]string{"errorMessage": e.message, "errorType": e.name})
	return string(b)
}

// task runs one Task state attempt: a Lambda ARN (request/response), the
// lambda:invoke(.waitForTaskToken) integration with its FunctionName and
// Payload, or states:startExecution.
func (r *Runner) task(ctx context.Context, call asl.TaskCall) (json.RawMessage, error) {
	if call.Resource == startExecution {
		return r.startExecution(ctx, call)
	}
	resource, payload := call.Resource, []byte(call.Input)
	if call.Token != "" || strings.HasPrefix(resource, "arn:aws:states:::lambda:invoke") {
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
	if c := captureOf(ctx); c != nil {
		c.set(func(c *capture) { c.lambdas++ })
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

// maxExecutionName is Step Functions' limit on execution names.
const maxExecutionName = 80

// startExecution is StartExecution of the Standard workflow, as the
// optimized integration answers it: a name used before (by any execution
// of the workflow, for 90 days) is StepFunctions.ExecutionAlreadyExistsException.
// The execution runs after the triage ends, as it would in AWS.
func (r *Runner) startExecution(ctx context.Context, call asl.TaskCall) (json.RawMessage, error) {
	var p struct {
		StateMachineArn string          `json:"StateMachineArn"`
		Name            string          `json:"Name"`
		Input           json.RawMessage `json:"Input"`
	}
	if err := json.Unmarshal(call.Input, &p); err != nil {
		return nil, &lambdaError{"States.Runtime", fmt.Sprintf("%s: Parameters: %v", call.State, err)}
	}
	switch {
	case p.StateMachineArn != r.stateMachineArn(WorkflowName):
		return nil, &lambdaError{"StepFunctions.StateMachineDoesNotExistException", "State Machine Does Not Exist: '" + p.StateMachineArn + "'"}
	case p.Name == "" || len(p.Name) > maxExecutionName:
		return nil, &lambdaError{"StepFunctions.InvalidNameException", fmt.Sprintf("Invalid Name: '%s'", p.Name)}
	}
	input := p.Input
	var s string
	if json.Unmarshal(input, &s) == nil { // Input given as a JSON string
		input = json.RawMessage(s)
	}
	if len(bytes.TrimSpace(input)) > 0 && !json.Valid(input) {
		return nil, &lambdaError{"StepFunctions.InvalidExecutionInputException", "Invalid State Machine Execution Input: the input is not JSON"}
	}
	r.mu.Lock()
	used := r.names[p.Name]
	r.names[p.Name] = true
	r.mu.Unlock()
	if used {
		return nil, &lambdaError{"StepFunctions.ExecutionAlreadyExistsException", "Execution Already Exists: '" + p.Name + "'"}
	}
	if c := captureOf(ctx); c != nil {
		c.set(func(c *capture) { c.started = append(c.started, startedExecution{p.Name, input}) })
	}
	arn := strings.Replace(r.stateMachineArn(WorkflowName), ":stateMachine:", ":execution:", 1) + ":" + p.Name
	return json.Marshal(map[string]any{"ExecutionArn": arn, "StartDate": time.Now().UTC().Format(time.RFC3339Nano)})
}

// FailedRecord is the record of an event that could not run at all (a file
// that cannot be read, a line that is not JSON): FAILED, naming the event.
func FailedRecord(name, errName, cause string) *Record {
	rec := emptyRecord(name)
	rec.Status, rec.Error, rec.Cause = asl.StatusFailed, errName, name+": "+cause
	return rec
}

func emptyRecord(name string) *Record {
	return &Record{Event: name, Status: asl.StatusSucceeded, Triage: []string{}, States: []string{},
		Actions: []inmemory.Action{}, Notifications: []Notification{}, Findings: []json.RawMessage{}}
}

// Run runs one event where the rules send it and returns its record. A
// broken event gets a FAILED record (it never stops a run of several).
func (r *Runner) Run(ctx context.Context, ev Event) *Record {
	rec := emptyRecord(ev.Name)
	fail := func(name, cause string) *Record {
		rec.Status, rec.Error, rec.Cause = asl.StatusFailed, name, cause
		return rec
	}
	// Decoded once: for the rules, then as the triage's input.
	decoded, err := asl.DecodeJSON(ev.JSON)
	if err != nil {
		return fail("Local.InvalidEvent", fmt.Sprintf("%s is not a JSON object (an EventBridge event): %v", ev.Name, err))
	}
	envelope, ok := decoded.(map[string]any)
	if !ok {
		return fail("Local.InvalidEvent", fmt.Sprintf("%s is not a JSON object (an EventBridge event): %s", ev.Name, kindOf(decoded)))
	}
	if why := r.filter(envelope); why != "" {
		rec.Filtered = why
		return rec
	}

	c := &capture{}
	ctx = withCapture(ctx, c)
	mark := r.Account.Mark()
	defer r.finish(rec, c, mark)

	callbacks := asl.NewCallbacks()
	options := func(machine, name string) asl.Options {
		return asl.Options{
			Task: func(ctx context.Context, call asl.TaskCall) (json.RawMessage, error) {
				out, err := r.task(ctx, call)
				if err == nil && call.Token != "" {
					r.answerApproval(ctx, call)
				}
				return out, err
			},
			Callbacks:           callbacks,
			TimeScale:           r.opts.TimeScale,
			Name:                name,
			StateMachineArn:     r.stateMachineArn(machine),
			MinExecutionTimeout: minExecutionTimeout,
			// The record needs the states and their times, not their data
			// (but for the execution page).
			OmitHistoryData: !r.opts.KeepHistories,
		}
	}

	tres, err := asl.RunDecoded(ctx, r.triage, envelope, len(ev.JSON), options(TriageName, ""))
	if err != nil {
		return fail("Local.ExecutionError", fmt.Sprintf("%s: triage: %v", ev.Name, err))
	}
	rec.Billing.ExpressRequests++
	rec.Triage = tres.StatesEntered()
	rec.Steps = timeline("triage", tres.History)
	r.keep(rec, "triage", TriageName, ev.JSON, tres)
	if tres.Status != asl.StatusSucceeded {
		rec.Status, rec.Error, rec.Cause = tres.Status, tres.Error, tres.Cause
	}
	c.mu.Lock()
	started := c.started
	c.mu.Unlock()
	for _, s := range started {
		wres, err := asl.Run(ctx, r.workflow, s.input, options(WorkflowName, s.name))
		if err != nil {
			return fail("Local.ExecutionError", fmt.Sprintf("%s: workflow: %v", ev.Name, err))
		}
		rec.Billing.StandardExecutions++
		rec.Billing.StandardTransitions += Transitions(wres.History)
		rec.States = append(rec.States, wres.StatesEntered()...)
		rec.Steps = append(rec.Steps, timeline("workflow", wres.History)...)
		r.keep(rec, "workflow", WorkflowName, s.input, wres)
		if wres.Status != asl.StatusSucceeded && rec.Status == asl.StatusSucceeded {
			rec.Status, rec.Error, rec.Cause = wres.Status, wres.Error, wres.Cause
		}
		var final contract.State
		if len(wres.Output) > 0 && json.Unmarshal(wres.Output, &final) == nil && final.Approval != nil {
			rec.Approval = final.Approval
		}
	}
	return rec
}

// keep adds an execution to the record's Executions, with Options.KeepHistories.
func (r *Runner) keep(rec *Record, machine, stateMachine string, input json.RawMessage, res *asl.Result) {
	if !r.opts.KeepHistories {
		return
	}
	rec.Executions = append(rec.Executions, Execution{
		Machine: machine, StateMachineArn: r.stateMachineArn(stateMachine),
		Name: res.ExecutionArn[strings.LastIndex(res.ExecutionArn, ":")+1:], Arn: res.ExecutionArn,
		Status: res.Status, Error: res.Error, Cause: res.Cause, Input: input, Output: res.Output, History: res.History,
	})
}

// filter says why no rule delivers the event ("" when one does).
func (r *Runner) filter(event map[string]any) string {
	for _, p := range r.rules {
		if ok, err := statemachine.MatchEvent(p, event); ok && err == nil {
			return ""
		}
	}
	return "no rule matches it (the task rule takes ECS Task State Changes with desiredStatus RUNNING and lastStatus " +
		strings.Join(recordtask.LastStatuses, ", ") + " outside excluded clusters; the registration rule CloudTrail's successful RegisterTaskDefinition)"
}

// remediationOrder is the order of a record's actions: the service's
// scaling (its auto scaling first), the task's stop, the revision's
// deregistration.
var remediationOrder = []string{contract.APIRegisterScalableTarget, contract.APIUpdateService, contract.APIStopTask, contract.APIDeregisterTaskDefinition}

func actionRank(api string) int {
	if i := slices.Index(remediationOrder, api); i >= 0 {
		return i
	}
	return len(remediationOrder)
}

// finish fills the record with what the executions did.
func (r *Runner) finish(rec *Record, c *capture, mark inmemory.Mark) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec.Task, rec.Lookup, rec.Evaluation, rec.Judged, rec.Incident, rec.Results = c.task, c.lookup, c.evaluation, c.judged, c.incident, c.results
	rec.Billing.LambdaInvocations += c.lambdas
	if a := r.Account.ActionsSince(mark); len(a) > 0 {
		slices.SortStableFunc(a, func(x, y inmemory.Action) int { return actionRank(x.API) - actionRank(y.API) })
		rec.Actions = a
	}
	for _, n := range r.Account.NotificationsSince(mark) {
		rec.Notifications = append(rec.Notifications, Notification{TopicArn: n.TopicArn, Subject: n.Subject, Message: n.Message, Attributes: n.Attributes})
	}
	rec.Billing.SNSPublishes = len(rec.Notifications)
	for _, f := range r.Account.FindingsSince(mark) {
		b, err := asffJSON(f)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": err.Error()})
		}
		rec.Findings = append(rec.Findings, b)
	}
	rec.Billing.FindingsImported = len(rec.Findings)
	switch {
	case c.evaluation != nil:
		rec.Decision = c.evaluation.Decision
	case c.lookup != nil && c.lookup.Judgement != nil:
		rec.Stored = true
		rec.Judgement = c.lookup.Judgement
		if c.lookup.Evaluation != nil {
			rec.Evaluation = c.lookup.Evaluation
		} else if stored, ok, _ := r.Judgements.Get(context.Background(), c.lookup.Judgement.Key); ok {
			rec.Evaluation = stored.Evaluation
		}
		if rec.Evaluation != nil {
			rec.Decision = rec.Evaluation.Decision
		}
	}
}

// Transitions counts the state transitions Step Functions bills for a
// Standard execution's history: every state entered (Parallel branches'
// states included) and every retry.
func Transitions(history []asl.Event) int {
	n := 0
	for _, e := range history {
		switch e.Type {
		case asl.EventStateEntered, asl.EventTaskRetried, asl.EventParallelRetried, asl.EventMapRetried:
			n++
		}
	}
	return n
}

// timeline turns a history into one line per state entered.
func timeline(machine string, history []asl.Event) []StepTiming {
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
			out = append(out, StepTiming{Machine: machine, State: e.State, Scope: e.Scope})
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

// kindOf names a JSON value's type.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
