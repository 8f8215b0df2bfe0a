// Package lookup is the triage's "Look up judgement" step. It computes the
// task's judgement key — the policy bundle's hash, the deployment's mode and
// approval setting, and the subject: the task definition revision and its
// tags, the service's configuration and tags, the task-level fields rules
// read (package judgement) — and says what the triage does with the task:
//
//   - JUDGE: nothing valid is stored under the key; this task's Standard
//     execution judges it (the key is marked as being judged, so that tasks
//     starting at the same moment do not judge it too);
//   - REMEDIATE: the key is judged with a deny-level violation in enforce
//     mode: the task is remediated with the stored evaluation, without
//     evaluating again;
//   - DONE: the key is judged compliant or report-only — or, in audit mode,
//     another execution is judging it right now and will report it;
//   - WAIT: in enforce mode another execution is judging the key: the triage
//     waits and looks again (at most MaxWaits times, then judges itself), so
//     that every task of a violating revision is stopped however many start
//     at once.
//
// A registration (CloudTrail RegisterTaskDefinition, no task) has no service
// and no task-level fields: its subject is the revision alone.
package lookup

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/remediate"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// ECS is the part of the ECS client the step calls. The client must have
// awsraw.Capture in its APIOptions (input.service is the service in the ECS
// API's JSON shape).
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTagsForResource(ctx context.Context, in *ecs.ListTagsForResourceInput, optFns ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error)
}

// Policy gives the current policy bundle (without files): policystore.Cache.
type Policy interface {
	Bundle(ctx context.Context) (contract.Bundle, error)
}

// Store is the part of the judgement store the step uses.
type Store interface {
	Get(ctx context.Context, key string) (judgement.Record, bool, error)
	Begin(ctx context.Context, key, owner string, now time.Time, lease time.Duration) (judgement.Record, bool, error)
}

// Defaults.
const (
	// DefaultLease is how long a key stays marked as being judged: longer
	// than a judging execution takes, short enough that a crashed one does
	// not hold the key for long.
	DefaultLease = 10 * time.Minute
	// DefaultMaxWaits bounds the triage's wait loop (5 s per wait: two
	// minutes, within an Express execution's five).
	DefaultMaxWaits = 24
)

// Handler is the step. It is safe for concurrent use.
type Handler struct {
	mu    sync.Mutex
	cache map[string]cached

	ECS      ECS
	Policy   Policy
	Store    Store
	Settings judgement.Settings
	// Lease and MaxWaits: DefaultLease and DefaultMaxWaits when zero.
	Lease    time.Duration
	MaxWaits int
	// Now is the clock when the event has no time (time.Now when nil).
	Now func() time.Time
	// CacheTTL is how long the task definitions' tags and the services'
	// descriptions are kept for later lookups (0: not kept). A busy
	// account starts many tasks of few services: kept for half a minute
	// they cost ECS a few calls a minute instead of two per task start
	// (DescribeServices is throttled at a few dozen calls a second), at the
	// price of a tag or service change reaching the key that much later.
	CacheTTL time.Duration
	// Excluded are the deployment's excluded clusters and services
	// (EXCLUDED_CLUSTERS, EXCLUDED_SERVICES): their tasks are left alone —
	// not judged, not reported, never remediated. The rule already ignores
	// excluded clusters; a service can only be told apart here.
	Excluded remediate.Exclusions
}

// Handle looks up the judgement of st's task.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.Lookup, error) {
	task := st.Task
	if task == nil || task.TaskDefinitionArn == "" || task.Account == "" || task.Region == "" {
		return contract.Lookup{}, step.Errorf(contract.ErrInvalidInput, "look up judgement: $.task is missing or incomplete (the Record task step fills it)")
	}
	if task.Cluster != "" && (h.Excluded.ClusterExcluded(task.Cluster) || (task.Service != "" && h.Excluded.ServiceExcluded(task.Cluster, task.Service))) {
		out := contract.Lookup{Next: contract.NextDone,
			Reason: "service " + task.Cluster + "/" + task.Service + " is excluded (excludedClusters, excludedServices): its tasks are left alone"}
		if task.Service == "" {
			out.Reason = "cluster " + task.Cluster + " is excluded (excludedClusters): its tasks are left alone"
		}
		h.log(ctx, task, out)
		return out, nil
	}
	if h.ECS == nil || h.Policy == nil || h.Store == nil {
		return contract.Lookup{}, step.Errorf(contract.ErrFailed, "look up judgement: ECS client, policy or judgement store not configured")
	}
	var out contract.Lookup
	var b contract.Bundle
	var err error
	if prev := st.Lookup; prev != nil && prev.Subject != "" && prev.Next == contract.NextWait {
		// Looking again after a wait: the subject does not change.
		out = contract.Lookup{Subject: prev.Subject, TaskDefinitionTags: prev.TaskDefinitionTags,
			ServiceTags: prev.ServiceTags, Service: prev.Service, Waits: prev.Waits}
		if b, err = h.Policy.Bundle(ctx); err != nil {
			return contract.Lookup{}, err
		}
	} else {
		// The policy's hash and the subject (the tags, the service) are
		// read at the same time: they are on the way from the event to a
		// stop, and each is a round trip to AWS.
		var policyErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			b, policyErr = h.Policy.Bundle(ctx)
		}()
		out, err = h.subject(ctx, st)
		<-done
		if policyErr != nil {
			return contract.Lookup{}, policyErr
		}
		if err != nil {
			return contract.Lookup{}, err
		}
	}
	out.PolicyHash = b.Hash
	out.Key = judgement.Key(b.Hash, out.Subject, h.Settings)

	now := judgement.EventTime(st, h.Now)
	rec, _, err := h.Store.Get(ctx, out.Key) // a record not found is not Valid
	if err != nil {
		return contract.Lookup{}, err
	}
	if !rec.Valid(now) && task.Kind != contract.KindRegistration {
		// The revision may have been judged at registration with a
		// violation no task can escape: that judgement stands for this task.
		rrec, ok, err := h.registrationJudgement(ctx, b.Hash, task, out.TaskDefinitionTags, now)
		if err != nil {
			return contract.Lookup{}, err
		}
		if ok {
			ref := rrec.Ref()
			out.Next, out.Evaluation, out.Judgement = contract.NextRemediate, rrec.Evaluation, &ref
			out.Reason = fmt.Sprintf("judged at registration (%s) with a violation every task of the revision has: remediate without evaluating", ref.JudgedAt)
			h.log(ctx, task, out)
			return out, nil
		}
	}
	if !rec.Valid(now) {
		var won bool
		rec, won, err = h.Store.Begin(ctx, out.Key, judgement.Owner(task), now, h.lease())
		if err != nil {
			return contract.Lookup{}, err
		}
		if won {
			out.Next, out.Reason = contract.NextJudge, "no judgement under this key: the workflow judges it"
			h.log(ctx, task, out)
			return out, nil
		}
	}
	switch {
	case rec.Valid(now):
		ref := rec.Ref()
		out.Judgement = &ref
		if rec.Evaluation.Outcome == contract.OutcomeRemediate {
			out.Next = contract.NextRemediate
			out.Evaluation = rec.Evaluation
			out.Reason = fmt.Sprintf("judged %s at %s: remediate without evaluating again", rec.Evaluation.Outcome, out.Judgement.JudgedAt)
		} else {
			out.Next = contract.NextDone
			out.Reason = fmt.Sprintf("judged %s at %s: nothing more to do", rec.Evaluation.Outcome, out.Judgement.JudgedAt)
		}
	case h.Settings.Mode != contract.ModeEnforce:
		out.Next = contract.NextDone
		out.Reason = fmt.Sprintf("being judged by %s, which reports it (audit mode)", rec.Owner)
	case out.Waits >= h.maxWaits():
		out.Next = contract.NextJudge
		out.Reason = fmt.Sprintf("still being judged by %s after %d waits: the workflow judges it too", rec.Owner, out.Waits)
	default:
		out.Next = contract.NextWait
		out.Waits++
		out.Reason = fmt.Sprintf("being judged by %s: wait and look again", rec.Owner)
	}
	h.log(ctx, task, out)
	return out, nil
}

// registrationJudgement is the valid judgement the revision got at
// registration (its subject: the revision and its tags alone), when it
// remediates every task of the revision (HoldsForEveryTask).
func (h *Handler) registrationJudgement(ctx context.Context, policyHash string, task *contract.Task, tdTags map[string]string, now time.Time) (judgement.Record, bool, error) {
	subject, err := judgement.Subject{Account: task.Account, Region: task.Region,
		TaskDefinitionArn: task.TaskDefinitionArn, TaskDefinitionTags: tdTags}.Hash()
	if err != nil {
		return judgement.Record{}, false, step.Errorf(contract.ErrInvalidInput, "look up judgement: %v", err)
	}
	rec, _, err := h.Store.Get(ctx, judgement.Key(policyHash, subject, h.Settings))
	if err != nil || !rec.Valid(now) || !rec.Evaluation.HoldsForEveryTask || rec.Evaluation.Outcome != contract.OutcomeRemediate {
		return judgement.Record{}, false, err
	}
	return rec, true, nil
}

func (h *Handler) log(ctx context.Context, task *contract.Task, out contract.Lookup) {
	slog.InfoContext(ctx, "judgement looked up", "taskArn", task.TaskArn, "taskDefinitionArn", task.TaskDefinitionArn,
		"key", out.Key, "policyHash", out.PolicyHash, "next", out.Next, "waits", out.Waits)
}

func (h *Handler) lease() time.Duration {
	if h.Lease > 0 {
		return h.Lease
	}
	return DefaultLease
}

func (h *Handler) maxWaits() int {
	if h.MaxWaits > 0 {
		return h.MaxWaits
	}
	return DefaultMaxWaits
}

// subject reads what the key needs from ECS and hashes it.
func (h *Handler) subject(ctx context.Context, st contract.State) (contract.Lookup, error) {
	task := st.Task
	// The task definition's tags and the service, at the same time.
	var svc json.RawMessage
	var svcTags map[string]string
	var found bool
	var svcErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if task.Service != "" {
			svc, svcTags, found, svcErr = h.service(ctx, task)
		}
	}()
	tdTags, err := h.tags(ctx, task.TaskDefinitionArn)
	<-done
	if err != nil {
		return contract.Lookup{}, err
	}
	if svcErr != nil {
		return contract.Lookup{}, svcErr
	}
	out := contract.Lookup{TaskDefinitionTags: tdTags}
	sub := judgement.Subject{Account: task.Account, Region: task.Region,
		TaskDefinitionArn: task.TaskDefinitionArn, TaskDefinitionTags: tdTags}
	if task.TaskArn != "" { // a task, not a registration
		if sub.Task, err = judgement.TaskProjection(st.Detail); err != nil {
			return contract.Lookup{}, step.Errorf(contract.ErrInvalidInput, "look up judgement: %v", err)
		}
	}
	if found {
		out.Service, out.ServiceTags = svc, svcTags
		sub.Service, sub.ServiceTags = svc, svcTags
	}
	if out.Subject, err = sub.Hash(); err != nil {
		return contract.Lookup{}, step.Errorf(contract.ErrInvalidInput, "look up judgement: %v", err)
	}
	return out, nil
}

// DefaultCacheTTL is the look-up-judgement Lambda's CacheTTL.
const DefaultCacheTTL = 30 * time.Second

// maxCached bounds the cache: past it, it starts afresh.
const maxCached = 4096

type cached struct {
	value any
	until time.Time
}

// remember returns the cached value of key, or calls load and keeps its
// answer for CacheTTL (errors are not kept).
func (h *Handler) remember(key string, load func() (any, error)) (any, error) {
	if h.CacheTTL <= 0 {
		return load()
	}
	now := time.Now()
	h.mu.Lock()
	c, ok := h.cache[key]
	h.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.value, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.cache == nil || len(h.cache) >= maxCached {
		h.cache = map[string]cached{}
	}
	h.cache[key] = cached{value: v, until: now.Add(h.CacheTTL)}
	h.mu.Unlock()
	return v, nil
}

// tags are a resource's tags.
func (h *Handler) tags(ctx context.Context, resourceArn string) (map[string]string, error) {
	v, err := h.remember("tags "+resourceArn, func() (any, error) { return h.listTags(ctx, resourceArn) })
	if err != nil {
		return nil, err
	}
	return v.(map[string]string), nil
}

func (h *Handler) listTags(ctx context.Context, resourceArn string) (map[string]string, error) {
	out, err := h.ECS.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(resourceArn)})
	if err != nil {
		return nil, step.AWSError("ListTagsForResource "+resourceArn, err)
	}
	tags := map[string]string{}
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// service describes the task's service with its tags: its configuration
// (judgement.ServiceProjection of the raw API JSON) and its tags; found is
// false when the service no longer exists (it then adds nothing).
func (h *Handler) service(ctx context.Context, task *contract.Task) (json.RawMessage, map[string]string, bool, error) {
	type described struct {
		svc   json.RawMessage
		tags  map[string]string
		found bool
	}
	v, err := h.remember("service "+task.ClusterArn+" "+task.Service, func() (any, error) {
		svc, tags, found, err := h.describeService(ctx, task)
		return described{svc, tags, found}, err
	})
	if err != nil {
		return nil, nil, false, err
	}
	d := v.(described)
	return d.svc, d.tags, d.found, nil
}

func (h *Handler) describeService(ctx context.Context, task *contract.Task) (json.RawMessage, map[string]string, bool, error) {
	out, err := h.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(task.ClusterArn),
		Services: []string{task.Service},
		Include:  []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil {
		if code := step.ErrorCode(err); code == "ClusterNotFoundException" || code == "ServiceNotFoundException" {
			return nil, nil, false, nil
		}
		return nil, nil, false, step.AWSError("DescribeServices "+task.Cluster+"/"+task.Service, err)
	}
	if len(out.Services) == 0 {
		return nil, nil, false, nil
	}
	tags := map[string]string{}
	for _, t := range out.Services[0].Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	raw, err := rawService(awsraw.Body(out.ResultMetadata))
	if err != nil {
		return nil, nil, false, step.Errorf(contract.ErrFailed, "look up judgement: DescribeServices %s/%s: %v", task.Cluster, task.Service, err)
	}
	svc, err := judgement.ServiceProjection(raw)
	if err != nil {
		return nil, nil, false, step.Errorf(contract.ErrFailed, "look up judgement: %v", err)
	}
	return svc, tags, true, nil
}

// rawService is services[0] of a DescribeServices response body (with its
// tags, as DescribeServices gives them with include TAGS), as ECS sent it;
// the caller projects it (judgement.ServiceProjection).
func rawService(body []byte) (json.RawMessage, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("the raw response was not kept: the ECS client needs awsraw.Capture in its APIOptions")
	}
	var resp struct {
		Services []json.RawMessage `json:"services"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("the response is not JSON: %v", err)
	}
	if len(resp.Services) == 0 {
		return nil, fmt.Errorf("the response has no service")
	}
	return resp.Services[0], nil
}
