// Package recordtask is the "Record task" step: it checks that the execution
// was started by an event the rules send — an ECS task state change, or
// CloudTrail's RegisterTaskDefinition — that the event is consistent with
// itself and with the deployment, parses the task (or the registered
// revision) from it, and claims it in the idempotency store for the
// execution, so that only the first event of a task goes on through the
// workflow, and a retry of the same execution finds its own claim.
package recordtask

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DefaultTTL is how long a claim holds when CLAIM_TTL_HOURS is not set: a
// week, longer than ECS keeps sending events for one task launch.
const DefaultTTL = 168 * time.Hour

// The events this workflow runs on: an ECS task state change, and
// CloudTrail's record of a successful RegisterTaskDefinition.
const (
	EventSource     = "aws.ecs"
	EventDetailType = "ECS Task State Change"

	CloudTrailDetailType  = "AWS API Call via CloudTrail"
	CloudTrailEventSource = "ecs.amazonaws.com"
	RegisterEventName     = "RegisterTaskDefinition"
)

// DesiredStatus and LastStatuses are the rule's set of task states: the
// EventBridge rule matches these (the CDK stack builds its pattern from
// them) and Record task refuses others. The lastStatus values catch the
// task as early as possible, before it runs.
const DesiredStatus = "RUNNING"

// LastStatuses are the rule's lastStatus values (see DesiredStatus).
var LastStatuses = []string{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"}

// MaxDetailBytes is the largest event detail Record task takes on. The
// execution's state carries the event through every step, next to the
// policy bundle and the task definition (up to 64 KiB itself), within
// Step Functions' 256 KiB; a larger detail is refused with its size, so
// that the failure report still fits.
const MaxDetailBytes = 64 << 10

// MaxExecutionNameLength is Step Functions' limit on an execution name.
const MaxExecutionNameLength = 80

// maxRegisteredBy bounds RegisteredBy (an IAM ARN is at most 2048 bytes).
const maxRegisteredBy = 2048

// Claimer claims a task (idempotency.Table, idempotency.Memory).
type Claimer interface {
	Claim(ctx context.Context, key, executionID string, now time.Time, ttl time.Duration) (idempotency.Claim, error)
}

// LookUper looks up the judgement of a claimed task: the "Look up judgement"
// step (lookup.Handler).
type LookUper interface {
	Handle(ctx context.Context, st contract.State) (contract.Lookup, error)
}

// Handler is the step.
type Handler struct {
	Store Claimer
	// LookUp, when set, looks up the judgement of a task this execution
	// claimed, in the same invocation (Triage).
	LookUp LookUper
	// TTL is how long a claim holds; DefaultTTL when zero.
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Account and Region are the deployment's own (env ACCOUNT_ID and
	// AWS_REGION): an event of another account, region or partition is
	// refused. Empty: not checked (the local executor's account is whatever
	// the events say).
	Account string
	Region  string
}

// Triage is the deployed "Record task": Handle, and for a task this
// execution claimed (not a duplicate) the judgement's look-up, so that the
// triage needs one Lambda invocation between an event and its decision.
// It returns the triage's document (the state's ResultPath is $): the event,
// $.task, and $.lookup unless the event is a duplicate. A failed look-up
// fails the invocation; its retry recognises its own claim and looks up
// again.
func (h *Handler) Triage(ctx context.Context, in contract.RecordTaskInput) (contract.State, error) {
	task, err := h.Handle(ctx, in)
	if err != nil {
		return contract.State{}, err
	}
	st := contract.State{Event: in.Event, Task: &task}
	if task.Duplicate || h.LookUp == nil {
		return st, nil
	}
	found, err := h.LookUp.Handle(ctx, st)
	if err != nil {
		return contract.State{}, err
	}
	st.Lookup = &found
	return st, nil
}

// Handle parses the event of in, checks it against the deployment and
// claims its task (its task definition ARN for a registration) for the
// execution in.ExecutionID. A task held by another execution comes back
// with Duplicate true; one this execution claimed before comes back as
// claimed, with the same attempt.
func (h *Handler) Handle(ctx context.Context, in contract.RecordTaskInput) (contract.Task, error) {
	if in.ExecutionID == "" {
		return contract.Task{}, invalid("no executionId (the state passes $$.Execution.Id)")
	}
	task, err := ParseEvent(in.Event)
	if err != nil {
		return contract.Task{}, err
	}
	if err := h.checkDeployment(task); err != nil {
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
	key := task.ClaimKey()
	claim, err := h.Store.Claim(ctx, key, in.ExecutionID, now(), ttl)
	if err != nil {
		var named *step.Error
		if errors.As(err, &named) {
			return contract.Task{}, err
		}
		return contract.Task{}, step.AWSError("claim "+key, err)
	}
	task.Duplicate = !claim.Claimed
	task.ClaimedBy = claim.ClaimedBy
	task.Attempt = claim.Attempt
	task.ExecutionName = ExecutionName(task, claim.Attempt)
	if !claim.FirstSeen.IsZero() {
		task.FirstSeen = claim.FirstSeen.UTC().Format(time.RFC3339)
	}
	if !claim.ExpiresAt.IsZero() {
		task.ExpiresAt = claim.ExpiresAt.Unix()
	}
	slog.InfoContext(ctx, "task recorded", "kind", task.Kind, "key", key, "duplicate", task.Duplicate,
		"own", claim.Own, "attempt", task.Attempt, "claimedBy", task.ClaimedBy, "executionName", task.ExecutionName,
		"firstSeen", task.FirstSeen, "lastStatus", task.LastStatus)
	return task, nil
}

// checkDeployment refuses a task of another account or region (and so
// partition) than the deployment's.
func (h *Handler) checkDeployment(t contract.Task) error {
	if h.Account != "" && t.Account != h.Account {
		return invalid("account %q is not this deployment's account %q", t.Account, h.Account)
	}
	if h.Region != "" && t.Region != h.Region {
		return invalid("region %q is not this deployment's region %q", t.Region, h.Region)
	}
	return nil
}

// ParseEvent checks that ev is an event the rules send — an ECS Task State
// Change of a task in the rule's states, or CloudTrail's record of a
// successful RegisterTaskDefinition — consistent with itself (every ARN in
// the envelope's account, region and partition; names as ECS allows them),
// and returns the task it is about (without the claim's fields). Any
// problem is a Compliance.InvalidInput error naming the field and the
// values; it never quotes more than a short prefix of a value.
func ParseEvent(ev contract.Event) (contract.Task, error) {
	if n := len(ev.Detail); n > MaxDetailBytes {
		return contract.Task{}, invalid("the event's detail is %d bytes, over the %d-byte limit", n, MaxDetailBytes)
	}
	if ev.Source != EventSource || (ev.DetailType != EventDetailType && ev.DetailType != CloudTrailDetailType) {
		return contract.Task{}, invalid("the execution input is not an ECS event the rules send (source %s, detail-type %s; want %q with %q or %q)",
			q(ev.Source), q(ev.DetailType), EventSource, EventDetailType, CloudTrailDetailType)
	}
	if !contract.ValidAccount(ev.Account) {
		return contract.Task{}, invalid("the event's account %s is not a 12-digit AWS account id", q(ev.Account))
	}
	if !contract.ValidRegion(ev.Region) {
		return contract.Task{}, invalid("the event's region %s is not an AWS region name", q(ev.Region))
	}
	if len(ev.Detail) == 0 || string(ev.Detail) == "null" {
		return contract.Task{}, invalid("the event has no detail")
	}
	if ev.DetailType == CloudTrailDetailType {
		return parseRegistration(ev)
	}
	return parseTask(ev)
}

// taskDetail is what Record task reads of a task state change's detail.
type taskDetail struct {
	TaskArn           string `json:"taskArn"`
	ClusterArn        string `json:"clusterArn"`
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	Group             string `json:"group"`
	LastStatus        string `json:"lastStatus"`
	DesiredStatus     string `json:"desiredStatus"`
	LaunchType        string `json:"launchType"`
	Containers        []struct {
		TaskArn string `json:"taskArn"`
	} `json:"containers"`
}

func parseTask(ev contract.Event) (contract.Task, error) {
	var d taskDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return contract.Task{}, invalid("the event's detail is not a task: %v", err)
	}
	for _, f := range []struct{ name, value string }{
		{"taskArn", d.TaskArn}, {"clusterArn", d.ClusterArn}, {"taskDefinitionArn", d.TaskDefinitionArn},
	} {
		if f.value == "" {
			return contract.Task{}, invalid("the event's detail has no %s", f.name)
		}
	}
	if d.DesiredStatus != DesiredStatus {
		return contract.Task{}, invalid("desiredStatus %s is not the rule's %s", q(d.DesiredStatus), DesiredStatus)
	}
	if !slices.Contains(LastStatuses, d.LastStatus) {
		return contract.Task{}, invalid("lastStatus %s is not one of the rule's %s", q(d.LastStatus), strings.Join(LastStatuses, ", "))
	}

	taskARN, err := ecsARN(ev, "taskArn", d.TaskArn, "task")
	if err != nil {
		return contract.Task{}, err
	}
	// New format task/CLUSTER/ID, old format task/ID.
	taskPath := strings.Split(strings.TrimPrefix(taskARN.Resource, "task/"), "/")
	if len(taskPath) > 2 {
		return contract.Task{}, invalid("taskArn %s: resource is not task/CLUSTER/ID", q(d.TaskArn))
	}
	taskID := taskPath[len(taskPath)-1]
	if !taskIDRE.MatchString(taskID) {
		return contract.Task{}, invalid("taskArn %s: task id %s is neither 32 hex digits nor a UUID", q(d.TaskArn), q(taskID))
	}

	clusterARN, err := ecsARN(ev, "clusterArn", d.ClusterArn, "cluster")
	if err != nil {
		return contract.Task{}, err
	}
	cluster := strings.TrimPrefix(clusterARN.Resource, "cluster/")
	if !contract.ValidName(cluster) {
		return contract.Task{}, invalid("clusterArn %s: cluster name %s is not 1-255 letters, digits, hyphens and underscores", q(d.ClusterArn), q(cluster))
	}
	if len(taskPath) == 2 && taskPath[0] != cluster {
		return contract.Task{}, invalid("taskArn %s is in cluster %s, but clusterArn names %s", q(d.TaskArn), q(taskPath[0]), q(cluster))
	}

	tdARN, err := ecsARN(ev, "taskDefinitionArn", d.TaskDefinitionArn, "task-definition")
	if err != nil {
		return contract.Task{}, err
	}
	family, revision, err := familyRevision("taskDefinitionArn", d.TaskDefinitionArn, tdARN)
	if err != nil {
		return contract.Task{}, err
	}

	for i, c := range d.Containers {
		if c.TaskArn != "" && c.TaskArn != d.TaskArn {
			return contract.Task{}, invalid("containers[%d].taskArn %s is not the task's taskArn %s", i, q(c.TaskArn), q(d.TaskArn))
		}
	}

	var service string
	if name, isService := strings.CutPrefix(d.Group, "service:"); isService {
		if !contract.ValidName(name) {
			return contract.Task{}, invalid("group %s: service name %s is not 1-255 letters, digits, hyphens and underscores", q(d.Group), q(name))
		}
		service = name
	}

	return contract.Task{
		Kind:              contract.KindTask,
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
		TaskID:            taskID,
	}, nil
}

// trailDetail is what Record task reads of CloudTrail's record.
type trailDetail struct {
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	ErrorCode          string `json:"errorCode"`
	UserIdentity       struct {
		ARN       string `json:"arn"`
		InvokedBy string `json:"invokedBy"`
	} `json:"userIdentity"`
	ResponseElements *struct {
		TaskDefinition *struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
			Family            string `json:"family"`
			Revision          int    `json:"revision"`
		} `json:"taskDefinition"`
	} `json:"responseElements"`
}

func parseRegistration(ev contract.Event) (contract.Task, error) {
	var d trailDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return contract.Task{}, invalid("the event's detail is not a CloudTrail record: %v", err)
	}
	if d.EventSource != CloudTrailEventSource || d.EventName != RegisterEventName {
		return contract.Task{}, invalid("the CloudTrail record is %s %s, not %s %s",
			q(d.EventSource), q(d.EventName), CloudTrailEventSource, RegisterEventName)
	}
	if d.ErrorCode != "" {
		return contract.Task{}, invalid("the RegisterTaskDefinition call failed (errorCode %s): no revision was registered", q(d.ErrorCode))
	}
	if d.RecipientAccountID != ev.Account {
		return contract.Task{}, invalid("detail.recipientAccountId %s is not the event's account %s", q(d.RecipientAccountID), q(ev.Account))
	}
	if d.AWSRegion != ev.Region {
		return contract.Task{}, invalid("detail.awsRegion %s is not the event's region %s", q(d.AWSRegion), q(ev.Region))
	}
	if d.ResponseElements == nil || d.ResponseElements.TaskDefinition == nil || d.ResponseElements.TaskDefinition.TaskDefinitionArn == "" {
		return contract.Task{}, invalid("the CloudTrail record has no detail.responseElements.taskDefinition.taskDefinitionArn")
	}
	td := d.ResponseElements.TaskDefinition
	const field = "responseElements.taskDefinition.taskDefinitionArn"
	tdARN, err := ecsARN(ev, field, td.TaskDefinitionArn, "task-definition")
	if err != nil {
		return contract.Task{}, err
	}
	family, revision, err := familyRevision(field, td.TaskDefinitionArn, tdARN)
	if err != nil {
		return contract.Task{}, err
	}
	if td.Family != family {
		return contract.Task{}, invalid("responseElements.taskDefinition.family %s is not the ARN's family %s", q(td.Family), q(family))
	}
	if td.Revision != revision {
		return contract.Task{}, invalid("responseElements.taskDefinition.revision %d is not the ARN's revision %d", td.Revision, revision)
	}
	by := d.UserIdentity.ARN
	if by == "" {
		by = d.UserIdentity.InvokedBy
	}
	return contract.Task{
		Kind:              contract.KindRegistration,
		TaskDefinitionArn: td.TaskDefinitionArn,
		Family:            family,
		Revision:          revision,
		Account:           tdARN.AccountID,
		Region:            tdARN.Region,
		RegisteredBy:      clip(safe.Line(by), maxRegisteredBy),
	}, nil
}

// ecsARN parses an ECS ARN whose resource starts with kind/, in the
// envelope's account and region and in the region's partition.
func ecsARN(ev contract.Event, field, s, kind string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}, invalid("%s %s is not an ARN", field, q(s))
	}
	if a.Service != "ecs" || !strings.HasPrefix(a.Resource, kind+"/") {
		return arn.ARN{}, invalid("%s %s is not an ECS %s ARN", field, q(s), kind)
	}
	if a.AccountID != ev.Account {
		return arn.ARN{}, invalid("%s account %s is not the event's account %s", field, q(a.AccountID), q(ev.Account))
	}
	if a.Region != ev.Region {
		return arn.ARN{}, invalid("%s region %s is not the event's region %s", field, q(a.Region), q(ev.Region))
	}
	if want := contract.Partition(ev.Region); a.Partition != want {
		return arn.ARN{}, invalid("%s partition %s is not region %s's partition %q", field, q(a.Partition), q(ev.Region), want)
	}
	return a, nil
}

// familyRevision reads task-definition/FAMILY:REVISION: FAMILY as ECS
// allows it, REVISION a whole number from 1, written without sign or
// leading zero.
func familyRevision(field, s string, a arn.ARN) (string, int, error) {
	family, rev, ok := strings.Cut(strings.TrimPrefix(a.Resource, "task-definition/"), ":")
	if !ok {
		return "", 0, invalid("%s %s: resource is not task-definition/FAMILY:REVISION", field, q(s))
	}
	if !contract.ValidName(family) {
		return "", 0, invalid("%s %s: family %s is not 1-255 letters, digits, hyphens and underscores", field, q(s), q(family))
	}
	revision, err := strconv.Atoi(rev)
	if err != nil || revision < 1 || !revisionRE.MatchString(rev) {
		return "", 0, invalid("%s %s: revision %s is not a whole number from 1", field, q(s), q(rev))
	}
	return family, revision, nil
}

var (
	// Cluster, service and family names: contract.ValidName.
	taskIDRE   = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)
	revisionRE = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
	// An execution name holds what contract.ValidExecutionName allows
	// (Step Functions forbids whitespace, brackets, wildcards, most
	// punctuation and control characters; CloudWatch logging wants only
	// these).
)

// ExecutionName is the name of the Standard execution for task's claim
// number attempt: "<taskId>-<attempt>" for a task,
// "register-<family>-<revision>-<attempt>" for a registration. It has only
// letters, digits, hyphens and underscores and at most 80 characters (Step
// Functions' rules, and CloudWatch's for logging). A task id or family that
// would not fit (or holds anything else) is cut and followed by 16 hex
// digits of its SHA-256, under another prefix ("task_", "register_") that
// no name of the full form starts with, so that distinct tasks never share
// a name. "" when attempt is under 1 or the task has no id (family,
// revision).
func ExecutionName(task contract.Task, attempt int) string {
	if attempt < 1 {
		return ""
	}
	tail := "-" + strconv.Itoa(attempt)
	if task.Kind == contract.KindRegistration {
		if task.Family == "" || task.Revision < 1 {
			return ""
		}
		return fitName("register-", "register_", task.Family, "-"+strconv.Itoa(task.Revision)+tail)
	}
	if task.TaskID == "" {
		return ""
	}
	return fitName("", "task_", task.TaskID, tail)
}

// fitName is prefix+part+tail if that is a valid execution name; otherwise
// short + part (cleaned, cut to fit) + "-" + 16 hex digits of part's
// SHA-256 + tail.
func fitName(prefix, short, part, tail string) string {
	if name := prefix + part + tail; contract.ValidExecutionName(name) {
		return name
	}
	sum := sha256.Sum256([]byte(part))
	tag := "-" + hex.EncodeToString(sum[:8])
	clean := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, part)
	keep := max(MaxExecutionNameLength-len(short)-len(tag)-len(tail), 0)
	if len(clean) > keep {
		clean = clean[:keep] // ASCII only now
	}
	return short + clean + tag + tail
}

// q quotes a value from the event for an error message, cut to a short
// prefix: the message goes into the failure report.
func q(s string) string {
	const limit = 128
	if len(s) > limit {
		return fmt.Sprintf("%q…(%d bytes)", clip(s, limit), len(s))
	}
	return strconv.Quote(s)
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
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
