package statemachine

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefinitionIsJSONWithFunctionPlaceholders(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(Definition), &doc); err != nil {
		t.Fatalf("workflow.asl.json is not JSON: %v", err)
	}
	for _, p := range Placeholders(Definition) {
		if !strings.HasSuffix(p, "FunctionArn") {
			t.Errorf("placeholder %s is not a function ARN", p)
		}
	}
	if len(Placeholders(Definition)) < 10 {
		t.Errorf("placeholders = %v, want one per Lambda step", Placeholders(Definition))
	}
}

func TestPlaceholdersAndSubstitute(t *testing.T) {
	asl := `{"A": "${OneArn}", "B": "${TwoArn}", "C": "${OneArn}", "D": "$.x", "E": "${not valid}"}`
	if got, want := Placeholders(asl), []string{"OneArn", "TwoArn"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Placeholders = %v, want %v", got, want)
	}
	out, err := Substitute(asl, map[string]string{"OneArn": "arn:1", "TwoArn": "arn:2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"A": "arn:1", "B": "arn:2", "C": "arn:1", "D": "$.x", "E": "${not valid}"}`; out != want {
		t.Fatalf("Substitute = %s", out)
	}
	if _, err := Substitute(asl, map[string]string{"OneArn": "arn:1"}); err == nil || !strings.Contains(err.Error(), "TwoArn") {
		t.Fatalf("Substitute with a missing value: err = %v, want it to name TwoArn", err)
	}
}

func TestFunctionsCoverEveryPlaceholder(t *testing.T) {
	var keys []string
	for _, f := range Functions {
		keys = append(keys, f.Placeholder)
	}
	slices.Sort(keys)
	used := map[string]bool{}
	for _, p := range append(Placeholders(Definition), Placeholders(Triage)...) {
		used[p] = true
	}
	delete(used, WorkflowArnPlaceholder)
	var got []string
	for p := range used {
		got = append(got, p)
	}
	slices.Sort(got)
	if !reflect.DeepEqual(got, keys) {
		t.Fatalf("ASL placeholders %v != Functions %v", got, keys)
	}
	if !slices.Contains(Placeholders(Triage), WorkflowArnPlaceholder) {
		t.Fatalf("the triage does not start the workflow (${%s})", WorkflowArnPlaceholder)
	}
	if slices.Contains(Placeholders(Definition), WorkflowArnPlaceholder) {
		t.Fatal("the workflow starts itself")
	}
}

func TestTriageIsJSON(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(Triage), &doc); err != nil {
		t.Fatalf("triage.asl.json is not JSON: %v", err)
	}
}
