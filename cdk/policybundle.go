package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
)

// dataFile is the bundle's configuration: {"ecs": {"config": {...}}}.
const dataFile = "data.json"

// PolicyFiles reads the bundle from the policy folder and applies the
// deployment's settings to it: with approved registries given, data.json's
// ecs.config.registries is replaced by them. The result is what goes to
// Parameter Store, one parameter per file.
func PolicyFiles(fsys fs.FS, s Settings) (map[string]string, error) {
	files, err := bundle.ReadFS(fsys)
	if err != nil {
		return nil, err
	}
	if len(s.ApprovedRegistries) > 0 {
		data, ok := files[dataFile]
		if !ok {
			return nil, fmt.Errorf("context %q is set but the policy bundle has no top-level %s to hold ecs.config.registries", ctxApprovedRegistries, dataFile)
		}
		out, err := withRegistries(data, s.ApprovedRegistries)
		if err != nil {
			return nil, err
		}
		files[dataFile] = out
	}
	if err := bundle.Validate(files); err != nil {
		return nil, err
	}
	if err := noDynamicReferences(files); err != nil {
		return nil, err
	}
	return files, nil
}

// dynamicReference starts what CloudFormation reads, anywhere in a template
// string, as a dynamic reference ({{resolve:ssm:NAME}}, …): resolved at
// deploy time, with no way to escape it. A parameter value holding one
// would fail the deploy ("Incorrect format…") or, well-formed, deploy
// another parameter's or a secret's value instead of the file.
const dynamicReference = "{{resolve:"

// noDynamicReferences refuses bundle files that CloudFormation would not
// deploy as written, naming the file and line.
func noDynamicReferences(files map[string]string) error {
	var errs []error
	for _, name := range sortedFiles(files) {
		for i, line := range strings.Split(files[name], "\n") {
			if strings.Contains(line, dynamicReference) {
				errs = append(errs, fmt.Errorf("policy bundle %s line %d holds %q, which CloudFormation reads as a dynamic reference "+
					"and resolves at deploy time (there is no escape): write it without the braces, e.g. \"dynamic references (resolve:ssm:…)\"",
					name, i+1, dynamicReference))
			}
		}
	}
	return errors.Join(errs...)
}

// withRegistries returns data.json with ecs.config.registries set, every
// other value kept (numbers exactly as written).
func withRegistries(data string, registries []string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("policy bundle %s: %w", dataFile, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	ecs, err := object(doc, "ecs")
	if err != nil {
		return "", err
	}
	cfg, err := object(ecs, "config")
	if err != nil {
		return "", err
	}
	list := make([]any, len(registries))
	for i, r := range registries {
		list[i] = r
	}
	cfg["registries"] = list

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("policy bundle %s: %w", dataFile, err)
	}
	return buf.String(), nil
}

// object returns parent[key] as an object, creating it when absent.
func object(parent map[string]any, key string) (map[string]any, error) {
	v, ok := parent[key]
	if !ok || v == nil {
		m := map[string]any{}
		parent[key] = m
		return m, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy bundle %s: %q is a %T, not an object", dataFile, key, v)
	}
	return m, nil
}

// sortedFiles is the bundle's file names in order, so that the template's
// resources come out in a stable order.
func sortedFiles(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
