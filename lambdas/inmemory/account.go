// Package inmemory is an AWS account in memory: the ECS, Application Auto
// Scaling, SSM Parameter Store, SNS, Security Hub, Secrets Manager and Step
// Functions callback calls the workflow's steps make, with the SDK's method
// signatures, the services' semantics and their error codes, plus the
// idempotency store. It is the embedded default the local executor and the
// tests run the real step handlers against, as an in-memory store is for a
// database application.
//
// An *Account is safe for concurrent use (the workflow's Parallel branches
// call it at once). Beyond the APIs it records what a run did: the ECS
// changes that took effect (Actions), the SNS messages (Notifications) and
// the Security Hub imports (Findings), with Mark/…Since for per-event
// accounting, and it can fail every distinct call's first tries with
// throttling (ThrottleFirst) to exercise retries.
package inmemory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
)

// Defaults for a world that names no account or region.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
)

// Service IDs, as the SDK's OperationError names them.
const (
	serviceECS         = "ECS"
	serviceSSM         = "SSM"
	serviceSNS         = "SNS"
	serviceSecurityHub = "SecurityHub"
	serviceDynamoDB    = "DynamoDB"
)

// Action is one ECS change that took effect.
type Action struct {
	// API is UpdateService, StopTask, DeregisterTaskDefinition or
	// RegisterScalableTarget.
	API string `json:"api"`
	// Target is the ARN of the service, task or task definition changed.
	Target string `json:"target"`
}

// Account is the in-memory AWS account. Build it with New or Load.
type Account struct {
	mu        sync.Mutex
	account   string
	region    string
	partition string
	now       func() time.Time

	taskDefs []*taskDef // in registration order
	services []*service
	tasks    []*task
	clusters map[string]bool
	tags     map[string]map[string]string

	params map[string]*parameter

	outbox   []Published
	findings []findingRecord // current findings, first import order
	imports  []findingRecord // every successful import, in order
	actions  []Action

	throttleN   int
	sdkAttempts int
	tries       map[string]int
	calls       map[string]int
	throttled   int

	idem idempotency.Memory

	// Secrets Manager, Step Functions callbacks and the approvals table
	// (secretsmanager.go, sfn.go, approvals.go).
	approvalState
}

// New builds an account from w. Entries that Validate rejects are skipped:
// read world files with ReadWorld (or call Load) to get those errors.
func New(w World) *Account {
	a, _ := build(w)
	return a
}

// Load builds an account from w, or says what in w is wrong.
func Load(w World) (*Account, error) {
	a, errs := build(w)
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return a, nil
}

// SetClock sets the clock the account stamps times with (default time.Now).
func (a *Account) SetClock(now func() time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	a.now = now
}

// clock is the account's time (a.mu held).
func (a *Account) clock() time.Time {
	if a.now == nil {
		return time.Now()
	}
	return a.now()
}

// AccountID is the account's ID.
func (a *Account) AccountID() string { return a.account }

// Region is the account's region.
func (a *Account) Region() string { return a.region }

// ThrottleFirst makes every distinct call fail its first n tries with a
// ThrottlingException (client fault, retryable), as a busy AWS API does. A
// call is distinct by its operation and target (the task definition, the
// service and count, the task, the parameter path and page, the topic and
// subject, the finding IDs, the claimed task ARN), not by volatile fields such
// as timestamps, so that a retry that recomputes a time is the same call.
// ThrottleFirst(0) turns throttling off; each call restarts the counts.
func (a *Account) ThrottleFirst(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.throttleN = max(n, 0)
	a.tries = map[string]int{}
}

// begin starts an API call (a.mu held): a cancelled context and throttling
// fail it, and it is counted.
func (a *Account) begin(ctx context.Context, svc, op, key string) error {
	if err := ctx.Err(); err != nil {
		return opError(svc, op, err)
	}
	if a.calls == nil {
		a.calls = map[string]int{}
	}
	a.calls[svc+"."+op]++
	if a.throttleN == 0 {
		return nil
	}
	if a.tries == nil {
		a.tries = map[string]int{}
	}
	k := svc + "." + op + "\x00" + key
	// The SDK's own retryer tries a throttled call again (sdkAttempts in
	// all) before the step sees the error.
	for range max(a.sdkAttempts, 1) {
		a.tries[k]++
		if a.tries[k] > a.throttleN {
			return nil
		}
		a.throttled++
	}
	return opError(svc, op, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient})
}

// SDKAttempts makes every call try up to n times before a throttling error
// reaches the caller, as the AWS SDK's standard retryer does (3 attempts)
// for the steps' real clients. The default, 1, hands every throttled try to
// the caller.
func (a *Account) SDKAttempts(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sdkAttempts = n
}

// Calls counts the API calls made, by "Service.Operation" (throttled tries
// included).
func (a *Account) Calls() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.calls))
	for k, v := range a.calls {
		out[k] = v
	}
	return out
}

// Throttled is how many calls ThrottleFirst failed.
func (a *Account) Throttled() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.throttled
}

// Actions are the changes that took effect, in order: UpdateService that
// changed a service, StopTask of a task that was not stopped,
// DeregisterTaskDefinition of an ACTIVE task definition,
// RegisterScalableTarget that changed a scalable target.
func (a *Account) Actions() []Action {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Action{}, a.actions...)
}

// Mark is a point in the account's history (see Mark).
type Mark struct{ actions, notifications, imports int }

// Mark returns the current point in the account's history, for
// ActionsSince, NotificationsSince and FindingsSince: the executor marks
// before each event to report what that event did.
func (a *Account) Mark() Mark {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Mark{len(a.actions), len(a.outbox), len(a.imports)}
}

// ActionsSince are the actions taken after m.
func (a *Account) ActionsSince(m Mark) []Action {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Action{}, a.actions[min(m.actions, len(a.actions)):]...)
}

func opError(svc, op string, err error) error {
	return &smithy.OperationError{ServiceID: svc, OperationName: op, Err: err}
}

// paramsError is the SDK's client-side validation error for a missing
// required member (the call never leaves the client).
func paramsError(svc, op, inputType string, missing ...string) error {
	e := smithy.InvalidParamsError{Context: inputType}
	for _, m := range missing {
		e.Add(smithy.NewErrParamRequired(m))
	}
	return opError(svc, op, e)
}

func joinErrors(errs []error) error {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return fmt.Errorf("world: %s", b.String())
}

func (a *Account) ecsARN(resource string) string {
	return arn.ARN{Partition: a.partition, Service: "ecs", Region: a.region, AccountID: a.account, Resource: resource}.String()
}

// build turns a world into an account, collecting what it had to skip.
func build(w World) (*Account, []error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	a := &Account{
		account: w.Account, region: w.Region, now: time.Now,
		clusters: map[string]bool{}, tags: map[string]map[string]string{},
		params: map[string]*parameter{}, tries: map[string]int{}, calls: map[string]int{},
	}
	if a.account == "" || a.region == "" {
		a.account, a.region = firstAccountRegion(w)
	}
	a.partition = contract.Partition(a.region)

	for i, raw := range w.TaskDefinitions {
		td, err := a.loadTaskDefinition(raw)
		if err != nil {
			bad("taskDefinitions[%d]: %v", i, err)
			continue
		}
		if a.findTaskDef(td.family, td.revision) != nil {
			bad("taskDefinitions[%d]: %s:%d appears twice", i, td.family, td.revision)
			continue
		}
		a.taskDefs = append(a.taskDefs, td)
	}
	for i, ws := range w.Services {
		s := &service{cluster: ws.Cluster, name: ws.ServiceName, desired: ws.DesiredCount, status: ws.Status}
		if s.status == "" {
			s.status = "ACTIVE"
		}
		switch {
		case ws.Cluster == "" || ws.ServiceName == "":
			bad("services[%d]: cluster and serviceName are required", i)
			continue
		case ws.DesiredCount < 0:
			bad("services[%d] %s/%s: desiredCount %d is negative", i, ws.Cluster, ws.ServiceName, ws.DesiredCount)
			continue
		case s.status != "ACTIVE" && s.status != "DRAINING" && s.status != "INACTIVE":
			bad("services[%d] %s/%s: status %q is not ACTIVE, DRAINING or INACTIVE", i, ws.Cluster, ws.ServiceName, ws.Status)
			continue
		case a.findService(ws.Cluster, ws.ServiceName) != nil:
			bad("services[%d]: %s/%s appears twice", i, ws.Cluster, ws.ServiceName)
			continue
		}
		if ws.TaskDefinition != "" {
			td := a.resolveTaskDef(ws.TaskDefinition, false)
			if td == nil {
				bad("services[%d] %s/%s: task definition %q is not in taskDefinitions", i, ws.Cluster, ws.ServiceName, ws.TaskDefinition)
			} else {
				s.taskDef = td.arn
			}
		}
		if err := a.loadService(s, ws); err != nil {
			bad("services[%d] %s/%s: %v", i, ws.Cluster, ws.ServiceName, err)
			continue
		}
		a.services = append(a.services, s)
		a.clusters[s.cluster] = true
	}
	for i, wt := range w.Tasks {
		t, err := a.loadTask(wt)
		if err != nil {
			bad("tasks[%d]: %v", i, err)
			continue
		}
		if a.findTask(t.cluster, t.arn) != nil {
			bad("tasks[%d]: %s appears twice", i, t.arn)
			continue
		}
		a.tasks = append(a.tasks, t)
		a.clusters[t.cluster] = true
	}
	keys := make([]string, 0, len(w.Tags))
	for k := range w.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := arn.Parse(k); err != nil {
			bad("tags: %q is not an ARN", k)
			continue
		}
		m := map[string]string{}
		for tk, tv := range w.Tags[k] {
			m[tk] = tv
		}
		a.tags[k] = m
	}
	return a, errs
}

// firstAccountRegion takes the account and region from the first ARN in the
// world, or the defaults.
func firstAccountRegion(w World) (string, string) {
	account, region := w.Account, w.Region
	try := func(s string) {
		if p, err := arn.Parse(s); err == nil {
			if account == "" {
				account = p.AccountID
			}
			if region == "" {
				region = p.Region
			}
		}
	}
	for _, raw := range w.TaskDefinitions {
		var h tdHeader
		if json.Unmarshal(raw, &h) == nil && h.TaskDefinitionArn != "" {
			try(h.TaskDefinitionArn)
		}
	}
	for _, t := range w.Tasks {
		try(t.TaskArn)
	}
	if account == "" {
		account = DefaultAccount
	}
	if region == "" {
		region = DefaultRegion
	}
	return account, region
}

// setMembers re-encodes a JSON object with members set (used when the
// account has to add or change a member of a world task definition).
func setMembers(raw json.RawMessage, members map[string]any) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for k, v := range members {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		obj[k] = b
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
