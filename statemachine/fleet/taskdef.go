package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

// The ECS API's JSON shapes (describe-task-definition), with the members in
// the order the API prints them.

type taskDefinition struct {
	TaskDefinitionArn       string                `json:"taskDefinitionArn"`
	ContainerDefinitions    []containerDefinition `json:"containerDefinitions"`
	Family                  string                `json:"family"`
	TaskRoleArn             string                `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string                `json:"executionRoleArn"`
	NetworkMode             string                `json:"networkMode"`
	Revision                int                   `json:"revision"`
	Volumes                 []struct{}            `json:"volumes"`
	Status                  string                `json:"status"`
	RequiresAttributes      []attribute           `json:"requiresAttributes"`
	PlacementConstraints    []struct{}            `json:"placementConstraints"`
	Compatibilities         []string              `json:"compatibilities"`
	RuntimePlatform         runtimePlatform       `json:"runtimePlatform"`
	RequiresCompatibilities []string              `json:"requiresCompatibilities"`
	CPU                     string                `json:"cpu"`
	Memory                  string                `json:"memory"`
	RegisteredAt            string                `json:"registeredAt"`
	RegisteredBy            string                `json:"registeredBy"`
}

// containerCore is a container definition as RegisterTaskDefinition takes
// it; containerDefinition adds what the API fills in.
type containerCore struct {
	Name                   string            `json:"name"`
	Image                  string            `json:"image"`
	CPU                    int               `json:"cpu"`
	Memory                 int               `json:"memory,omitempty"`
	MemoryReservation      int               `json:"memoryReservation,omitempty"`
	PortMappings           []portMapping     `json:"portMappings"`
	Essential              bool              `json:"essential"`
	Environment            []nameValue       `json:"environment"`
	Secrets                []secret          `json:"secrets,omitempty"`
	LinuxParameters        *linuxParameters  `json:"linuxParameters,omitempty"`
	User                   string            `json:"user,omitempty"`
	ReadonlyRootFilesystem *bool             `json:"readonlyRootFilesystem,omitempty"`
	LogConfiguration       *logConfiguration `json:"logConfiguration,omitempty"`
	HealthCheck            *healthCheck      `json:"healthCheck,omitempty"`
}

type containerDefinition struct {
	containerCore
	MountPoints    []struct{} `json:"mountPoints"`
	VolumesFrom    []struct{} `json:"volumesFrom"`
	SystemControls []struct{} `json:"systemControls"`
}

type portMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"`
	Protocol      string `json:"protocol"`
	Name          string `json:"name,omitempty"`
	AppProtocol   string `json:"appProtocol,omitempty"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

type linuxParameters struct {
	Capabilities       *capabilities `json:"capabilities,omitempty"`
	InitProcessEnabled bool          `json:"initProcessEnabled,omitempty"`
}

type capabilities struct {
	Add  []string `json:"add"`
	Drop []string `json:"drop"`
}

type logConfiguration struct {
	LogDriver     string            `json:"logDriver"`
	Options       map[string]string `json:"options"`
	SecretOptions []struct{}        `json:"secretOptions"`
}

type healthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

type attribute struct {
	Name string `json:"name"`
}

type runtimePlatform struct {
	CPUArchitecture       string `json:"cpuArchitecture"`
	OperatingSystemFamily string `json:"operatingSystemFamily"`
}

// containerNames are the names of the family's containers, main first.
func (f *family) containerNames() []string {
	if f.sidecar != nil {
		return []string{f.name, f.sidecar.name}
	}
	return []string{f.name}
}

// port is the main container's port (0 for a standalone family).
func (f *family) port() int {
	if !f.service {
		return 0
	}
	return []int{8080, 8080, 3000, 8443, 80}[len(f.name)%5]
}

// apiTime is how the world file writes a time (RFC 3339, milliseconds).
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// buildTaskDefinition writes the revision's task definition.
func (g *gen) buildTaskDefinition(r *revision) {
	s, f, t := g.spec, r.fam, r.fam.traits
	role := func(name string) string { return fmt.Sprintf("arn:%s:iam::%s:role/%s", g.partition, s.Account, name) }

	main := containerCore{
		Name:         f.name,
		Image:        f.main.at(r.index).ref(s.Seed),
		PortMappings: []portMapping{},
		Essential:    true,
		User:         t.user,
	}
	if f.profile == Hardened {
		main.CPU, main.Memory = f.cpu, f.mem
	}
	if p := f.port(); p > 0 {
		main.PortMappings = []portMapping{{ContainerPort: p, HostPort: p, Protocol: "tcp", Name: fmt.Sprintf("%s-%d-tcp", f.name, p), AppProtocol: "http"}}
		main.Environment = []nameValue{{"PORT", fmt.Sprint(p)}, {"LOG_LEVEL", "info"}, {"APP_ENV", f.cluster}}
	} else {
		main.Environment = []nameValue{{"JOB_NAME", f.name}, {"LOG_LEVEL", "info"}, {"APP_ENV", f.cluster}}
	}
	if t.secrets {
		main.Secrets = []secret{{"DB_PASSWORD", fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s/db-%s",
			g.partition, s.Region, s.Account, f.name, hashHex(s.Seed, 6, "secret", f.name))}}
	}
	if t.dropAll || t.initProcess {
		main.LinuxParameters = &linuxParameters{InitProcessEnabled: t.initProcess}
		if t.dropAll {
			main.LinuxParameters.Capabilities = &capabilities{Add: []string{}, Drop: []string{"ALL"}}
		}
	}
	switch {
	case t.readonly:
		main.ReadonlyRootFilesystem = ptr(true)
	case t.readonlyFalse:
		main.ReadonlyRootFilesystem = ptr(false)
	}
	logs := func(prefix string) *logConfiguration {
		if !t.logs {
			return nil
		}
		l := &logConfiguration{LogDriver: "awslogs", SecretOptions: []struct{}{}, Options: map[string]string{
			"awslogs-group": "/ecs/" + f.name, "awslogs-region": s.Region, "awslogs-stream-prefix": prefix,
		}}
		if t.nonBlocking {
			l.Options["mode"], l.Options["max-buffer-size"] = "non-blocking", "25m"
		}
		return l
	}
	main.LogConfiguration = logs("ecs")
	if t.health {
		check := fmt.Sprintf("curl -fsS http://localhost:%d/health || exit 1", f.port())
		if !f.service {
			check = "test -f /tmp/healthy || exit 1"
		}
		main.HealthCheck = &healthCheck{Command: []string{"CMD-SHELL", check}, Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 10}
	}
	containers := []containerDefinition{withDefaults(main)}
	if sc := f.sidecar; sc != nil {
		side := containerCore{
			Name: sc.name, Image: sc.image.ref(s.Seed), MemoryReservation: 128, Essential: false,
			PortMappings: []portMapping{{ContainerPort: sc.port, HostPort: sc.port, Protocol: "tcp"}},
			Environment:  []nameValue{}, LogConfiguration: logs(sc.name),
		}
		containers = append(containers, withDefaults(side))
	}

	td := taskDefinition{
		TaskDefinitionArn:       r.arn,
		ContainerDefinitions:    containers,
		Family:                  f.name,
		TaskRoleArn:             role(f.name + "-task"),
		ExecutionRoleArn:        role(f.name + "-exec"),
		NetworkMode:             "awsvpc",
		Revision:                r.number,
		Volumes:                 []struct{}{},
		Status:                  "ACTIVE",
		PlacementConstraints:    []struct{}{},
		Compatibilities:         []string{"EC2", "FARGATE"},
		RuntimePlatform:         runtimePlatform{CPUArchitecture: "X86_64", OperatingSystemFamily: "LINUX"},
		RequiresCompatibilities: []string{"FARGATE"},
		CPU:                     fmt.Sprint(f.cpu),
		Memory:                  fmt.Sprint(f.mem),
		RegisteredAt:            apiTime(r.registeredAt),
		RegisteredBy:            r.registeredBy,
	}
	if f.arm {
		td.RuntimePlatform.CPUArchitecture = "ARM64"
	}
	switch {
	case t.sharedRole:
		td.TaskRoleArn, td.ExecutionRoleArn = role("ecsTaskExecutionRole"), role("ecsTaskExecutionRole")
	case t.noTaskRole:
		td.TaskRoleArn, td.ExecutionRoleArn = "", role("ecsTaskExecutionRole")
	}
	td.RequiresAttributes = requiresAttributes(td)
	r.td = td
	r.raw = g.marshal(td)
}

func withDefaults(c containerCore) containerDefinition {
	return containerDefinition{containerCore: c, MountPoints: []struct{}{}, VolumesFrom: []struct{}{}, SystemControls: []struct{}{}}
}

func ptr[T any](v T) *T { return &v }

// requiresAttributes are the capabilities ECS derives from a task
// definition.
func requiresAttributes(td taskDefinition) []attribute {
	names := []string{"com.amazonaws.ecs.capability.docker-remote-api.1.18"}
	add := func(ok bool, more ...string) {
		if ok {
			names = append(names, more...)
		}
	}
	main := td.ContainerDefinitions[0]
	add(main.LogConfiguration != nil, "com.amazonaws.ecs.capability.logging-driver.awslogs", "ecs.capability.execution-role-awslogs",
		"com.amazonaws.ecs.capability.docker-remote-api.1.19")
	add(strings.Contains(main.Image, ".dkr.ecr."), "com.amazonaws.ecs.capability.ecr-auth", "ecs.capability.execution-role-ecr-pull")
	add(td.TaskRoleArn != "", "com.amazonaws.ecs.capability.task-iam-role")
	add(main.HealthCheck != nil, "ecs.capability.container-health-check")
	add(len(main.Secrets) > 0, "ecs.capability.secrets.asm.environment-variables")
	add(main.LinuxParameters != nil && main.LinuxParameters.InitProcessEnabled, "com.amazonaws.ecs.capability.docker-remote-api.1.25")
	add(true, "ecs.capability.task-eni")
	out := make([]attribute, len(names))
	for i, n := range names {
		out[i] = attribute{n}
	}
	return out
}

// world is the account: task definitions, services with their deployments
// (and a scalable target for the busier ones), tags.
func (g *gen) world() inmemory.World {
	s := g.spec
	w := inmemory.World{
		Account: s.Account, Region: s.Region,
		TaskDefinitions: []json.RawMessage{}, Services: []inmemory.WorldService{},
		Tags: map[string]map[string]string{},
	}
	for _, f := range g.families {
		for _, r := range f.revs {
			w.TaskDefinitions = append(w.TaskDefinitions, json.RawMessage(r.raw))
			w.Tags[r.arn] = g.tdTags(f)
		}
		if !f.service {
			continue
		}
		latest := f.revs[len(f.revs)-1]
		svc := inmemory.WorldService{
			Cluster: f.cluster, ServiceName: f.name, DesiredCount: int32(f.desired), TaskDefinition: latest.arn,
			Deployments: []inmemory.WorldDeployment{{ID: latest.deployment, TaskDefinition: latest.arn, Status: "PRIMARY"}},
		}
		if f.rolled {
			old := f.revs[0]
			svc.Deployments = append(svc.Deployments, inmemory.WorldDeployment{ID: old.deployment, TaskDefinition: old.arn, Status: "ACTIVE"})
		}
		if f.desired >= 4 {
			svc.AutoScaling = &inmemory.WorldAutoScaling{MinCapacity: int32(f.desired / 2), MaxCapacity: int32(f.desired * 3)}
		}
		w.Services = append(w.Services, svc)
		w.Tags[g.serviceArn(f)] = map[string]string{"environment": f.cluster, "managed-by": "terraform"}
	}
	return w
}

func (g *gen) serviceArn(f *family) string {
	return fmt.Sprintf("arn:%s:ecs:%s:%s:service/%s/%s", g.partition, g.spec.Region, g.spec.Account, f.cluster, f.name)
}

// marshal encodes v as compact JSON without HTML escaping, as AWS writes
// it. The first error (none is expected: every value is made of strings,
// numbers, bools, slices and string maps) is kept in g.err.
func (g *gen) marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if g.err == nil {
			g.err = fmt.Errorf("fleet: encode %T: %w", v, err)
		}
		return nil
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
