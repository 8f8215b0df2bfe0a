package asl

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Error names of the States language that the interpreter raises or matches.
const (
	ErrorAll              = "States.ALL"
	ErrorRuntime          = "States.Runtime"
	ErrorTimeout          = "States.Timeout"
	ErrorHeartbeatTimeout = "States.HeartbeatTimeout"
	ErrorTaskFailed       = "States.TaskFailed"
	ErrorNoChoiceMatched  = "States.NoChoiceMatched"
	ErrorDataLimit        = "States.DataLimitExceeded"
)

// Execution statuses.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// History event types. A retry is recorded as "<Type>Retried": TaskRetried,
// ParallelRetried or MapRetried.
const (
	EventExecutionStarted   = "ExecutionStarted"
	EventExecutionSucceeded = "ExecutionSucceeded"
	EventExecutionFailed    = "ExecutionFailed"
	EventExecutionTimedOut  = "ExecutionTimedOut"
	EventExecutionAborted   = "ExecutionAborted"
	EventStateEntered       = "StateEntered"
	EventStateExited        = "StateExited"
	EventStateFailed        = "StateFailed"
	EventTaskScheduled      = "TaskScheduled"
	EventTaskSubmitted      = "TaskSubmitted"
	EventTaskSucceeded      = "TaskSucceeded"
	EventTaskFailed         = "TaskFailed"
	EventTaskTimedOut       = "TaskTimedOut"
	EventTaskRetried        = "TaskRetried"
	EventParallelRetried    = "ParallelRetried"
	EventMapRetried         = "MapRetried"
	EventErrorCaught        = "ErrorCaught"
	EventWaitStarted        = "WaitStarted"
)

// TaskCall is one attempt of a Task state.
type TaskCall struct {
	// State is the state's name, Resource its Resource as written.
	State    string
	Resource string
	// Input is the effective input: after InputPath and Parameters.
	Input json.RawMessage
	// Token is the task token of a ".waitForTaskToken" Resource (empty
	// otherwise). The state completes when Callbacks gets an answer for it.
	Token string
	// Attempt counts from 1; Attempt-1 is $$.State.RetryCount.
	Attempt int
	// Callbacks is where a token's answer goes (the execution's Callbacks).
	Callbacks *Callbacks
}

// TaskFunc runs a Task state's attempt and returns its result (JSON). An
// error fails the attempt: its name is ErrorName() when the error (or one it
// wraps) has that method, else "States.TaskFailed"; its cause is ErrorCause()
// when present, else Error(). For a ".waitForTaskToken" Resource the result
// is ignored and the state waits for the token's callback.
type TaskFunc func(ctx context.Context, call TaskCall) (json.RawMessage, error)

// Options tune a run. The zero value runs in real time with a random name.
type Options struct {
	// Task runs every Task state attempt (dispatch on call.State or
	// call.Resource). Nil: every Task fails with States.Runtime.
	Task TaskFunc
	// Callbacks completes ".waitForTaskToken" tasks. Nil: the run makes its
	// own, which TaskCall.Callbacks carries.
	Callbacks *Callbacks
	// TimeScale multiplies the durations that pass in the simulated world
	// before they are slept or waited for: Wait states, retry delays, the
	// execution's TimeoutSeconds, and the TimeoutSeconds/HeartbeatSeconds of
	// ".waitForTaskToken" tasks (time spent waiting for a callback, such as a
	// person's approval). A request/response Task's timeout is not scaled:
	// its TaskFunc runs in real time. 0 means 1 (real time). History records
	// the unscaled durations.
	TimeScale float64
	// Sleep waits for d (already scaled); nil uses a timer. It returns early
	// with ctx's error when ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of the context object and the history; nil: time.Now.
	Now func() time.Time
	// Name is the execution's name ($$.Execution.Name); empty: a UUID.
	Name string
	// StateMachineArn is $$.StateMachine.Id; empty:
	// arn:aws:states:us-east-1:123456789012:stateMachine:local.
	StateMachineArn string
	// Seed seeds the random numbers (retry jitter, States.UUID,
	// States.MathRandom) so that a run can be repeated; 0: random.
	Seed uint64
	// MaxEvents bounds the history, as Step Functions does (25,000 events);
	// past it the execution fails with States.Runtime. 0: 25,000.
	MaxEvents int
	// MaxPayloadBytes bounds a state's output, a task's input and result
	// (JSON bytes); past it the state fails with States.DataLimitExceeded, as
	// in Step Functions. 0: 262,144 (256 KiB); negative: no limit.
	MaxPayloadBytes int
	// OmitHistoryData leaves the states' and tasks' inputs and outputs out
	// of the history (Event.Input and Output stay empty), as a state
	// machine that does not log execution data: the run is then faster
	// (the replay of a month of events needs that), and the payload size
	// limits still apply.
	OmitHistoryData bool
	// MinExecutionTimeout is the least real time the execution's scaled
	// TimeoutSeconds allows: request/response tasks run in real time, so a
	// time scale that shrinks a 4-minute timeout to 240 µs would time out
	// every execution that calls a real handler. 0: no floor.
	MinExecutionTimeout time.Duration
}

// Result is the outcome of a run.
type Result struct {
	Status       string          `json:"status"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	ExecutionArn string          `json:"executionArn"`
	History      []Event         `json:"history"`
}

// StatesEntered returns the names of the states entered, in history order
// (a Parallel's branches in branch order, a Map's iterations in item order).
func (r *Result) StatesEntered() []string {
	var out []string
	for _, e := range r.History {
		if e.Type == EventStateEntered {
			out = append(out, e.State)
		}
	}
	return out
}

// Event is one entry of the execution history.
type Event struct {
	Type string `json:"type"`
	// State is the state's name; Scope says where it ran: "" for the top
	// level, "Parallel name/branch index" or "Map name/item index" (nested
	// scopes joined with "/").
	State string    `json:"state,omitempty"`
	Scope string    `json:"scope,omitempty"`
	Time  time.Time `json:"time"`
	// Resource and Attempt (from 1) of a Task event; Attempt of a
	// *Retried event is the attempt about to run.
	Resource string `json:"resource,omitempty"`
	Attempt  int    `json:"attempt,omitempty"`
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
	// Delay is the wait computed for a *Retried or WaitStarted event
	// (unscaled; jitter applied).
	Delay time.Duration `json:"-"`
	// Next is the state that follows (StateExited, ErrorCaught).
	Next   string          `json:"next,omitempty"`
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
}

// MarshalJSON renders Delay as "delaySeconds".
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	out := struct {
		plain
		DelaySeconds *float64 `json:"delaySeconds,omitempty"`
	}{plain: plain(e)}
	if e.Type == EventWaitStarted || strings.HasSuffix(e.Type, "Retried") {
		s := e.Delay.Seconds()
		out.DelaySeconds = &s
	}
	return json.Marshal(out)
}

// failure is an error raised in a state.
type failure struct {
	name, cause string
	heartbeat   bool // a HeartbeatSeconds timeout (named States.Timeout)
	aborted     bool // the context ended: not an error of the workflow
}

// catchable: States.Runtime ends the execution whatever the Retry and
// Catch say.
func (f *failure) catchable() bool {
	return !f.aborted && f.name != ErrorRuntime
}

// matches: States.ALL matches every error that reaches a retrier or a
// catcher (States.DataLimitExceeded included: AWS's documentation says it
// does not, AWS's recorded executions show a States.ALL catcher catching a
// task result over the quota); States.TaskFailed all but States.Timeout.
func (f *failure) matches(names []string) bool {
	for _, n := range names {
		switch {
		case n == f.name:
			return true
		case n == ErrorAll:
			return true
		case n == ErrorTaskFailed && f.name != ErrorTimeout:
			return true
		case n == ErrorHeartbeatTimeout && f.heartbeat:
			return true
		}
	}
	return false
}

// maxCause is the longest cause Step Functions keeps (its API's limit).
const maxCause = 32768

// runtimeFailure is a States.Runtime error of the state st, which the scope
// is running, with Step Functions' prefix: "An error occurred while
// executing the state 'X' (entered at the event id #N). " where N numbers
// the state's entered event as Step Functions numbers its history (see
// emit).
func (sc *scope) runtimeFailure(st *State, format string, args ...any) *failure {
	cause := fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", st.Name, sc.enteredID) +
		fmt.Sprintf(format, args...)
	return &failure{name: ErrorRuntime, cause: truncateCause(cause)}
}

// truncateCause cuts a cause to Step Functions' limit, on a character
// boundary.
func truncateCause(s string) string {
	if len(s) <= maxCause {
		return s
	}
	n := maxCause
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// pathNotFound is Step Functions' cause for a path field (InputPath,
// OutputPath, ItemsPath, SecondsPath, ...) that selects nothing.
func pathNotFound(p *Path, doc, cx any) string {
	root := doc
	if p.IsContext() {
		root = cx
	}
	return fmt.Sprintf("Invalid path '%s' : %s", p.src, p.notFound(root))
}

type runner struct {
	opts       Options
	cb         *Callbacks
	execID     string
	execName   string
	smID       string
	smName     string
	start      time.Time
	input      any
	events     atomic.Int64
	maxEvents  int64
	maxPayload int
	// awsEvents counts the events Step Functions would have recorded so
	// far (its history numbers them from 1): see emit.
	awsEvents atomic.Int64
	// execCtx and smCtx are $$.Execution and $$.StateMachine, the same for
	// every state (values are never modified in place).
	execCtx, smCtx map[string]any
}

type scope struct {
	r       *runner
	def     *Definition
	label   string
	history []Event
	rng     *rand.Rand
	// inputSize is the encoded size of the scope's input when known (the
	// execution's raw input), else -1.
	inputSize int
	// resultSize is the size of the last task result the scope received
	// (-1: none since the state was entered).
	resultSize int
	// enteredID is the Step Functions event id of the running state's
	// entered event (for the causes of States.Runtime).
	enteredID int64
	// mapItem: the scope runs one item of a Map (Step Functions records a
	// MapIterationStarted and a MapIteration{Succeeded,Failed} event).
	mapItem bool
}

// Run executes def on input (a JSON document; empty means {}). The returned
// error is for misuse only (a nil definition, an input that is not JSON, a
// ctx that ended: then the Result has status ABORTED); a workflow that fails
// is a Result with status FAILED.
func Run(ctx context.Context, def *Definition, input json.RawMessage, opts Options) (*Result, error) {
	if def == nil {
		return nil, errors.New("asl: Run needs a definition")
	}
	input = bytes.TrimSpace(input)
	if len(input) == 0 {
		return RunDecoded(ctx, def, map[string]any{}, -1, opts)
	}
	in, err := decodeJSON(input)
	if err != nil {
		return nil, fmt.Errorf("asl: the execution input is not JSON: %w", err)
	}
	return RunDecoded(ctx, def, in, len(input), opts)
}

// DecodeJSON parses a JSON document as the interpreter holds values
// (numbers as json.Number), for RunDecoded.
func DecodeJSON(data []byte) (any, error) { return decodeJSON(data) }

// RunDecoded is Run for an input already decoded with DecodeJSON (size is
// its encoded size, for the payload limit; -1 when unknown): a caller that
// reads the input itself does not pay for decoding it twice.
func RunDecoded(ctx context.Context, def *Definition, in any, size int, opts Options) (*Result, error) {
	if def == nil {
		return nil, errors.New("asl: Run needs a definition")
	}
	r := &runner{opts: opts, cb: opts.Callbacks, input: in, maxEvents: int64(opts.MaxEvents)}
	if r.cb == nil {
		r.cb = NewCallbacks()
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	if r.opts.TimeScale <= 0 || math.IsNaN(r.opts.TimeScale) || math.IsInf(r.opts.TimeScale, 0) {
		r.opts.TimeScale = 1
	}
	if r.maxEvents <= 0 {
		r.maxEvents = 25000
	}
	switch r.maxPayload = opts.MaxPayloadBytes; {
	case r.maxPayload == 0:
		r.maxPayload = 256 * 1024
	case r.maxPayload < 0:
		r.maxPayload = 0
	}
	seed := opts.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	r.execName = opts.Name
	if r.execName == "" {
		r.execName = newUUID(rng)
	}
	r.smID = opts.StateMachineArn
	if r.smID == "" {
		r.smID = "arn:aws:states:us-east-1:123456789012:stateMachine:local"
	}
	r.smName = r.smID[strings.LastIndex(r.smID, ":")+1:]
	r.execID = strings.Replace(r.smID, ":stateMachine:", ":execution:", 1) + ":" + r.execName
	r.start = r.opts.Now()
	r.execCtx = map[string]any{
		"Id":           r.execID,
		"Name":         r.execName,
		"StartTime":    timestamp(r.start),
		"Input":        r.input,
		"RoleArn":      "arn:aws:iam::123456789012:role/local",
		"RedriveCount": json.Number("0"),
	}
	r.smCtx = map[string]any{"Id": r.smID, "Name": r.smName}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errExecTimeout := errors.New("execution timed out")
	if def.TimeoutSeconds > 0 {
		limit := max(r.scale(time.Duration(def.TimeoutSeconds)*time.Second), opts.MinExecutionTimeout)
		t := time.AfterFunc(limit, func() { cancel(errExecTimeout) })
		defer t.Stop()
	}

	sc := &scope{r: r, def: def, rng: rng, inputSize: size}
	if size <= 0 {
		sc.inputSize = -1
	}
	started := Event{Type: EventExecutionStarted}
	if !opts.OmitHistoryData {
		started.Input = encodeJSON(in)
	}
	sc.emit(started)
	out, f := sc.run(runCtx, in)
	res := &Result{ExecutionArn: r.execID}
	var err error
	switch {
	case f == nil:
		res.Status, res.Output = StatusSucceeded, encodeJSON(out)
		sc.emit(Event{Type: EventExecutionSucceeded, Output: res.Output})
	case f.aborted && errors.Is(context.Cause(runCtx), errExecTimeout) && ctx.Err() == nil:
		res.Status, res.Error = StatusTimedOut, ErrorTimeout
		res.Cause = fmt.Sprintf("the execution ran longer than its TimeoutSeconds (%d)", def.TimeoutSeconds)
		sc.emit(Event{Type: EventExecutionTimedOut, Error: res.Error, Cause: res.Cause})
	case f.aborted:
		res.Status, res.Error, res.Cause = StatusAborted, "States.Aborted", f.cause
		sc.emit(Event{Type: EventExecutionAborted, Error: res.Error, Cause: res.Cause})
		err = fmt.Errorf("asl: execution aborted: %w", ctx.Err())
	default:
		res.Status, res.Error, res.Cause = StatusFailed, f.name, f.cause
		sc.emit(Event{Type: EventExecutionFailed, Error: f.name, Cause: f.cause})
	}
	res.History = sc.history
	return res, err
}

func (r *runner) scale(d time.Duration) time.Duration {
	s := float64(d) * r.opts.TimeScale
	if s >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(s)
}

// checkSize fails with States.DataLimitExceeded a payload larger than the
// quota (256 KiB by default), as Step Functions does, with its cause; who
// is the state's name, or for a task's result the task's resource as Step
// Functions names it (see resourceName).
func (r *runner) checkSize(who string, enc []byte) *failure {
	if r.maxPayload > 0 && len(enc) > r.maxPayload {
		return &failure{name: ErrorDataLimit, cause: "The state/task '" + who +
			"' returned a result with a size exceeding the maximum number of bytes service limit."}
	}
	return nil
}

// resourceName is how Step Functions names a Task's resource in the cause
// of States.DataLimitExceeded: the service of an integration
// (arn:aws:states:::lambda:invoke is "lambda"), else the Resource as
// written (a function's ARN).
func resourceName(resource string) string {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[3] == "" && parts[4] == "" && parts[5] != "" {
		return parts[5]
	}
	return resource
}

// sleep waits for the unscaled duration d.
func (r *runner) sleep(ctx context.Context, d time.Duration) error {
	d = r.scale(d)
	if r.opts.Sleep != nil {
		if err := r.opts.Sleep(ctx, d); err != nil {
			return err
		}
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// seconds converts seconds to a duration (milliseconds precision), saturating.
func seconds(s float64) time.Duration {
	if s <= 0 || math.IsNaN(s) {
		return 0
	}
	if s >= float64(math.MaxInt64/int64(time.Second)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// emit records an event. It also counts the events Step Functions would
// record (its ids): ExecutionStarted is 1, then one per state entered and
// exited, two per task scheduled (TaskScheduled, TaskStarted), one per task
// submitted, succeeded, failed or timed out; retries, waits and caught
// errors add none of their own. Parallel and Map states add their Started
// and Succeeded/Failed events, and each Map item its MapIterationStarted and
// MapIteration{Succeeded,Failed} (parallelAttempt, mapAttempt, run). Within a
// Parallel or a Map the ids follow the order in which the events happen, as
// in Step Functions.
func (sc *scope) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = sc.r.opts.Now()
	}
	e.Scope = sc.label
	sc.r.events.Add(1)
	switch e.Type {
	case EventTaskScheduled:
		sc.r.awsEvents.Add(2)
	case EventTaskRetried, EventParallelRetried, EventMapRetried, EventWaitStarted, EventErrorCaught, EventStateFailed:
	case EventStateEntered:
		sc.enteredID = sc.r.awsEvents.Add(1)
	default:
		sc.r.awsEvents.Add(1)
	}
	sc.history = append(sc.history, e)
}

func (sc *scope) child(def *Definition, label string) *scope {
	if sc.label != "" {
		label = sc.label + "/" + label
	}
	return &scope{r: sc.r, def: def, label: label, rng: rand.New(rand.NewPCG(sc.rng.Uint64(), sc.rng.Uint64())), inputSize: -1}
}

func aborted(ctx context.Context) *failure {
	cause := "the execution was stopped"
	if err := context.Cause(ctx); err != nil {
		cause = err.Error()
	}
	return &failure{name: "States.Aborted", cause: cause, aborted: true}
}

// run runs the definition of the scope from StartAt to a terminal state.
func (sc *scope) run(ctx context.Context, input any) (any, *failure) {
	if sc.mapItem {
		sc.r.awsEvents.Add(1)       // MapIterationStarted
		defer sc.r.awsEvents.Add(1) // MapIterationSucceeded or MapIterationFailed
	}
	name := sc.def.StartAt
	var inputEnc json.RawMessage // the input's encoding, when known
	// inputSize is the input's encoded size, or an upper bound of it (-1:
	// unknown).
	inputSize := sc.inputSize
	for {
		if ctx.Err() != nil {
			return nil, aborted(ctx)
		}
		st := sc.def.states[name]
		if n := sc.r.events.Load(); n >= sc.r.maxEvents {
			f := sc.runtimeFailure(st, "the execution history reached %d events (a loop?)", sc.r.maxEvents)
			sc.emit(Event{Type: EventStateFailed, State: name, Error: f.name, Cause: f.cause})
			return nil, f
		}
		entered := sc.r.opts.Now()
		ev := Event{Type: EventStateEntered, State: name, Time: entered}
		if !sc.r.opts.OmitHistoryData {
			if inputEnc == nil {
				inputEnc = encodeJSON(input)
			}
			ev.Input = inputEnc
		}
		sc.emit(ev)
		sc.resultSize = -1
		out, next, f := sc.exec(ctx, st, input, entered)
		if f != nil {
			if !f.aborted {
				sc.emit(Event{Type: EventStateFailed, State: name, Error: f.name, Cause: f.cause})
			}
			return nil, f
		}
		var enc json.RawMessage
		outSize := -1
		switch {
		case passesInputThrough(st) && (inputEnc != nil || inputSize >= 0):
			enc, outSize = inputEnc, inputSize // the output is the input, unchanged
		case sc.r.opts.OmitHistoryData && resultOnly(st) && inputSize >= 0 && sc.resultSize >= 0 &&
			inputSize+sc.resultSize+resultSlack < sc.r.maxPayload:
			// Without history data the output's encoding only serves the
			// size limit, and the input plus the task's result bound it
			// (ResultPath puts one into the other), far below the limit.
			outSize = inputSize + sc.resultSize + resultSlack
		default:
			enc = encodeJSON(out)
			outSize = len(enc)
		}
		if enc != nil {
			if f := sc.r.checkSize(st.Name, enc); f != nil {
				sc.emit(Event{Type: EventStateFailed, State: name, Error: f.name, Cause: f.cause})
				return nil, f
			}
		}
		exited := Event{Type: EventStateExited, State: name, Next: next}
		if !sc.r.opts.OmitHistoryData {
			exited.Output = enc
		}
		sc.emit(exited)
		if next == "" {
			return out, nil
		}
		// The next state's input is this output: its encoding (or size) is
		// known.
		name, input, inputEnc, inputSize = next, out, enc, outSize
	}
}

// resultSlack covers the ResultPath's keys around a result in the output.
const resultSlack = 1024

// resultOnly: a Task state whose output is its input with the task's
// result at ResultPath (no ResultSelector, no OutputPath): the output is at
// most the input plus the result.
func resultOnly(st *State) bool {
	return st.Type == "Task" && st.resultSelector == nil && st.outputPath.path == nil && !st.outputPath.null
}

// passesInputThrough: the state's output is its input, unchanged (a Choice,
// Succeed or Wait state without InputPath or OutputPath).
func passesInputThrough(st *State) bool {
	switch st.Type {
	case "Choice", "Succeed", "Wait":
		return st.inputPath.path == nil && !st.inputPath.null && st.outputPath.path == nil && !st.outputPath.null
	}
	return false
}

// contextObject builds $$ for a state: Execution (Id, Input, Name, RoleArn,
// StartTime, RedriveCount), State (EnteredTime, Name, and RetryCount in the
// states that retry: Task, Parallel, Map), StateMachine (Id, Name),
// Task.Token for a ".waitForTaskToken" Task and Map.Item in an ItemSelector.
func (sc *scope) contextObject(st *State, entered time.Time, retries int, token string, item map[string]any) map[string]any {
	r := sc.r
	state := map[string]any{"Name": st.Name, "EnteredTime": timestamp(entered)}
	switch st.Type {
	case "Task", "Parallel", "Map":
		state["RetryCount"] = intNumber(int64(retries))
	}
	c := map[string]any{"Execution": r.execCtx, "State": state, "StateMachine": r.smCtx}
	if token != "" {
		c["Task"] = map[string]any{"Token": token}
	}
	if item != nil {
		c["Map"] = map[string]any{"Item": item}
	}
	return c
}

func getPath(p *Path, doc, cx any) (any, bool) {
	if p.IsContext() {
		return p.Get(cx)
	}
	return p.Get(doc)
}

func (sc *scope) inputPath(st *State, raw, cx any) (any, *failure) {
	switch {
	case st.inputPath.null:
		return map[string]any{}, nil
	case st.inputPath.path == nil:
		return raw, nil
	}
	v, ok := getPath(st.inputPath.path, raw, cx)
	if !ok {
		return nil, sc.runtimeFailure(st, "%s", pathNotFound(st.inputPath.path, raw, cx))
	}
	return v, nil
}

func (sc *scope) outputPath(st *State, v, cx any) (any, *failure) {
	switch {
	case st.outputPath.null:
		return map[string]any{}, nil
	case st.outputPath.path == nil:
		return v, nil
	}
	out, ok := getPath(st.outputPath.path, v, cx)
	if !ok {
		return nil, sc.runtimeFailure(st, "%s", pathNotFound(st.outputPath.path, v, cx))
	}
	return out, nil
}

func resultPath(rp pathField, raw, result any) (any, error) {
	if rp.null {
		return raw, nil
	}
	if rp.path == nil {
		return result, nil
	}
	return rp.path.Set(raw, result)
}

// finish applies ResultSelector, ResultPath and OutputPath to a result.
func (sc *scope) finish(st *State, raw, result, cx any) (any, *failure) {
	if st.resultSelector != nil {
		v, err := st.resultSelector.eval(&intrinsicEnv{doc: result, ctx: cx, rng: sc.rng})
		if err != nil {
			return nil, sc.runtimeFailure(st, "%v", err)
		}
		result = v
	}
	out, err := resultPath(st.resultPath, raw, result)
	if err != nil {
		return nil, sc.runtimeFailure(st, "Unable to apply ResultPath '%s' to the input '%s': %v", st.resultPath.path.src, encodeJSON(raw), err)
	}
	return sc.outputPath(st, out, cx)
}

// effective applies InputPath and then Parameters.
func (sc *scope) effective(st *State, raw, cx any) (any, *failure) {
	eff, f := sc.inputPath(st, raw, cx)
	if f != nil || st.parameters == nil {
		return eff, f
	}
	v, err := st.parameters.eval(&intrinsicEnv{doc: eff, ctx: cx, rng: sc.rng})
	if err != nil {
		return nil, sc.runtimeFailure(st, "%v", err)
	}
	return v, nil
}

func (sc *scope) exec(ctx context.Context, st *State, raw any, entered time.Time) (any, string, *failure) {
	switch st.Type {
	case "Task", "Parallel", "Map":
		return sc.withRetry(ctx, st, raw, entered) // each attempt has its own $$
	}
	cx := sc.contextObject(st, entered, 0, "", nil)
	switch st.Type {
	case "Pass":
		eff, f := sc.effective(st, raw, cx)
		if f != nil {
			return nil, "", f
		}
		result := eff
		if st.hasResult {
			result = st.result
		}
		out, f := sc.finish(st, raw, result, cx)
		return out, st.next, f
	case "Succeed":
		eff, f := sc.inputPath(st, raw, cx)
		if f != nil {
			return nil, "", f
		}
		out, f := sc.outputPath(st, eff, cx)
		return out, "", f
	case "Fail":
		return nil, "", sc.failState(st, raw, cx)
	case "Choice":
		return sc.choice(st, raw, cx)
	}
	return sc.wait(ctx, st, raw, cx)
}

func (sc *scope) failState(st *State, raw, cx any) *failure {
	f := &failure{name: st.errorName, cause: st.cause}
	for _, d := range []struct {
		t   *payloadTemplate
		dst *string
	}{{st.errorPath, &f.name}, {st.causePath, &f.cause}} {
		if d.t == nil {
			continue
		}
		v, err := d.t.eval(&intrinsicEnv{doc: raw, ctx: cx, rng: sc.rng})
		if err != nil {
			return sc.runtimeFailure(st, "%v", err)
		}
		s, ok := v.(string)
		if !ok {
			return sc.runtimeFailure(st, "%s must select a string, got %s", d.t.key, kindOf(v))
		}
		*d.dst = s
	}
	return f
}

func (sc *scope) choice(st *State, raw, cx any) (any, string, *failure) {
	eff, f := sc.inputPath(st, raw, cx)
	if f != nil {
		return nil, "", f
	}
	next := ""
	for _, rule := range st.choices {
		ok, err := rule.eval(eff, cx)
		if err != nil {
			return nil, "", sc.runtimeFailure(st, "%v", err)
		}
		if ok {
			next = rule.next
			break
		}
	}
	if next == "" {
		if st.defaultNext == "" {
			return nil, "", &failure{name: ErrorNoChoiceMatched, cause: fmt.Sprintf("No Choice Rules of the state '%s' matched the input and there is no Default", st.Name)}
		}
		next = st.defaultNext
	}
	out, f := sc.outputPath(st, eff, cx)
	return out, next, f
}

func (sc *scope) wait(ctx context.Context, st *State, raw, cx any) (any, string, *failure) {
	eff, f := sc.inputPath(st, raw, cx)
	if f != nil {
		return nil, "", f
	}
	var d time.Duration
	switch st.waitKind {
	case "Seconds":
		d = seconds(float64(st.waitSeconds))
	case "Timestamp":
		d = st.waitTimestamp.Sub(sc.r.opts.Now())
	case "SecondsPath":
		v, ok := getPath(st.waitSecondsPath, eff, cx)
		if !ok {
			return nil, "", sc.runtimeFailure(st, "%s", pathNotFound(st.waitSecondsPath, eff, cx))
		}
		n, isInt := asInt(v)
		if !isInt || n < 0 {
			return nil, "", sc.runtimeFailure(st, "SecondsPath '%s' must select a non-negative integer, got %s", st.waitSecondsPath.src, describe(v, ok))
		}
		d = seconds(float64(n))
	case "TimestampPath":
		v, ok := getPath(st.waitTsPath, eff, cx)
		if !ok {
			return nil, "", sc.runtimeFailure(st, "%s", pathNotFound(st.waitTsPath, eff, cx))
		}
		s, _ := v.(string)
		t, isTs := parseTimestamp(s)
		if !isTs {
			return nil, "", sc.runtimeFailure(st, "TimestampPath '%s' must select an RFC 3339 timestamp, got %s", st.waitTsPath.src, describe(v, ok))
		}
		d = t.Sub(sc.r.opts.Now())
	}
	d = max(d, 0)
	sc.emit(Event{Type: EventWaitStarted, State: st.Name, Delay: d})
	if err := sc.r.sleep(ctx, d); err != nil {
		return nil, "", aborted(ctx)
	}
	out, f := sc.outputPath(st, eff, cx)
	return out, st.next, f
}

func describe(v any, found bool) string {
	if !found {
		return "nothing (the path does not exist)"
	}
	return truncate(string(encodeJSON(v)), 64)
}

// delay is the wait before retry number n+1 of this retrier (n from 0).
func (r *retrier) delay(n int64, rng *rand.Rand) time.Duration {
	d := r.interval * math.Pow(r.backoff, float64(n))
	if r.maxDelay > 0 && d > r.maxDelay {
		d = r.maxDelay
	}
	if r.jitter {
		d *= rng.Float64()
	}
	return seconds(d)
}

// withRetry runs a Task, Parallel or Map state with its Retry and Catch.
func (sc *scope) withRetry(ctx context.Context, st *State, raw any, entered time.Time) (any, string, *failure) {
	counts := make([]int64, len(st.retry))
	retries := 0
	for {
		var out any
		var f *failure
		switch st.Type {
		case "Task":
			out, f = sc.taskAttempt(ctx, st, raw, entered, retries)
		case "Parallel":
			out, f = sc.parallelAttempt(ctx, st, raw, entered, retries)
		case "Map":
			out, f = sc.mapAttempt(ctx, st, raw, entered, retries)
		}
		if f == nil {
			return out, st.next, nil
		}
		if !f.catchable() {
			return nil, "", f
		}
		if i := matchRetrier(st.retry, f); i >= 0 && counts[i] < st.retry[i].maxAttempts {
			if sc.r.events.Load() >= sc.r.maxEvents {
				return nil, "", sc.runtimeFailure(st, "the execution history reached %d events (retrying %s)", sc.r.maxEvents, f.name)
			}
			d := st.retry[i].delay(counts[i], sc.rng)
			counts[i]++
			retries++
			sc.emit(Event{Type: st.Type + "Retried", State: st.Name, Attempt: retries + 1, Error: f.name, Cause: f.cause, Delay: d})
			if err := sc.r.sleep(ctx, d); err != nil {
				return nil, "", aborted(ctx)
			}
			continue
		}
		for _, c := range st.catch {
			if !f.matches(c.errors) {
				continue
			}
			errOut := map[string]any{"Error": f.name, "Cause": f.cause}
			out, err := resultPath(c.resultPath, raw, errOut)
			if err != nil {
				return nil, "", sc.runtimeFailure(st, "Unable to apply the catcher's ResultPath '%s' to the input '%s': %v", c.resultPath.path.src, encodeJSON(raw), err)
			}
			sc.emit(Event{Type: EventErrorCaught, State: st.Name, Error: f.name, Cause: f.cause, Next: c.next})
			return out, c.next, nil
		}
		return nil, "", f
	}
}

// matchRetrier returns the first retrier whose ErrorEquals matches f, or -1.
func matchRetrier(rs []*retrier, f *failure) int {
	for i, r := range rs {
		if f.matches(r.errors) {
			return i
		}
	}
	return -1
}

func (sc *scope) positiveSecondsAt(st *State, p *Path, eff, cx any, field string) (int64, *failure) {
	v, ok := getPath(p, eff, cx)
	if !ok {
		return 0, sc.runtimeFailure(st, "%s", pathNotFound(p, eff, cx))
	}
	n, isInt := asInt(v)
	if !isInt || n <= 0 {
		return 0, sc.runtimeFailure(st, "%sPath '%s' must select a positive integer, got %s", field, p.src, describe(v, ok))
	}
	return n, nil
}

type taskOutcome struct {
	out json.RawMessage
	err error
}

func (sc *scope) taskAttempt(ctx context.Context, st *State, raw any, entered time.Time, retries int) (any, *failure) {
	var token string
	var pend *pendingTask
	if st.WaitsForTaskToken() {
		token, pend = sc.r.cb.issue()
		defer sc.r.cb.close(token)
	}
	cx := sc.contextObject(st, entered, retries, token, nil)
	eff, f := sc.inputPath(st, raw, cx)
	if f != nil {
		return nil, f
	}
	payload := eff
	if st.parameters != nil {
		v, err := st.parameters.eval(&intrinsicEnv{doc: eff, ctx: cx, rng: sc.rng})
		if err != nil {
			return nil, sc.runtimeFailure(st, "%v", err)
		}
		payload = v
	}
	// TimeoutSecondsPath and HeartbeatSecondsPath read the input after InputPath.
	timeout, heartbeat := st.timeoutSeconds, st.heartbeatSeconds
	if st.timeoutPath != nil {
		if timeout, f = sc.positiveSecondsAt(st, st.timeoutPath, eff, cx, "TimeoutSeconds"); f != nil {
			return nil, f
		}
	}
	if st.heartbeatPath != nil {
		if heartbeat, f = sc.positiveSecondsAt(st, st.heartbeatPath, eff, cx, "HeartbeatSeconds"); f != nil {
			return nil, f
		}
	}
	in := encodeJSON(payload)
	if f := sc.r.checkSize(st.Name, in); f != nil {
		return nil, f
	}
	attempt := retries + 1
	scheduled := Event{Type: EventTaskScheduled, State: st.Name, Resource: st.Resource, Attempt: attempt}
	if !sc.r.opts.OmitHistoryData {
		scheduled.Input = in
	}
	sc.emit(scheduled)
	if sc.r.opts.Task == nil {
		return nil, sc.runtimeFailure(st, "no TaskFunc is configured to run the Task")
	}
	call := TaskCall{State: st.Name, Resource: st.Resource, Input: in, Token: token, Attempt: attempt, Callbacks: sc.r.cb}

	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan taskOutcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- taskOutcome{err: fmt.Errorf("the task function panicked: %v", p)}
			}
		}()
		out, err := sc.r.opts.Task(tctx, call)
		done <- taskOutcome{out: out, err: err}
	}()
	var timeoutC, heartbeatC <-chan time.Time
	taskTimeout := time.Duration(timeout) * time.Second
	if token != "" {
		taskTimeout = sc.r.scale(taskTimeout)
	}
	if timeout > 0 {
		t := time.NewTimer(taskTimeout)
		defer t.Stop()
		timeoutC = t.C
	}
	var hb *time.Timer
	if heartbeat > 0 && token != "" {
		hb = time.NewTimer(sc.r.scale(time.Duration(heartbeat) * time.Second))
		defer hb.Stop()
		heartbeatC = hb.C
	}
	var beat <-chan struct{}
	var answer <-chan callbackResult
	if pend != nil {
		beat = pend.beat
	}
	fail := func(typ string, f *failure) (any, *failure) {
		sc.emit(Event{Type: typ, State: st.Name, Resource: st.Resource, Attempt: attempt, Error: f.name, Cause: f.cause})
		return nil, f
	}
	for {
		select {
		case o := <-done:
			done = nil
			if o.err != nil {
				if ctx.Err() != nil {
					return nil, aborted(ctx)
				}
				name, cause := errorNameCause(o.err)
				return fail(EventTaskFailed, &failure{name: name, cause: cause})
			}
			if pend == nil {
				v, err := decodeResult(o.out)
				if err != nil {
					return fail(EventTaskFailed, sc.runtimeFailure(st, "the task's result is not JSON: %v", err))
				}
				var enc json.RawMessage
				if sc.r.opts.OmitHistoryData {
					// The result as the task returned it is what counts
					// against the payload limit.
					enc = bytes.TrimSpace(o.out)
				} else {
					enc = encodeJSON(v)
				}
				if f := sc.r.checkSize(resourceName(st.Resource), enc); f != nil {
					return fail(EventTaskFailed, f)
				}
				sc.resultSize = len(enc)
				succeeded := Event{Type: EventTaskSucceeded, State: st.Name, Resource: st.Resource, Attempt: attempt}
				if !sc.r.opts.OmitHistoryData {
					succeeded.Output = enc
				}
				sc.emit(succeeded)
				return sc.finish(st, raw, v, cx)
			}
			sc.emit(Event{Type: EventTaskSubmitted, State: st.Name, Resource: st.Resource, Attempt: attempt, Output: trimmed(o.out)})
			answer = pend.result
		case a := <-answer:
			if a.failed {
				return fail(EventTaskFailed, &failure{name: a.errName, cause: a.cause})
			}
			v, _ := decodeJSON(a.output) // checked by SendTaskSuccess
			enc := encodeJSON(v)
			if f := sc.r.checkSize(resourceName(st.Resource), enc); f != nil {
				return fail(EventTaskFailed, f)
			}
			sc.emit(Event{Type: EventTaskSucceeded, State: st.Name, Resource: st.Resource, Attempt: attempt, Output: enc})
			return sc.finish(st, raw, v, cx)
		case <-beat:
			if hb != nil {
				hb.Reset(sc.r.scale(time.Duration(heartbeat) * time.Second))
			}
		case <-timeoutC:
			return fail(EventTaskTimedOut, &failure{name: ErrorTimeout, cause: fmt.Sprintf("the task did not complete within %d seconds (TimeoutSeconds)", timeout)})
		case <-heartbeatC:
			return fail(EventTaskTimedOut, &failure{name: ErrorTimeout, heartbeat: true, cause: fmt.Sprintf("no heartbeat within %d seconds (HeartbeatSeconds)", heartbeat)})
		case <-ctx.Done():
			return nil, aborted(ctx)
		}
	}
}

func trimmed(b json.RawMessage) json.RawMessage {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if v, err := decodeJSON(b); err == nil {
		return encodeJSON(v)
	}
	return nil
}

// decodeResult parses a task's result; an empty result is null.
func decodeResult(b json.RawMessage) (any, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, nil
	}
	return decodeJSON(b)
}

// errorNameCause is the error name and cause Step Functions would see for err.
func errorNameCause(err error) (string, string) {
	name := ErrorTaskFailed
	var n interface{ ErrorName() string }
	if errors.As(err, &n) && n.ErrorName() != "" {
		name = n.ErrorName()
	}
	cause := err.Error()
	var c interface{ ErrorCause() string }
	if errors.As(err, &c) {
		cause = c.ErrorCause()
	}
	return name, cause
}

// runScopes runs the child scopes concurrently (at most limit at once; 0:
// all), appends their histories in order and returns their outputs, or the
// failure that fails the state: an uncatchable one first, else the one of the
// lowest index (the others were stopped by it).
func (sc *scope) runScopes(ctx context.Context, scopes []*scope, inputs []any, limit int) ([]any, *failure) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]any, len(scopes))
	fails := make([]*failure, len(scopes))
	var wg sync.WaitGroup
	var sem chan struct{}
	if limit > 0 {
		sem = make(chan struct{}, limit)
	}
	for i := range scopes {
		if sem != nil {
			// Start in order: with MaxConcurrency 1 the items run one by one.
			select {
			case sem <- struct{}{}:
			case <-cctx.Done():
				fails[i] = aborted(cctx)
				continue
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sem != nil {
				defer func() { <-sem }()
			}
			outs[i], fails[i] = scopes[i].run(cctx, inputs[i])
			if fails[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, c := range scopes {
		sc.history = append(sc.history, c.history...)
	}
	if ctx.Err() != nil {
		return nil, aborted(ctx)
	}
	var first *failure
	for _, f := range fails {
		if f == nil || f.aborted {
			continue
		}
		if !f.catchable() {
			return nil, f
		}
		if first == nil {
			first = f
		}
	}
	if first != nil {
		return nil, first
	}
	return outs, nil
}

func (sc *scope) parallelAttempt(ctx context.Context, st *State, raw any, entered time.Time, retries int) (any, *failure) {
	cx := sc.contextObject(st, entered, retries, "", nil)
	payload, f := sc.effective(st, raw, cx)
	if f != nil {
		return nil, f
	}
	scopes := make([]*scope, len(st.branches))
	inputs := make([]any, len(st.branches))
	for i, b := range st.branches {
		scopes[i] = sc.child(b, fmt.Sprintf("%s/%d", st.Name, i))
		inputs[i] = payload
	}
	sc.r.awsEvents.Add(1) // ParallelStateStarted
	outs, f := sc.runScopes(ctx, scopes, inputs, 0)
	sc.r.awsEvents.Add(1) // ParallelStateSucceeded or ParallelStateFailed
	if f != nil {
		return nil, f
	}
	return sc.finish(st, raw, outs, cx)
}

func (sc *scope) mapAttempt(ctx context.Context, st *State, raw any, entered time.Time, retries int) (any, *failure) {
	cx := sc.contextObject(st, entered, retries, "", nil)
	eff, f := sc.inputPath(st, raw, cx)
	if f != nil {
		return nil, f
	}
	itemsV := eff
	itemsSrc := "$"
	if st.itemsPath != nil {
		v, ok := getPath(st.itemsPath, eff, cx)
		if !ok {
			return nil, sc.runtimeFailure(st, "%s", pathNotFound(st.itemsPath, eff, cx))
		}
		itemsV = v
		// Step Functions evaluates a $$ path as $ on the context object,
		// and names it so.
		itemsSrc = st.itemsPath.src
		if st.itemsPath.IsContext() {
			itemsSrc = itemsSrc[1:]
		}
	}
	items, ok := itemsV.([]any)
	if !ok {
		return nil, sc.runtimeFailure(st, "Reference path \"%s\" must point to array.", itemsSrc)
	}
	limit := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		v, ok := getPath(st.maxConcurrencyPath, eff, cx)
		if !ok {
			return nil, sc.runtimeFailure(st, "%s", pathNotFound(st.maxConcurrencyPath, eff, cx))
		}
		n, isInt := asInt(v)
		if !isInt || n < 0 {
			return nil, sc.runtimeFailure(st, "MaxConcurrencyPath '%s' must select a non-negative integer, got %s", st.maxConcurrencyPath.src, describe(v, ok))
		}
		limit = n
	}
	selector := st.itemSelector
	if selector == nil {
		selector = st.parameters
	}
	scopes := make([]*scope, len(items))
	inputs := make([]any, len(items))
	for i, item := range items {
		inputs[i] = item
		if selector != nil {
			icx := sc.contextObject(st, entered, retries, "", map[string]any{"Index": intNumber(int64(i)), "Value": item})
			v, err := selector.eval(&intrinsicEnv{doc: eff, ctx: icx, rng: sc.rng})
			if err != nil {
				return nil, sc.runtimeFailure(st, "%v", err)
			}
			inputs[i] = v
		}
		scopes[i] = sc.child(st.processor, fmt.Sprintf("%s/%d", st.Name, i))
		scopes[i].mapItem = true
	}
	sc.r.awsEvents.Add(1) // MapStateStarted
	outs, f := sc.runScopes(ctx, scopes, inputs, int(min(limit, int64(len(items)+1))))
	sc.r.awsEvents.Add(1) // MapStateSucceeded or MapStateFailed
	if f != nil {
		return nil, f
	}
	if outs == nil {
		outs = []any{}
	}
	return sc.finish(st, raw, outs, cx)
}
