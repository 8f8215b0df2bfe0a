package inmemory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// World is the simulated account's ECS state, as a JSON file:
//
//	{
//	  "account": "123456789012", "region": "us-east-1",
//	  "taskDefinitions": [ <ECS TaskDefinition JSON, as describe-task-definition prints it>, … ],
//	  "services": [ {"cluster": "prod", "serviceName": "api", "desiredCount": 2,
//	                 "taskDefinition": "<ARN>", "status": "ACTIVE"}, … ],
//	  "tasks":    [ {"taskArn": "<ARN>", "cluster": "prod", "taskDefinitionArn": "<ARN>",
//	                 "group": "service:api", "lastStatus": "RUNNING"}, … ],
//	  "tags": { "<ARN>": {"key": "value"}, … }
//	}
//
// "tasks" and each service's "status" are optional (a service is ACTIVE, a
// task RUNNING). DeriveWorld adds what events need.
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
}

// WorldTask is a task in a World.
type WorldTask struct {
	TaskArn string `json:"taskArn"`
	// Cluster is the cluster name; taken from the task ARN when empty.
	Cluster           string `json:"cluster,omitempty"`
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	Group             string `json:"group,omitempty"`
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
// count 1, the event's task definition); the event's task exists, RUNNING, in
// its cluster. The account and region, when unset, come from the first
// event's task ARN. Events that do not name a task are skipped (the workflow
// reports them). w itself is not changed.
func DeriveWorld(w World, events []contract.Event) World {
	out := w.clone()
	for _, ev := range events {
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
		if tdOK && !out.hasTaskDefinition(d.TaskDefinitionArn, family, revision) {
			out.TaskDefinitions = append(out.TaskDefinitions, d.derivedTaskDefinition(family, revision))
		}
		if name, ok := strings.CutPrefix(d.Group, "service:"); ok && name != "" && !out.hasService(cluster, name) {
			out.Services = append(out.Services, WorldService{
				Cluster: cluster, ServiceName: name, DesiredCount: 1, TaskDefinition: d.TaskDefinitionArn,
			})
		}
		if !out.hasTask(d.TaskArn) {
			out.Tasks = append(out.Tasks, WorldTask{
				TaskArn: d.TaskArn, Cluster: cluster, TaskDefinitionArn: d.TaskDefinitionArn,
				Group: d.Group, LastStatus: "RUNNING", LaunchType: d.LaunchType,
			})
		}
	}
	return out
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
	out.Services = append([]WorldService(nil), w.Services...)
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

func (w World) hasTaskDefinition(tdArn, family string, revision int) bool {
	for _, raw := range w.TaskDefinitions {
		var h tdHeader
		if json.Unmarshal(raw, &h) != nil {
			continue
		}
		if h.TaskDefinitionArn == tdArn || (h.Family == family && h.Revision != nil && *h.Revision == revision) {
			return true
		}
	}
	return false
}

func (w World) hasService(cluster, name string) bool {
	for _, s := range w.Services {
		if s.Cluster == cluster && s.ServiceName == name {
			return true
		}
	}
	return false
}

func (w World) hasTask(taskArn string) bool {
	for _, t := range w.Tasks {
		if t.TaskArn == taskArn {
			return true
		}
	}
	return false
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
// tasks with their current status).
func (a *Account) World() World {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := World{Account: a.account, Region: a.region, TaskDefinitions: []json.RawMessage{}, Services: []WorldService{}}
	for _, td := range a.taskDefs {
		w.TaskDefinitions = append(w.TaskDefinitions, bytes.Clone(td.raw))
	}
	for _, s := range a.services {
		w.Services = append(w.Services, WorldService{
			Cluster: s.cluster, ServiceName: s.name, DesiredCount: s.desired, TaskDefinition: s.taskDef, Status: s.status,
		})
	}
	for _, t := range a.tasks {
		w.Tasks = append(w.Tasks, WorldTask{
			TaskArn: t.arn, Cluster: t.cluster, TaskDefinitionArn: t.taskDef, Group: t.group,
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
