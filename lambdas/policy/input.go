package policy

import (
	"bytes"
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Input is the document the policy sees as input: the policy contract.
type Input struct {
	// Task is the event's detail, exactly as EventBridge delivered it.
	Task json.RawMessage `json:"task"`
	// TaskDefinition is DescribeTaskDefinition's taskDefinition object in the
	// ECS API's JSON shape.
	TaskDefinition json.RawMessage `json:"taskDefinition"`
	// Tags are the task definition's tags, with the service's.
	Tags map[string]string `json:"tags"`
	// Service is the task's service as DescribeServices returns it, without
	// its run-time state (see package judgement); absent for a standalone
	// task or a task definition judged without a task.
	Service json.RawMessage `json:"service,omitempty"`
	// Context is where and when the task started.
	Context Context `json:"context"`
}

// Context is input.context.
type Context struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Time is the event's time (RFC 3339); exemptions expire against it.
	Time string `json:"time"`
}

// Value converts the input to OPA's value, parsing the raw documents
// directly (no round trip through Go maps).
func (in Input) Value() (ast.Value, error) {
	// One set of shared strings for the three documents: the task, its
	// definition and its service repeat the same names and values.
	values := &opaValues{}
	task, err := rawValue(values, "task", in.Task)
	if err != nil {
		return nil, err
	}
	td, err := rawValue(values, "taskDefinition", in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	tags := ast.NewObject()
	for k, v := range in.Tags {
		tags.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	obj := ast.NewObject(
		ast.Item(ast.StringTerm("task"), ast.NewTerm(task)),
		ast.Item(ast.StringTerm("taskDefinition"), ast.NewTerm(td)),
		ast.Item(ast.StringTerm("tags"), ast.NewTerm(tags)),
		ast.Item(ast.StringTerm("context"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("account"), ast.StringTerm(in.Context.Account)),
			ast.Item(ast.StringTerm("region"), ast.StringTerm(in.Context.Region)),
			ast.Item(ast.StringTerm("time"), ast.StringTerm(in.Context.Time)),
		)),
	)
	if len(bytes.TrimSpace(in.Service)) > 0 && string(bytes.TrimSpace(in.Service)) != "null" {
		svc, err := rawValue(values, "service", in.Service)
		if err != nil {
			return nil, err
		}
		obj.Insert(ast.StringTerm("service"), ast.NewTerm(svc))
	}
	return obj, nil
}

func rawValue(values *opaValues, name string, raw json.RawMessage) (ast.Value, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return ast.NewObject(), nil
	}
	v, err := values.valueFromJSON(raw)
	if err != nil {
		return nil, step.Errorf(contract.ErrInvalidInput, "input.%s is not valid JSON: %v", name, err)
	}
	if _, ok := v.(ast.Object); !ok {
		return nil, step.Errorf(contract.ErrInvalidInput, "input.%s is %s, not a JSON object", name, ast.ValueName(v))
	}
	return v, nil
}
