// Package asl is an interpreter for the Amazon States Language
// (QueryLanguage JSONPath) with AWS Step Functions' semantics. The local
// executor runs statemachine/triage.asl.json and statemachine/workflow.asl.json
// with it, and it runs any other ASL document.
//
//	def, err := asl.Parse(data)                 // validate once
//	res, err := asl.Run(ctx, def, input, asl.Options{
//		Task: func(ctx context.Context, call asl.TaskCall) (json.RawMessage, error) {
//			return invoke(call.State, call.Input) // dispatch on call.State or call.Resource
//		},
//		Sleep: func(ctx context.Context, d time.Duration) error { return nil }, // don't wait
//	})
//	res.Status          // SUCCEEDED, FAILED, TIMED_OUT or ABORTED
//	res.Output          // when SUCCEEDED
//	res.Error, res.Cause
//	res.History         // []Event: StateEntered, TaskScheduled, TaskRetried (with its Delay), ...
//	res.StatesEntered() // state names in order
//
// # States
//
// Task (request/response, and Resources ending in ".waitForTaskToken"),
// Choice (every comparison operator and its *Path variant, StringMatches,
// Is*, And/Or/Not, Default), Parallel (branches run concurrently; the output
// array and the history are in branch order), inline Map (ItemsPath,
// ItemSelector/Parameters with $$.Map.Item, ItemProcessor/Iterator,
// MaxConcurrency), Pass, Wait (Seconds, SecondsPath, Timestamp,
// TimestampPath), Succeed and Fail (Error/ErrorPath, Cause/CausePath).
//
// # Input and output
//
// InputPath → Parameters → (task) → ResultSelector → ResultPath → OutputPath,
// as AWS applies them: ResultPath merges into the state's raw input (null
// keeps the input, a missing node is created with the objects above it),
// OutputPath null gives {}. Payload templates take "key.$" values from paths
// on $ or $$ (the context object: Execution.Id/Name/StartTime/Input/RoleArn/
// RedriveCount, State.Name/EnteredTime, State.RetryCount in Task, Parallel
// and Map states, StateMachine.Id/Name, Task.Token, Map.Item.Index/Value)
// and from intrinsic functions (States.Format,
// StringToJson, JsonToString, Array, ArrayPartition, ArrayContains,
// ArrayRange, ArrayGetItem, ArrayLength, ArrayUnique, Base64Encode,
// Base64Decode, Hash, JsonMerge, MathRandom, MathAdd, StringSplit, UUID).
// A path that does not resolve where a value is required fails the execution
// with States.Runtime, which neither Retry nor Catch (not even States.ALL)
// handles, as in AWS, with AWS's cause: "An error occurred while executing
// the state 'X' (entered at the event id #N). ..." (N numbers the state's
// entered event as Step Functions numbers its history). Paths: see Path.
//
// # Errors, Retry and Catch
//
// A TaskFunc error's name is its ErrorName() (an error in its chain with that
// method, e.g. lambdas/step.Error), else States.TaskFailed; its cause is
// ErrorCause() if present, else Error(). A TaskFunc error named
// States.Runtime fails the execution like any States.Runtime. The first
// retrier whose ErrorEquals matches applies; it counts its own attempts;
// delay n (from 1) is IntervalSeconds × BackoffRate^(n-1) capped at
// MaxDelaySeconds, and with JitterStrategy FULL a random value in [0, delay].
// When that retrier is exhausted the Catch applies (a later retrier does
// not). States.ALL matches anything but States.Runtime (States.DataLimitExceeded
// included, as AWS's recorded executions show); States.TaskFailed anything
// but States.Timeout. A task's input or result over Options.MaxPayloadBytes
// (256 KiB) fails the attempt with States.DataLimitExceeded; a state's
// output over it fails the state, past its Retry and Catch.
// TimeoutSeconds(Path) and HeartbeatSeconds(Path) raise States.Timeout
// (a heartbeat timeout also matches States.HeartbeatTimeout).
//
// # Time
//
// Options.TimeScale scales every duration from the definition (Wait, retry
// delays, timeouts); Options.Sleep replaces the sleeping (for Wait and retry
// delays); history records the unscaled delays.
//
// # Callbacks
//
// For a ".waitForTaskToken" Task the interpreter registers a fresh token in
// Options.Callbacks (or its own, passed in TaskCall.Callbacks), calls the
// TaskFunc with it, and then waits for SendTaskSuccess, SendTaskFailure or
// the state's timeout. An answer that arrives before the wait begins, even
// from inside the TaskFunc, is kept. An unknown token gives
// ErrTaskDoesNotExist, a used or expired one ErrTaskTimedOut.
//
// Parse rejects, with the state and field at fault, anything Step Functions
// would reject that the interpreter relies on: unknown state types or
// fields, missing StartAt, a Next to a missing state, unreachable states,
// States.ALL not alone or not last, a Choice without Choices, bad paths,
// templates and intrinsic calls. JSONata, workflow variables (Assign) and
// distributed Map are rejected as unsupported.
package asl
