package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// named is a task error with a name and a cause, as a Lambda error has.
type named struct{ name, cause string }

func (e *named) Error() string      { return e.name + ": " + e.cause }
func (e *named) ErrorName() string  { return e.name }
func (e *named) ErrorCause() string { return e.cause }

// script gives each Task state its outcomes, one per attempt, in order: a
// string is a JSON result, an error fails the attempt, a TaskFunc runs.
type script map[string][]any

type harness struct {
	mu     sync.Mutex
	script script
	calls  []TaskCall
	sleeps []time.Duration
}

var fixedNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func (h *harness) task(ctx context.Context, call TaskCall) (json.RawMessage, error) {
	h.mu.Lock()
	h.calls = append(h.calls, call)
	n := 0
	for _, c := range h.calls {
		if c.State == call.State {
			n++
		}
	}
	outs := h.script[call.State]
	h.mu.Unlock()
	if n > len(outs) {
		return nil, fmt.Errorf("test script: no outcome %d for %q", n, call.State)
	}
	switch o := outs[n-1].(type) {
	case string:
		return json.RawMessage(o), nil
	case error:
		return nil, o
	case TaskFunc:
		return o(ctx, call)
	case func(context.Context, TaskCall) (json.RawMessage, error):
		return o(ctx, call)
	}
	return nil, fmt.Errorf("test script: bad outcome %T", outs[n-1])
}

func (h *harness) options() Options {
	return Options{
		Task: h.task,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return nil
		},
		Now:  func() time.Time { return fixedNow },
		Name: "exec-1",
		Seed: 7,
	}
}

func mustParse(t testing.TB, def string) *Definition {
	t.Helper()
	d, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, def)
	}
	return d
}

func runDef(t *testing.T, def, input string, s script, tweak ...func(*Options)) (*Result, *harness) {
	t.Helper()
	h := &harness{script: s}
	opts := h.options()
	for _, f := range tweak {
		f(&opts)
	}
	res, err := Run(context.Background(), mustParse(t, def), json.RawMessage(input), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, h
}

func assertJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	g, err := decodeJSON(got)
	if err != nil {
		t.Fatalf("%s is not JSON: %q", what, got)
	}
	if !jsonEqual(g, mustDecode(t, want)) {
		t.Fatalf("%s = %s\nwant %s", what, got, want)
	}
}

func succeeded(t *testing.T, res *Result) {
	t.Helper()
	if res.Status != StatusSucceeded {
		t.Fatalf("status = %s (%s: %s), want SUCCEEDED; states %v", res.Status, res.Error, res.Cause, res.StatesEntered())
	}
}

func eventTypes(res *Result, state string) []string {
	var out []string
	for _, e := range res.History {
		if state == "" || e.State == state {
			out = append(out, e.Type)
		}
	}
	return out
}

// task1 is a one-Task definition with the given extra fields.
func task1(fields string) string {
	if fields != "" {
		fields = ", " + fields
	}
	return `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true` + fields + `}}}`
}

func TestInputOutputProcessing(t *testing.T) {
	docsInput := `{"comment": "This is a test of the input and output of a Task state.", "details": "Default example", "who": "AWS Step Functions"}`
	product := `{"comment": "Example for Parameters.", "product": {"details": {"color": "blue", "size": "small", "material": "cotton"}, "availability": "in stock", "sku": "2317", "cost": "$23"}}`
	emr := `{"resourceType": "elasticmapreduce", "resource": "createCluster.sync", "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}}`
	tests := []struct {
		name, def, input, result string
		wantTaskInput, want      string
	}{
		{
			name: "no paths: the result is the output", def: task1(""), input: docsInput, result: `"Hello, AWS Step Functions!"`,
			wantTaskInput: docsInput, want: `"Hello, AWS Step Functions!"`,
		},
		{
			name: "ResultPath adds the result to the input (AWS docs)", def: task1(`"ResultPath": "$.taskresult"`), input: docsInput, result: `"Hello, AWS Step Functions!"`,
			want: `{"comment": "This is a test of the input and output of a Task state.", "details": "Default example", "who": "AWS Step Functions", "taskresult": "Hello, AWS Step Functions!"}`,
		},
		{
			name: "ResultPath null discards the result (AWS docs)", def: task1(`"ResultPath": null`), input: docsInput, result: `"Hello, AWS Step Functions!"`,
			want: docsInput,
		},
		{
			name: "ResultPath $ replaces the input", def: task1(`"ResultPath": "$"`), input: docsInput, result: `{"r": 1}`,
			want: `{"r": 1}`,
		},
		{
			name: "ResultPath replaces an existing node", def: task1(`"ResultPath": "$.master.detail"`), input: `{"master": {"detail": [1, 2, 3], "keep": true}}`, result: `6`,
			want: `{"master": {"detail": 6, "keep": true}}`,
		},
		{
			name: "ResultPath creates the missing objects", def: task1(`"ResultPath": "$.remediation.task"`), input: `{"id": 1}`, result: `{"ok": true}`,
			want: `{"id": 1, "remediation": {"task": {"ok": true}}}`,
		},
		{
			name: "ResultPath merges into the raw input, not the InputPath selection", def: task1(`"InputPath": "$.a", "ResultPath": "$.r"`), input: `{"a": {"x": 1}, "b": 2}`, result: `"done"`,
			wantTaskInput: `{"x": 1}`, want: `{"a": {"x": 1}, "b": 2, "r": "done"}`,
		},
		{
			name: "InputPath null gives the task {}", def: task1(`"InputPath": null`), input: `{"a": 1}`, result: `1`,
			wantTaskInput: `{}`, want: `1`,
		},
		{
			name: "Parameters select and add static values (AWS docs)", def: task1(`"Parameters": {"comment": "Selecting what I care about.", "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}}, "ResultPath": null`),
			input: product, result: `{}`,
			wantTaskInput: `{"comment": "Selecting what I care about.", "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}}`, want: product,
		},
		{
			name: "Parameters apply after InputPath", def: task1(`"InputPath": "$.product", "Parameters": {"sku.$": "$.sku", "list": [{"c.$": "$.details.color"}, 1]}`),
			input: product, result: `1`, wantTaskInput: `{"sku": "2317", "list": [{"c": "blue"}, 1]}`, want: `1`,
		},
		{
			name: "Parameters with intrinsic functions", def: task1(`"Parameters": {"greeting.$": "States.Format('Hello, {}', $.who)", "n.$": "States.ArrayLength($.l)"}`),
			input: `{"who": "you", "l": [1, 2]}`, result: `1`, wantTaskInput: `{"greeting": "Hello, you", "n": 2}`, want: `1`,
		},
		{
			name: "ResultSelector picks from the result before ResultPath (AWS docs)", def: task1(`"ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType", "static": 1}, "ResultPath": "$.EMROutput"`),
			input: `{"in": true}`, result: emr,
			want: `{"in": true, "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce", "static": 1}}`,
		},
		{
			name: "OutputPath selects from the combined output", def: task1(`"ResultPath": "$.r", "OutputPath": "$.r.Payload"`),
			input: `{"a": 1}`, result: `{"Payload": {"x": 2}, "StatusCode": 200}`, want: `{"x": 2}`,
		},
		{
			name: "OutputPath null gives {}", def: task1(`"OutputPath": null`), input: `{"a": 1}`, result: `2`, want: `{}`,
		},
		{
			name: "a wildcard OutputPath gives a list", def: task1(`"OutputPath": "$.items[*].id"`), input: `{}`, result: `{"items": [{"id": "a"}, {"id": "b"}]}`, want: `["a", "b"]`,
		},
		{
			name: "an empty task result is null", def: task1(`"ResultPath": "$.r"`), input: `{}`, result: ``, want: `{"r": null}`,
		},
		{
			name: "Pass Result with ResultPath (AWS docs)", def: `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355}, "ResultPath": "$.coords", "End": true}}}`,
			input: `{"georefOf": "Home"}`, want: `{"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}}`,
		},
		{
			name: "Pass without Result passes its effective input", def: `{"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.a", "Parameters": {"b.$": "$.b"}, "ResultPath": "$.out", "End": true}}}`,
			input: `{"a": {"b": 1}}`, want: `{"a": {"b": 1}, "out": {"b": 1}}`,
		},
		{
			name: "Succeed applies InputPath then OutputPath", def: `{"StartAt": "S", "States": {"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}}`,
			input: `{"a": {"b": [1]}}`, want: `[1]`,
		},
		{
			name: "numbers keep their text", def: `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`,
			input: `{"big": 12345678901234567890, "f": 1.50}`, want: `{"big": 12345678901234567890, "f": 1.50}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, h := runDef(t, tc.def, tc.input, script{"T": {tc.result}})
			succeeded(t, res)
			assertJSON(t, "output", res.Output, tc.want)
			if tc.wantTaskInput != "" {
				if len(h.calls) != 1 {
					t.Fatalf("task calls = %d, want 1", len(h.calls))
				}
				assertJSON(t, "task input", h.calls[0].Input, tc.wantTaskInput)
			}
		})
	}
}

func TestContextObject(t *testing.T) {
	def := task1(`"Parameters": {"ctx.$": "$$", "name.$": "$$.Execution.Name", "retry.$": "$$.State.RetryCount"}, "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}]`)
	res, h := runDef(t, def, `{"in": 1}`, script{"T": {&named{"E", "x"}, `1`}}, func(o *Options) {
		o.StateMachineArn = "arn:aws:states:eu-west-1:111122223333:stateMachine:compliance"
	})
	succeeded(t, res)
	assertJSON(t, "first attempt input", h.calls[0].Input, `{"name": "exec-1", "retry": 0, "ctx": {
		"Execution": {"Id": "arn:aws:states:eu-west-1:111122223333:execution:compliance:exec-1", "Name": "exec-1", "StartTime": "2024-01-02T03:04:05.000Z", "Input": {"in": 1}, "RoleArn": "arn:aws:iam::123456789012:role/local", "RedriveCount": 0},
		"State": {"Name": "T", "EnteredTime": "2024-01-02T03:04:05.000Z", "RetryCount": 0},
		"StateMachine": {"Id": "arn:aws:states:eu-west-1:111122223333:stateMachine:compliance", "Name": "compliance"}}}`)
	var second map[string]any
	_ = json.Unmarshal(h.calls[1].Input, &second)
	if second["retry"] != float64(1) || h.calls[1].Attempt != 2 {
		t.Fatalf("second attempt: RetryCount %v, Attempt %d; want 1 and 2", second["retry"], h.calls[1].Attempt)
	}
	if res.ExecutionArn != "arn:aws:states:eu-west-1:111122223333:execution:compliance:exec-1" {
		t.Fatalf("ExecutionArn = %s", res.ExecutionArn)
	}
}

// TestRuntimeErrorsAreNotCaught pins that a path that does not resolve fails
// the execution with States.Runtime, which neither Retry nor Catch handles,
// even with States.ALL.
func TestRuntimeErrorsAreNotCaught(t *testing.T) {
	handlers := `"Retry": [{"ErrorEquals": ["States.ALL"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]`
	withHandler := func(fields string) string {
		return `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true, ` + fields + `, ` + handlers + `}, "Handler": {"Type": "Succeed"}}}`
	}
	tests := []struct {
		name, def, input, result, cause string
	}{
		{"missing InputPath", withHandler(`"InputPath": "$.missing"`), `{}`, `1`, "Invalid path '$.missing' : No results for path: $['missing']"},
		{"missing Parameters path", withHandler(`"Parameters": {"x.$": "$.missing"}`), `{}`, `1`, `could not be found`},
		{"failing intrinsic in Parameters", withHandler(`"Parameters": {"x.$": "States.StringToJson($.s)"}`), `{"s": "nope"}`, `1`, "not JSON"},
		{"missing ResultSelector path", withHandler(`"ResultSelector": {"x.$": "$.missing"}`), `{}`, `{}`, "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{}'"},
		{"ResultPath into a string", withHandler(`"ResultPath": "$.a.b"`), `{"a": "text"}`, `1`, "Unable to apply ResultPath"},
		{"missing OutputPath", withHandler(`"OutputPath": "$.missing"`), `{}`, `{}`, "Invalid path '$.missing' : No results for path: $['missing']"},
		{"missing TimeoutSecondsPath", withHandler(`"TimeoutSecondsPath": "$.t"`), `{}`, `1`, "Invalid path '$.t' : No results for path: $['t']"},
		{"TimeoutSecondsPath not a positive integer", withHandler(`"TimeoutSecondsPath": "$.t"`), `{"t": "10"}`, `1`, "positive integer"},
		{"task function error named States.Runtime", withHandler(`"ResultPath": null`), `{}`, "", "broken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out any = tc.result
			if tc.result == "" {
				out = &named{ErrorRuntime, "broken"}
			}
			res, h := runDef(t, tc.def, tc.input, script{"T": {out}})
			if res.Status != StatusFailed || res.Error != ErrorRuntime || !strings.Contains(res.Cause, tc.cause) {
				t.Fatalf("got %s %s: %s; want FAILED States.Runtime with %q", res.Status, res.Error, res.Cause, tc.cause)
			}
			if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"T"}) {
				t.Fatalf("states entered = %v: the Catch must not run", got)
			}
			if len(h.sleeps) != 0 || len(h.calls) > 1 {
				t.Fatalf("retried (%d calls, %d sleeps): States.Runtime must not be retried", len(h.calls), len(h.sleeps))
			}
		})
	}
	t.Run("Choice with a missing Variable", func(t *testing.T) {
		def := `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": "a", "Next": "S"}], "Default": "S"}, "S": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorRuntime || !strings.Contains(res.Cause, "$.x") {
			t.Fatalf("got %s %s: %s", res.Status, res.Error, res.Cause)
		}
	})
	t.Run("runtime error inside a Parallel branch is not caught by the Parallel", func(t *testing.T) {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, ` + handlers + `, "Branches": [
			{"StartAt": "B", "States": {"B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}]}, "Handler": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorRuntime {
			t.Fatalf("got %s %s: %s", res.Status, res.Error, res.Cause)
		}
	})
}

func TestRetry(t *testing.T) {
	errA, errB, errC := &named{"ErrorA", "a"}, &named{"ErrorB", "b"}, &named{"ErrorC", "c"}
	type retried struct {
		attempt int
		err     string
		delay   time.Duration
	}
	tests := []struct {
		name     string
		fields   string
		outcomes []any
		status   string
		err      string
		retries  []retried
		states   []string
	}{
		{
			name:     "succeeds on the third attempt with exponential backoff (AWS docs: 3s, 4.5s)",
			fields:   `"Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5}]`,
			outcomes: []any{&named{ErrorTimeout, "t"}, &named{ErrorTimeout, "t"}, `"ok"`},
			status:   StatusSucceeded,
			retries:  []retried{{2, ErrorTimeout, 3 * time.Second}, {3, ErrorTimeout, 4500 * time.Millisecond}},
		},
		{
			name:     "defaults: 3 retries, 1s interval, backoff 2",
			fields:   `"Retry": [{"ErrorEquals": ["E"]}]`,
			outcomes: []any{&named{"E", ""}, &named{"E", ""}, &named{"E", ""}, &named{"E", ""}},
			status:   StatusFailed, err: "E",
			retries: []retried{{2, "E", time.Second}, {3, "E", 2 * time.Second}, {4, "E", 4 * time.Second}},
		},
		{
			name:     "MaxDelaySeconds caps the backoff",
			fields:   `"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 5, "MaxDelaySeconds": 5}]`,
			outcomes: []any{&named{"E", ""}, &named{"E", ""}, &named{"E", ""}, &named{"E", ""}, &named{"E", ""}, `1`},
			status:   StatusSucceeded,
			retries:  []retried{{2, "E", time.Second}, {3, "E", 2 * time.Second}, {4, "E", 4 * time.Second}, {5, "E", 5 * time.Second}, {6, "E", 5 * time.Second}},
		},
		{
			name:     "MaxAttempts 0 never retries",
			fields:   `"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 0}]`,
			outcomes: []any{&named{"E", ""}},
			status:   StatusFailed, err: "E",
		},
		{
			name: "each retrier counts its own attempts (ASL spec example)",
			fields: `"Retry": [{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
				{"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}]`,
			outcomes: []any{errA, errB, errC, errC, `"ok"`},
			status:   StatusSucceeded,
			retries:  []retried{{2, "ErrorA", time.Second}, {3, "ErrorB", 2 * time.Second}, {4, "ErrorC", 5 * time.Second}, {5, "ErrorC", 10 * time.Second}},
		},
		{
			name: "an exhausted retrier goes to Catch, not to a later matching retrier",
			fields: `"Retry": [{"ErrorEquals": ["ErrorA"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}],
				"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]`,
			outcomes: []any{errA, errA},
			status:   StatusSucceeded,
			retries:  []retried{{2, "ErrorA", time.Second}},
			states:   []string{"T", "Handler"},
		},
		{
			name:     "States.ALL retries any error",
			fields:   `"Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 2}]`,
			outcomes: []any{errors.New("plain"), `1`},
			status:   StatusSucceeded,
			retries:  []retried{{2, ErrorTaskFailed, 2 * time.Second}},
		},
		{
			name:     "States.TaskFailed retries task errors",
			fields:   `"Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}]`,
			outcomes: []any{errC, `1`},
			status:   StatusSucceeded,
			retries:  []retried{{2, "ErrorC", time.Second}},
		},
		{
			name:     "States.TaskFailed does not match States.Timeout",
			fields:   `"Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}]`,
			outcomes: []any{&named{ErrorTimeout, "slow"}},
			status:   StatusFailed, err: ErrorTimeout,
		},
		{
			name:     "an error no retrier names is not retried",
			fields:   `"Retry": [{"ErrorEquals": ["ErrorA"]}]`,
			outcomes: []any{errB},
			status:   StatusFailed, err: "ErrorB",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true, ` + tc.fields + `}, "Handler": {"Type": "Succeed"}}}`
			if !strings.Contains(tc.fields, "Handler") {
				def = task1(tc.fields)
			}
			res, h := runDef(t, def, `{}`, script{"T": tc.outcomes})
			if res.Status != tc.status || res.Error != tc.err {
				t.Fatalf("status %s error %q (%s), want %s %q", res.Status, res.Error, res.Cause, tc.status, tc.err)
			}
			var got []retried
			var delays []time.Duration
			for _, e := range res.History {
				if e.Type == EventTaskRetried {
					got = append(got, retried{e.Attempt, e.Error, e.Delay})
					delays = append(delays, e.Delay)
				}
			}
			if !reflect.DeepEqual(got, tc.retries) {
				t.Fatalf("retries = %+v\nwant %+v", got, tc.retries)
			}
			if !reflect.DeepEqual(h.sleeps, delays) {
				t.Fatalf("slept %v, want the recorded delays %v", h.sleeps, delays)
			}
			if len(h.calls) != len(tc.retries)+1 {
				t.Fatalf("%d attempts, want %d", len(h.calls), len(tc.retries)+1)
			}
			for i, c := range h.calls {
				if c.Attempt != i+1 {
					t.Fatalf("call %d has Attempt %d", i, c.Attempt)
				}
			}
			if tc.states != nil && !reflect.DeepEqual(res.StatesEntered(), tc.states) {
				t.Fatalf("states = %v, want %v", res.StatesEntered(), tc.states)
			}
		})
	}
}

func TestRetryJitter(t *testing.T) {
	fields := `"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 6, "IntervalSeconds": 1, "BackoffRate": 2, "MaxDelaySeconds": 30, "JitterStrategy": "FULL"}]`
	fail := &named{"E", "x"}
	outcomes := []any{fail, fail, fail, fail, fail, fail, `1`}
	delays := func(seed uint64) []time.Duration {
		res, _ := runDef(t, task1(fields), `{}`, script{"T": outcomes}, func(o *Options) { o.Seed = seed })
		succeeded(t, res)
		var out []time.Duration
		for _, e := range res.History {
			if e.Type == EventTaskRetried {
				out = append(out, e.Delay)
			}
		}
		return out
	}
	caps := []time.Duration{1, 2, 4, 8, 16, 30}
	first := delays(11)
	if len(first) != 6 {
		t.Fatalf("%d retries, want 6", len(first))
	}
	jittered := false
	for i, d := range first {
		if d < 0 || d > caps[i]*time.Second {
			t.Fatalf("retry %d delay %v outside [0, %ds]", i+1, d, caps[i])
		}
		if d != caps[i]*time.Second {
			jittered = true
		}
	}
	if !jittered {
		t.Fatalf("delays %v: all at their cap, want jitter", first)
	}
	if again := delays(11); !reflect.DeepEqual(first, again) {
		t.Fatalf("same seed, different delays: %v vs %v", first, again)
	}
	if other := delays(12); reflect.DeepEqual(first, other) {
		t.Fatalf("different seeds gave the same delays %v", first)
	}
}

func TestCatch(t *testing.T) {
	tests := []struct {
		name, catch, input string
		err                error
		wantState, want    string
	}{
		{
			name:  "first matching catcher wins",
			catch: `[{"ErrorEquals": ["Other"], "Next": "Handler1"}, {"ErrorEquals": ["E"], "Next": "Handler2"}, {"ErrorEquals": ["States.ALL"], "Next": "Handler3"}]`,
			input: `{}`, err: &named{"E", "boom"}, wantState: "Handler2", want: `{"Error": "E", "Cause": "boom"}`,
		},
		{
			name:  "States.ALL catches what the others do not",
			catch: `[{"ErrorEquals": ["Other"], "Next": "Handler1"}, {"ErrorEquals": ["States.ALL"], "Next": "Handler3"}]`,
			input: `{}`, err: &named{"E", "boom"}, wantState: "Handler3", want: `{"Error": "E", "Cause": "boom"}`,
		},
		{
			name:  "catcher ResultPath merges the error into the raw input (AWS docs error-info)",
			catch: `[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error-info", "Next": "Handler1"}]`,
			input: `{"foo": "bar"}`, err: &named{"E", "boom"}, wantState: "Handler1", want: `{"foo": "bar", "error-info": {"Error": "E", "Cause": "boom"}}`,
		},
		{
			name:  "catcher ResultPath creates $.failure when absent",
			catch: `[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure.stopTask", "Next": "Handler1"}]`,
			input: `{"task": {}}`, err: step.Errorf("Compliance.AccessDenied", "not allowed"), wantState: "Handler1",
			want: `{"task": {}, "failure": {"stopTask": {"Error": "Compliance.AccessDenied", "Cause": "not allowed"}}}`,
		},
		{
			name:  "catcher ResultPath null keeps the input",
			catch: `[{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "Handler1"}]`,
			input: `{"a": 1}`, err: &named{"E", "boom"}, wantState: "Handler1", want: `{"a": 1}`,
		},
		{
			name:  "a plain Go error is States.TaskFailed with its message as cause",
			catch: `[{"ErrorEquals": ["States.TaskFailed"], "Next": "Handler1"}]`,
			input: `{}`, err: fmt.Errorf("wrapped: %w", errors.New("disk full")), wantState: "Handler1", want: `{"Error": "States.TaskFailed", "Cause": "wrapped: disk full"}`,
		},
		{
			name:  "a wrapped step.Error keeps its name",
			catch: `[{"ErrorEquals": ["Compliance.Transient"], "Next": "Handler1"}]`,
			input: `{}`, err: fmt.Errorf("ctx: %w", step.Errorf("Compliance.Transient", "throttled")), wantState: "Handler1", want: `{"Error": "Compliance.Transient", "Cause": "ctx: throttled"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var handlers []string
			for _, h := range []string{"Handler1", "Handler2", "Handler3"} {
				if strings.Contains(tc.catch, h) {
					handlers = append(handlers, `"`+h+`": {"Type": "Pass", "End": true}`)
				}
			}
			def := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "InputPath": "$", "End": true, "Catch": ` + tc.catch + `}, ` + strings.Join(handlers, ", ") + `}}`
			res, _ := runDef(t, def, tc.input, script{"T": {tc.err}})
			succeeded(t, res)
			if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"T", tc.wantState}) {
				t.Fatalf("states = %v, want [T %s]", got, tc.wantState)
			}
			assertJSON(t, "output", res.Output, tc.want)
		})
	}
	t.Run("no matching catcher fails the execution with the task's error", func(t *testing.T) {
		def := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["Other"], "Next": "H"}]}, "H": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{}`, script{"T": {&named{"E", "boom"}}})
		if res.Status != StatusFailed || res.Error != "E" || res.Cause != "boom" {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
		want := []string{EventExecutionStarted, EventStateEntered, EventTaskScheduled, EventTaskFailed, EventStateFailed, EventExecutionFailed}
		if got := eventTypes(res, ""); !reflect.DeepEqual(got, want) {
			t.Fatalf("history %v\nwant %v", got, want)
		}
	})
	t.Run("a panicking task function is a task failure", func(t *testing.T) {
		boom := func(context.Context, TaskCall) (json.RawMessage, error) { panic("kaboom") }
		res, _ := runDef(t, task1(""), `{}`, script{"T": {boom}})
		if res.Status != StatusFailed || res.Error != ErrorTaskFailed || !strings.Contains(res.Cause, "kaboom") {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
	})
	t.Run("a result that is not JSON is States.Runtime", func(t *testing.T) {
		res, _ := runDef(t, task1(""), `{}`, script{"T": {`{nope`}})
		if res.Status != StatusFailed || res.Error != ErrorRuntime {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
	})
}

func TestHistoryOfRetryThenCatch(t *testing.T) {
	def := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Next": "S",
		"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}], "Catch": [{"ErrorEquals": ["E"], "Next": "H"}]},
		"S": {"Type": "Succeed"}, "H": {"Type": "Succeed"}}}`
	res, _ := runDef(t, def, `{}`, script{"T": {&named{"E", "1"}, &named{"E", "2"}}})
	succeeded(t, res)
	want := []string{EventExecutionStarted,
		EventStateEntered, EventTaskScheduled, EventTaskFailed, EventTaskRetried, EventTaskScheduled, EventTaskFailed, EventErrorCaught, EventStateExited,
		EventStateEntered, EventStateExited, EventExecutionSucceeded}
	if got := eventTypes(res, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("history %v\nwant %v", got, want)
	}
	for _, e := range res.History {
		if e.Type == EventErrorCaught && (e.Next != "H" || e.Cause != "2") {
			t.Fatalf("ErrorCaught = %+v", e)
		}
	}
}

func TestChoiceState(t *testing.T) {
	// The AWS documentation's Choice example.
	def := `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
			{"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
			{"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
			{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}],
		"Default": "DefaultState"},
		"Public": {"Type": "Succeed"}, "ValueIsZero": {"Type": "Succeed"}, "ValueInTwenties": {"Type": "Succeed"}, "DefaultState": {"Type": "Succeed"}}}`
	tests := []struct{ input, want string }{
		{`{"type": "Public", "value": 0}`, "Public"},
		{`{"type": "Private", "value": 0}`, "ValueIsZero"},
		{`{"type": "Private", "value": 22}`, "ValueInTwenties"},
		{`{"type": "Private", "value": 30}`, "DefaultState"},
	}
	for _, tc := range tests {
		res, _ := runDef(t, def, tc.input, nil)
		succeeded(t, res)
		if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"C", tc.want}) {
			t.Errorf("%s: states %v, want [C %s]", tc.input, got, tc.want)
		}
		assertJSON(t, "output", res.Output, tc.input)
	}
	t.Run("no match and no Default is States.NoChoiceMatched", func(t *testing.T) {
		def := `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "S"}]}, "S": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{"a": 1}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorNoChoiceMatched {
			t.Fatalf("got %s %s", res.Status, res.Error)
		}
	})
	t.Run("InputPath and OutputPath apply", func(t *testing.T) {
		def := `{"StartAt": "C", "States": {"C": {"Type": "Choice", "InputPath": "$.x", "OutputPath": "$.y", "Choices": [{"Variable": "$.y", "IsPresent": true, "Next": "S"}]}, "S": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{"x": {"y": 5}}`, nil)
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `5`)
	})
}

func TestWaitState(t *testing.T) {
	tests := []struct {
		name, fields, input string
		want                time.Duration
	}{
		{"Seconds", `"Seconds": 10`, `{}`, 10 * time.Second},
		{"SecondsPath", `"SecondsPath": "$.s"`, `{"s": 3}`, 3 * time.Second},
		{"Timestamp in the future", `"Timestamp": "2024-01-02T03:05:05Z"`, `{}`, time.Minute},
		{"TimestampPath", `"TimestampPath": "$.t"`, `{"t": "2024-01-02T04:04:05+01:00"}`, 0},
		{"Timestamp in the past waits 0", `"Timestamp": "2020-01-01T00:00:00Z"`, `{}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"StartAt": "W", "States": {"W": {"Type": "Wait", "End": true, ` + tc.fields + `}}}`
			res, h := runDef(t, def, tc.input, nil, func(o *Options) { o.TimeScale = 0.5 })
			succeeded(t, res)
			assertJSON(t, "output", res.Output, tc.input)
			var recorded []time.Duration
			for _, e := range res.History {
				if e.Type == EventWaitStarted {
					recorded = append(recorded, e.Delay)
				}
			}
			if !reflect.DeepEqual(recorded, []time.Duration{tc.want}) {
				t.Fatalf("recorded %v, want [%v]", recorded, tc.want)
			}
			if !reflect.DeepEqual(h.sleeps, []time.Duration{tc.want / 2}) {
				t.Fatalf("slept %v, want the scaled %v", h.sleeps, tc.want/2)
			}
		})
	}
	for _, input := range []string{`{"s": -1}`, `{"s": 1.5}`, `{"s": "3"}`, `{}`} {
		def := `{"StartAt": "W", "States": {"W": {"Type": "Wait", "End": true, "SecondsPath": "$.s"}}}`
		res, _ := runDef(t, def, input, nil)
		if res.Status != StatusFailed || res.Error != ErrorRuntime {
			t.Errorf("SecondsPath with %s: %s %s, want States.Runtime", input, res.Status, res.Error)
		}
	}
}

func TestFailState(t *testing.T) {
	tests := []struct {
		name, fields, input, err, cause string
	}{
		{"Error and Cause", `"Error": "MyError", "Cause": "it broke"`, `{}`, "MyError", "it broke"},
		{"ErrorPath and CausePath", `"ErrorPath": "$.e", "CausePath": "$.c"`, `{"e": "Dyn", "c": "from input"}`, "Dyn", "from input"},
		{"CausePath with an intrinsic", `"Error": "E", "CausePath": "States.Format('code {}', $.code)"`, `{"code": 7}`, "E", "code 7"},
		{"ErrorPath to a number is States.Runtime", `"ErrorPath": "$.n"`, `{"n": 1}`, ErrorRuntime, "must select a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"StartAt": "F", "States": {"F": {"Type": "Fail", ` + tc.fields + `}}}`
			res, _ := runDef(t, def, tc.input, nil)
			if res.Status != StatusFailed || res.Error != tc.err || !strings.Contains(res.Cause, tc.cause) {
				t.Fatalf("got %s %q %q, want %q %q", res.Status, res.Error, res.Cause, tc.err, tc.cause)
			}
		})
	}
}

func TestParallel(t *testing.T) {
	branch := func(name, fields string) string {
		return `{"StartAt": "` + name + `", "States": {"` + name + `": {"Type": "Task", "Resource": "r", "End": true` + fields + `}}}`
	}
	t.Run("outputs are in branch order whatever finishes first", func(t *testing.T) {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Parameters": {"v.$": "$.v"},
			"ResultSelector": {"first.$": "$[0]", "second.$": "$[1]"}, "ResultPath": "$.report",
			"Branches": [` + branch("A", "") + `, ` + branch("B", "") + `]}}}`
		bDone := make(chan struct{})
		a := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			<-bDone // B finishes first
			return json.RawMessage(`{"from": "A"}`), nil
		}
		b := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			defer close(bDone)
			return call.Input, nil
		}
		res, _ := runDef(t, def, `{"v": 1}`, script{"A": {a}, "B": {b}})
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{"v": 1, "report": {"first": {"from": "A"}, "second": {"v": 1}}}`)
		if got, want := res.StatesEntered(), []string{"P", "A", "B"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("states %v, want %v (branch histories in branch order)", got, want)
		}
		for _, e := range res.History {
			if e.State == "B" && e.Scope != "P/1" {
				t.Fatalf("event of B has scope %q, want P/1", e.Scope)
			}
		}
	})
	t.Run("a failing branch fails the Parallel with its error and stops the others", func(t *testing.T) {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "Done",
			"Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.failure.report", "Next": "Handler"}],
			"Branches": [` + branch("Slow", "") + `, ` + branch("Bad", "") + `]},
			"Done": {"Type": "Succeed"}, "Handler": {"Type": "Succeed"}}}`
		started, stopped := make(chan struct{}), make(chan struct{})
		slow := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			close(started)
			<-ctx.Done() // runs until the failure of Bad stops it
			close(stopped)
			return nil, ctx.Err()
		}
		bad := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			<-started
			return nil, &named{"Boom", "bad branch"}
		}
		res, _ := runDef(t, def, `{"a": 1}`, script{"Slow": {slow}, "Bad": {bad}})
		succeeded(t, res)
		<-stopped
		assertJSON(t, "output", res.Output, `{"a": 1, "failure": {"report": {"Error": "Boom", "Cause": "bad branch"}}}`)
		if got, want := res.StatesEntered(), []string{"P", "Slow", "Bad", "Handler"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("states %v, want %v", got, want)
		}
	})
	t.Run("a Fail state in a branch fails the Parallel; Retry re-runs every branch", func(t *testing.T) {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
			"Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}],
			"Branches": [` + branch("A", "") + `, {"StartAt": "Gate", "States": {"Gate": {"Type": "Task", "Resource": "r", "Next": "F"},
				"F": {"Type": "Fail", "Error": "Nope", "Cause": "always"}}}]}}}`
		ran := make(chan struct{}, 2)
		a := TaskFunc(func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			ran <- struct{}{}
			return json.RawMessage(`1`), nil
		})
		gate := TaskFunc(func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			<-ran // fail only once A has run
			return json.RawMessage(`{}`), nil
		})
		res, h := runDef(t, def, `{}`, script{"A": {a, a}, "Gate": {gate, gate}})
		if res.Status != StatusFailed || res.Error != "Nope" || res.Cause != "always" {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
		if len(h.calls) != 4 {
			t.Fatalf("%d task calls, want 4 (A and Gate in each Parallel attempt)", len(h.calls))
		}
		if got := eventTypes(res, "P"); !has(got, EventParallelRetried) {
			t.Fatalf("events of P %v: want a ParallelRetried", got)
		}
	})
	t.Run("uncaught branch failure fails the execution", func(t *testing.T) {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [` + branch("A", "") + `]}}}`
		res, _ := runDef(t, def, `{}`, script{"A": {&named{"E", "c"}}})
		if res.Status != StatusFailed || res.Error != "E" {
			t.Fatalf("got %s %s", res.Status, res.Error)
		}
	})
}

func TestMapState(t *testing.T) {
	def := `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ResultPath": "$.results",
		"ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
		"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Double", "States": {"Double": {"Type": "Task", "Resource": "r", "End": true}}},
		"End": true}}}`
	double := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
		var in struct {
			I, V int
			Tag  string
		}
		if err := json.Unmarshal(call.Input, &in); err != nil {
			return nil, err
		}
		return json.RawMessage(fmt.Sprintf(`"%s%d:%d"`, in.Tag, in.I, in.V*2)), nil
	}
	res, _ := runDef(t, def, `{"items": [1, 2, 3], "tag": "x"}`, script{"Double": {TaskFunc(double), TaskFunc(double), TaskFunc(double)}})
	succeeded(t, res)
	assertJSON(t, "output", res.Output, `{"items": [1, 2, 3], "tag": "x", "results": ["x0:2", "x1:4", "x2:6"]}`)
	if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"M", "Double", "Double", "Double"}) {
		t.Fatalf("states %v", got)
	}
	t.Run("ItemsPath that is not an array is States.Runtime", func(t *testing.T) {
		res, _ := runDef(t, def, `{"items": {"a": 1}}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorRuntime {
			t.Fatalf("got %s %s", res.Status, res.Error)
		}
	})
	t.Run("an empty array gives []", func(t *testing.T) {
		res, _ := runDef(t, def, `{"items": [], "tag": "x"}`, nil)
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{"items": [], "tag": "x", "results": []}`)
	})
}

// TestWaitForTaskToken covers the callback pattern: the state waits for
// SendTaskSuccess or SendTaskFailure on the token, or its timeout.
func TestWaitForTaskToken(t *testing.T) {
	def := `{"StartAt": "Wait for approval", "States": {"Wait for approval": {"Type": "Task",
		"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters": {"FunctionName": "f", "Payload": {"taskToken.$": "$$.Task.Token", "state.$": "$"}},
		"TimeoutSecondsPath": "$.timeout", "ResultPath": "$.approval",
		"Catch": [{"ErrorEquals": ["Compliance.ApprovalRejected", "States.Timeout"], "ResultPath": "$.approval.error", "Next": "Rejected"}],
		"End": true}, "Rejected": {"Type": "Succeed"}}}`
	fast := func(o *Options) { o.TimeScale = 0.001 } // 1 s → 1 ms
	tokenIn := func(t *testing.T, call TaskCall) {
		var p struct{ Payload struct{ TaskToken string } }
		_ = json.Unmarshal(call.Input, &p)
		if call.Token == "" || p.Payload.TaskToken != call.Token {
			t.Errorf("$$.Task.Token %q, TaskCall.Token %q: want the same non-empty token", p.Payload.TaskToken, call.Token)
		}
	}

	t.Run("success from another goroutine after the task returns", func(t *testing.T) {
		tokens := make(chan TaskCall, 1)
		fn := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			tokenIn(t, call)
			tokens <- call
			return json.RawMessage(`{"StatusCode": 202}`), nil
		}
		sent := make(chan error, 1)
		go func() {
			call := <-tokens
			sent <- call.Callbacks.SendTaskSuccess(call.Token, json.RawMessage(`{"approved": true, "by": "alice"}`))
		}()
		res, _ := runDef(t, def, `{"timeout": 86400}`, script{"Wait for approval": {TaskFunc(fn)}})
		succeeded(t, res)
		if err := <-sent; err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
		assertJSON(t, "output", res.Output, `{"timeout": 86400, "approval": {"approved": true, "by": "alice"}}`)
		want := []string{EventStateEntered, EventTaskScheduled, EventTaskSubmitted, EventTaskSucceeded, EventStateExited}
		if got := eventTypes(res, "Wait for approval"); !reflect.DeepEqual(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
	t.Run("an answer sent from inside the task function is honoured", func(t *testing.T) {
		var token string
		var cb *Callbacks
		fn := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			token, cb = call.Token, call.Callbacks
			return nil, call.Callbacks.SendTaskSuccess(call.Token, json.RawMessage(`"yes"`))
		}
		res, _ := runDef(t, def, `{"timeout": 86400}`, script{"Wait for approval": {TaskFunc(fn)}})
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{"timeout": 86400, "approval": "yes"}`)
		if err := cb.SendTaskSuccess(token, json.RawMessage(`"again"`)); !errors.Is(err, ErrTaskTimedOut) {
			t.Fatalf("second answer: %v, want ErrTaskTimedOut", err)
		}
	})
	t.Run("failure goes to the Catch with its error name", func(t *testing.T) {
		fn := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			return nil, call.Callbacks.SendTaskFailure(call.Token, "Compliance.ApprovalRejected", "rejected by bob")
		}
		res, _ := runDef(t, def, `{"timeout": 86400}`, script{"Wait for approval": {TaskFunc(fn)}})
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{"timeout": 86400, "approval": {"error": {"Error": "Compliance.ApprovalRejected", "Cause": "rejected by bob"}}}`)
	})
	t.Run("no answer times out with States.Timeout; a late answer is refused", func(t *testing.T) {
		calls := make(chan TaskCall, 1)
		fn := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			calls <- call
			return nil, nil
		}
		res, _ := runDef(t, def, `{"timeout": 1}`, script{"Wait for approval": {TaskFunc(fn)}}, fast)
		call0 := <-calls
		succeeded(t, res)
		if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"Wait for approval", "Rejected"}) {
			t.Fatalf("states %v", got)
		}
		if !has(eventTypes(res, "Wait for approval"), EventTaskTimedOut) {
			t.Fatalf("no TaskTimedOut event: %v", eventTypes(res, ""))
		}
		if err := call0.Callbacks.SendTaskSuccess(call0.Token, json.RawMessage(`{}`)); !errors.Is(err, ErrTaskTimedOut) {
			t.Fatalf("late answer: %v, want ErrTaskTimedOut", err)
		}
		if err := call0.Callbacks.SendTaskHeartbeat(call0.Token); !errors.Is(err, ErrTaskTimedOut) {
			t.Fatalf("late heartbeat: %v, want ErrTaskTimedOut", err)
		}
	})
	t.Run("an error of the task function fails the state", func(t *testing.T) {
		res, _ := runDef(t, def, `{"timeout": 1}`, script{"Wait for approval": {&named{"Lambda.ServiceException", "down"}}})
		if res.Status != StatusFailed || res.Error != "Lambda.ServiceException" {
			t.Fatalf("got %s %s", res.Status, res.Error)
		}
	})
	t.Run("heartbeat timeout is States.Timeout and matches States.HeartbeatTimeout", func(t *testing.T) {
		def := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
			"HeartbeatSeconds": 1, "TimeoutSeconds": 100000, "End": true,
			"Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "H"}]}, "H": {"Type": "Succeed"}}}`
		fn := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			if err := call.Callbacks.SendTaskHeartbeat(call.Token); err != nil {
				t.Errorf("heartbeat on a live token: %v", err)
			}
			return nil, nil
		}
		res, _ := runDef(t, def, `{}`, script{"T": {TaskFunc(fn)}}, fast)
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{"Error": "States.Timeout", "Cause": "no heartbeat within 1 seconds (HeartbeatSeconds)"}`)
	})
}

func TestCallbacksErrors(t *testing.T) {
	cb := NewCallbacks()
	if err := cb.SendTaskSuccess("", json.RawMessage(`{}`)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("empty token: %v", err)
	}
	if err := cb.SendTaskSuccess("nope", json.RawMessage(`{}`)); !errors.Is(err, ErrTaskDoesNotExist) {
		t.Errorf("unknown token: %v", err)
	}
	if err := cb.SendTaskFailure("nope", "E", "c"); !errors.Is(err, ErrTaskDoesNotExist) {
		t.Errorf("unknown token: %v", err)
	}
	if err := cb.SendTaskHeartbeat("nope"); !errors.Is(err, ErrTaskDoesNotExist) {
		t.Errorf("unknown token: %v", err)
	}
	token, _ := cb.issue()
	if err := cb.SendTaskSuccess(token, json.RawMessage(`{nope`)); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("bad output: %v", err)
	}
	if err := cb.SendTaskFailure(token, "", "c"); err != nil {
		t.Errorf("first answer: %v", err)
	}
	if err := cb.SendTaskFailure(token, "E", "c"); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("second answer: %v", err)
	}
}

func TestRequestResponseTimeout(t *testing.T) {
	canceled := make(chan struct{})
	hang := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
		<-ctx.Done()
		close(canceled)
		return nil, ctx.Err()
	}
	res, _ := runDef(t, task1(`"TimeoutSeconds": 1, "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "T"}]`), `{}`,
		script{"T": {TaskFunc(hang), `"second entry"`}}, func(o *Options) { o.TimeScale = 0.001 })
	succeeded(t, res)
	<-canceled // the task function's context ends at the timeout
	assertJSON(t, "output", res.Output, `"second entry"`)
	if got := eventTypes(res, "T")[:4]; !reflect.DeepEqual(got, []string{EventStateEntered, EventTaskScheduled, EventTaskTimedOut, EventErrorCaught}) {
		t.Fatalf("events %v", got)
	}
}

// A request/response task's function runs in real time, so TimeScale does
// not shorten its timeout (it does shorten a callback wait's: see
// TestWaitForTaskToken).
func TestRequestResponseTimeoutIsNotScaled(t *testing.T) {
	slow := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
		select {
		case <-time.After(20 * time.Millisecond):
			return json.RawMessage(`"done"`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	res, _ := runDef(t, task1(`"TimeoutSeconds": 1`), `{}`, script{"T": {TaskFunc(slow)}},
		func(o *Options) { o.TimeScale = 1e-6 }) // scaled, 1 s would be 1 µs
	succeeded(t, res)
	assertJSON(t, "output", res.Output, `"done"`)
}

func TestExecutionEnds(t *testing.T) {
	t.Run("TimeoutSeconds of the state machine: TIMED_OUT", func(t *testing.T) {
		def := `{"TimeoutSeconds": 1, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}`
		res, _ := runDef(t, def, `{}`, nil, func(o *Options) { o.Sleep = nil; o.TimeScale = 0.001 })
		if res.Status != StatusTimedOut || res.Error != ErrorTimeout {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
	})
	t.Run("a canceled context: ABORTED and an error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		h := &harness{script: script{"T": {TaskFunc(func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		})}}}
		res, err := Run(ctx, mustParse(t, task1("")), nil, h.options())
		if err == nil || res == nil || res.Status != StatusAborted {
			t.Fatalf("got %v, %v", res, err)
		}
	})
	t.Run("an endless loop ends at MaxEvents", func(t *testing.T) {
		def := `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "C"},
			"C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "S"}], "Default": "A"}, "S": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{}`, nil, func(o *Options) { o.MaxEvents = 100 })
		if res.Status != StatusFailed || res.Error != ErrorRuntime || !strings.Contains(res.Cause, "100 events") {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
	})
	t.Run("no task function: States.Runtime", func(t *testing.T) {
		res, err := Run(context.Background(), mustParse(t, task1("")), nil, Options{})
		if err != nil || res.Status != StatusFailed || res.Error != ErrorRuntime {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("misuse is an error", func(t *testing.T) {
		if _, err := Run(context.Background(), nil, nil, Options{}); err == nil {
			t.Error("nil definition: no error")
		}
		if _, err := Run(context.Background(), mustParse(t, task1("")), json.RawMessage(`{nope`), Options{}); err == nil {
			t.Error("bad input: no error")
		}
	})
}

func TestEventJSON(t *testing.T) {
	b, err := json.Marshal(Event{Type: EventTaskRetried, State: "T", Attempt: 2, Delay: 1500 * time.Millisecond, Time: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, "event", b, `{"type": "TaskRetried", "state": "T", "time": "2024-01-02T03:04:05Z", "attempt": 2, "delaySeconds": 1.5}`)
	b, _ = json.Marshal(Event{Type: EventStateEntered, State: "T", Time: fixedNow})
	assertJSON(t, "event", b, `{"type": "StateEntered", "state": "T", "time": "2024-01-02T03:04:05Z"}`)
}

func TestRunawayRetryEndsAtMaxEvents(t *testing.T) {
	h := &harness{}
	opts := h.options()
	opts.MaxEvents = 200
	opts.Task = func(context.Context, TaskCall) (json.RawMessage, error) { return nil, &named{"E", "again"} }
	res, err := Run(context.Background(), mustParse(t, task1(`"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 99999999}]`)), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusFailed || res.Error != ErrorRuntime || !strings.Contains(res.Cause, "200 events") {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
}

func TestMapVariants(t *testing.T) {
	t.Run("legacy Iterator and Parameters, MaxConcurrencyPath, a failing item fails the Map", func(t *testing.T) {
		def := `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrencyPath": "$.limit", "ItemsPath": "$.items",
			"Parameters": {"n.$": "$$.Map.Item.Value"},
			"Iterator": {"StartAt": "Check", "States": {"Check": {"Type": "Choice",
				"Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "TooBig"}], "Default": "Fine"},
				"TooBig": {"Type": "Fail", "Error": "TooBig", "CausePath": "States.Format('item {}', $.n)"}, "Fine": {"Type": "Succeed"}}},
			"Catch": [{"ErrorEquals": ["TooBig"], "Next": "Caught"}], "End": true}, "Caught": {"Type": "Succeed"}}}`
		res, _ := runDef(t, def, `{"items": [1, 2], "limit": 1}`, nil)
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{"Error": "TooBig", "Cause": "item 2"}`)
		if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"M", "Check", "Fine", "Check", "TooBig", "Caught"}) {
			t.Fatalf("states %v", got)
		}
	})
	t.Run("nested scopes are labelled with their path", func(t *testing.T) {
		def := `{"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": true, "Branches": [
			{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
			{"StartAt": "Inner", "States": {"Inner": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}}}}]}}}`
		res, _ := runDef(t, def, `[10, 20]`, nil)
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `[[10, 20], [10, 20]]`)
		var scopes []string
		for _, e := range res.History {
			if e.Type == EventStateEntered {
				scopes = append(scopes, e.State+"@"+e.Scope)
			}
		}
		want := []string{"Outer@", "A@Outer/0", "Inner@Outer/1", "B@Outer/1/Inner/0", "B@Outer/1/Inner/1"}
		if !reflect.DeepEqual(scopes, want) {
			t.Fatalf("scopes %v\nwant %v", scopes, want)
		}
	})
}

func TestCallerCallbacks(t *testing.T) {
	cb := NewCallbacks()
	tokens := make(chan string, 1)
	def := task1(`"Resource": "arn:aws:states:::sns:publish.waitForTaskToken"`)
	def = strings.Replace(def, `"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", `, ``, 1)
	go func() {
		if err := cb.SendTaskSuccess(<-tokens, json.RawMessage(`{"from": "caller"}`)); err != nil {
			t.Errorf("SendTaskSuccess: %v", err)
		}
	}()
	res, _ := runDef(t, def, `{}`, script{"T": {TaskFunc(func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
		if call.Callbacks != cb {
			t.Errorf("TaskCall.Callbacks is not Options.Callbacks")
		}
		tokens <- call.Token
		return nil, nil
	})}}, func(o *Options) { o.Callbacks = cb })
	succeeded(t, res)
	assertJSON(t, "output", res.Output, `{"from": "caller"}`)
}

func TestDataLimit(t *testing.T) {
	big := `"` + strings.Repeat("x", 300*1024) + `"`
	catchAll := `"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]`
	catchNamed := `"Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "H"}]`
	def := func(catch string) string {
		return `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true, ` + catch + `}, "H": {"Type": "Succeed"}}}`
	}
	t.Run("a task result over 256 KiB is caught by States.ALL", func(t *testing.T) {
		// As recorded (TestDataLimitAsRecorded), not as documented.
		res, _ := runDef(t, def(catchAll), `{}`, script{"T": {big}})
		succeeded(t, res)
	})
	t.Run("it is caught by its own name", func(t *testing.T) {
		res, _ := runDef(t, def(catchNamed), `{}`, script{"T": {big}})
		succeeded(t, res)
	})
	t.Run("MaxPayloadBytes -1 lifts the limit", func(t *testing.T) {
		res, _ := runDef(t, def(catchNamed), `{}`, script{"T": {big}}, func(o *Options) { o.MaxPayloadBytes = -1 })
		succeeded(t, res)
		if got := res.StatesEntered(); !reflect.DeepEqual(got, []string{"T"}) {
			t.Fatalf("states %v", got)
		}
	})
	t.Run("a loop that doubles its data stops at the limit", func(t *testing.T) {
		loop := `{"StartAt": "Grow", "States": {"Grow": {"Type": "Pass", "Parameters": {"a.$": "$", "b.$": "$"}, "Next": "Grow"}, "Never": {"Type": "Succeed"}}}`
		loop = strings.Replace(loop, `"Next": "Grow"}, "Never"`, `"Next": "More?"}, "More?": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Never"}], "Default": "Grow"}, "Never"`, 1)
		res, _ := runDef(t, loop, `{"seed": 1}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorDataLimit {
			t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
		}
	})
	// Without history data the states' outputs are not always encoded (their
	// size is bounded by the input's and the result's): the limit still
	// holds, as with history data.
	chain := `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "ResultPath": "$.a", "Next": "B"},
		"B": {"Type": "Task", "Resource": "r", "ResultPath": "$.b", "Next": "C"}, "C": {"Type": "Task", "Resource": "r", "ResultPath": "$.c", "End": true}}}`
	for _, omit := range []bool{false, true} {
		t.Run(fmt.Sprintf("OmitHistoryData %t: three 100 KiB results in one document", omit), func(t *testing.T) {
			third := `"` + strings.Repeat("x", 100*1024) + `"`
			res, _ := runDef(t, chain, `{}`, script{"A": {third}, "B": {third}, "C": {third}}, func(o *Options) { o.OmitHistoryData = omit })
			if res.Status != StatusFailed || res.Error != ErrorDataLimit || !strings.Contains(res.Cause, `'C'`) {
				t.Fatalf("got %s %s %s, want C's output over the limit", res.Status, res.Error, res.Cause)
			}
		})
		t.Run(fmt.Sprintf("OmitHistoryData %t: three 80 KiB results fit", omit), func(t *testing.T) {
			third := `"` + strings.Repeat("x", 80*1024) + `"`
			res, _ := runDef(t, chain, `{}`, script{"A": {third}, "B": {third}, "C": {third}}, func(o *Options) { o.OmitHistoryData = omit })
			succeeded(t, res)
			if omit != (res.History[len(res.History)-2].Output == nil) {
				t.Errorf("the last state's exit has output %t, OmitHistoryData %t", res.History[len(res.History)-2].Output != nil, omit)
			}
		})
	}
}

func TestMinExecutionTimeoutKeepsRealTimeTasksFromTimingOut(t *testing.T) {
	def, err := Parse([]byte(`{"StartAt": "T", "TimeoutSeconds": 1, "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	slow := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
		select {
		case <-time.After(20 * time.Millisecond):
			return json.RawMessage(`{}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// Scaled, the 1 s timeout is 1 µs: the real-time task outlives it.
	res, err := Run(context.Background(), def, nil, Options{Task: slow, TimeScale: 1e-6})
	if err != nil || res.Status != StatusTimedOut {
		t.Fatalf("without a floor: %v, %v; want %s", res.Status, err, StatusTimedOut)
	}
	res, err = Run(context.Background(), def, nil, Options{Task: slow, TimeScale: 1e-6, MinExecutionTimeout: time.Second})
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("with a floor: %v, %v; want SUCCEEDED", res.Status, err)
	}
}

// The input is what the execution was given: null stays null (only an
// empty input means {}).
func TestRunKeepsANullInput(t *testing.T) {
	def, err := Parse([]byte(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{" null ": "null", "": "{}", "  ": "{}", `{"a": 1}`: `{"a":1}`} {
		res, err := Run(context.Background(), def, json.RawMessage(in), Options{})
		if err != nil {
			t.Fatalf("input %q: %v", in, err)
		}
		if res.Status != StatusSucceeded || string(res.Output) != want {
			t.Errorf("input %q: %s %s, want output %s", in, res.Status, res.Output, want)
		}
	}
}
