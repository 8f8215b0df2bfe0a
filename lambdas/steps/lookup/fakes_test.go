package lookup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/lookup"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

const (
	account    = "123456789012"
	region     = "us-east-1"
	clusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	serviceArn = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	tdArn      = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	tdArn8     = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
	batchTD    = "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-report:2"
	// policyHash is the hash fakePolicy gives unless a test changes it.
	policyHash = "5f0c6b1e9a3d4c2b8e7f6a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291"
	// Events' times (the lookup's clock).
	pendingAt = "2026-11-27T09:05:00Z"
)

// TestMain keeps the step's logs out of the test output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// stateOf is the triage's state when "Look up judgement" runs: the event
// in testdata/name, and what "Record task" made of it ($.task, first claim).
func stateOf(t *testing.T, name string) contract.State {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev contract.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return withTask(t, contract.State{Event: ev})
}

// withTask fills st.Task from st.Event as "Record task" does.
func withTask(t *testing.T, st contract.State) contract.State {
	t.Helper()
	task, err := recordtask.ParseEvent(st.Event)
	if err != nil {
		t.Fatalf("the event is not one Record task takes: %v", err)
	}
	task.Attempt = 1
	task.ClaimedBy = "arn:aws:states:us-east-1:123456789012:express:ecs-compliance-triage:" + task.TaskID + ":1"
	task.ExecutionName = recordtask.ExecutionName(task, 1)
	st.Task = &task
	return st
}

// withDetail is st with its event's detail changed by edit (and $.task made
// again from it).
func withDetail(t *testing.T, st contract.State, edit func(d map[string]any)) contract.State {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(st.Detail, &d); err != nil {
		t.Fatal(err)
	}
	edit(d)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	st.Detail = b
	return withTask(t, st)
}

// containers is the detail's containers, for edits.
func containers(d map[string]any) []any { return d["containers"].([]any) }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fakeECS is the part of ECS the lookup reads: task definition tags
// (ListTagsForResource) and services (DescribeServices with TAGS), answered
// like the real client with awsraw.Capture: the typed output plus the raw
// body in its ResultMetadata. It holds state a test may change (a tag, a
// service's configuration or run-time state), fails an operation with
// queued errors, and records the calls.
type fakeECS struct {
	mu       sync.Mutex
	tags     map[string][]types.Tag    // by resource ARN, in ECS's order
	services map[string]map[string]any // by cluster ARN + "|" + name: the service in the API's JSON shape
	errs     map[string][]error
	noRaw    bool   // a client without awsraw.Capture
	rawBody  []byte // a raw DescribeServices body other than the typed answer's
	calls    []string
}

// newFakeECS is the account of the testdata: service prod/api as
// describe-services.json has it, and the task definitions' tags.
func newFakeECS(t *testing.T) *fakeECS {
	t.Helper()
	var resp struct {
		Services []map[string]any `json:"services"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "describe-services.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &resp); err != nil || len(resp.Services) != 1 {
		t.Fatalf("describe-services.json: %v", err)
	}
	return &fakeECS{
		tags: map[string][]types.Tag{
			tdArn:   tagList("owner", "team-api", "cost-center", "cc-42"),
			tdArn8:  tagList("owner", "team-api"),
			batchTD: tagList("owner", "team-data"),
		},
		services: map[string]map[string]any{clusterArn + "|api": resp.Services[0]},
		errs:     map[string][]error{},
	}
}

func tagList(kv ...string) []types.Tag {
	var ts []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		ts = append(ts, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return ts
}

// editService changes service prod/api as ECS would show it next.
func (f *fakeECS) editService(edit func(s map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f.services[clusterArn+"|api"])
}

func (f *fakeECS) setTags(resource string, tags []types.Tag) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags[resource] = tags
}

func (f *fakeECS) fail(op string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[op] = append(f.errs[op], errs...)
}

func (f *fakeECS) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeECS) begin(op, call string) error {
	f.calls = append(f.calls, op+" "+call)
	if q := f.errs[op]; len(q) > 0 {
		f.errs[op] = q[1:]
		return q[0]
	}
	return nil
}

func (f *fakeECS) ListTagsForResource(_ context.Context, in *ecs.ListTagsForResourceInput, _ ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("ListTagsForResource", aws.ToString(in.ResourceArn)); err != nil {
		return nil, err
	}
	return &ecs.ListTagsForResourceOutput{Tags: slices.Clone(f.tags[aws.ToString(in.ResourceArn)])}, nil
}

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.Services) != 1 || !slices.Equal(in.Include, []types.ServiceField{types.ServiceFieldTags}) {
		return nil, fmt.Errorf("fake ECS: DescribeServices %v include %v: the lookup asks for one service with its tags", in.Services, in.Include)
	}
	cluster, name := aws.ToString(in.Cluster), in.Services[0]
	if err := f.begin("DescribeServices", cluster+" "+name); err != nil {
		return nil, err
	}
	out := &ecs.DescribeServicesOutput{}
	body := map[string]any{"services": []any{}, "failures": []any{}}
	if svc, ok := f.services[cluster+"|"+name]; ok {
		var tags []types.Tag
		if ts, ok := svc["tags"].([]any); ok {
			for _, tag := range ts {
				m := tag.(map[string]any)
				tags = append(tags, types.Tag{Key: aws.String(fmt.Sprint(m["key"])), Value: aws.String(fmt.Sprint(m["value"]))})
			}
		}
		out.Services = []types.Service{{ServiceName: aws.String(name), ClusterArn: aws.String(cluster),
			ServiceArn: aws.String(fmt.Sprint(svc["serviceArn"])), Tags: tags}}
		body["services"] = []any{svc}
	} else {
		missing := "arn:aws:ecs:us-east-1:123456789012:service/" + name
		out.Failures = []types.Failure{{Arn: aws.String(missing), Reason: aws.String("MISSING")}}
		body["failures"] = []any{map[string]string{"arn": missing, "reason": "MISSING"}}
	}
	switch {
	case f.rawBody != nil:
		awsraw.WithBody(&out.ResultMetadata, f.rawBody)
	case !f.noRaw:
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		awsraw.WithBody(&out.ResultMetadata, b)
	}
	return out, nil
}

// fakePolicy is the policy cache: the bundle's hash, or an error.
type fakePolicy struct {
	mu    sync.Mutex
	hash  string
	err   error
	calls int
}

func (p *fakePolicy) Bundle(context.Context) (contract.Bundle, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.err != nil {
		return contract.Bundle{}, p.err
	}
	return contract.Bundle{Path: bundle.DefaultPath, Hash: p.hash}, nil
}

// store is the in-memory judgement store with failures a test can inject
// and a count of the keys taken.
type store struct {
	*judgement.Memory
	getErr, beginErr error
	begins           int
}

func newStore() *store { return &store{Memory: &judgement.Memory{}} }

func (s *store) Get(ctx context.Context, key string) (judgement.Record, bool, error) {
	if s.getErr != nil {
		return judgement.Record{}, false, s.getErr
	}
	return s.Memory.Get(ctx, key)
}

func (s *store) Begin(ctx context.Context, key, owner string, now time.Time, lease time.Duration) (judgement.Record, bool, error) {
	s.begins++
	if s.beginErr != nil {
		return judgement.Record{}, false, s.beginErr
	}
	return s.Memory.Begin(ctx, key, owner, now, lease)
}

// handler is the step over the fakes, in mode.
func handler(e lookup.ECS, p lookup.Policy, s lookup.Store, mode contract.Mode) *lookup.Handler {
	return &lookup.Handler{ECS: e, Policy: p, Store: s, Settings: judgement.Settings{Mode: mode}}
}

// evaluation is a stored evaluation with the given outcome.
func evaluation(outcome contract.Outcome) *contract.Evaluation {
	d := &contract.Decision{Compliant: true, Violations: []contract.Violation{}, Warnings: []contract.Violation{}, Exempted: []contract.Violation{}}
	mode := contract.ModeAudit
	switch outcome {
	case contract.OutcomeReport:
		d.Warnings = []contract.Violation{{Rule: "image_tag", Title: "Images are pinned", Severity: contract.SeverityLow,
			Container: "api", Message: `container "api" uses the mutable tag 1.25`, Enforcement: "warn"}}
	case contract.OutcomeRemediate:
		mode = contract.ModeEnforce
		d.Compliant = false
		d.Violations = []contract.Violation{{Rule: "approved_registries", Title: "Images come from approved registries",
			Severity: contract.SeverityHigh, Container: "api", Message: `container "api" uses nginx:1.25 from docker.io`, Enforcement: "deny",
			Controls: []string{"NIST 800-190 4.1.1"}}}
	}
	return &contract.Evaluation{Policy: contract.Bundle{Path: bundle.DefaultPath, Hash: policyHash, Versions: map[string]int64{"/ecs-compliance/policy/data.json": 3}},
		Decision: d, Mode: mode, Outcome: outcome}
}

// judged is a judgement of key made at judgedAt, valid until expiresAt.
func judged(key string, outcome contract.Outcome, judgedAt, expiresAt time.Time) judgement.Record {
	return judgement.Record{Key: key, PolicyHash: policyHash, Subject: "s", TaskDefinitionArn: tdArn,
		Evaluation: evaluation(outcome), JudgedAt: judgedAt, ExpiresAt: expiresAt}
}

// sortedKeys of a JSON object.
func sortedKeys(raw json.RawMessage) []string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func apiErr(code string, fault smithy.ErrorFault) error {
	return &smithy.OperationError{ServiceID: "ECS", OperationName: "op", Err: &smithy.GenericAPIError{Code: code, Message: "injected " + code, Fault: fault}}
}
