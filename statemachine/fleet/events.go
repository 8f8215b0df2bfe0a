package fleet

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

// envelope is an EventBridge event.
type envelope struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     any      `json:"detail"`
}

// taskDetail is an ECS Task State Change's detail: the task, as
// DescribeTasks shows it.
type taskDetail struct {
	Attachments          []taskAttachment `json:"attachments"`
	Attributes           []attributeValue `json:"attributes"`
	AvailabilityZone     string           `json:"availabilityZone"`
	ClusterArn           string           `json:"clusterArn"`
	Connectivity         string           `json:"connectivity,omitempty"`
	ConnectivityAt       string           `json:"connectivityAt,omitempty"`
	Containers           []taskContainer  `json:"containers"`
	CPU                  string           `json:"cpu"`
	CreatedAt            string           `json:"createdAt"`
	DesiredStatus        string           `json:"desiredStatus"`
	EnableExecuteCommand bool             `json:"enableExecuteCommand"`
	EphemeralStorage     ephemeralStorage `json:"ephemeralStorage"`
	ExecutionStoppedAt   string           `json:"executionStoppedAt,omitempty"`
	Group                string           `json:"group"`
	LaunchType           string           `json:"launchType"`
	LastStatus           string           `json:"lastStatus"`
	Memory               string           `json:"memory"`
	Overrides            taskOverrides    `json:"overrides"`
	PlatformVersion      string           `json:"platformVersion"`
	PlatformFamily       string           `json:"platformFamily"`
	PullStartedAt        string           `json:"pullStartedAt,omitempty"`
	PullStoppedAt        string           `json:"pullStoppedAt,omitempty"`
	StartedAt            string           `json:"startedAt,omitempty"`
	StartedBy            string           `json:"startedBy,omitempty"`
	StopCode             string           `json:"stopCode,omitempty"`
	StoppedAt            string           `json:"stoppedAt,omitempty"`
	StoppedReason        string           `json:"stoppedReason,omitempty"`
	StoppingAt           string           `json:"stoppingAt,omitempty"`
	TaskArn              string           `json:"taskArn"`
	TaskDefinitionArn    string           `json:"taskDefinitionArn"`
	UpdatedAt            string           `json:"updatedAt"`
	Version              int              `json:"version"`
}

type taskAttachment struct {
	ID      string           `json:"id"`
	Type    string           `json:"type"`
	Status  string           `json:"status"`
	Details []attributeValue `json:"details"`
}

type attributeValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type taskContainer struct {
	ContainerArn      string             `json:"containerArn"`
	ExitCode          *int               `json:"exitCode,omitempty"`
	LastStatus        string             `json:"lastStatus"`
	Name              string             `json:"name"`
	Image             string             `json:"image"`
	ImageDigest       string             `json:"imageDigest,omitempty"`
	RuntimeID         string             `json:"runtimeId,omitempty"`
	TaskArn           string             `json:"taskArn"`
	NetworkInterfaces []networkInterface `json:"networkInterfaces"`
	CPU               string             `json:"cpu"`
	Memory            string             `json:"memory,omitempty"`
	MemoryReservation string             `json:"memoryReservation,omitempty"`
}

type networkInterface struct {
	AttachmentID       string `json:"attachmentId"`
	PrivateIpv4Address string `json:"privateIpv4Address"`
}

type ephemeralStorage struct {
	SizeInGiB int `json:"sizeInGiB"`
}

type taskOverrides struct {
	ContainerOverrides []containerOverride `json:"containerOverrides"`
}

type containerOverride struct {
	Name string `json:"name"`
}

// Stages of a task's life, each with its own event: the start statuses
// (desiredStatus RUNNING), then the stop statuses (desiredStatus STOPPED).
// An event's detail.version is its stage + 1.
const (
	stageProvisioning = iota
	stagePending
	stageActivating
	stageRunning
	stageStopping // RUNNING, desired STOPPED
	stageDeprovisioning
	stageStopped
)

func (t *task) group() string {
	if t.fam.service {
		return "service:" + t.fam.name
	}
	return "family:" + t.fam.name
}

func (t *task) startedBy() string {
	if t.fam.service {
		return t.rev.deployment
	}
	return "events-rule/" + t.fam.name + "-schedule"
}

func (t *task) at(stage int) time.Time {
	l := t.life
	return [...]time.Time{l.provisioning, l.pending, l.activating, l.running, l.stopping, l.deprovisioning, l.stopped}[stage]
}

// taskEvent is the task's event at stage.
func (g *gen) taskEvent(t *task, stage int) []byte {
	s, f, r := g.spec, t.fam, t.rev
	az := s.Region + string(rune('a'+t.az))
	subnet := "subnet-" + hashHex(s.Seed, 17, "subnet", s.Region, az)
	attachmentID := uuid(s.Seed, "attachment", t.arn)
	at := t.at(stage)

	d := taskDetail{
		Attributes:        []attributeValue{{"ecs.cpu-architecture", "x86_64"}},
		AvailabilityZone:  az,
		ClusterArn:        fmt.Sprintf("arn:%s:ecs:%s:%s:cluster/%s", g.partition, s.Region, s.Account, f.cluster),
		CPU:               r.td.CPU,
		CreatedAt:         apiTime(t.life.provisioning),
		DesiredStatus:     "RUNNING",
		EphemeralStorage:  ephemeralStorage{SizeInGiB: 20},
		Group:             t.group(),
		LaunchType:        "FARGATE",
		LastStatus:        []string{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "RUNNING", "DEPROVISIONING", "STOPPED"}[stage],
		Memory:            r.td.Memory,
		PlatformVersion:   "1.4.0",
		PlatformFamily:    "Linux",
		StartedBy:         t.startedBy(),
		TaskArn:           t.arn,
		TaskDefinitionArn: r.arn,
		UpdatedAt:         apiTime(at),
		Version:           stage + 1,
	}
	if f.arm {
		d.Attributes[0].Value = "arm64"
	}
	eni := taskAttachment{ID: attachmentID, Type: "eni", Status: "PRECREATED", Details: []attributeValue{{"subnetId", subnet}}}
	if stage >= stagePending {
		dns := "ip-" + strings.ReplaceAll(t.ip, ".", "-") + "." + s.Region + ".compute.internal"
		if s.Region == "us-east-1" {
			dns = "ip-" + strings.ReplaceAll(t.ip, ".", "-") + ".ec2.internal"
		}
		eni.Status = "ATTACHED"
		eni.Details = append(eni.Details, attributeValue{"networkInterfaceId", t.eni}, attributeValue{"macAddress", t.mac},
			attributeValue{"privateDnsName", dns}, attributeValue{"privateIPv4Address", t.ip})
		d.Connectivity, d.ConnectivityAt = "CONNECTED", apiTime(t.life.pending)
	}
	switch stage {
	case stageDeprovisioning:
		eni.Status = "DETACHING"
	case stageStopped:
		eni.Status = "DELETED"
	}
	d.Attachments = []taskAttachment{eni}
	if stage >= stageActivating {
		d.PullStartedAt, d.PullStoppedAt = apiTime(t.life.pullStarted), apiTime(t.life.pullStopped)
	}
	if stage >= stageRunning {
		d.StartedAt = apiTime(t.life.running)
	}
	if stage >= stageStopping {
		d.DesiredStatus = "STOPPED"
		d.StoppingAt = apiTime(t.life.stopping)
		switch t.stopWhy {
		case stopJobDone:
			d.StopCode, d.StoppedReason = "EssentialContainerExited", "Essential container in task exited"
		default:
			d.StopCode, d.StoppedReason = "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment "+r.deployment+")"
		}
	}
	if stage >= stageDeprovisioning {
		d.ExecutionStoppedAt = apiTime(t.life.executionStopped)
	}
	if stage == stageStopped {
		d.StoppedAt = apiTime(t.life.stopped)
	}

	for i, c := range r.td.ContainerDefinitions {
		tc := taskContainer{
			ContainerArn: fmt.Sprintf("arn:%s:ecs:%s:%s:container/%s/%s/%s", g.partition, s.Region, s.Account, f.cluster, t.id,
				uuid(s.Seed, "container", t.arn, c.Name)),
			LastStatus:        "PENDING",
			Name:              c.Name,
			Image:             c.Image,
			TaskArn:           t.arn,
			NetworkInterfaces: []networkInterface{},
			CPU:               fmt.Sprint(c.CPU),
		}
		if c.Memory > 0 {
			tc.Memory = fmt.Sprint(c.Memory)
		}
		if c.MemoryReservation > 0 {
			tc.MemoryReservation = fmt.Sprint(c.MemoryReservation)
		}
		if stage >= stagePending {
			tc.NetworkInterfaces = []networkInterface{{AttachmentID: attachmentID, PrivateIpv4Address: t.ip}}
		}
		if stage >= stageActivating {
			tc.ImageDigest = imageDigest(s.Seed, c.Image)
		}
		if stage >= stageRunning {
			tc.LastStatus, tc.RuntimeID = "RUNNING", t.runtime[i]
		}
		if stage >= stageDeprovisioning || (stage == stageStopping && t.stopWhy == stopJobDone) {
			tc.LastStatus, tc.ExitCode = "STOPPED", ptr(0)
		}
		d.Containers = append(d.Containers, tc)
		d.Overrides.ContainerOverrides = append(d.Overrides.ContainerOverrides, containerOverride{c.Name})
	}

	return g.marshal(envelope{
		Version:    "0",
		ID:         uuid(s.Seed, "event", t.arn, fmt.Sprint(stage)),
		DetailType: recordtask.EventDetailType,
		Source:     recordtask.EventSource,
		Account:    s.Account,
		Time:       at.UTC().Truncate(time.Second).Format(time.RFC3339),
		Region:     s.Region,
		Resources:  []string{t.arn},
		Detail:     d,
	})
}

// imageDigest is the digest ECS reports for an image: the reference's own,
// or the one its tag resolved to.
func imageDigest(seed int64, ref string) string {
	if _, digest, ok := strings.Cut(ref, "@"); ok {
		return digest
	}
	return "sha256:" + hashHex(seed, 64, "pulled", ref)
}

// CloudTrail's record of RegisterTaskDefinition.
type trailDetail struct {
	EventVersion       string           `json:"eventVersion"`
	UserIdentity       userIdentity     `json:"userIdentity"`
	EventTime          string           `json:"eventTime"`
	EventSource        string           `json:"eventSource"`
	EventName          string           `json:"eventName"`
	AWSRegion          string           `json:"awsRegion"`
	SourceIPAddress    string           `json:"sourceIPAddress"`
	UserAgent          string           `json:"userAgent"`
	RequestParameters  registerRequest  `json:"requestParameters"`
	ResponseElements   registerResponse `json:"responseElements"`
	RequestID          string           `json:"requestID"`
	EventID            string           `json:"eventID"`
	ReadOnly           bool             `json:"readOnly"`
	EventType          string           `json:"eventType"`
	ManagementEvent    bool             `json:"managementEvent"`
	RecipientAccountID string           `json:"recipientAccountId"`
	EventCategory      string           `json:"eventCategory"`
	TLSDetails         tlsDetails       `json:"tlsDetails"`
}

type userIdentity struct {
	Type           string         `json:"type"`
	PrincipalID    string         `json:"principalId"`
	ARN            string         `json:"arn"`
	AccountID      string         `json:"accountId"`
	AccessKeyID    string         `json:"accessKeyId"`
	SessionContext sessionContext `json:"sessionContext"`
}

type sessionContext struct {
	SessionIssuer struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
		ARN         string `json:"arn"`
		AccountID   string `json:"accountId"`
		UserName    string `json:"userName"`
	} `json:"sessionIssuer"`
	Attributes struct {
		CreationDate     string `json:"creationDate"`
		MFAAuthenticated string `json:"mfaAuthenticated"`
	} `json:"attributes"`
}

type registerRequest struct {
	Family                  string          `json:"family"`
	TaskRoleArn             string          `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string          `json:"executionRoleArn"`
	NetworkMode             string          `json:"networkMode"`
	ContainerDefinitions    []containerCore `json:"containerDefinitions"`
	RequiresCompatibilities []string        `json:"requiresCompatibilities"`
	CPU                     string          `json:"cpu"`
	Memory                  string          `json:"memory"`
	RuntimePlatform         runtimePlatform `json:"runtimePlatform"`
	Tags                    []tag           `json:"tags,omitempty"`
}

type registerResponse struct {
	TaskDefinition taskDefinition `json:"taskDefinition"`
	Tags           []tag          `json:"tags"`
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// registrationEvent is CloudTrail's record of the call that registered r,
// as EventBridge delivers it.
func (g *gen) registrationEvent(r *revision, tags map[string]string) []byte {
	s, td := g.spec, r.td
	const roleName, session = "github-actions-deploy", "deploy-pipeline"
	roleID := "AROA" + strings.ToUpper(hashHex(s.Seed, 17, "role", roleName))

	var tagList []tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		tagList = append(tagList, tag{k, tags[k]})
	}
	req := registerRequest{
		Family: td.Family, TaskRoleArn: td.TaskRoleArn, ExecutionRoleArn: td.ExecutionRoleArn, NetworkMode: td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities, CPU: td.CPU, Memory: td.Memory, RuntimePlatform: td.RuntimePlatform,
		Tags: tagList,
	}
	for _, c := range td.ContainerDefinitions {
		req.ContainerDefinitions = append(req.ContainerDefinitions, c.containerCore)
	}
	// CloudTrail writes the response's times its own way.
	td.RegisteredAt = r.registeredAt.UTC().Format("Jan 2, 2006, 3:04:05 PM")
	if tagList == nil {
		tagList = []tag{}
	}

	d := trailDetail{
		EventVersion: "1.09",
		UserIdentity: userIdentity{
			Type: "AssumedRole", PrincipalID: roleID + ":" + session, ARN: r.registeredBy, AccountID: s.Account,
			AccessKeyID: "ASIAIOSFODNN7EXAMPLE",
		},
		EventTime:          r.registeredAt.UTC().Truncate(time.Second).Format(time.RFC3339),
		EventSource:        recordtask.CloudTrailEventSource,
		EventName:          recordtask.RegisterEventName,
		AWSRegion:          s.Region,
		SourceIPAddress:    "203.0.113.24",
		UserAgent:          "aws-cli/2.22.8 md/awscrt#0.23.4 ua/2.1 os/linux#6.8.0-1017-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/command#ecs.register-task-definition",
		RequestParameters:  req,
		ResponseElements:   registerResponse{TaskDefinition: td, Tags: tagList},
		RequestID:          uuid(s.Seed, "request", r.arn),
		EventID:            uuid(s.Seed, "trail", r.arn),
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: s.Account,
		EventCategory:      "Management",
		TLSDetails: tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			ClientProvidedHostHeader: "ecs." + s.Region + ".amazonaws.com"},
	}
	si := &d.UserIdentity.SessionContext.SessionIssuer
	si.Type, si.PrincipalID, si.AccountID, si.UserName = "Role", roleID, s.Account, roleName
	si.ARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", g.partition, s.Account, roleName)
	at := &d.UserIdentity.SessionContext.Attributes
	at.CreationDate, at.MFAAuthenticated = r.registeredAt.Add(-14*time.Second).UTC().Truncate(time.Second).Format(time.RFC3339), "false"

	return g.marshal(envelope{
		Version:    "0",
		ID:         uuid(s.Seed, "event", r.arn),
		DetailType: recordtask.CloudTrailDetailType,
		Source:     recordtask.EventSource,
		Account:    s.Account,
		Time:       d.EventTime,
		Region:     s.Region,
		Resources:  []string{},
		Detail:     d,
	})
}

// original is an event before delivery: when it happened and whose it is.
type original struct {
	at   time.Time
	seq  int
	task *task // nil for a registration
	json []byte
}

// deliver writes every event, puts them in delivery order — by time, then a
// few of a task's adjacent events swapped, then a few delivered again a
// few positions later — and names them.
func (g *gen) deliver() ([]Event, Counts, error) {
	s := g.spec
	var list []original
	var c Counts
	add := func(at time.Time, t *task, b []byte) {
		list = append(list, original{at: at, seq: len(list), task: t, json: b})
	}
	if s.Registrations {
		for _, f := range g.families {
			for _, r := range f.revs {
				add(r.registeredAt, nil, g.registrationEvent(r, g.tdTags(f)))
				c.Registrations++
			}
		}
	}
	var stages []int
	for _, st := range s.Statuses {
		stages = append(stages, slices.Index(StartStatuses, st))
	}
	for _, t := range g.tasks {
		for _, stage := range stages {
			add(t.at(stage), t, g.taskEvent(t, stage))
			c.StateChanges++
		}
		if t.stops {
			for stage := stageStopping; stage <= stageStopped; stage++ {
				add(t.at(stage), t, g.taskEvent(t, stage))
				c.StateChanges++
				c.StopEvents++
			}
		}
	}
	if g.err != nil {
		return nil, Counts{}, g.err
	}
	slices.SortStableFunc(list, func(a, b original) int {
		if n := a.at.Compare(b.at); n != 0 {
			return n
		}
		return a.seq - b.seq
	})

	rng := newRand(s.Seed, streamDelivery)
	c.OutOfOrder = swapAdjacent(list, s.OutOfOrder, rng.Perm)

	// Redeliveries: round(Redelivery × n) events, each delivered again 1 to
	// 20 positions after the first delivery.
	n := len(list)
	k := int(math.Round(s.Redelivery * float64(n)))
	again := make([][]int, n) // again[j]: events delivered again after list[j]
	for _, i := range rng.Perm(n)[:k] {
		j := min(i+1+rng.IntN(20), n-1)
		again[j] = append(again[j], i)
	}
	c.Redelivered = k

	events := make([]Event, 0, n+k)
	emit := func(b []byte) {
		events = append(events, Event{Name: fmt.Sprintf("fleet#%06d", len(events)+1), JSON: b})
	}
	for j, o := range list {
		emit(o.json)
		for _, i := range again[j] {
			emit(bytes.Clone(list[i].json))
		}
	}
	return events, c, nil
}

// swapAdjacent swaps the delivery positions of round(fraction × pairs) of
// the tasks' adjacent event pairs, no event in two swaps, and returns how
// many it swapped.
func swapAdjacent(list []original, fraction float64, perm func(int) []int) int {
	positions := map[*task][]int{}
	var order []*task
	for i, o := range list {
		if o.task == nil {
			continue
		}
		if _, seen := positions[o.task]; !seen {
			order = append(order, o.task)
		}
		positions[o.task] = append(positions[o.task], i)
	}
	type pair struct{ a, b int }
	var pairs []pair
	for _, t := range order {
		p := positions[t]
		for i := 0; i+1 < len(p); i++ {
			pairs = append(pairs, pair{p[i], p[i+1]})
		}
	}
	want := int(math.Round(fraction * float64(len(pairs))))
	used := make([]bool, len(list))
	swapped := 0
	for _, i := range perm(len(pairs)) {
		if swapped == want {
			break
		}
		p := pairs[i]
		if used[p.a] || used[p.b] {
			continue
		}
		used[p.a], used[p.b] = true, true
		list[p.a], list[p.b] = list[p.b], list[p.a]
		swapped++
	}
	return swapped
}

// tdTags are the tags of the family's task definitions.
func (g *gen) tdTags(f *family) map[string]string {
	tags := map[string]string{"environment": f.cluster}
	if f.owner {
		tags["owner"] = f.team
	}
	return tags
}
