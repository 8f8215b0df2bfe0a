package asl

import (
	"strings"
	"testing"
)

// The tests of this file pin behaviour measured on AWS Step Functions. Most
// expectations come from executions recorded against the real service in
// LocalStack's snapshot suites (github.com/localstack/localstack, under
// tests/aws/services/stepfunctions/v2/; "rec:" below names the file and the
// test in it). Where AWS's documentation and a recording differ, the
// recording wins. Where no recording exists the comment says where the
// expectation comes from.

const recStatesErrors = "error_handling/test_states_errors.snapshot.json"

// Class 1: States.DataLimitExceeded.
func TestDataLimitAsRecorded(t *testing.T) {
	big := `"` + strings.Repeat("x", 257*1024) + `"`
	const tooBig = "' returned a result with a size exceeding the maximum number of bytes service limit."
	taskDef := func(resource, catch string) string {
		return `{"StartAt": "InvokeLambda", "States": {
			"InvokeLambda": {"Type": "Task", "Resource": "` + resource + `", "Next": "ProcessResult", "Catch": [` + catch + `]},
			"ProcessResult": {"Type": "Succeed"},
			"HandleDataLimitExceeded": {"Type": "Pass", "End": true},
			"HandleGeneralError": {"Type": "Pass", "End": true}}}`
	}
	const byName = `{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "HandleDataLimitExceeded"}, {"ErrorEquals": ["States.ALL"], "Next": "HandleGeneralError"}`
	// The recordings' States.ALL template has only that catcher; the first
	// one here, for another error, keeps the other handler reachable.
	const allOnly = `{"ErrorEquals": ["Other.Error"], "Next": "HandleDataLimitExceeded"}, {"ErrorEquals": ["States.ALL"], "Next": "HandleGeneralError"}`
	const fn = "arn:aws:lambda:us-east-1:111111111111:function:f"
	tests := []struct {
		rec, name, resource, catch, handler, cause string
	}{
		// rec: test_service_task_lambada_data_limit_exceeded_on_large_utf8_response
		{"service_task_lambada_data_limit_exceeded", "service integration, caught by name", "arn:aws:states:::lambda:invoke", byName, "HandleDataLimitExceeded",
			"The state/task 'lambda" + tooBig},
		// rec: test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response
		{"service_task_lambada_catch_state_all", "service integration, caught by States.ALL", "arn:aws:states:::lambda:invoke", allOnly, "HandleGeneralError",
			"The state/task 'lambda" + tooBig},
		// rec: test_task_lambda_data_limit_exceeded_on_large_utf8_response
		{"task_lambda_data_limit_exceeded", "function ARN, caught by name", fn, byName, "HandleDataLimitExceeded",
			"The state/task '" + fn + tooBig},
		// rec: test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response
		{"task_lambda_catch_state_all", "function ARN, caught by States.ALL", fn, allOnly, "HandleGeneralError",
			"The state/task '" + fn + tooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := runDef(t, taskDef(tc.resource, tc.catch), `{}`, script{"InvokeLambda": {big}})
			succeeded(t, res)
			if got := res.StatesEntered(); len(got) != 2 || got[1] != tc.handler {
				t.Fatalf("%s (%s): states %v, want the catcher %s", recStatesErrors, tc.rec, got, tc.handler)
			}
			assertJSON(t, "output", res.Output, `{"Error": "States.DataLimitExceeded", "Cause": "`+tc.cause+`"}`)
			// The task's failure is a TaskFailed event, as recorded.
			var failed *Event
			for i, e := range res.History {
				if e.Type == EventTaskFailed {
					failed = &res.History[i]
				}
			}
			if failed == nil || failed.Error != ErrorDataLimit || failed.Cause != tc.cause {
				t.Fatalf("TaskFailed event = %+v, want %s %q", failed, ErrorDataLimit, tc.cause)
			}
		})
	}
	// rec: test_start_large_input: a Pass state whose output is over the
	// quota fails the execution, its cause naming the state.
	t.Run("a state's output over the quota fails the execution", func(t *testing.T) {
		def := `{"StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": ` + big + `}, "End": true}}}`
		res, _ := runDef(t, def, `{}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorDataLimit || res.Cause != "The state/task 'State_1"+tooBig {
			t.Fatalf("%s (test_start_large_input): got %s %s %q", recStatesErrors, res.Status, res.Error, res.Cause)
		}
	})
	// Not recorded: the documentation says States.TaskFailed matches every
	// error but States.Timeout, and the recordings show that a result over
	// the quota is a task failure.
	t.Run("States.TaskFailed matches it too", func(t *testing.T) {
		res, _ := runDef(t, taskDef(fn, `{"ErrorEquals": ["Other.Error"], "Next": "HandleDataLimitExceeded"}, {"ErrorEquals": ["States.TaskFailed"], "Next": "HandleGeneralError"}`), `{}`, script{"InvokeLambda": {big}})
		succeeded(t, res)
	})
}

func TestResourceName(t *testing.T) {
	for resource, want := range map[string]string{
		"arn:aws:states:::lambda:invoke":                  "lambda", // rec: test_states_errors.snapshot.json
		"arn:aws:states:::lambda:invoke.waitForTaskToken": "lambda",
		"arn:aws:states:::sqs:sendMessage":                "sqs",
		"arn:aws:lambda:us-east-1:1:function:f":           "arn:aws:lambda:us-east-1:1:function:f",
		"r":                                               "r",
	} {
		if got := resourceName(resource); got != want {
			t.Errorf("resourceName(%q) = %q, want %q", resource, got, want)
		}
	}
}

// Class 2: intrinsic functions with numbers that are not integers, blank
// strings, and States.Format of objects and arrays.
func TestIntrinsicsAsRecorded(t *testing.T) {
	const recMath = "intrinsic_functions/test_math_operations.snapshot.json (test_math_add)"
	const recJSON = "intrinsic_functions/test_json_manipulation.snapshot.json (test_string_to_json)"
	const recFormat = "intrinsic_functions/test_generic.snapshot.json (test_format_2, test_context_json_path)"
	tests := []struct {
		rec, expr, input, want string
	}{
		// Each argument is rounded half up (Java's Math.round) before the sum.
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -9, "snd": 3}`, `-6`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 1.49, "snd": 1.5}`, `3`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 1.5, "snd": 1.51}`, `4`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -1.49, "snd": -1.5}`, `-2`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -1.5, "snd": -1.51}`, `-3`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 1.49, "snd": 0}`, `1`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 1.49, "snd": -1.49}`, `0`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 1.5, "snd": 0}`, `2`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 1.51, "snd": 0}`, `2`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -1.49, "snd": 0}`, `-1`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -1.5, "snd": 0}`, `-1`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -1.51, "snd": 0}`, `-2`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 0.5, "snd": 0}`, `1`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 2.5, "snd": 0}`, `3`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": 3.5, "snd": 0}`, `4`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -0.5, "snd": 0.5}`, `1`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -0.5, "snd": 0}`, `0`},
		{recMath, `States.MathAdd($.fst, $.snd)`, `{"fst": -2.5, "snd": 0}`, `-2`},
		// Blank strings parse to null; -0 comes back as 0.
		{recJSON, `States.StringToJson($.s)`, `{"s": ""}`, `null`},
		{recJSON, `States.StringToJson($.s)`, `{"s": " "}`, `null`},
		{recJSON, `States.StringToJson($.s)`, `{"s": "null"}`, `null`},
		{recJSON, `States.StringToJson($.s)`, `{"s": "-0"}`, `0`},
		{recJSON, `States.StringToJson($.s)`, `{"s": "1.1"}`, `1.1`},
		{recJSON, `States.StringToJson($.s)`, `{"s": "[1, 2, \"HelloWorld\"]"}`, `[1, 2, "HelloWorld"]`},
		// Objects and arrays as Java prints them, strings as they are.
		{recFormat, `States.Format('Formatting arguments fst={} and snd={}.', $.fst, $.snd)`, `{"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}`,
			`"Formatting arguments fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}."`},
		{recFormat, `States.Format('Formatting arguments fst={} and snd={}.', $.fst, $.snd)`, `{"fst": "{\"Arg1\": 1, \"Arg2\": []}", "snd": ""}`,
			`"Formatting arguments fst={\"Arg1\": 1, \"Arg2\": []} and snd=."`},
		{recFormat, `States.Format('Formatting arguments fst={} and snd={}.', $.fst, $.snd)`, `{"fst": null, "snd": 1.1}`,
			`"Formatting arguments fst=null and snd=1.1."`},
		{recFormat, `States.Format('Formatting arguments fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)`, `{}`,
			`"Formatting arguments fst=run-1 and snd={Id=arn:aws:states:us-east-1:1:stateMachine:sm, Name=sm}."`},
		// Not recorded beyond the above: nested values follow Java's
		// toString (lists "[a, b]", maps "{k=v}", strings unquoted).
		{"Java's List and Map toString", `States.Format('{}', $.v)`, `{"v": [1, "two", null, true, {"k": [{}]}]}`, `"[1, two, null, true, {k=[{}]}]"`},
	}
	cx := map[string]any{
		"Execution":    map[string]any{"Name": "run-1"},
		"StateMachine": map[string]any{"Id": "arn:aws:states:us-east-1:1:stateMachine:sm", "Name": "sm"},
	}
	for _, tc := range tests {
		t.Run(tc.expr+" "+tc.input, func(t *testing.T) {
			fn, err := parseIntrinsic(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fn.eval(&intrinsicEnv{doc: mustDecode(t, tc.input), ctx: cx})
			if err != nil {
				t.Fatalf("%s: %v", tc.rec, err)
			}
			if string(encodeJSON(got)) != string(encodeJSON(mustDecode(t, tc.want))) {
				t.Fatalf("%s: %s on %s = %s, want %s", tc.rec, tc.expr, tc.input, encodeJSON(got), tc.want)
			}
		})
	}
	// rec: test_math_operations.snapshot.json (test_math_random): decimal
	// bounds are accepted (the value itself is not recorded); they are
	// rounded as MathAdd rounds.
	for i := 0; i < 50; i++ {
		v, err := evalIntrinsic(t, `States.MathRandom(12.5, 44.51)`, `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := asInt(v); n < 13 || n >= 45 {
			t.Fatalf("MathRandom(12.5, 44.51) = %v, want in [13, 45)", v)
		}
	}
}

// Class 3: escapes in bracket paths and in intrinsic string literals.
func TestEscapesAsRecorded(t *testing.T) {
	const rec = "scenarios/test_base_scenarios.snapshot.json"
	// rec: test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]: the
	// input {"Test\\\"\"Name\"": "Value\"\\"} (the key is Test\""Name") and
	// the path $['Test\""Name"'] give "Value\"\\": the backslash of the
	// path stays in the name.
	t.Run("bracket names keep their backslashes", func(t *testing.T) {
		def := `{"StartAt": "JsonPathEscapeTest", "States": {"JsonPathEscapeTest": {"Type": "Pass",
			"Parameters": {"value.$": "$['Test\\\"\"Name\"']"}, "End": true}}}`
		res, _ := runDef(t, def, `{"Test\\\"\"Name\"": "Value\"\\"}`, nil)
		succeeded(t, res)
		assertJSON(t, rec+" (ESCAPE_SEQUENCES_JSONPATH) output", res.Output, `{"value": "Value\"\\"}`)
	})
	paths := []struct{ path, want string }{
		{`$['a\'b']`, `1`},          // the key a\'b, by the same rule
		{`$["x"]`, `2`},             // double quotes are accepted
		{`$['c"d']`, `3`},           // a double quote inside single quotes
		{`$['a\'b', "x"]`, `[1,2]`}, // unions of such names
	}
	doc := mustDecode(t, `{"a\\'b": 1, "x": 2, "c\"d": 3, "a'b": 4}`)
	for _, tc := range paths {
		p, err := ParsePath(tc.path)
		if err != nil {
			t.Fatalf("ParsePath(%s): %v", tc.path, err)
		}
		got, ok := p.Get(doc)
		if !ok || !jsonEqual(got, mustDecode(t, tc.want)) {
			t.Errorf("%s = %s (%t), want %s", tc.path, encodeJSON(got), ok, tc.want)
		}
	}

	// rec: test_illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION]
	// and [..._2]: \" in an intrinsic's string literal makes CreateStateMachine
	// fail (InvalidDefinition, SCHEMA_VALIDATION_FAILED: "The value for the
	// field 'parsed.$' must be a valid JSONPath or a valid intrinsic function
	// call"). The other escapes refused are those the documentation does not
	// list: it names \', \{, \} and \\.
	refused := []string{
		`States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')`,
		`States.Format('He said, \\\"Hello, {}!\\\"', 'Test \\\"Name\\\" Here')`,
		`States.Format('line\\nbreak')`,
		`States.Format('tab\\t')`,
	}
	for _, expr := range refused {
		def := `{"StartAt": "IntrinsicEscape", "States": {"IntrinsicEscape": {"Type": "Pass", "Parameters": {"parsed.$": "` + expr + `"}, "End": true}}}`
		_, err := Parse([]byte(def))
		if err == nil || !strings.Contains(err.Error(), "invalid escape") || !strings.Contains(err.Error(), `field "parsed.$"`) {
			t.Errorf("%s (test_illegal_escapes): Parse(%s) = %v, want the definition refused", rec, expr, err)
		}
	}
	accepted := []struct{ expr, want string }{
		{`States.Format('it\\'s \\{\\} {}', 'x')`, `"it's {} x"`},
		{`States.Format('back\\\\slash {}', 1)`, `"back\\slash 1"`},
		{`States.Array('a\\'b', 'c\\\\d')`, `["a'b", "c\\d"]`},
	}
	for _, tc := range accepted {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "` + tc.expr + `"}, "End": true}}}`
		res, _ := runDef(t, def, `{}`, nil)
		succeeded(t, res)
		assertJSON(t, tc.expr, res.Output, `{"v": `+tc.want+`}`)
	}
}

// Class 4: the context object.
func TestContextObjectAsRecorded(t *testing.T) {
	// rec: context_object/test_context_object.snapshot.json
	// (test_input_path[$$]): a Pass state's $$ has no State.RetryCount and
	// has Execution.RedriveCount 0.
	t.Run("Pass state", func(t *testing.T) {
		def := `{"StartAt": "TestState", "States": {"TestState": {"Type": "Pass", "InputPath": "$$", "End": true}}}`
		res, _ := runDef(t, def, `{"input-value": 0}`, nil, func(o *Options) {
			o.StateMachineArn = "arn:aws:states:us-east-1:111111111111:stateMachine:sm"
		})
		succeeded(t, res)
		assertJSON(t, "output", res.Output, `{
			"Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm:exec-1", "Input": {"input-value": 0},
				"StartTime": "2024-01-02T03:04:05.000Z", "Name": "exec-1", "RoleArn": "arn:aws:iam::123456789012:role/local", "RedriveCount": 0},
			"StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:sm", "Name": "sm"},
			"State": {"Name": "TestState", "EnteredTime": "2024-01-02T03:04:05.000Z"}}`)
	})
	t.Run("Pass state has no RetryCount to select", func(t *testing.T) {
		def := `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"n.$": "$$.State.RetryCount"}, "End": true}}}`
		res, _ := runDef(t, def, `{}`, nil)
		if res.Status != StatusFailed || res.Error != ErrorRuntime || !strings.Contains(res.Cause, "'$$.State.RetryCount'") {
			t.Fatalf("got %s %s %q", res.Status, res.Error, res.Cause)
		}
	})
	// rec: test_state/test_state_context_object.snapshot.json
	// (test_state_task_context_object[ALL]): a Task state's $$.State has
	// RetryCount 0.
	t.Run("Task state", func(t *testing.T) {
		res, h := runDef(t, task1(`"Parameters": {"State.$": "$$.State", "Redrive.$": "$$.Execution.RedriveCount"}`), `{}`, script{"T": {`{}`}})
		succeeded(t, res)
		assertJSON(t, "task input", h.calls[0].Input, `{"State": {"Name": "T", "EnteredTime": "2024-01-02T03:04:05.000Z", "RetryCount": 0}, "Redrive": 0}`)
	})
}

// Class 5: the causes of the errors Step Functions raises itself.
func TestRuntimeCausesAsRecorded(t *testing.T) {
	const prefix = "An error occurred while executing the state '"
	tests := []struct {
		rec, name, def, input, cause string
	}{
		// rec: scenarios/test_base_scenarios.snapshot.json, test_invalid_jsonpath[...].
		{"INVALID_JSONPATH_IN_ERRORPATH", "ErrorPath",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "Next": "fail", "Parameters": {"Error": "error-value"}}, "fail": {"Type": "Fail", "ErrorPath": "$.ErrorX"}}}`,
			`{"int-literal": 0}`,
			prefix + `fail' (entered at the event id #4). The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{"Error":"error-value"}'`},
		{"ST.INVALID_JSONPATH_IN_CAUSEPATH", "CausePath",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "Next": "fail", "Parameters": {"Error": "error-value"}}, "fail": {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.NoSuchCausePath"}}}`,
			`{"int-literal": 0}`,
			prefix + `fail' (entered at the event id #4). The JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found in the input '{"Error":"error-value"}'`},
		{"INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH", "Parameters path",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "Parameters": {"value.$": "$.no_such_jsonpath"}, "End": true}}}`,
			`{"int-literal": 0}`,
			prefix + `pass' (entered at the event id #2). The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'`},
		{"INVALID_JSONPATH_IN_STRING_EXPR_CONTEXTPATH", "Parameters context path: the input is still the state's",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "Parameters": {"value.$": "$$.Execution.Input.no_such_jsonpath"}, "End": true}}}`,
			`{"int-literal": 0}`,
			prefix + `pass' (entered at the event id #2). The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'`},
		{"ST.INVALID_JSONPATH_IN_INPUTPATH", "InputPath",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "InputPath": "$.NoSuchInputPath", "End": true}}}`,
			`{"int-literal": 0}`,
			prefix + `pass' (entered at the event id #2). Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']`},
		{"ST.INVALID_JSONPATH_IN_OUTPUTPATH", "OutputPath",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "OutputPath": "$.NoSuchOutputPath", "End": true}}}`,
			`{"int-literal": 0}`,
			prefix + `pass' (entered at the event id #2). Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']`},
		{"ST.INVALID_JSONPATH_IN_TIMEOUTSECONDSPATH", "TimeoutSecondsPath",
			`{"StartAt": "task", "States": {"task": {"Type": "Task", "TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Parameters": {}, "End": true}}}`,
			`{"int-literal": 0}`,
			prefix + `task' (entered at the event id #2). Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']`},
		{"ST.INVALID_JSONPATH_IN_HEARTBEATSECONDSPATH", "HeartbeatSecondsPath",
			`{"StartAt": "task", "States": {"task": {"Type": "Task", "HeartbeatSecondsPath": "$.NoSuchTimeoutSecondsPath", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken", "Parameters": {}, "End": true}}}`,
			`{"int-literal": 0}`,
			prefix + `task' (entered at the event id #2). Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']`},
		// Not in LocalStack's suites; AWS's text as reported from real
		// executions (a Choice whose Variable is missing; an intrinsic
		// function's path argument that is missing, the whole expression
		// named even when a nested call failed).
		{"real execution", "Choice Variable",
			`{"StartAt": "Has Enricher?", "States": {"Has Enricher?": {"Type": "Choice", "Choices": [{"Variable": "$.should_enrich", "BooleanEquals": true, "Next": "Done"}], "Default": "Done"}, "Done": {"Type": "Succeed"}}}`,
			`{}`,
			prefix + `Has Enricher?' (entered at the event id #2). Invalid path '$.should_enrich': The choice state's condition path references an invalid value.`},
		{"real execution", "intrinsic argument",
			`{"StartAt": "Pick", "States": {"Pick": {"Type": "Pass", "Parameters": {"v.$": "States.Format('{}', States.Format('{}', $.nope))"}, "End": true}}}`,
			`{"other": 1}`,
			prefix + `Pick' (entered at the event id #2). The function 'States.Format('{}', States.Format('{}', $.nope))' had the following error: The JsonPath argument for the field '$.nope' could not be found in the input '{"other":1}'`},
		// Jayway JsonPath (Step Functions' engine) on a missing property
		// that is not the last step.
		{"Jayway JsonPath", "a missing step on the way",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "InputPath": "$.a.b[0].c", "End": true}}}`,
			`{"x": 1}`,
			prefix + `pass' (entered at the event id #2). Invalid path '$.a.b[0].c' : Missing property in path $['a']`},
		{"Jayway JsonPath", "an index out of range",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "OutputPath": "$.a[2]", "End": true}}}`,
			`{"a": [1]}`,
			prefix + `pass' (entered at the event id #2). Invalid path '$.a[2]' : No results for path: $['a'][2]`},
		// rec: test_state/test_state_context_object.snapshot.json
		// (test_state_map_context_object[ALL]).
		{"TestState", "ItemsPath that is not an array",
			`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$$", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`,
			`{}`,
			prefix + `M' (entered at the event id #2). Reference path "$" must point to array.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := runDef(t, tc.def, tc.input, nil)
			if res.Status != StatusFailed || res.Error != ErrorRuntime || res.Cause != tc.cause {
				t.Fatalf("%s: got %s %s\n%q\nwant States.Runtime\n%q", tc.rec, res.Status, res.Error, res.Cause, tc.cause)
			}
		})
	}
}

// The "entered at the event id #N" of a cause numbers events as Step
// Functions numbers its history. The sequences below are the recorded ones:
// TaskStateEntered 2, TaskScheduled 3, TaskStarted 4, TaskFailed 5,
// TaskStateExited 6, PassStateEntered 7 (error_handling/
// test_states_errors.snapshot.json); MapStateEntered 2, MapStateStarted 3,
// MapIterationStarted 4, PassStateEntered 5, PassStateExited 6,
// MapIterationSucceeded 7 (context_object/test_context_object.snapshot.json,
// test_items_path); ParallelStateEntered, ParallelStateStarted, then the
// branches' states (scenarios/test_base_scenarios.snapshot.json,
// test_parallel_state).
func TestEnteredEventIDs(t *testing.T) {
	const bad = `"InputPath": "$.missing"`
	tests := []struct {
		name, def string
		s         script
		id        string
	}{
		{"after a task that failed and was caught", `{"StartAt": "T", "States": {
			"T": {"Type": "Task", "Resource": "r", "Next": "X", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
			"X": {"Type": "Succeed"}, "H": {"Type": "Pass", ` + bad + `, "End": true}}}`, script{"T": {&named{"E", "c"}}}, "#7"},
		{"after a task that succeeded", `{"StartAt": "T", "States": {
			"T": {"Type": "Task", "Resource": "r", "Next": "H"}, "H": {"Type": "Pass", ` + bad + `, "End": true}}}`, script{"T": {`{"x": 1}`}}, "#7"},
		{"in the first item of a Map", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.l", "MaxConcurrency": 1,
			"ItemProcessor": {"StartAt": "H", "States": {"H": {"Type": "Pass", ` + bad + `, "End": true}}}, "End": true}}}`, nil, "#5"},
		{"in the second item of a Map", `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.l", "MaxConcurrency": 1,
			"ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "H"}], "Default": "OK"},
				"OK": {"Type": "Pass", "End": true}, "H": {"Type": "Pass", ` + bad + `, "End": true}}}, "End": true}}}`, nil, "#13"},
		{"in a Parallel branch", `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
			{"StartAt": "H", "States": {"H": {"Type": "Pass", ` + bad + `, "End": true}}}]}}}`, nil, "#4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := runDef(t, tc.def, `{"l": [1, 2]}`, tc.s)
			if res.Status != StatusFailed || !strings.Contains(res.Cause, "'H' (entered at the event id "+tc.id+")") {
				t.Fatalf("got %s %s %q, want H entered at %s", res.Status, res.Error, res.Cause, tc.id)
			}
		})
	}
}
