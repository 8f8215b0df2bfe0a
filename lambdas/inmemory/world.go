package inmemory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// World is the simulated account's ECS state, as a JSON file:
//
//	{
//	  "account": "123456789012", "region": "us-east-1",
//	  "taskDefinitions": [ <ECS TaskDefinition JSON, as describe-task-definition prints it>, … ],
//	  "services": [ {"cluster": "prod", "serviceName": "api", "desiredCount": 2,
//	                 "taskDefinition": "<ARN>", "status": "ACTIVE",
//	                 "deployments": [{"id": "ecs-svc/…", "taskDefinition": "<ARN>", "status": "PRIMARY"}],
//	                 "autoScaling": {"minCapacity": 2, "maxCapacity": 10}}, … ],
//	  "tasks":    [ {"taskArn": "<ARN>", "cluster": "prod", "taskDefinitionArn": "<ARN>",
//	                 "group": "service:api", "startedBy": "ecs-svc/…", "lastStatus": "RUNNING"}, … ],
//	  "tags": { "<ARN>": {"key": "value"}, … }
//	}
//
// "tasks" and each service's "status", "deploymentController",
// "deployments", "taskSets" and "autoScaling" are optional (a service is
// ACTIVE, deployed by ECS, without a scalable target; a task RUNNING).
// DeriveWorld adds what events need.
type World struct {
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// TaskDefinitions are ECS TaskDefinition objects in the API's JSON shape;
	// they are returned verbatim (as the raw DescribeTaskDefinition body).
	// taskDefinitionArn, or family and revision, must be set; status
	// defaults to ACTIVE.
	TaskDefinitions []json.RawMessage `json:"taskDefinitions"`
	Services        []WorldService    `json:"services"`
	Tasks           []WorldTask       `json:"tasks,omitempty"`
	// Tags maps a resource ARN (task definition, service, task, cluster) to
	// its tags.
	Tags map[string]map[string]string `json:"tags,omitempty"`
}

// WorldService is a service in a World.
type WorldService struct {
	Cluster      string `json:"cluster"`
	ServiceName  string `json:"serviceName"`
	DesiredCount int32  `json:"desiredCount"`
	// TaskDefinition is the ARN (or family:revision) of the service's task
	// definition.
	TaskDefinition string `json:"taskDefinition,omitempty"`
	// Status is ACTIVE (default), DRAINING or INACTIVE.
	Status string `json:"status,omitempty"`
	// DeploymentController is ECS (default), CODE_DEPLOY or EXTERNAL. The
	// last two have TaskSets instead of Deployments.
	DeploymentController string `json:"deploymentController,omitempty"`
	// Deployments are the service's deployments (ECS controller). Without
	// them the service has one PRIMARY deployment running its task
	// definition, whose id is the startedBy its tasks carry: that of the
	// first of its tasks (group service:NAME in its cluster, running its task
	// definition) started by a deployment (ecs-svc/DIGITS), else one made from
	// the service's ARN.
	Deployments []WorldDeployment `json:"deployments,omitempty"`
	// TaskSets are the task sets of a CODE_DEPLOY or EXTERNAL service; the
	// same default as Deployments.
	TaskSets []WorldDeployment `json:"taskSets,omitempty"`
	// AutoScaling is the service's Application Auto Scaling target, if it
	// has one.
	AutoScaling *WorldAutoScaling `json:"autoScaling,omitempty"`
	// Configuration holds other members of the service as DescribeServices
	// gives them, in the ECS API's JSON shape — launchType,
	// platformVersion, networkConfiguration, enableExecuteCommand… — which
	// DescribeServices then returns as given (what the policy's service
	// rules read).
	Configuration map[string]json.RawMessage `json:"configuration,omitempty"`
}

// WorldDeployment is a service's deployment or task set. The tasks it starts
// carry its id as their startedBy.
type WorldDeployment struct {
	ID string `json:"id"`
	// TaskDefinition is an ARN or family:revision of the world.
	TaskDefinition string `json:"taskDefinition"`
	// Status is PRIMARY (default for the first), ACTIVE (default for the
	// others) or INACTIVE for a deployment; PRIMARY, ACTIVE or DRAINING for
	// a task set. At most one is PRIMARY.
	Status string `json:"status,omitempty"`
}

// WorldAutoScaling is a service's scalable target (namespace ecs, dimension
// ecs:service:DesiredCount).
type WorldAutoScaling struct {
	MinCapacity int32 `json:"minCapacity"`
	MaxCapacity int32 `json:"maxCapacity"`
	// Suspended suspends all of its scaling (dynamic scale-in and
	// scale-out, scheduled).
	Suspended bool `json:"suspended,omitempty"`
	// SuspendedState suspends some of it; it wins over Suspended.
	SuspendedState *WorldSuspendedState `json:"suspendedState,omitempty"`
}

// WorldSuspendedState is what of a target's scaling is suspended.
type WorldSuspendedState struct {
	DynamicScalingInSuspended  bool `json:"dynamicScalingInSuspended"`
	DynamicScalingOutSuspended bool `json:"dynamicScalingOutSuspended"`
	ScheduledScalingSuspended  bool `json:"scheduledScalingSuspended"`
}

// WorldTask is a task in a World.
type WorldTask struct {
	TaskArn string `json:"taskArn"`
	// Cluster is the cluster name; taken from the task ARN when empty.
	Cluster           string `json:"cluster,omitempty"`
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	Group             string `json:"group,omitempty"`
	// StartedBy is who started the task: a deployment's or task set's id
	// for a service's task (that is how the scale step verifies it), any tag
	// RunTask was given, or nothing.
	StartedBy string `json:"startedBy,omitempty"`
	// LastStatus is RUNNING (default), PENDING, … or STOPPED.
	LastStatus string `json:"lastStatus,omitempty"`
	LaunchType string `json:"launchType,omitempty"`
}

// ReadWorld reads a world file strictly: unknown top-level fields and any
// entry Validate rejects are errors.
func ReadWorld(r io.Reader) (World, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return World{}, fmt.Errorf("world: %w", err)
	}
	if dec.More() {
		return World{}, errors.New("world: more than one JSON value")
	}
	if err := w.Validate(); err != nil {
		return World{}, err
	}
	return w, nil
}

// ReadWorldFile reads the world file at path (see ReadWorld).
func ReadWorldFile(path string) (World, error) {
	f, err := os.Open(path)
	if err != nil {
		return World{}, fmt.Errorf("world: %w", err)
	}
	defer f.Close()
	w, err := ReadWorld(f)
	if err != nil {
		return World{}, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Validate reports every entry of w that the account cannot use (New skips
// those entries).
func (w World) Validate() error {
	_, errs := build(w)
	return errors.Join(errs...)
}

// DeriveWorld returns w plus what the events need: an event whose task
// definition is not in the world gets one derived from the event's
// containers (name, image; family and revision from the ARN; ACTIVE); a
// "service:NAME" group that is not in the world gets that service (desired
// count 1, the event's task definition; its deployment's id is the event's
// startedBy when a deployment started it, see WorldService.Deployments); the
// event's task exists, RUNNING, in its cluster, started by the event's
// startedBy. The account and region, when unset, come from the first
// event's task ARN. Events that do not name a task are skipped (the workflow
// reports them). w itself is not changed.
func DeriveWorld(w World, events []contract.Event) World {
	out := w.clone()
	// Indexes of what the world has, so that deriving stays linear in the
	// number of events (a month of events for replay).
	tds := map[string]bool{}
	for _, raw := range out.TaskDefinitions {
		var h tdHeader
		if json.Unmarshal(raw, &h) != nil {
			continue
		}
		tds[h.TaskDefinitionArn] = true
		if h.Revision != nil {
			tds[h.Family+":"+strconv.Itoa(*h.Revision)] = true
		}
	}
	hasTD := func(arn, family string, revision int) bool {
		return tds[arn] || tds[family+":"+strconv.Itoa(revision)]
	}
	services, tasks := map[string]bool{}, map[string]bool{}
	for _, s := range out.Services {
		services[s.Cluster+"/"+s.ServiceName] = true
	}
	for _, t := range out.Tasks {
		tasks[t.TaskArn] = true
	}
	for _, ev := range events {
		if reg, ok := registeredTaskDefinition(ev); ok {
			// CloudTrail's RegisterTaskDefinition: the revision as ECS
			// returned it.
			if !hasTD(reg.arn, reg.family, reg.revision) {
				out.TaskDefinitions = append(out.TaskDefinitions, reg.raw)
				tds[reg.arn], tds[reg.family+":"+strconv.Itoa(reg.revision)] = true, true
			}
			if out.Account == "" {
				out.Account = ev.Account
			}
			if out.Region == "" {
				out.Region = ev.Region
			}
			continue
		}
		var d eventDetail
		if len(ev.Detail) == 0 || json.Unmarshal(ev.Detail, &d) != nil || d.TaskArn == "" {
			continue
		}
		taskARN, err := arn.Parse(d.TaskArn)
		if err != nil || taskARN.Service != "ecs" {
			continue
		}
		if out.Account == "" {
			out.Account = taskARN.AccountID
		}
		if out.Region == "" {
			out.Region = taskARN.Region
		}
		cluster := resourceName(d.ClusterArn, "cluster/")
		if cluster == "" {
			cluster = clusterOfTaskARN(taskARN)
		}
		if cluster == "" {
			continue
		}

		family, revision, tdOK := parseTaskDefinitionARN(d.TaskDefinitionArn)
		if tdOK && !hasTD(d.TaskDefinitionArn, family, revision) {
			out.TaskDefinitions = append(out.TaskDefinitions, d.derivedTaskDefinition(family, revision))
			tds[d.TaskDefinitionArn], tds[family+":"+strconv.Itoa(revision)] = true, true
		}
		if name, ok := strings.CutPrefix(d.Group, "service:"); ok && name != "" && !services[cluster+"/"+name] {
			out.Services = append(out.Services, WorldService{
				Cluster: cluster, ServiceName: name, DesiredCount: 1, TaskDefinition: d.TaskDefinitionArn,
			})
			services[cluster+"/"+name] = true
		}
		if !tasks[d.TaskArn] {
			out.Tasks = append(out.Tasks, WorldTask{
				TaskArn: d.TaskArn, Cluster: cluster, TaskDefinitionArn: d.TaskDefinitionArn,
				Group: d.Group, StartedBy: d.StartedBy, LastStatus: "RUNNING", LaunchType: d.LaunchType,
			})
			tasks[d.TaskArn] = true
		}
	}
	return out
}

// registered is a task definition a CloudTrail RegisterTaskDefinition
// event carries (responseElements.taskDefinition).
type registered struct {
	arn, family string
	revision    int
	raw         json.RawMessage
}

func registeredTaskDefinition(ev contract.Event) (registered, bool) {
	if ev.DetailType != "AWS API Call via CloudTrail" || len(ev.Detail) == 0 {
		return registered{}, false
	}
	var d struct {
		EventName        string `json:"eventName"`
		ResponseElements struct {
			TaskDefinition json.RawMessage `json:"taskDefinition"`
		} `json:"responseElements"`
	}
	if json.Unmarshal(ev.Detail, &d) != nil || d.EventName != "RegisterTaskDefinition" || len(d.ResponseElements.TaskDefinition) == 0 {
		return registered{}, false
	}
	var h tdHeader
	if json.Unmarshal(d.ResponseElements.TaskDefinition, &h) != nil || h.TaskDefinitionArn == "" || h.Revision == nil {
		return registered{}, false
	}
	raw, err := apiTimes(d.ResponseElements.TaskDefinition)
	if err != nil {
		return registered{}, false
	}
	return registered{arn: h.TaskDefinitionArn, family: h.Family, revision: *h.Revision, raw: raw}, true
}

// cloudTrailTime is how CloudTrail writes the times of ECS's response
// elements ("Nov 27, 2026, 9:04:12 AM", UTC).
const cloudTrailTime = "Jan 2, 2006, 3:04:05 PM"

// apiTimes turns the times of a task definition from CloudTrail's response
// elements into the ECS API's (epoch seconds); a time in neither form is
// dropped.
func apiTimes(td json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(td, &m); err != nil {
		return nil, err
	}
	for _, k := range []string{"registeredAt", "deregisteredAt"} {
		s, ok := m[k].(string)
		if !ok {
			continue
		}
		if t, err := time.Parse(cloudTrailTime, s); err == nil {
			m[k] = float64(t.Unix())
		} else if t, err := time.Parse(time.RFC3339, s); err == nil {
			m[k] = float64(t.Unix())
		} else {
			delete(m, k)
		}
	}
	return json.Marshal(m)
}

// eventDetail is what DeriveWorld reads from an event's detail.
type eventDetail struct {
	contract.TaskDetail
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

func (d eventDetail) derivedTaskDefinition(family string, revision int) json.RawMessage {
	type container struct {
		Name      string `json:"name"`
		Image     string `json:"image,omitempty"`
		Essential bool   `json:"essential"`
	}
	td := struct {
		TaskDefinitionArn       string      `json:"taskDefinitionArn"`
		Family                  string      `json:"family"`
		Revision                int         `json:"revision"`
		Status                  string      `json:"status"`
		ContainerDefinitions    []container `json:"containerDefinitions"`
		RequiresCompatibilities []string    `json:"requiresCompatibilities,omitempty"`
		CPU                     string      `json:"cpu,omitempty"`
		Memory                  string      `json:"memory,omitempty"`
	}{
		TaskDefinitionArn: d.TaskDefinitionArn, Family: family, Revision: revision, Status: "ACTIVE",
		ContainerDefinitions: []container{}, CPU: d.CPU, Memory: d.Memory,
	}
	if d.LaunchType != "" {
		td.RequiresCompatibilities = []string{d.LaunchType}
	}
	for _, c := range d.Containers {
		td.ContainerDefinitions = append(td.ContainerDefinitions, container{Name: c.Name, Image: c.Image, Essential: true})
	}
	b, _ := json.Marshal(td) // plain strings and ints: cannot fail
	return b
}

func (w World) clone() World {
	out := World{Account: w.Account, Region: w.Region}
	for _, td := range w.TaskDefinitions {
		out.TaskDefinitions = append(out.TaskDefinitions, bytes.Clone(td))
	}
	for _, s := range w.Services {
		s.Deployments = slices.Clone(s.Deployments)
		s.TaskSets = slices.Clone(s.TaskSets)
		if s.AutoScaling != nil {
			as := *s.AutoScaling
			if as.SuspendedState != nil {
				ss := *as.SuspendedState
				as.SuspendedState = &ss
			}
			s.AutoScaling = &as
		}
		out.Services = append(out.Services, s)
	}
	out.Tasks = append([]WorldTask(nil), w.Tasks...)
	if w.Tags != nil {
		out.Tags = map[string]map[string]string{}
		for k, v := range w.Tags {
			m := map[string]string{}
			for tk, tv := range v {
				m[tk] = tv
			}
			out.Tags[k] = m
		}
	}
	return out
}

// tdHeader is what the account reads of a task definition's JSON itself.
type tdHeader struct {
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	Family            string `json:"family"`
	Revision          *int   `json:"revision"`
	Status            string `json:"status"`
}

// parseTaskDefinitionARN splits arn:…:task-definition/FAMILY:REVISION.
func parseTaskDefinitionARN(s string) (family string, revision int, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "ecs" {
		return "", 0, false
	}
	rest, found := strings.CutPrefix(a.Resource, "task-definition/")
	if !found {
		return "", 0, false
	}
	return splitFamilyRevision(rest)
}

func splitFamilyRevision(s string) (family string, revision int, ok bool) {
	family, rev, found := strings.Cut(s, ":")
	if !found || family == "" {
		return "", 0, false
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return family, n, true
}

// resourceName is the part after prefix of an ARN's resource
// ("cluster/prod" → "prod"), or "" when s is not such an ARN.
func resourceName(s, prefix string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	name, ok := strings.CutPrefix(a.Resource, prefix)
	if !ok {
		return ""
	}
	return name
}

// clusterOfTaskARN is the cluster of a new-format task ARN
// (task/CLUSTER/ID), or "".
func clusterOfTaskARN(a arn.ARN) string {
	parts := strings.Split(strings.TrimPrefix(a.Resource, "task/"), "/")
	if len(parts) == 2 {
		return parts[0]
	}
	return ""
}

// World returns the account's ECS state now, as a World (task definitions
// with their current status, services with their current desired count,
// deployments or task sets, scalable target and configuration, tasks with
// their current status).
func (a *Account) World() World {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := World{Account: a.account, Region: a.region, TaskDefinitions: []json.RawMessage{}, Services: []WorldService{}}
	for _, td := range a.taskDefs {
		w.TaskDefinitions = append(w.TaskDefinitions, bytes.Clone(td.raw))
	}
	for _, s := range a.services {
		ws := WorldService{
			Cluster: s.cluster, ServiceName: s.name, DesiredCount: s.desired, TaskDefinition: s.taskDef, Status: s.status,
			Configuration: maps.Clone(s.config),
		}
		if s.usesTaskSets() {
			ws.DeploymentController = s.controller
		}
		for _, u := range a.units(s) {
			d := WorldDeployment{ID: u.id, TaskDefinition: u.taskDef, Status: u.status}
			if s.usesTaskSets() {
				ws.TaskSets = append(ws.TaskSets, d)
			} else {
				ws.Deployments = append(ws.Deployments, d)
			}
		}
		if t := s.target; t != nil {
			ws.AutoScaling = &WorldAutoScaling{MinCapacity: t.min, MaxCapacity: t.max}
			switch {
			case t.in && t.out && t.scheduled:
				ws.AutoScaling.Suspended = true
			case t.in || t.out || t.scheduled:
				ws.AutoScaling.SuspendedState = &WorldSuspendedState{
					DynamicScalingInSuspended: t.in, DynamicScalingOutSuspended: t.out, ScheduledScalingSuspended: t.scheduled,
				}
			}
		}
		w.Services = append(w.Services, ws)
	}
	for _, t := range a.tasks {
		w.Tasks = append(w.Tasks, WorldTask{
			TaskArn: t.arn, Cluster: t.cluster, TaskDefinitionArn: t.taskDef, Group: t.group, StartedBy: t.startedBy,
			LastStatus: t.lastStatus, LaunchType: t.launchType,
		})
	}
	if len(a.tags) > 0 {
		w.Tags = map[string]map[string]string{}
		for k, v := range a.tags {
			m := map[string]string{}
			for tk, tv := range v {
				m[tk] = tv
			}
			w.Tags[k] = m
		}
	}
	return w
}
