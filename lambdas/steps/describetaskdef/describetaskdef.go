// Package describetaskdef is the "Describe task definition" step. The event
// lacks most of what a policy checks (privileged, user, capabilities, …), so
// the step calls DescribeTaskDefinition with tags and hands on the
// taskDefinition object exactly as ECS sent it (the raw response body, kept by
// awsraw), so that the policy sees the ECS API's JSON, fields the SDK does not
// model included. The tags and the service come from the triage's lookup
// ($.lookup) when it is there — the decision must be the one the judgement
// key stands for — and are read here otherwise: the task definition's tags,
// merged with its service's (the service's value wins on a shared key) into
// input.tags, and kept apart for the findings' resources.
package describetaskdef

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// ECS is the part of the ECS client the step calls. The client must have
// awsraw.Capture in its APIOptions.
type ECS interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	ListTagsForResource(ctx context.Context, in *ecs.ListTagsForResourceInput, optFns ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error)
}

// Handler is the step.
type Handler struct {
	ECS ECS
}

// Handle describes $.task's task definition.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Described, error) {
	task := st.Task
	if task == nil || task.TaskDefinitionArn == "" {
		return contract.Described{}, step.Errorf(contract.ErrInvalidInput, "describe task definition: $.task.taskDefinitionArn is missing (the Record task step fills it)")
	}
	if h.ECS == nil {
		return contract.Described{}, step.Errorf(contract.ErrFailed, "describe task definition: no ECS client configured")
	}
	out, err := h.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(task.TaskDefinitionArn),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		if taskDefinitionMissing(err) {
			return contract.Described{}, step.Errorf(contract.ErrNotFound, "describe task definition %s: it does not exist (%v)", task.TaskDefinitionArn, err)
		}
		return contract.Described{}, step.AWSError("DescribeTaskDefinition "+task.TaskDefinitionArn, err)
	}
	raw, err := rawTaskDefinition(awsraw.Body(out.ResultMetadata))
	if err != nil {
		return contract.Described{}, step.Errorf(contract.ErrFailed, "describe task definition %s: %v", task.TaskDefinitionArn, err)
	}

	d := contract.Described{TaskDefinition: raw}
	if l := st.Lookup; l != nil && l.Subject != "" {
		d.TaskDefinitionTags, d.ServiceTags, d.Service = l.TaskDefinitionTags, l.ServiceTags, l.Service
	} else if d.TaskDefinitionTags, d.ServiceTags, err = h.tags(ctx, task, out.Tags); err != nil {
		return contract.Described{}, err
	}
	// input.tags: the task definition's tags with the service's over them.
	d.Tags = make(map[string]string, len(d.TaskDefinitionTags)+len(d.ServiceTags))
	maps.Copy(d.Tags, d.TaskDefinitionTags)
	maps.Copy(d.Tags, d.ServiceTags)
	return d, nil
}

// tags are the task definition's tags (tdTags) and, for a service's task,
// the service's (nil when the service is gone).
func (h *Handler) tags(ctx context.Context, task *contract.Task, tdTags []types.Tag) (taskDefinition, service map[string]string, err error) {
	serviceArn := task.ServiceArn()
	if serviceArn == "" {
		return tagMap(tdTags), nil, nil
	}
	svc, err := h.ECS.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(serviceArn)})
	switch {
	case err != nil && serviceGone(err):
		slog.InfoContext(ctx, "service is gone; it adds no tags", "service", serviceArn, "error", err.Error())
		return tagMap(tdTags), nil, nil
	case err != nil:
		return nil, nil, step.AWSError("ListTagsForResource "+serviceArn, err)
	}
	return tagMap(tdTags), tagMap(svc.Tags), nil
}

func tagMap(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// rawTaskDefinition is the taskDefinition member of a DescribeTaskDefinition
// response body, byte for byte.
func rawTaskDefinition(body []byte) (json.RawMessage, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("the raw response was not kept: the ECS client needs awsraw.Capture in its APIOptions")
	}
	var resp struct {
		TaskDefinition json.RawMessage `json:"taskDefinition"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("the response is not JSON: %v", err)
	}
	td := bytes.TrimSpace(resp.TaskDefinition)
	if len(td) == 0 || td[0] != '{' {
		return nil, fmt.Errorf("the response has no taskDefinition object")
	}
	return json.RawMessage(td), nil
}

// taskDefinitionMissing: ECS answers an unknown task definition with a
// ClientException "Unable to describe task definition." (it has no
// TaskDefinitionNotFound code).
func taskDefinitionMissing(err error) bool {
	code := step.ErrorCode(err)
	if code != "ClientException" && code != "InvalidParameterException" {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unable to describe task definition") ||
		strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist")
}

// serviceGone: the service (or its cluster) was deleted since the event.
func serviceGone(err error) bool {
	switch step.ErrorCode(err) {
	case "ServiceNotFoundException", "ClusterNotFoundException", "ResourceNotFoundException":
		return true
	case "InvalidParameterException", "ClientException":
		msg := strings.ToLower(err.Error())
		return strings.Contains(msg, "not found") || strings.Contains(msg, "could not be found") ||
			strings.Contains(msg, "does not exist")
	}
	return false
}
