// Package statemachine holds the two state machines' definitions — the ASL
// files that CDK deploys (with DefinitionSubstitutions) and the local
// executor runs: the Express triage in front (triage.asl.json), which claims
// each task and looks up its judgement, and the Standard workflow
// (workflow.asl.json), which judges a task definition once per judgement key
// and remediates every task that must be stopped.
package statemachine

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Definition is statemachine/workflow.asl.json (the Standard workflow),
// with its ${…} placeholders.
//
//go:embed workflow.asl.json
var Definition string

// Triage is statemachine/triage.asl.json (the Express triage), with its
// ${…} placeholders: its functions' and the Standard workflow's ARN.
//
//go:embed triage.asl.json
var Triage string

// WorkflowArnPlaceholder is the triage's placeholder for the Standard
// workflow's ARN.
const WorkflowArnPlaceholder = "WorkflowArn"

var placeholder = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9]*)\}`)

// Placeholders returns the names of the ${Name} placeholders in an ASL
// document, sorted and without duplicates.
func Placeholders(asl string) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(asl, -1) {
		seen[m[1]] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Substitute replaces every ${Name} placeholder with values[Name], as Step
// Functions' DefinitionSubstitutions do. A placeholder without a value is an
// error, so that a half-substituted definition never runs.
func Substitute(asl string, values map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(asl, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for placeholder(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}
