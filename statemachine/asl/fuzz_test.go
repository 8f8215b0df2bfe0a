package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParseRun checks that no document makes Parse or Run panic or hang:
// go test -fuzz FuzzParseRun ./statemachine/asl/
func FuzzParseRun(f *testing.F) {
	if wf, err := os.ReadFile("../workflow.asl.json"); err == nil {
		f.Add(wf)
	}
	for _, seed := range []string{
		task1(`"Parameters": {"a.$": "States.Format('{}', $.a)"}, "Retry": [{"ErrorEquals": ["States.ALL"]}]`),
		`{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.a[0]", "NumericEquals": 1}], "Next": "S"}], "Default": "F"}, "S": {"Type": "Succeed"}, "F": {"Type": "Fail", "Error": "E"}}}`,
		`{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.a[1]", "End": true}}}]}}}`,
		`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.a", "End": true, "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x.waitForTaskToken", "End": true}}}}}}`,
		`{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}, "B": {"Type": "Succeed"}}}`,
	} {
		f.Add([]byte(seed))
	}
	task := func(ctx context.Context, call TaskCall) (json.RawMessage, error) {
		if call.Token != "" {
			return nil, call.Callbacks.SendTaskSuccess(call.Token, call.Input)
		}
		return call.Input, nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := Parse(data)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := Run(ctx, def, json.RawMessage(`{"a": [1, 2, 3], "s": "x"}`), Options{
			Task:      task,
			Sleep:     func(ctx context.Context, d time.Duration) error { return nil },
			MaxEvents: 2000,
			Seed:      1,
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		switch res.Status {
		case StatusSucceeded, StatusFailed, StatusTimedOut:
		default:
			t.Fatalf("status %s", res.Status)
		}
	})
}

// FuzzEncodeJSONMatchesEncodingJSON: the interpreter's own encoder writes
// byte for byte what encoding/json (without HTML escaping) writes.
func FuzzEncodeJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"b": 1, "a": ["x", null, true, 1.50, -2e3]}`, `"\u2028\u0007\"\\<>&"`, `{"\ud800": "\xff"}`, `[]`, `{}`, `"\x00\x1f\x7f"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			return
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return
		}
		if got := encodeJSON(v); !bytes.Equal(got, bytes.TrimRight(want.Bytes(), "\n")) {
			t.Fatalf("encodeJSON(%q) = %s, encoding/json writes %s", doc, got, want.Bytes())
		}
	})
}

// FuzzDecodeJSONMatchesEncodingJSON: the interpreter's own decoder accepts
// exactly what encoding/json (a Decoder with UseNumber, one value, nothing
// after it) accepts, and gives the same values.
func FuzzDecodeJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"b": 1, "a": ["x", null, true, 1.50, -2e3]}`, ` {"a":1,"a":2} `, `"\u2028\u0007\"\\<>&\/"`,
		`{"\ud800": "\xff"}`, `"\ud83d\ude00 \ud83d x \udc00\u0041"`, `[]`, `{}`, `"\x00\x1f\x7f"`, `01`, `-0.5e+7`, `1.`, `-`,
		`[1,]`, `{"a" 1}`, `tru`, `nul`, `{} x`, ``, `  `, `"\u12"`, `"abc`, "\"\xe2\x80\"", `[[[[]]]]`, `1e5x`, `"\q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := fastDecode([]byte(doc))
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var want any
		err := dec.Decode(&want)
		if err == nil {
			if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
				err = errors.New("trailing data")
			}
		}
		if ok != (err == nil) {
			t.Fatalf("fastDecode(%q) ok = %t; encoding/json: %v", doc, ok, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("fastDecode(%q) = %#v, encoding/json gives %#v", doc, got, want)
		}
	})
}
