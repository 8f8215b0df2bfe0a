package asl

import (
	"strings"
	"testing"
)

func TestChoiceRules(t *testing.T) {
	input := `{"type": "Private", "value": 25, "big": 12345678901234567890, "f": 1.5, "s": "abc", "flag": true, "n": null,
		"ts": "2016-03-14T01:59:00Z", "other": "2016-03-14T02:00:00+01:00", "lo": 10, "name": "foo*bar\\baz",
		"file": "log-2024.txt", "notts": "yesterday"}`
	tests := []struct {
		name, rule string
		want       bool
	}{
		{"StringEquals", `{"Variable": "$.type", "StringEquals": "Private"}`, true},
		{"StringEquals is case-sensitive", `{"Variable": "$.type", "StringEquals": "private"}`, false},
		{"StringEquals on a number is false", `{"Variable": "$.value", "StringEquals": "25"}`, false},
		{"StringLessThan", `{"Variable": "$.s", "StringLessThan": "abd"}`, true},
		{"StringGreaterThan", `{"Variable": "$.s", "StringGreaterThan": "abd"}`, false},
		{"StringLessThanEquals equal", `{"Variable": "$.s", "StringLessThanEquals": "abc"}`, true},
		{"StringGreaterThanEquals", `{"Variable": "$.s", "StringGreaterThanEquals": "abb"}`, true},
		{"StringEqualsPath", `{"Variable": "$.s", "StringEqualsPath": "$.s"}`, true},
		{"StringMatches prefix wildcard", `{"Variable": "$.file", "StringMatches": "log-*.txt"}`, true},
		{"StringMatches must match the whole string", `{"Variable": "$.file", "StringMatches": "log-*"}`, true},
		{"StringMatches without wildcard is equality", `{"Variable": "$.file", "StringMatches": "log-"}`, false},
		{"StringMatches escaped star and backslash", `{"Variable": "$.name", "StringMatches": "foo\\*bar\\\\*"}`, true},
		{"StringMatches escaped star is literal", `{"Variable": "$.file", "StringMatches": "log\\*"}`, false},
		{"StringMatches several stars", `{"Variable": "$.file", "StringMatches": "*g-*4*"}`, true},
		{"NumericEquals", `{"Variable": "$.value", "NumericEquals": 25}`, true},
		{"NumericEquals compares values, not text", `{"Variable": "$.value", "NumericEquals": 25.0}`, true},
		{"NumericEquals exact for big integers", `{"Variable": "$.big", "NumericEquals": 12345678901234567891}`, false},
		{"NumericLessThan decimal", `{"Variable": "$.f", "NumericLessThan": 2}`, true},
		{"NumericGreaterThan", `{"Variable": "$.value", "NumericGreaterThan": 25}`, false},
		{"NumericGreaterThanEquals", `{"Variable": "$.value", "NumericGreaterThanEquals": 25}`, true},
		{"NumericLessThanEquals", `{"Variable": "$.value", "NumericLessThanEquals": 24}`, false},
		{"NumericGreaterThanPath", `{"Variable": "$.value", "NumericGreaterThanPath": "$.lo"}`, true},
		{"Numeric on a string is false", `{"Variable": "$.s", "NumericEquals": 1}`, false},
		{"BooleanEquals", `{"Variable": "$.flag", "BooleanEquals": true}`, true},
		{"BooleanEqualsPath", `{"Variable": "$.flag", "BooleanEqualsPath": "$.flag"}`, true},
		{"TimestampEquals across time zones", `{"Variable": "$.other", "TimestampEquals": "2016-03-14T01:00:00Z"}`, true},
		{"TimestampLessThan", `{"Variable": "$.ts", "TimestampLessThan": "2016-03-14T02:00:00Z"}`, true},
		{"TimestampGreaterThanPath", `{"Variable": "$.ts", "TimestampGreaterThanPath": "$.other"}`, true},
		{"TimestampLessThanEquals", `{"Variable": "$.ts", "TimestampLessThanEquals": "2016-03-14T01:59:00Z"}`, true},
		{"TimestampGreaterThanEquals", `{"Variable": "$.ts", "TimestampGreaterThanEquals": "2016-03-14T02:00:00Z"}`, false},
		{"Timestamp on a non-timestamp is false", `{"Variable": "$.notts", "TimestampEquals": "2016-03-14T01:59:00Z"}`, false},
		{"IsPresent true", `{"Variable": "$.type", "IsPresent": true}`, true},
		{"IsPresent on a missing field", `{"Variable": "$.missing", "IsPresent": true}`, false},
		{"IsPresent false on a missing field", `{"Variable": "$.missing", "IsPresent": false}`, true},
		{"IsPresent on a null field", `{"Variable": "$.n", "IsPresent": true}`, true},
		{"IsNull", `{"Variable": "$.n", "IsNull": true}`, true},
		{"IsNull false", `{"Variable": "$.s", "IsNull": false}`, true},
		{"IsString", `{"Variable": "$.s", "IsString": true}`, true},
		{"IsNumeric", `{"Variable": "$.f", "IsNumeric": true}`, true},
		{"IsNumeric on a string", `{"Variable": "$.s", "IsNumeric": true}`, false},
		{"IsBoolean", `{"Variable": "$.flag", "IsBoolean": true}`, true},
		{"IsTimestamp", `{"Variable": "$.ts", "IsTimestamp": true}`, true},
		{"IsTimestamp on text", `{"Variable": "$.notts", "IsTimestamp": false}`, true},
		// The AWS documentation's Choice example.
		{"Not", `{"Not": {"Variable": "$.type", "StringEquals": "Private"}}`, false},
		{"And in the twenties", `{"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}]}`, true},
		{"And short-circuits before a missing path", `{"And": [{"Variable": "$.value", "NumericEquals": 0}, {"Variable": "$.missing", "NumericEquals": 1}]}`, false},
		{"Or", `{"Or": [{"Variable": "$.value", "NumericEquals": 0}, {"Variable": "$.flag", "BooleanEquals": true}]}`, true},
		{"context path Variable", `{"Variable": "$$.State.Name", "StringEquals": "Pick"}`, true},
	}
	ctx := map[string]any{"State": map[string]any{"Name": "Pick"}}
	doc := mustDecode(t, input)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := compileChoiceRule(mustDecode(t, tc.rule), "rule", false)
			if err != nil {
				t.Fatalf("compile %s: %v", tc.rule, err)
			}
			got, err := r.eval(doc, ctx)
			if err != nil {
				t.Fatalf("eval %s: %v", tc.rule, err)
			}
			if got != tc.want {
				t.Fatalf("%s = %v, want %v", tc.rule, got, tc.want)
			}
		})
	}
}

func TestChoiceRuntimeErrors(t *testing.T) {
	doc := mustDecode(t, `{"a": 1}`)
	for _, rule := range []string{
		`{"Variable": "$.missing", "NumericEquals": 1}`,
		`{"Variable": "$.missing", "IsNull": true}`,
		`{"Variable": "$.a", "NumericEqualsPath": "$.missing"}`,
		`{"Not": {"Variable": "$.missing", "StringEquals": "x"}}`,
	} {
		r, err := compileChoiceRule(mustDecode(t, rule), "rule", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.eval(doc, nil); err == nil || !strings.Contains(err.Error(), "$.missing") {
			t.Errorf("%s: error = %v, want one naming $.missing", rule, err)
		}
	}
}

func TestChoiceRuleCompileErrors(t *testing.T) {
	tests := []struct {
		name, rule string
		top        bool
		want       string
	}{
		{"top-level rule needs Next", `{"Variable": "$.a", "IsNull": true}`, true, "needs Next"},
		{"nested rule must not have Next", `{"Variable": "$.a", "IsNull": true, "Next": "X"}`, false, "must not have Next"},
		{"no operator", `{"Variable": "$.a", "Next": "X"}`, true, "needs one comparison operator"},
		{"two operators", `{"Variable": "$.a", "IsNull": true, "IsString": true, "Next": "X"}`, true, "exactly one operator"},
		{"unknown operator", `{"Variable": "$.a", "StringContains": "x", "Next": "X"}`, true, "unknown field"},
		{"operator without Variable", `{"StringEquals": "x", "Next": "X"}`, true, "needs a Variable"},
		{"Variable with And", `{"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": true}], "Next": "X"}`, true, "Variable is not allowed"},
		{"empty And", `{"And": [], "Next": "X"}`, true, "non-empty array"},
		{"wrong operand type", `{"Variable": "$.a", "NumericEquals": "1", "Next": "X"}`, true, "must be a number"},
		{"bad timestamp", `{"Variable": "$.a", "TimestampEquals": "2016-03-14", "Next": "X"}`, true, "RFC 3339"},
		{"lowercase t timestamp", `{"Variable": "$.a", "TimestampEquals": "2016-03-14t01:59:00Z", "Next": "X"}`, true, "RFC 3339"},
		{"bad Variable path", `{"Variable": "a", "IsNull": true, "Next": "X"}`, true, "must start with $"},
		{"StringMatchesPath does not exist", `{"Variable": "$.a", "StringMatchesPath": "$.b", "Next": "X"}`, true, "unknown field"},
		{"nested rule errors name their place", `{"Or": [{"Variable": "$.a", "IsNull": 1}], "Next": "X"}`, true, "rule.Or[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileChoiceRule(mustDecode(t, tc.rule), "rule", tc.top)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("compile %s: error = %v, want it to contain %q", tc.rule, err, tc.want)
			}
		})
	}
}
