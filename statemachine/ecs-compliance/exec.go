package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

const execUsage = `usage: ecs-compliance exec --definition ASL.json [--input INPUT.json] [--stubs STUBS.json] [flags]

Runs any Amazon States Language document (QueryLanguage JSONPath) offline.
Each Task state's results come, in order, from the stub file:

  {"<state name>": [{"result": <JSON>} | {"error": "<name>", "cause": "<text>"}, ...]}

one entry per attempt (a retry takes the next entry). For a .waitForTaskToken
Task the entry is the callback's answer (SendTaskSuccess / SendTaskFailure).
A Task with no entry left fails the execution with States.Runtime.
Retry delays and Wait states are computed and recorded, not slept.

Prints {status, output | error + cause, states, history} as JSON. Exit code 0
when the execution ran (whatever its status), 2 on bad flags or files.

Flags:
`

// runExec is the "exec" subcommand.
func runExec(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defPath := fs.String("definition", "", "the ASL document to run (JSON file; required)")
	inputPath := fs.String("input", "", "the execution input (JSON file; default {})")
	stubsPath := fs.String("stubs", "", "Task results and errors per state name (JSON file)")
	history := fs.String("history", "full", "history detail: full, brief (no input/output) or none")
	seed := fs.Uint64("seed", 0, "seed for retry jitter, States.UUID and States.MathRandom (0: random)")
	name := fs.String("name", "", "the execution name ($$.Execution.Name; default a UUID)")
	fs.Usage = func() {
		fmt.Fprint(stderr, execUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "exec: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if *defPath == "" {
		return bad("--definition is required (see -h)")
	}
	switch *history {
	case "full", "brief", "none":
	default:
		return bad("--history must be full, brief or none, not %q", *history)
	}
	data, err := os.ReadFile(*defPath)
	if err != nil {
		return bad("read the definition: %v", err)
	}
	def, err := asl.Parse(data)
	if err != nil {
		return bad("%s: %v", *defPath, err)
	}
	input := json.RawMessage(`{}`)
	if *inputPath != "" {
		if input, err = os.ReadFile(*inputPath); err != nil {
			return bad("read the input: %v", err)
		}
		if !json.Valid(input) {
			return bad("%s: the input is not JSON", *inputPath)
		}
	}
	st := &stubs{queue: map[string][]stubEntry{}, used: map[string]int{}}
	if *stubsPath != "" {
		raw, err := os.ReadFile(*stubsPath)
		if err != nil {
			return bad("read the stubs: %v", err)
		}
		if err := st.load(raw, def); err != nil {
			return bad("%s: %v", *stubsPath, err)
		}
	}

	res, err := asl.Run(context.Background(), def, input, asl.Options{
		Task:  st.task,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		Seed:  *seed,
		Name:  *name,
	})
	if err != nil {
		return bad("%v", err)
	}
	for _, note := range st.unused() {
		fmt.Fprintln(stderr, "exec: note:", note)
	}
	out := execOutput{Status: res.Status, Output: res.Output, Error: res.Error, Cause: res.Cause, States: res.StatesEntered()}
	switch *history {
	case "full":
		out.History = res.History
	case "brief":
		for _, e := range res.History {
			e.Input, e.Output = nil, nil
			out.History = append(out.History, e)
		}
	}
	if out.States == nil {
		out.States = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return bad("encode the result: %v", err)
	}
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return bad("write the result: %v", err)
	}
	return 0
}

// execOutput is what exec prints.
type execOutput struct {
	Status  string          `json:"status"`
	Output  json.RawMessage `json:"output,omitempty"`
	Error   string          `json:"error,omitempty"`
	Cause   string          `json:"cause,omitempty"`
	States  []string        `json:"states"`
	History []asl.Event     `json:"history,omitempty"`
}

// stubEntry is one attempt's outcome: a result, or an error with its cause.
type stubEntry struct {
	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
	Cause  string          `json:"cause"`
}

// stubs hands out the stub entries of each Task state, in order.
type stubs struct {
	mu    sync.Mutex
	queue map[string][]stubEntry
	used  map[string]int
}

func (s *stubs) load(raw []byte, def *asl.Definition) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("the stub file must be a JSON object {\"<state name>\": [entries]}: %v", err)
	}
	for _, name := range sortedNames(m) {
		state := def.State(name)
		if state == nil || state.Type != "Task" {
			return fmt.Errorf("stubs for %q: the definition has no Task state of that name (Task states: %s)", name, strings.Join(taskStates(def), ", "))
		}
		dec := json.NewDecoder(bytes.NewReader(m[name]))
		dec.DisallowUnknownFields()
		var entries []stubEntry
		if err := dec.Decode(&entries); err != nil {
			return fmt.Errorf("stubs for %q must be an array of {\"result\": …} or {\"error\": \"…\", \"cause\": \"…\"}: %v", name, err)
		}
		for i, e := range entries {
			switch {
			case e.Result != nil && e.Error != nil:
				return fmt.Errorf("stubs for %q, entry %d: has both result and error", name, i)
			case e.Result == nil && e.Error == nil:
				return fmt.Errorf("stubs for %q, entry %d: needs a result or an error", name, i)
			case e.Error != nil && *e.Error == "":
				return fmt.Errorf("stubs for %q, entry %d: the error name is empty", name, i)
			}
		}
		s.queue[name] = entries
	}
	return nil
}

func sortedNames(m map[string]json.RawMessage) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func taskStates(def *asl.Definition) []string {
	var out []string
	for _, s := range def.States() {
		if s.Type == "Task" {
			out = append(out, fmt.Sprintf("%q", s.Name))
		}
	}
	return out
}

// stubError is a stubbed task error.
type stubError struct{ name, cause string }

func (e *stubError) Error() string      { return e.name + ": " + e.cause }
func (e *stubError) ErrorName() string  { return e.name }
func (e *stubError) ErrorCause() string { return e.cause }

// task is the TaskFunc: the next stub entry of the state.
func (s *stubs) task(_ context.Context, call asl.TaskCall) (json.RawMessage, error) {
	s.mu.Lock()
	q, n := s.queue[call.State], s.used[call.State]
	if n >= len(q) {
		s.mu.Unlock()
		return nil, &stubError{name: asl.ErrorRuntime, cause: fmt.Sprintf(
			"exec: no stub left for Task state %q (attempt %d; the stub file has %d entr%s for it): add one to --stubs",
			call.State, call.Attempt, len(q), plural(len(q), "y", "ies"))}
	}
	s.used[call.State] = n + 1
	e := q[n]
	s.mu.Unlock()
	if call.Token != "" {
		// The entry is the callback's answer, sent before the task waits.
		var err error
		if e.Error != nil {
			err = call.Callbacks.SendTaskFailure(call.Token, *e.Error, e.Cause)
		} else {
			err = call.Callbacks.SendTaskSuccess(call.Token, e.Result)
		}
		if err != nil {
			return nil, &stubError{name: asl.ErrorRuntime, cause: fmt.Sprintf("exec: stub %d of %q: %v", n, call.State, err)}
		}
		return nil, nil
	}
	if e.Error != nil {
		return nil, &stubError{name: *e.Error, cause: e.Cause}
	}
	return e.Result, nil
}

// unused describes the stub entries the run did not consume.
func (s *stubs) unused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, name := range sortedNames(toRaw(s.queue)) {
		if left := len(s.queue[name]) - s.used[name]; left > 0 {
			out = append(out, fmt.Sprintf("%d stub entr%s for %q not used", left, plural(left, "y", "ies"), name))
		}
	}
	return out
}

func toRaw(m map[string][]stubEntry) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k := range m {
		out[k] = nil
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
