// Package recordtask is the "Record task" step: it checks that the execution
// was started by an ECS task state change, parses the task from the event and
// claims the task's ARN in the idempotency store, so that only the first
// event of a task goes on through the workflow.
package recordtask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DefaultTTL is how long a claim holds when CLAIM_TTL_HOURS is not set: a
// week, longer than ECS keeps sending events for one task launch.
const DefaultTTL = 168 * time.Hour

// The event this workflow runs on.
const (
	EventSource     = "aws.ecs"
	EventDetailType = "ECS Task State Change"
)

// Claimer claims a task (idempotency.Table, idempotency.Memory).
type Claimer interface {
	Claim(ctx context.Context, taskArn string, now time.Time, ttl time.Duration) (idempotency.Claim, error)
}

// Handler is the step.
type Handler struct {
	Store Claimer
	// TTL is how long a claim holds; DefaultTTL when zero.
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Handle parses and claims the event's task. A task claimed before comes
// back with Duplicate true.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Task, error) {
	task, err := ParseEvent(st.Event)
	if err != nil {
		return contract.Task{}, err
	}
	if h.Store == nil {
		return contract.Task{}, step.Errorf(contract.ErrFailed, "record task: no idempotency store configured")
	}
	ttl := h.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	claim, err := h.Store.Claim(ctx, task.TaskArn, now(), ttl)
	if err != nil {
		var named *step.Error
		if errors.As(err, &named) {
			return contract.Task{}, err
		}
		return contract.Task{}, step.AWSError("claim task "+task.TaskArn, err)
	}
	task.Duplicate = !claim.Claimed
	if !claim.FirstSeen.IsZero() {
		task.FirstSeen = claim.FirstSeen.UTC().Format(time.RFC3339)
	}
	if !claim.ExpiresAt.IsZero() {
		task.ExpiresAt = claim.ExpiresAt.Unix()
	}
	slog.InfoContext(ctx, "task recorded", "taskArn", task.TaskArn, "duplicate", task.Duplicate,
		"firstSeen", task.FirstSeen, "lastStatus", task.LastStatus)
	return task, nil
}

// ParseEvent checks that ev is an ECS Task State Change for one task and
// returns the task it is about (without the claim's fields). Any problem is
// a Compliance.InvalidInput error saying what is wrong.
func ParseEvent(ev contract.Event) (contract.Task, error) {
	if ev.Source != EventSource || ev.DetailType != EventDetailType {
		return contract.Task{}, invalid("the execution input is not an ECS task state change event (source %q, detail-type %q; want %q, %q)",
			ev.Source, ev.DetailType, EventSource, EventDetailType)
	}
	if len(ev.Detail) == 0 || string(ev.Detail) == "null" {
		return contract.Task{}, invalid("the event has no detail")
	}
	var d contract.TaskDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return contract.Task{}, invalid("the event's detail is not a task: %v", err)
	}
	if d.TaskArn == "" {
		return contract.Task{}, invalid("the event's detail has no taskArn")
	}
	if d.ClusterArn == "" {
		return contract.Task{}, invalid("the event's detail has no clusterArn")
	}
	if d.TaskDefinitionArn == "" {
		return contract.Task{}, invalid("the event's detail has no taskDefinitionArn")
	}

	taskARN, err := ecsARN("taskArn", d.TaskArn, "task")
	if err != nil {
		return contract.Task{}, err
	}
	// New format task/CLUSTER/ID, old format task/ID.
	taskPath := strings.Split(strings.TrimPrefix(taskARN.Resource, "task/"), "/")
	if len(taskPath) > 2 || taskPath[len(taskPath)-1] == "" || (len(taskPath) == 2 && taskPath[0] == "") {
		return contract.Task{}, invalid("taskArn %q: resource is not task/CLUSTER/ID", d.TaskArn)
	}

	clusterARN, err := ecsARN("clusterArn", d.ClusterArn, "cluster")
	if err != nil {
		return contract.Task{}, err
	}
	cluster := strings.TrimPrefix(clusterARN.Resource, "cluster/")
	if cluster == "" || strings.Contains(cluster, "/") {
		return contract.Task{}, invalid("clusterArn %q: resource is not cluster/NAME", d.ClusterArn)
	}
	if clusterARN.AccountID != taskARN.AccountID || clusterARN.Region != taskARN.Region {
		return contract.Task{}, invalid("clusterArn %q is not in the task's account and region (%s, %s)",
			d.ClusterArn, taskARN.AccountID, taskARN.Region)
	}
	if len(taskPath) == 2 && taskPath[0] != cluster {
		return contract.Task{}, invalid("taskArn %q is in cluster %q, but clusterArn names %q", d.TaskArn, taskPath[0], cluster)
	}

	tdARN, err := ecsARN("taskDefinitionArn", d.TaskDefinitionArn, "task-definition")
	if err != nil {
		return contract.Task{}, err
	}
	family, rev, ok := strings.Cut(strings.TrimPrefix(tdARN.Resource, "task-definition/"), ":")
	revision, convErr := strconv.Atoi(rev)
	if !ok || family == "" || convErr != nil || revision < 1 {
		return contract.Task{}, invalid("taskDefinitionArn %q: resource is not task-definition/FAMILY:REVISION", d.TaskDefinitionArn)
	}

	var service string
	if name, isService := strings.CutPrefix(d.Group, "service:"); isService {
		if name == "" {
			return contract.Task{}, invalid("the task's group %q names no service", d.Group)
		}
		service = name
	}

	return contract.Task{
		TaskArn:           d.TaskArn,
		ClusterArn:        d.ClusterArn,
		Cluster:           cluster,
		TaskDefinitionArn: d.TaskDefinitionArn,
		Family:            family,
		Revision:          revision,
		Group:             d.Group,
		Service:           service,
		LaunchType:        d.LaunchType,
		LastStatus:        d.LastStatus,
		Account:           taskARN.AccountID,
		Region:            taskARN.Region,
	}, nil
}

// ecsARN parses an ECS ARN whose resource starts with kind/.
func ecsARN(field, s, kind string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}, invalid("%s %q is not an ARN: %v", field, s, err)
	}
	if a.Service != "ecs" || !strings.HasPrefix(a.Resource, kind+"/") {
		return arn.ARN{}, invalid("%s %q is not an ECS %s ARN", field, s, kind)
	}
	if a.Region == "" || a.AccountID == "" {
		return arn.ARN{}, invalid("%s %q has no region or account", field, s)
	}
	return a, nil
}

func invalid(format string, args ...any) error {
	return step.Errorf(contract.ErrInvalidInput, "record task: "+format, args...)
}

// TTLFromEnv reads CLAIM_TTL_HOURS' value: empty means DefaultTTL; otherwise
// a whole number of hours, at least 1.
func TTLFromEnv(value string) (time.Duration, error) {
	if value == "" {
		return DefaultTTL, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("CLAIM_TTL_HOURS %q is not a whole number of hours (1 or more)", value)
	}
	return time.Duration(n) * time.Hour, nil
}
