package inmemory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

type taskDef struct {
	arn      string
	family   string
	revision int
	status   string
	raw      json.RawMessage // the world's JSON, kept verbatim unless changed
}

type service struct {
	cluster, name string
	desired       int32
	taskDef       string // ARN
	status        string
	// controller is the deployment controller: ECS (default), CODE_DEPLOY
	// or EXTERNAL (which have task sets instead of deployments).
	controller string
	// deployments (ECS controller) or taskSets (the others) as the world
	// gave them or UpdateService made them; nil: one PRIMARY deployment (or
	// task set) of taskDef, see units.
	deployments []unit
	taskSets    []unit
	// target is the Application Auto Scaling target (autoscaling.go).
	target *scalableTarget
	// deployed counts the deployments UpdateService made (their ids).
	deployed int
	// config are the world's other members of the service (API JSON).
	config map[string]json.RawMessage
}

// unit is a deployment or a task set: what starts a service's tasks (their
// startedBy is its id).
type unit struct {
	id, taskDef, status string
}

type task struct {
	arn, id, cluster string
	taskDef          string
	group            string
	startedBy        string
	lastStatus       string
	desiredStatus    string
	launchType       string
	stoppedReason    string
	stopCode         types.TaskStopCode
	stoppedAt        *time.Time
	version          int64
}

// ---- loading ----

func (a *Account) loadTaskDefinition(raw json.RawMessage) (*taskDef, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	var h tdHeader
	if err := json.Unmarshal(trimmed, &h); err != nil {
		return nil, fmt.Errorf("not an ECS task definition: %v", err)
	}
	td := &taskDef{arn: h.TaskDefinitionArn, family: h.Family, status: h.Status, raw: bytes.Clone(trimmed)}
	if h.Revision != nil {
		td.revision = *h.Revision
	}
	add := map[string]any{}
	switch {
	case td.arn != "":
		family, revision, ok := parseTaskDefinitionARN(td.arn)
		if !ok {
			return nil, fmt.Errorf("taskDefinitionArn %q is not arn:…:task-definition/FAMILY:REVISION", td.arn)
		}
		if td.family == "" {
			td.family, add["family"] = family, family
		}
		if h.Revision == nil {
			td.revision, add["revision"] = revision, revision
		}
		if td.family != family || td.revision != revision {
			return nil, fmt.Errorf("family %q revision %d do not match taskDefinitionArn %q", td.family, td.revision, td.arn)
		}
	case td.family != "" && td.revision > 0:
		td.arn = a.ecsARN(fmt.Sprintf("task-definition/%s:%d", td.family, td.revision))
		add["taskDefinitionArn"] = td.arn
	default:
		return nil, fmt.Errorf("neither taskDefinitionArn nor family and revision is set")
	}
	if td.revision < 1 {
		return nil, fmt.Errorf("%s: revision %d is not positive", td.arn, td.revision)
	}
	switch td.status {
	case "":
		td.status, add["status"] = "ACTIVE", "ACTIVE"
	case "ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS":
	default:
		return nil, fmt.Errorf("%s: status %q is not ACTIVE, INACTIVE or DELETE_IN_PROGRESS", td.arn, td.status)
	}
	if len(add) > 0 {
		b, err := setMembers(td.raw, add)
		if err != nil {
			return nil, err
		}
		td.raw = b
	}
	if _, err := typedTaskDefinition(td.raw); err != nil {
		return nil, fmt.Errorf("%s: not in the ECS API's shape: %v", td.arn, err)
	}
	return td, nil
}

func (a *Account) loadTask(wt WorldTask) (*task, error) {
	p, err := arn.Parse(wt.TaskArn)
	if err != nil || p.Service != "ecs" || !strings.HasPrefix(p.Resource, "task/") {
		return nil, fmt.Errorf("taskArn %q is not an ECS task ARN", wt.TaskArn)
	}
	parts := strings.Split(strings.TrimPrefix(p.Resource, "task/"), "/")
	t := &task{
		arn: wt.TaskArn, id: parts[len(parts)-1], cluster: wt.Cluster, group: wt.Group, startedBy: wt.StartedBy,
		lastStatus: wt.LastStatus, launchType: wt.LaunchType, version: 1,
	}
	if c := clusterOfTaskARN(p); c != "" {
		if t.cluster == "" {
			t.cluster = c
		} else if t.cluster != c {
			return nil, fmt.Errorf("%s is in cluster %q, not %q", wt.TaskArn, c, t.cluster)
		}
	}
	if t.cluster == "" || t.id == "" {
		return nil, fmt.Errorf("%s: no cluster (an old-format task ARN needs \"cluster\")", wt.TaskArn)
	}
	if t.lastStatus == "" {
		t.lastStatus = "RUNNING"
	}
	switch t.lastStatus {
	case "PROVISIONING", "PENDING", "ACTIVATING", "RUNNING":
		t.desiredStatus = "RUNNING"
	case "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED":
		t.desiredStatus = "STOPPED"
	default:
		return nil, fmt.Errorf("%s: lastStatus %q is not an ECS task status", wt.TaskArn, wt.LastStatus)
	}
	if wt.TaskDefinitionArn != "" {
		td := a.resolveTaskDef(wt.TaskDefinitionArn, false)
		if td == nil {
			return nil, fmt.Errorf("%s: task definition %q is not in taskDefinitions", wt.TaskArn, wt.TaskDefinitionArn)
		}
		t.taskDef = td.arn
	}
	return t, nil
}

// Deployment controllers (types.DeploymentControllerType).
const (
	controllerECS        = "ECS"
	controllerCodeDeploy = "CODE_DEPLOY"
	controllerExternal   = "EXTERNAL"
)

// loadService reads what a world service has besides its cluster, name,
// count, task definition and status: its deployment controller, its
// deployments or task sets, and its Application Auto Scaling target. The
// account's build calls it for each service of the world.
func (a *Account) loadService(s *service, ws WorldService) error {
	for k, v := range ws.Configuration {
		if !json.Valid(v) {
			return fmt.Errorf("configuration.%s is not JSON", k)
		}
	}
	s.config = ws.Configuration
	s.controller = ws.DeploymentController
	switch s.controller {
	case "":
		s.controller = controllerECS
	case controllerECS, controllerCodeDeploy, controllerExternal:
	default:
		return fmt.Errorf("deploymentController %q is not ECS, CODE_DEPLOY or EXTERNAL", ws.DeploymentController)
	}
	if s.usesTaskSets() && len(ws.Deployments) > 0 {
		return fmt.Errorf("a %s service has taskSets, not deployments", s.controller)
	}
	if !s.usesTaskSets() && len(ws.TaskSets) > 0 {
		return fmt.Errorf("an ECS service has deployments, not taskSets (taskSets need deploymentController CODE_DEPLOY or EXTERNAL)")
	}
	var err error
	if s.deployments, err = a.loadUnits("deployments", ws.Deployments, "PRIMARY", "ACTIVE", "INACTIVE"); err != nil {
		return err
	}
	if s.taskSets, err = a.loadUnits("taskSets", ws.TaskSets, "PRIMARY", "ACTIVE", "DRAINING"); err != nil {
		return err
	}
	if s.taskDef == "" {
		for _, u := range append(s.deployments, s.taskSets...) {
			if u.status == "PRIMARY" {
				s.taskDef = u.taskDef
			}
		}
	}
	if as := ws.AutoScaling; as != nil {
		if as.MinCapacity < 0 || as.MaxCapacity < as.MinCapacity {
			return fmt.Errorf("autoScaling: minCapacity %d and maxCapacity %d: want 0 <= minCapacity <= maxCapacity", as.MinCapacity, as.MaxCapacity)
		}
		s.target = &scalableTarget{min: as.MinCapacity, max: as.MaxCapacity, created: a.clock().UTC()}
		s.target.in, s.target.out, s.target.scheduled = as.Suspended, as.Suspended, as.Suspended
		if ss := as.SuspendedState; ss != nil {
			s.target.in, s.target.out, s.target.scheduled = ss.DynamicScalingInSuspended, ss.DynamicScalingOutSuspended, ss.ScheduledScalingSuspended
		}
	}
	return nil
}

// loadUnits checks a service's deployments or task sets: an id each, once; a
// task definition of the world; a status among those allowed (default:
// PRIMARY for the first, ACTIVE for the others), at most one PRIMARY.
func (a *Account) loadUnits(field string, ws []WorldDeployment, allowed ...string) ([]unit, error) {
	if ws == nil {
		return nil, nil
	}
	units := []unit{}
	primary := 0
	for i, w := range ws {
		u := unit{id: w.ID, status: w.Status}
		switch {
		case u.id == "":
			return nil, fmt.Errorf("%s[%d]: id is required", field, i)
		case slices.ContainsFunc(units, func(o unit) bool { return o.id == u.id }):
			return nil, fmt.Errorf("%s[%d]: id %q appears twice", field, i, u.id)
		}
		if u.status == "" {
			u.status = allowed[1]
			if i == 0 {
				u.status = allowed[0]
			}
		}
		if !slices.Contains(allowed, u.status) {
			return nil, fmt.Errorf("%s[%d] %s: status %q is not %s", field, i, u.id, w.Status, strings.Join(allowed, ", "))
		}
		if u.status == "PRIMARY" {
			primary++
		}
		td := a.resolveTaskDef(w.TaskDefinition, false)
		if td == nil {
			return nil, fmt.Errorf("%s[%d] %s: task definition %q is not in taskDefinitions", field, i, u.id, w.TaskDefinition)
		}
		u.taskDef = td.arn
		units = append(units, u)
	}
	if primary > 1 {
		return nil, fmt.Errorf("%s: %d are PRIMARY; a service has one", field, primary)
	}
	return units, nil
}

func (s *service) usesTaskSets() bool {
	return s.controller == controllerCodeDeploy || s.controller == controllerExternal
}

// units are the service's deployments, or task sets: as the world gave them
// (or UpdateService made them), else one PRIMARY of its task definition
// whose id is the one its tasks were started by (defaultDeploymentID).
func (a *Account) units(s *service) []unit {
	given := s.deployments
	if s.usesTaskSets() {
		given = s.taskSets
	}
	if given != nil || s.taskDef == "" {
		return given
	}
	return []unit{{id: a.defaultDeploymentID(s), taskDef: s.taskDef, status: "PRIMARY"}}
}

// defaultDeploymentID is the id of a service's PRIMARY deployment when the
// world lists none: the startedBy of the first of its tasks (in its cluster,
// group service:NAME, running its task definition) that a deployment
// started (ecs-svc/DIGITS, as ECS names them); without one, an id made from
// the service's ARN. A task started otherwise (RunTask's startedBy, or none)
// never makes the id, so it stays unverified.
func (a *Account) defaultDeploymentID(s *service) string {
	for _, t := range a.tasks {
		if t.cluster == s.cluster && t.group == "service:"+s.name && t.taskDef == s.taskDef && isDeploymentID(t.startedBy) {
			return t.startedBy
		}
	}
	return deploymentID(a.serviceARN(s.cluster, s.name), 0)
}

// deploymentID is an ECS-like deployment id (ecs-svc/ and 19 digits) made
// from the service's ARN and the deployment's number.
func deploymentID(serviceArn string, n int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s#%d", serviceArn, n)
	return fmt.Sprintf("ecs-svc/%019d", h.Sum64()%10_000_000_000_000_000_000)
}

// isDeploymentID reports whether s looks like the id ECS gives a deployment
// or a task set: ecs-svc/ and digits.
func isDeploymentID(s string) bool {
	digits, ok := strings.CutPrefix(s, "ecs-svc/")
	if !ok || digits == "" {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ---- lookups (a.mu held) ----

func (a *Account) findTaskDef(family string, revision int) *taskDef {
	for _, td := range a.taskDefs {
		if td.family == family && td.revision == revision {
			return td
		}
	}
	return nil
}

// resolveTaskDef finds a task definition by ARN, family:revision or (when
// familyOK) family alone, meaning its latest ACTIVE revision.
func (a *Account) resolveTaskDef(ref string, familyOK bool) *taskDef {
	if strings.HasPrefix(ref, "arn:") {
		p, err := arn.Parse(ref)
		if err != nil || p.Service != "ecs" || p.AccountID != a.account || p.Region != a.region {
			return nil
		}
		rest, ok := strings.CutPrefix(p.Resource, "task-definition/")
		if !ok {
			return nil
		}
		ref = rest
	}
	if family, revision, ok := splitFamilyRevision(ref); ok {
		return a.findTaskDef(family, revision)
	}
	if !familyOK || strings.Contains(ref, ":") {
		return nil
	}
	var latest *taskDef
	for _, td := range a.taskDefs {
		if td.family == ref && td.status == "ACTIVE" && (latest == nil || td.revision > latest.revision) {
			latest = td
		}
	}
	return latest
}

func (a *Account) findService(cluster, name string) *service {
	for _, s := range a.services {
		if s.cluster == cluster && s.name == name {
			return s
		}
	}
	return nil
}

func (a *Account) findTask(cluster, ref string) *task {
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		p, err := arn.Parse(ref)
		if err != nil || p.Service != "ecs" || !strings.HasPrefix(p.Resource, "task/") {
			return nil
		}
		parts := strings.Split(strings.TrimPrefix(p.Resource, "task/"), "/")
		if len(parts) == 2 && parts[0] != cluster {
			return nil
		}
		id = parts[len(parts)-1]
	}
	for _, t := range a.tasks {
		if t.cluster == cluster && t.id == id {
			return t
		}
	}
	return nil
}

// clusterName turns the Cluster member (name, ARN or empty for "default")
// into a name.
func clusterName(ref *string) string {
	s := aws.ToString(ref)
	if s == "" {
		return "default"
	}
	if name := resourceName(s, "cluster/"); name != "" {
		return name
	}
	return s
}

func (a *Account) clusterARN(name string) string { return a.ecsARN("cluster/" + name) }

func (a *Account) serviceARN(cluster, name string) string {
	return a.ecsARN("service/" + cluster + "/" + name)
}

// serviceRef splits the Service member (name or ARN) against the cluster
// given; ok is false when the ARN names another cluster.
func serviceRef(cluster, ref string) (string, string, bool) {
	if !strings.HasPrefix(ref, "arn:") {
		return cluster, ref, true
	}
	rest := resourceName(ref, "service/")
	if rest == "" {
		return cluster, ref, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) == 1 {
		return cluster, parts[0], true
	}
	return parts[0], parts[1], parts[0] == cluster
}

// ---- typed outputs ----

var ecsProtocol = awsjson.New11(schemas.AmazonEC2ContainerServiceV20141113)

// typedTaskDefinition decodes task definition JSON with the ECS client's own
// deserializer, so the typed output is exactly what the real client would
// build from the same JSON. Timestamps written as RFC 3339 strings (as the
// CLI prints them) are accepted.
func typedTaskDefinition(raw json.RawMessage) (*types.TaskDefinition, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for _, k := range []string{"registeredAt", "deregisteredAt"} {
		var s string
		if v, ok := obj[k]; ok && json.Unmarshal(v, &s) == nil {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, fmt.Errorf("%s %q is not a time", k, s)
			}
			obj[k] = json.RawMessage(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
		}
	}
	td, _ := json.Marshal(obj)
	body := append(append([]byte(`{"taskDefinition":`), td...), '}')
	resp := &smithyhttp.Response{Response: &http.Response{
		StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)),
	}}
	out := &ecs.DescribeTaskDefinitionOutput{}
	op := smithy.NewOperationSchema(schemas.DescribeTaskDefinition, schemas.DescribeTaskDefinitionRequest, schemas.DescribeTaskDefinitionResponse)
	if err := ecsProtocol.DeserializeResponse(context.Background(), op, ecs.TypeRegistry, resp, out); err != nil {
		return nil, err
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("empty task definition")
	}
	return out.TaskDefinition, nil
}

func (a *Account) ecsTags(resourceArn string) []types.Tag {
	m := a.tags[resourceArn]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := []types.Tag{}
	for _, k := range keys {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return tags
}

func (a *Account) typedService(s *service, withTags bool) types.Service {
	running := int32(0)
	for _, t := range a.tasks {
		if t.cluster == s.cluster && t.group == "service:"+s.name && t.lastStatus == "RUNNING" {
			running++
		}
	}
	controller := s.controller
	if controller == "" {
		controller = controllerECS
	}
	out := types.Service{
		ServiceArn:           aws.String(a.serviceARN(s.cluster, s.name)),
		ServiceName:          aws.String(s.name),
		ClusterArn:           aws.String(a.clusterARN(s.cluster)),
		Status:               aws.String(s.status),
		DesiredCount:         s.desired,
		RunningCount:         running,
		SchedulingStrategy:   types.SchedulingStrategyReplica,
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerType(controller)},
		Deployments:          []types.Deployment{},
	}
	if s.taskDef != "" {
		out.TaskDefinition = aws.String(s.taskDef)
	}
	for _, u := range a.units(s) {
		if s.usesTaskSets() {
			out.TaskSets = append(out.TaskSets, types.TaskSet{
				Id: aws.String(u.id), Status: aws.String(u.status), TaskDefinition: aws.String(u.taskDef),
				TaskSetArn: aws.String(a.ecsARN("task-set/" + s.cluster + "/" + s.name + "/" + u.id)),
				ServiceArn: out.ServiceArn, ClusterArn: out.ClusterArn,
			})
			continue
		}
		d := types.Deployment{Id: aws.String(u.id), Status: aws.String(u.status), TaskDefinition: aws.String(u.taskDef)}
		if u.status == "PRIMARY" {
			d.DesiredCount, d.RunningCount = s.desired, running
		}
		out.Deployments = append(out.Deployments, d)
	}
	if withTags {
		out.Tags = a.ecsTags(a.serviceARN(s.cluster, s.name))
	}
	return out
}

func (a *Account) typedTask(t *task, withTags bool) types.Task {
	out := types.Task{
		TaskArn:       aws.String(t.arn),
		ClusterArn:    aws.String(a.clusterARN(t.cluster)),
		LastStatus:    aws.String(t.lastStatus),
		DesiredStatus: aws.String(t.desiredStatus),
		LaunchType:    types.LaunchType(t.launchType),
		StopCode:      t.stopCode,
		Version:       t.version,
	}
	if t.taskDef != "" {
		out.TaskDefinitionArn = aws.String(t.taskDef)
	}
	if t.group != "" {
		out.Group = aws.String(t.group)
	}
	if t.startedBy != "" {
		out.StartedBy = aws.String(t.startedBy)
	}
	if t.stoppedReason != "" {
		out.StoppedReason = aws.String(t.stoppedReason)
	}
	if t.stoppedAt != nil {
		at := *t.stoppedAt
		out.StoppingAt, out.StoppedAt = &at, &at
	}
	if withTags {
		out.Tags = a.ecsTags(t.arn)
	}
	return out
}

func ecsErr(op string, err error) error { return opError(serviceECS, op, err) }

func clusterNotFound(op string) error {
	return ecsErr(op, &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")})
}

func invalidParameter(op, msg string) error {
	return ecsErr(op, &types.InvalidParameterException{Message: aws.String(msg)})
}

func clientException(op, msg string) error {
	return ecsErr(op, &types.ClientException{Message: aws.String(msg)})
}

// ---- the ECS API ----

// DescribeTaskDefinition describes a task definition by ARN, family:revision
// or family (its latest ACTIVE revision). The raw response body (for awsraw)
// is {"taskDefinition": <the world's JSON>, "tags": [...]}; the typed output
// is decoded from the same JSON. An unknown task definition is a
// ClientException "Unable to describe task definition.", as in ECS.
func (a *Account) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	const op = "DescribeTaskDefinition"
	if in == nil || in.TaskDefinition == nil {
		return nil, paramsError(serviceECS, op, "DescribeTaskDefinitionInput", "TaskDefinition")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.begin(ctx, serviceECS, op, *in.TaskDefinition); err != nil {
		return nil, err
	}
	td := a.resolveTaskDef(*in.TaskDefinition, true)
	if td == nil {
		return nil, clientException(op, "Unable to describe task definition.")
	}
	typed, err := typedTaskDefinition(td.raw)
	if err != nil {
		return nil, ecsErr(op, &types.ServerException{Message: aws.String("in-memory task definition: " + err.Error())})
	}
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: typed}
	body := struct {
		TaskDefinition json.RawMessage `json:"taskDefinition"`
		Tags           *[]rawTag       `json:"tags,omitempty"`
	}{TaskDefinition: td.raw}
	for _, v := range in.Include {
		if v == types.TaskDefinitionFieldTags {
			out.Tags = a.ecsTags(td.arn)
			tags := []rawTag{}
			for _, t := range out.Tags {
				tags = append(tags, rawTag{Key: *t.Key, Value: *t.Value})
			}
			body.Tags = &tags
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, ecsErr(op, &types.ServerException{Message: aws.String(err.Error())})
	}
	awsraw.WithBody(&out.ResultMetadata, raw)
	return out, nil
}

type rawTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ListTagsForResource lists the tags of a cluster, service (long ARN
// format), task or task definition. A resource that does not exist is an
// InvalidParameterException, a missing cluster a ClusterNotFoundException.
func (a *Account) ListTagsForResource(ctx context.Context, in *ecs.ListTagsForResourceInput, _ ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error) {
	const op = "ListTagsForResource"
	if in == nil || in.ResourceArn == nil {
		return nil, paramsError(serviceECS, op, "ListTagsForResourceInput", "ResourceArn")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ref := *in.ResourceArn
	if err := a.begin(ctx, serviceECS, op, ref); err != nil {
		return nil, err
	}
	p, err := arn.Parse(ref)
	if err != nil || p.Service != "ecs" {
		return nil, invalidParameter(op, "Invalid resource ARN: "+ref)
	}
	notFound := invalidParameter(op, "The specified resource could not be found.")
	if p.AccountID != a.account || p.Region != a.region {
		return nil, notFound
	}
	kind, rest, _ := strings.Cut(p.Resource, "/")
	canonical := ref
	switch kind {
	case "cluster":
		if !a.clusters[rest] {
			return nil, clusterNotFound(op)
		}
	case "service":
		cluster, name, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, invalidParameter(op, "Long arn format must be used for tagging operations")
		}
		if !a.clusters[cluster] {
			return nil, clusterNotFound(op)
		}
		if a.findService(cluster, name) == nil {
			return nil, notFound
		}
	case "task":
		parts := strings.Split(rest, "/")
		if len(parts) != 2 {
			return nil, invalidParameter(op, "Long arn format must be used for tagging operations")
		}
		if !a.clusters[parts[0]] {
			return nil, clusterNotFound(op)
		}
		t := a.findTask(parts[0], ref)
		if t == nil {
			return nil, notFound
		}
		canonical = t.arn
	case "task-definition":
		td := a.resolveTaskDef(ref, false)
		if td == nil {
			return nil, notFound
		}
		canonical = td.arn
	default:
		return nil, invalidParameter(op, "Invalid resource ARN: "+ref)
	}
	return &ecs.ListTagsForResourceOutput{Tags: a.ecsTags(canonical)}, nil
}

// DescribeServices describes up to 10 services of a cluster; a service that
// does not exist is a Failure with reason MISSING (INACTIVE services are
// still described, as in ECS).
func (a *Account) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	const op = "DescribeServices"
	if in == nil || in.Services == nil {
		return nil, paramsError(serviceECS, op, "DescribeServicesInput", "Services")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cluster := clusterName(in.Cluster)
	if err := a.begin(ctx, serviceECS, op, cluster+"\x00"+strings.Join(in.Services, ",")); err != nil {
		return nil, err
	}
	switch {
	case len(in.Services) == 0:
		return nil, invalidParameter(op, "Services cannot be empty.")
	case len(in.Services) > 10:
		return nil, invalidParameter(op, "Services cannot contain more than 10 elements.")
	case !a.clusters[cluster]:
		return nil, clusterNotFound(op)
	}
	withTags := false
	for _, f := range in.Include {
		withTags = withTags || f == types.ServiceFieldTags
	}
	out := &ecs.DescribeServicesOutput{Services: []types.Service{}, Failures: []types.Failure{}}
	var configs []map[string]json.RawMessage // per described service
	for _, ref := range in.Services {
		c, name, ok := serviceRef(cluster, ref)
		var s *service
		if ok {
			s = a.findService(c, name)
		}
		if s == nil {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(a.serviceARN(c, name)), Reason: aws.String("MISSING")})
			continue
		}
		out.Services = append(out.Services, a.typedService(s, withTags))
		configs = append(configs, s.config)
	}
	withServicesBody(&out.ResultMetadata, out, configs)
	return out, nil
}

// UpdateService changes a service's desired count (and task definition).
// A service that does not exist is a ServiceNotFoundException, one that is
// DRAINING or INACTIVE a ServiceNotActiveException. A change is recorded as
// an Action only when it changed something. Tasks of a service scaled down
// keep running (the in-memory scheduler does not stop them).
func (a *Account) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	const op = "UpdateService"
	if in == nil || in.Service == nil {
		return nil, paramsError(serviceECS, op, "UpdateServiceInput", "Service")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cluster := clusterName(in.Cluster)
	key := cluster + "\x00" + *in.Service
	if in.DesiredCount != nil {
		key += "\x00" + strconv.Itoa(int(*in.DesiredCount))
	}
	key += "\x00" + aws.ToString(in.TaskDefinition)
	if err := a.begin(ctx, serviceECS, op, key); err != nil {
		return nil, err
	}
	if !a.clusters[cluster] {
		return nil, clusterNotFound(op)
	}
	c, name, ok := serviceRef(cluster, *in.Service)
	var s *service
	if ok {
		s = a.findService(c, name)
	}
	if s == nil {
		return nil, ecsErr(op, &types.ServiceNotFoundException{Message: aws.String("Service not found.")})
	}
	if s.status != "ACTIVE" {
		return nil, ecsErr(op, &types.ServiceNotActiveException{Message: aws.String("Service was not ACTIVE.")})
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, invalidParameter(op, "Desired count must be greater than or equal to 0.")
	}
	newTD := s.taskDef
	if in.TaskDefinition != nil {
		if s.usesTaskSets() {
			return nil, invalidParameter(op, fmt.Sprintf("Unable to update task definition on services with a %s deployment controller. Use the task sets (CreateTaskSet) instead.", s.controller))
		}
		td := a.resolveTaskDef(*in.TaskDefinition, true)
		switch {
		case td == nil:
			return nil, clientException(op, "TaskDefinition not found.")
		case td.status != "ACTIVE":
			return nil, invalidParameter(op, "TaskDefinition is inactive")
		}
		newTD = td.arn
	}
	changed := newTD != s.taskDef
	if changed {
		// A new task definition is a new PRIMARY deployment; the one before
		// stays ACTIVE (draining), as in ECS.
		deployments := []unit{}
		for _, u := range a.units(s) {
			if u.status == "PRIMARY" {
				u.status = "ACTIVE"
			}
			deployments = append(deployments, u)
		}
		s.deployed++
		s.deployments = append(deployments, unit{id: deploymentID(a.serviceARN(s.cluster, s.name), s.deployed), taskDef: newTD, status: "PRIMARY"})
	}
	s.taskDef = newTD
	if in.DesiredCount != nil && *in.DesiredCount != s.desired {
		s.desired = *in.DesiredCount
		changed = true
	}
	if changed {
		a.actions = append(a.actions, Action{API: contract.APIUpdateService, Target: a.serviceARN(s.cluster, s.name)})
	}
	svc := a.typedService(s, false)
	return &ecs.UpdateServiceOutput{Service: &svc}, nil
}

// DescribeTasks describes up to 100 tasks of a cluster by ARN or ID; a task
// that does not exist is a Failure with reason MISSING.
func (a *Account) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	const op = "DescribeTasks"
	if in == nil || in.Tasks == nil {
		return nil, paramsError(serviceECS, op, "DescribeTasksInput", "Tasks")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cluster := clusterName(in.Cluster)
	if err := a.begin(ctx, serviceECS, op, cluster+"\x00"+strings.Join(in.Tasks, ",")); err != nil {
		return nil, err
	}
	switch {
	case len(in.Tasks) == 0:
		return nil, invalidParameter(op, "Tasks cannot be empty.")
	case len(in.Tasks) > 100:
		return nil, invalidParameter(op, "Tasks cannot contain more than 100 elements.")
	case !a.clusters[cluster]:
		return nil, clusterNotFound(op)
	}
	withTags := false
	for _, f := range in.Include {
		withTags = withTags || f == types.TaskFieldTags
	}
	out := &ecs.DescribeTasksOutput{Tasks: []types.Task{}, Failures: []types.Failure{}}
	for _, ref := range in.Tasks {
		t := a.findTask(cluster, ref)
		if t == nil {
			failed := ref
			if !strings.HasPrefix(ref, "arn:") {
				failed = a.ecsARN("task/" + cluster + "/" + ref)
			}
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(failed), Reason: aws.String("MISSING")})
			continue
		}
		out.Tasks = append(out.Tasks, a.typedTask(t, withTags))
	}
	return out, nil
}

// MaxStopReason is the longest reason StopTask takes (ECS: up to 255
// characters).
const MaxStopReason = 255

// StopTask stops a task: it becomes STOPPED at once (ECS passes through
// DEACTIVATING and STOPPING) with the reason and stop code UserInitiated.
// Stopping a stopped task returns it unchanged (no Action). A task that does
// not exist in the cluster is an InvalidParameterException "The referenced
// task was not found.", as in ECS; a reason over 255 characters is refused.
func (a *Account) StopTask(ctx context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	const op = "StopTask"
	if in == nil || in.Task == nil {
		return nil, paramsError(serviceECS, op, "StopTaskInput", "Task")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cluster := clusterName(in.Cluster)
	if err := a.begin(ctx, serviceECS, op, cluster+"\x00"+*in.Task); err != nil {
		return nil, err
	}
	if n := len([]rune(aws.ToString(in.Reason))); n > MaxStopReason {
		return nil, invalidParameter(op, fmt.Sprintf("Reason is %d characters; it can be at most %d.", n, MaxStopReason))
	}
	if !a.clusters[cluster] {
		return nil, clusterNotFound(op)
	}
	t := a.findTask(cluster, *in.Task)
	if t == nil {
		return nil, invalidParameter(op, "The referenced task was not found.")
	}
	if t.desiredStatus != "STOPPED" {
		now := a.clock().UTC()
		t.desiredStatus, t.lastStatus = "STOPPED", "STOPPED"
		t.stoppedReason = aws.ToString(in.Reason)
		t.stopCode = types.TaskStopCodeUserInitiated
		t.stoppedAt = &now
		t.version++
		a.actions = append(a.actions, Action{API: contract.APIStopTask, Target: t.arn})
	}
	typed := a.typedTask(t, false)
	return &ecs.StopTaskOutput{Task: &typed}, nil
}

// DeregisterTaskDefinition marks a task definition (family:revision or ARN)
// INACTIVE; deregistering an INACTIVE one returns it unchanged (no Action).
// An unknown task definition, or one named without its revision, is a
// ClientException.
func (a *Account) DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	const op = "DeregisterTaskDefinition"
	if in == nil || in.TaskDefinition == nil {
		return nil, paramsError(serviceECS, op, "DeregisterTaskDefinitionInput", "TaskDefinition")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.begin(ctx, serviceECS, op, *in.TaskDefinition); err != nil {
		return nil, err
	}
	ref := *in.TaskDefinition
	if strings.HasPrefix(ref, "arn:") {
		ref = resourceName(ref, "task-definition/")
	}
	if _, _, ok := splitFamilyRevision(ref); !ok {
		return nil, clientException(op, "Invalid revision number. Number: "+*in.TaskDefinition+" (give family:revision or the full ARN)")
	}
	td := a.resolveTaskDef(*in.TaskDefinition, false)
	if td == nil {
		return nil, clientException(op, "The specified task definition does not exist.")
	}
	if td.status == "ACTIVE" {
		raw, err := setMembers(td.raw, map[string]any{
			"status":         "INACTIVE",
			"deregisteredAt": a.clock().UTC().Format(time.RFC3339Nano),
		})
		if err != nil {
			return nil, ecsErr(op, &types.ServerException{Message: aws.String(err.Error())})
		}
		td.raw, td.status = raw, "INACTIVE"
		a.actions = append(a.actions, Action{API: contract.APIDeregisterTaskDefinition, Target: td.arn})
	}
	typed, err := typedTaskDefinition(td.raw)
	if err != nil {
		return nil, ecsErr(op, &types.ServerException{Message: aws.String(err.Error())})
	}
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: typed}, nil
}

// listPage cuts arns (sorted) to the page that token starts, at most n;
// the next page's token is its offset. A token this account did not give is
// an InvalidParameterException.
func listPage(op string, arns []string, token *string, maxResults *int32, def int32) ([]string, *string, error) {
	n := def
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 100 {
			return nil, nil, invalidParameter(op, "maxResults must be between 1 and 100.")
		}
		n = *maxResults
	}
	from := 0
	if t := aws.ToString(token); t != "" {
		off, ok := strings.CutPrefix(t, "inmemory:")
		i, err := strconv.Atoi(off)
		if !ok || err != nil || i < 0 || i > len(arns) {
			return nil, nil, invalidParameter(op, "Invalid nextToken.")
		}
		from = i
	}
	to := min(from+int(n), len(arns))
	var next *string
	if to < len(arns) {
		next = aws.String("inmemory:" + strconv.Itoa(to))
	}
	return arns[from:to], next, nil
}

// ListServices lists the ARNs of a cluster's services that are not INACTIVE
// (launchType and schedulingStrategy filter them), in name order, 10 a page
// unless maxResults (1–100) says otherwise. An unknown cluster is a
// ClusterNotFoundException.
func (a *Account) ListServices(ctx context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	const op = "ListServices"
	if in == nil {
		in = &ecs.ListServicesInput{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cluster := clusterName(in.Cluster)
	if err := a.begin(ctx, serviceECS, op, cluster+"\x00"+aws.ToString(in.NextToken)); err != nil {
		return nil, err
	}
	if !a.clusters[cluster] {
		return nil, clusterNotFound(op)
	}
	var arns []string
	for _, s := range a.services {
		switch {
		case s.cluster != cluster, s.status == "INACTIVE",
			in.SchedulingStrategy != "" && in.SchedulingStrategy != types.SchedulingStrategyReplica:
			continue
		}
		arns = append(arns, a.serviceARN(s.cluster, s.name))
	}
	if in.LaunchType != "" {
		arns = nil // the in-memory services have no launch type
	}
	sort.Strings(arns)
	page, next, err := listPage(op, arns, in.NextToken, in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	return &ecs.ListServicesOutput{ServiceArns: append([]string{}, page...), NextToken: next}, nil
}

// ListTasks lists the ARNs of a cluster's tasks whose desired status is
// desiredStatus (default RUNNING), filtered by family, serviceName (the
// task's group), startedBy and launchType, in ARN order, 100 a page unless
// maxResults (1–100) says otherwise. An unknown cluster is a
// ClusterNotFoundException.
func (a *Account) ListTasks(ctx context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	const op = "ListTasks"
	if in == nil {
		in = &ecs.ListTasksInput{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cluster := clusterName(in.Cluster)
	key := strings.Join([]string{cluster, aws.ToString(in.Family), aws.ToString(in.ServiceName), string(in.DesiredStatus),
		aws.ToString(in.StartedBy), aws.ToString(in.NextToken)}, "\x00")
	if err := a.begin(ctx, serviceECS, op, key); err != nil {
		return nil, err
	}
	if !a.clusters[cluster] {
		return nil, clusterNotFound(op)
	}
	if in.Family != nil && in.ServiceName != nil {
		return nil, invalidParameter(op, "Family and ServiceName cannot both be specified.")
	}
	desired := string(in.DesiredStatus)
	if desired == "" {
		desired = "RUNNING"
	}
	var arns []string
	for _, t := range a.tasks {
		family := ""
		if td := a.resolveTaskDef(t.taskDef, false); td != nil {
			family = td.family
		}
		switch {
		case t.cluster != cluster, t.desiredStatus != desired,
			in.Family != nil && family != *in.Family,
			in.ServiceName != nil && t.group != "service:"+*in.ServiceName,
			in.StartedBy != nil && t.startedBy != *in.StartedBy,
			in.LaunchType != "" && t.launchType != string(in.LaunchType):
			continue
		}
		arns = append(arns, t.arn)
	}
	sort.Strings(arns)
	page, next, err := listPage(op, arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTasksOutput{TaskArns: append([]string{}, page...), NextToken: next}, nil
}
