package contract

import (
	"encoding/json"
	"fmt"
)

// summaryFields are the members of a task definition the reports show;
// everything else — environment values, secrets, commands, mount points —
// stays out of the workflow's state after evaluation (and so out of its
// execution history, logs and reports).
var summaryFields = []string{
	"taskDefinitionArn", "family", "revision", "status", "networkMode", "cpu", "memory",
	"taskRoleArn", "executionRoleArn", "pidMode", "ipcMode", "requiresCompatibilities",
	"runtimePlatform", "registeredAt", "registeredBy",
}

// summaryContainerFields are the members of each container definition kept.
var summaryContainerFields = []string{"name", "image", "essential", "privileged", "user", "readonlyRootFilesystem"}

// SummarizeTaskDefinition keeps, of a task definition in the ECS API's JSON
// shape, the members the reports show (no environment, secrets or
// commands).
func SummarizeTaskDefinition(raw json.RawMessage) (json.RawMessage, error) {
	var td map[string]json.RawMessage
	if err := json.Unmarshal(raw, &td); err != nil {
		return nil, fmt.Errorf("task definition summary: not a JSON object: %w", err)
	}
	out := map[string]json.RawMessage{}
	for _, f := range summaryFields {
		if v, ok := td[f]; ok {
			out[f] = v
		}
	}
	if v, ok := td["containerDefinitions"]; ok {
		var cs []map[string]json.RawMessage
		if err := json.Unmarshal(v, &cs); err != nil {
			return nil, fmt.Errorf("task definition summary: containerDefinitions is not a list of objects: %w", err)
		}
		kept := make([]map[string]json.RawMessage, 0, len(cs))
		for _, c := range cs {
			k := map[string]json.RawMessage{}
			for _, f := range summaryContainerFields {
				if cv, ok := c[f]; ok {
					k[f] = cv
				}
			}
			kept = append(kept, k)
		}
		b, err := json.Marshal(kept)
		if err != nil {
			return nil, err
		}
		out["containerDefinitions"] = b
	}
	return json.Marshal(out)
}
