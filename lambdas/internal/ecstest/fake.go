package ecstest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Change is an ECS (or Application Auto Scaling) change that took effect.
type Change struct {
	API    string // UpdateService, StopTask, DeregisterTaskDefinition, RegisterScalableTarget
	Target string // the ARN changed (the resource ID of a scalable target)
}

// Fake is a small ECS account: clusters, services, tasks and task
// definitions, with the state changes and the errors (real ECS error types,
// real messages) of the calls the remediation steps make, and the services'
// Application Auto Scaling targets (autoscaling.go). It holds state, so a
// test sees what a step changed and what a second run changes (nothing).
type Fake struct {
	mu       sync.Mutex
	clusters map[string]bool                    // cluster ARNs
	services map[string]*types.Service          // by cluster ARN + "|" + name
	tasks    map[string]*types.Task             // by task ARN
	taskDefs map[string]*types.TaskDefinition   // by task definition ARN
	targets  map[string]*astypes.ScalableTarget // by resource ID (autoscaling.go)
	pageSize int                                // list pages' most items (list.go); 0: as ECS
	faults   map[string][]fault
	calls    []string
	changes  []Change
}

type fault struct {
	err   error
	after bool // take effect, then fail (a lost response)
}

// NewFake returns an empty account.
func NewFake() *Fake {
	return &Fake{
		clusters: map[string]bool{},
		services: map[string]*types.Service{},
		tasks:    map[string]*types.Task{},
		taskDefs: map[string]*types.TaskDefinition{},
		targets:  map[string]*astypes.ScalableTarget{},
		faults:   map[string][]fault{},
	}
}

// AddCluster adds an empty cluster.
func (f *Fake) AddCluster(clusterArn string) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clusters[clusterArn] = true
	return f
}

// AddService adds a service (and its cluster, s.ClusterArn).
func (f *Fake) AddService(s types.Service) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := aws.ToString(s.ClusterArn)
	f.clusters[c] = true
	f.services[c+"|"+aws.ToString(s.ServiceName)] = &s
	return f
}

// AddTask adds a task (and its cluster, t.ClusterArn).
func (f *Fake) AddTask(t types.Task) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clusters[aws.ToString(t.ClusterArn)] = true
	f.tasks[aws.ToString(t.TaskArn)] = &t
	return f
}

// AddTaskDefinition adds a task definition revision.
func (f *Fake) AddTaskDefinition(td types.TaskDefinition) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taskDefs[aws.ToString(td.TaskDefinitionArn)] = &td
	return f
}

// Fail makes the next calls of op fail with errs, one per call, without effect.
func (f *Fake) Fail(op string, errs ...error) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, err := range errs {
		f.faults[op] = append(f.faults[op], fault{err: err})
	}
	return f
}

// FailAfterEffect makes the next call of op take effect and then fail with
// err, as a call whose response is lost (a timeout) does.
func (f *Fake) FailAfterEffect(op string, err error) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[op] = append(f.faults[op], fault{err: err, after: true})
	return f
}

// Service is the service's current state.
func (f *Fake) Service(clusterArn, name string) (types.Service, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.services[clusterArn+"|"+name]
	if !ok {
		return types.Service{}, false
	}
	return *s, true
}

// Task is the task's current state.
func (f *Fake) Task(taskArn string) (types.Task, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tasks[taskArn]
	if !ok {
		return types.Task{}, false
	}
	return *t, true
}

// TaskDefinition is the revision's current state.
func (f *Fake) TaskDefinition(tdArn string) (types.TaskDefinition, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	td, ok := f.taskDefs[tdArn]
	if !ok {
		return types.TaskDefinition{}, false
	}
	return *td, true
}

// Calls are the operations called so far, in order (failed ones included).
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Changes are the changes that took effect so far, in order.
func (f *Fake) Changes() []Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Change(nil), f.changes...)
}

// begin records the call and returns its fault, if one is scripted. The
// caller holds f.mu.
func (f *Fake) begin(op string) (fault, bool) {
	f.calls = append(f.calls, op)
	q := f.faults[op]
	if len(q) == 0 {
		return fault{}, false
	}
	f.faults[op] = q[1:]
	return q[0], true
}

// cluster resolves a cluster given by ARN or name (none: "default").
func (f *Fake) cluster(c *string) (string, error) {
	want := aws.ToString(c)
	if want == "" {
		want = "default"
	}
	for known := range f.clusters {
		if known == want || strings.TrimPrefix(resource(known), "cluster/") == want {
			return known, nil
		}
	}
	return "", &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}
}

func resource(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return s
	}
	return a.Resource
}

// service finds a service of the cluster by name or ARN.
func (f *Fake) service(cluster, nameOrArn string) *types.Service {
	if s, ok := f.services[cluster+"|"+nameOrArn]; ok {
		return s
	}
	for _, s := range f.services {
		if aws.ToString(s.ClusterArn) == cluster && aws.ToString(s.ServiceArn) == nameOrArn {
			return s
		}
	}
	return nil
}

// DescribeServices answers each service of the cluster, or a MISSING failure.
func (f *Fake) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.begin("DescribeServices"); ok {
		return nil, ft.err
	}
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, &types.InvalidParameterException{Message: aws.String("Services must contain 1 to 10 elements.")}
	}
	cluster, err := f.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		if s := f.service(cluster, name); s != nil {
			out.Services = append(out.Services, *s)
			continue
		}
		a, _ := arn.Parse(cluster)
		a.Resource = "service/" + strings.TrimPrefix(a.Resource, "cluster/") + "/" + name
		out.Failures = append(out.Failures, types.Failure{Arn: aws.String(a.String()), Reason: aws.String("MISSING")})
	}
	return out, nil
}

// UpdateService sets the desired count of an ACTIVE replica service.
func (f *Fake) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft, failing := f.begin("UpdateService")
	if failing && !ft.after {
		return nil, ft.err
	}
	cluster, err := f.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	s := f.service(cluster, aws.ToString(in.Service))
	switch {
	case s == nil:
		return nil, &types.ServiceNotFoundException{Message: aws.String("Service not found.")}
	case aws.ToString(s.Status) != "ACTIVE":
		return nil, &types.ServiceNotActiveException{Message: aws.String("Service was not ACTIVE.")}
	case in.DesiredCount != nil && s.SchedulingStrategy == types.SchedulingStrategyDaemon:
		return nil, &types.InvalidParameterException{Message: aws.String("The desired count cannot be specified for a service with the DAEMON scheduling strategy.")}
	}
	if in.DesiredCount != nil && *in.DesiredCount != s.DesiredCount {
		s.DesiredCount = *in.DesiredCount
		f.changes = append(f.changes, Change{API: "UpdateService", Target: aws.ToString(s.ServiceArn)})
	}
	if failing {
		return nil, ft.err
	}
	return &ecs.UpdateServiceOutput{Service: ptr(*s)}, nil
}

// DescribeTasks answers each task of the cluster, or a MISSING failure.
func (f *Fake) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.begin("DescribeTasks"); ok {
		return nil, ft.err
	}
	if len(in.Tasks) == 0 || len(in.Tasks) > 100 {
		return nil, &types.InvalidParameterException{Message: aws.String("Tasks must contain 1 to 100 elements.")}
	}
	cluster, err := f.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ecs.DescribeTasksOutput{}
	for _, id := range in.Tasks {
		if t, ok := f.tasks[id]; ok && aws.ToString(t.ClusterArn) == cluster {
			out.Tasks = append(out.Tasks, *t)
			continue
		}
		out.Failures = append(out.Failures, types.Failure{Arn: aws.String(id), Reason: aws.String("MISSING")})
	}
	return out, nil
}

// StopTask sets a task's desired status to STOPPED with the reason (a task
// already stopping or stopped is left as it is, as ECS does).
func (f *Fake) StopTask(_ context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft, failing := f.begin("StopTask")
	if failing && !ft.after {
		return nil, ft.err
	}
	cluster, err := f.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	t, ok := f.tasks[aws.ToString(in.Task)]
	if !ok || aws.ToString(t.ClusterArn) != cluster {
		return nil, &types.InvalidParameterException{Message: aws.String("The referenced task was not found.")}
	}
	if aws.ToString(t.DesiredStatus) != "STOPPED" && aws.ToString(t.LastStatus) != "STOPPED" {
		t.DesiredStatus = aws.String("STOPPED")
		t.StoppedReason = in.Reason
		t.StopCode = types.TaskStopCodeUserInitiated
		t.StoppingAt = aws.Time(time.Date(2026, 11, 27, 9, 6, 0, 0, time.UTC))
		f.changes = append(f.changes, Change{API: "StopTask", Target: aws.ToString(t.TaskArn)})
	}
	if failing {
		return nil, ft.err
	}
	return &ecs.StopTaskOutput{Task: ptr(*t)}, nil
}

// DescribeTaskDefinition answers a revision by ARN; an unknown one is the
// ClientException ECS gives.
func (f *Fake) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft, ok := f.begin("DescribeTaskDefinition"); ok {
		return nil, ft.err
	}
	td, ok := f.taskDefs[aws.ToString(in.TaskDefinition)]
	if !ok {
		return nil, &types.ClientException{Message: aws.String("Unable to describe task definition.")}
	}
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: ptr(*td)}, nil
}

// DeregisterTaskDefinition marks an ACTIVE revision INACTIVE.
func (f *Fake) DeregisterTaskDefinition(_ context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft, failing := f.begin("DeregisterTaskDefinition")
	if failing && !ft.after {
		return nil, ft.err
	}
	td, ok := f.taskDefs[aws.ToString(in.TaskDefinition)]
	if !ok {
		return nil, &types.ClientException{Message: aws.String("The specified task definition does not exist.")}
	}
	if td.Status == types.TaskDefinitionStatusActive {
		td.Status = types.TaskDefinitionStatusInactive
		td.DeregisteredAt = aws.Time(time.Date(2026, 11, 27, 9, 6, 1, 0, time.UTC))
		f.changes = append(f.changes, Change{API: "DeregisterTaskDefinition", Target: aws.ToString(td.TaskDefinitionArn)})
	}
	if failing {
		return nil, ft.err
	}
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: ptr(*td)}, nil
}

func ptr[T any](v T) *T { return &v }
