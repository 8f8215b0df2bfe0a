package graph

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestConditionAndShorten(t *testing.T) {
	for rule, want := range map[string]string{
		`{"Variable": "$.lookup.next", "StringEquals": "JUDGE"}`:              `$.lookup.next == "JUDGE"`,
		`{"Variable": "$.n", "NumericGreaterThanEquals": 10.50}`:              `$.n >= 10.50`,
		`{"Variable": "$.n", "NumericLessThanPath": "$.max"}`:                 `$.n < $.max`,
		`{"Variable": "$.t", "TimestampGreaterThan": "2026-01-01T00:00:00Z"}`: `$.t > "2026-01-01T00:00:00Z"`,
		`{"Variable": "$.s", "StringLessThanEquals": "m"}`:                    `$.s <= "m"`,
		`{"Variable": "$.ok", "BooleanEquals": false}`:                        `$.ok == false`,
		`{"Variable": "$.name", "StringMatches": "log-*.txt"}`:                `$.name matches "log-*.txt"`,
		`{"Variable": "$.task.service", "IsPresent": true}`:                   `$.task.service is present`,
		`{"Variable": "$.x", "IsNull": false}`:                                `$.x is not null`,
		`{"Variable": "$.x", "IsTimestamp": true}`:                            `$.x is a timestamp`,
		`{"Not": {"Variable": "$.a", "StringEquals": "b"}}`:                   `not ($.a == "b")`,
		`{"Or": [{"Variable": "$.a", "IsNull": true}, {"And": [{"Variable": "$.b", "BooleanEquals": true}, {"Variable": "$.c", "NumericEquals": 1}]}]}`: `$.a is null or ($.b == true and $.c == 1)`,
	} {
		dec := json.NewDecoder(strings.NewReader(rule))
		dec.UseNumber()
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		if got := Condition(r); got != want {
			t.Errorf("%s: %s, want %s", rule, got, want)
		}
	}
	for s, want := range map[string]string{
		"short":                 "short",
		strings.Repeat("x", 40): strings.Repeat("x", 40),
		strings.Repeat("x", 41): strings.Repeat("x", 39) + "…",
		`$.lookup.next is present and $.lookup.next == "REMEDIATE"`: `$.lookup.next is present and …`,
	} {
		if got := Shorten(s, 40); got != want || utf8.RuneCountInString(got) > 40 {
			t.Errorf("shorten(%q) = %q, want %q", s, got, want)
		}
	}
}
