package policies

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// Sample is one sample of a rule (ecs/rules/<rule>/samples/samples.json): a
// policy input and what the whole library, with the shipped configuration,
// reports for it. A rule has a passing sample named "pass" and one sample for
// each way it can fail. The end-to-end tests can turn a sample into a world
// for the local executor (its task definition) and an event (its task).
type Sample struct {
	Rule        string
	Name        string
	Description string        `json:"description"`
	Expect      []Expectation `json:"expect"`
	Input       Input         `json:"input"`
}

// Expectation is one finding a sample must produce: its rule, its container
// ("" for the task) and a part of its message.
type Expectation struct {
	Rule      string `json:"rule"`
	Container string `json:"container"`
	Message   string `json:"message"`
}

// Input is a sample's policy input (the policy contract's input document).
type Input struct {
	Task           json.RawMessage `json:"task"`
	TaskDefinition json.RawMessage `json:"taskDefinition"`
	// Service is input.service (DescribeServices' service, configuration
	// only); empty for a standalone task.
	Service json.RawMessage   `json:"service,omitempty"`
	Tags    map[string]string `json:"tags"`
	Context struct {
		Account string `json:"account"`
		Region  string `json:"region"`
		Time    string `json:"time"`
	} `json:"context"`
}

// Samples returns every rule's samples, ordered by rule and name.
func Samples() ([]Sample, error) {
	rules, err := fs.ReadDir(FS, "ecs/rules")
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, rule := range rules {
		if !rule.IsDir() {
			continue
		}
		file := path.Join("ecs/rules", rule.Name(), "samples", "samples.json")
		raw, err := fs.ReadFile(FS, file)
		if err != nil {
			return nil, fmt.Errorf("rule %s has no samples: %w", rule.Name(), err)
		}
		var named map[string]Sample
		if err := json.Unmarshal(raw, &named); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		names := make([]string, 0, len(named))
		for name := range named {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			s := named[name]
			s.Rule, s.Name = rule.Name(), name
			out = append(out, s)
		}
	}
	return out, nil
}
