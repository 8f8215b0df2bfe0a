// Package fleet generates realistic ECS fleets for tests and for the replay
// benchmark: an account's task definitions and services (a world file, see
// inmemory.World) and the events EventBridge delivers for them — ECS Task
// State Changes of service and standalone tasks, task definition revisions
// rolling mid-stream, optionally CloudTrail's RegisterTaskDefinition and the
// stop statuses, with redeliveries and out-of-order statuses as ECS sends
// them. The same Spec (seed included) gives the same bytes.
//
// The fleet is shaped for the judgement economics: most task definitions
// have warn-level findings under the default policy (no read-only root
// filesystem, no user, blocking awslogs, no health check, a missing owner
// tag…), a few are fully hardened (ECR image pinned by digest, non-root
// user, read-only root filesystem, logging, owner tag), and the Violating
// ones run images from Docker Hub or ghcr.io (deny-level). A few busy
// services start most of the tasks.
package fleet

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

// None, in a count or fraction of Spec whose zero value means its default
// (Services, Violating, Redelivery, OutOfOrder), asks for none.
const None = -1

// Defaults of a Spec's zero fields.
const (
	DefaultAccount    = "123456789012"
	DefaultRegion     = "us-east-1"
	DefaultServices   = 16
	DefaultTaskStarts = 800
	DefaultViolating  = 2
	DefaultRedelivery = 0.1
	DefaultOutOfOrder = 0.05
	DefaultSpan       = 30 * 24 * time.Hour
)

// DefaultStart is when a fleet's events start by default (a fixed time, so
// that a seed gives the same events every day).
var DefaultStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// DefaultClusters are the clusters families run in by default.
var DefaultClusters = []string{"prod", "staging"}

// StartStatuses are the statuses ECS sends for a Fargate task on its way to
// RUNNING (desiredStatus RUNNING), in order: the default Spec.Statuses.
var StartStatuses = []string{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"}

// StopStatuses are the statuses of a stopping task (desiredStatus STOPPED),
// in order, sent with Spec.StopEvents. The deployed rule filters them out.
var StopStatuses = []string{"RUNNING", "DEPROVISIONING", "STOPPED"}

// Limits on a Spec, so that a typo cannot ask for gigabytes.
const (
	MaxFamilies   = 1000
	MaxTaskStarts = 100_000
	MinSpan       = time.Hour
	MaxSpan       = 10 * 365 * 24 * time.Hour
)

// Spec describes a fleet. Zero fields take the defaults; a negative count or
// fraction is an error, except None where it is allowed.
type Spec struct {
	// Seed makes the fleet: the same Spec gives the same bytes.
	Seed int64
	// Account and Region of every ARN (default 123456789012, us-east-1).
	Account, Region string
	// Clusters the families run in (default prod, staging): each family in
	// one, the first cluster taking half of them plus its share of the rest.
	Clusters []string
	// Services is the number of services, each with its own task
	// definition family of the same name (0: 16; None: no service).
	Services int
	// Standalone is the number of families run as standalone tasks
	// (scheduled RunTask: group "family:NAME", startedBy
	// "events-rule/NAME-schedule"); default 0.
	Standalone int
	// TaskStarts is the number of tasks started across the fleet (default
	// 800). Every family starts at least one task, a rolled one two.
	TaskStarts int
	// Rolls is the number of families that roll to a new revision
	// mid-stream: revision N+1 is registered, the service's new deployment
	// runs it, and the family's later tasks run it (default 0).
	Rolls int
	// Violating is the number of families whose images come from an
	// unapproved registry (Docker Hub, ghcr.io): deny-level under the
	// default policy (0: 2; None: none).
	Violating int
	// Redelivery is the fraction of events delivered a second time (exactly
	// round(Redelivery × events)), the copy 1 to 20 positions later, byte
	// for byte the same (0: 0.1; None: none).
	Redelivery float64
	// OutOfOrder is the fraction of the tasks' pairs of adjacent events
	// delivered swapped (exactly round(OutOfOrder × pairs) while pairs that
	// share no event are left: at 1, about half of them); 0: 0.05; None:
	// none.
	OutOfOrder float64
	// Statuses are the statuses sent per task start, a subsequence of
	// StartStatuses (default: all four, as ECS sends them for Fargate). An
	// event's detail.version is its status's place in ECS's sequence (1 for
	// PROVISIONING … 4 for RUNNING, 5 to 7 for the stop statuses), whichever
	// are sent.
	Statuses []string
	// StopEvents also sends StopStatuses (desiredStatus STOPPED) for the
	// tasks that stop within the span: standalone tasks when their job is
	// done, a rolled family's old tasks after the roll, some service tasks
	// scaled in. The deployed rule filters these out.
	StopEvents bool
	// Registrations also sends CloudTrail's "AWS API Call via CloudTrail"
	// RegisterTaskDefinition event for each revision, before its first task.
	Registrations bool
	// Start and Span: every event's time is in [Start, Start+Span]
	// (defaults DefaultStart, 30 days; Span from MinSpan to MaxSpan).
	Start time.Time
	Span  time.Duration
}

// Profile is what a family's task definitions are like under the default
// policy.
type Profile string

// The profiles.
const (
	// Hardened: no finding (ECR image pinned by digest, non-root user,
	// read-only root filesystem, all capabilities dropped, health check,
	// non-blocking awslogs, owner tag, a task role of its own).
	Hardened Profile = "hardened"
	// Typical: warn-level findings only (at least one).
	Typical Profile = "typical"
	// Violating: an image from Docker Hub or ghcr.io (deny-level), besides
	// warn-level findings.
	Violating Profile = "violating"
)

// Fleet is a generated fleet.
type Fleet struct {
	// Spec is the spec it was generated from, defaults applied.
	Spec Spec
	// World is the account: task definitions (ECS API JSON), services with
	// their deployments, and tags. It has no tasks: the events bring them.
	World inmemory.World
	// Events are the events, in delivery order.
	Events []Event
	// TaskDefinitions is the number of task definition revisions, TaskStarts
	// the number of tasks started.
	TaskDefinitions int
	TaskStarts      int
	// Families, in the order of World.TaskDefinitions.
	Families []Family
	// Tasks, in the order they were created.
	Tasks []Task
	// Counts of the events.
	Counts Counts
}

// Event is one delivered event: Name ("fleet#000123", its position in
// delivery order from 1) and its JSON (compact, one line). A redelivered
// event has the same JSON as the first delivery, under another name.
type Event struct {
	Name string
	JSON []byte
}

// Family is a task definition family of the fleet.
type Family struct {
	Name    string
	Cluster string
	// Service is the name of the family's service; "" for a standalone
	// family.
	Service string
	Profile Profile
	// Rolled is true when the family rolls to a new revision mid-stream.
	Rolled bool
	// TaskDefinitions are the ARNs of its revisions, oldest first.
	TaskDefinitions []string
	TaskStarts      int
}

// Task is one task the fleet starts.
type Task struct {
	TaskArn           string
	Cluster           string
	Family            string
	TaskDefinitionArn string
	// Group is "service:NAME" or "family:NAME".
	Group string
	// StartedBy is the service deployment's id (ecs-svc/…) or the
	// scheduling rule (events-rule/…).
	StartedBy string
	// Stops is true when the events include its stop statuses.
	Stops bool
}

// Counts are what the events are made of.
type Counts struct {
	// StateChanges are the ECS Task State Changes, first deliveries only;
	// StopEvents are those among them with desiredStatus STOPPED.
	StateChanges int
	StopEvents   int
	// Registrations are the CloudTrail RegisterTaskDefinition events, first
	// deliveries only.
	Registrations int
	// Redelivered events were delivered twice; OutOfOrder pairs of a task's
	// adjacent events were delivered in the wrong order.
	Redelivered int
	OutOfOrder  int
}

// Summary is a one-line description of the fleet.
func (f Fleet) Summary() string {
	var services, standalone, violating, hardened, rolled int
	for _, fam := range f.Families {
		if fam.Service != "" {
			services++
		} else {
			standalone++
		}
		switch fam.Profile {
		case Violating:
			violating++
		case Hardened:
			hardened++
		}
		if fam.Rolled {
			rolled++
		}
	}
	c := f.Counts
	return fmt.Sprintf("%d task definitions (%d services, %d standalone; %d violating, %d hardened, %d rolled), "+
		"%d task starts, %d events (%d task state changes of which %d stops, %d registrations, %d redelivered, %d out of order), seed %d",
		f.TaskDefinitions, services, standalone, violating, hardened, rolled,
		f.TaskStarts, len(f.Events), c.StateChanges, c.StopEvents, c.Registrations, c.Redelivered, c.OutOfOrder, f.Spec.Seed)
}

// resolve applies the defaults to s and checks that the fleet it describes
// can exist.
func (s Spec) resolve() (Spec, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if s.Account == "" {
		s.Account = DefaultAccount
	}
	if !contract.ValidAccount(s.Account) {
		bad("account %q is not a 12-digit AWS account id", s.Account)
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if !contract.ValidRegion(s.Region) {
		bad("region %q is not an AWS region name", s.Region)
	}
	if len(s.Clusters) == 0 {
		s.Clusters = DefaultClusters
	}
	s.Clusters = slices.Clone(s.Clusters)
	for i, c := range s.Clusters {
		if !contract.ValidName(c) {
			bad("cluster %q is not 1-255 letters, digits, hyphens and underscores", c)
		}
		if slices.Contains(s.Clusters[:i], c) {
			bad("cluster %q is listed twice", c)
		}
	}

	count := func(name string, v *int, def int, noneOK bool) {
		switch {
		case *v == 0:
			*v = def
		case *v == None && noneOK:
			*v = 0
		case *v < 0:
			bad("%s is %d: a count cannot be negative", name, *v)
			*v = 0
		}
	}
	count("Services", &s.Services, DefaultServices, true)
	count("Standalone", &s.Standalone, 0, true)
	count("TaskStarts", &s.TaskStarts, DefaultTaskStarts, false)
	count("Rolls", &s.Rolls, 0, true)
	count("Violating", &s.Violating, DefaultViolating, true)
	fraction := func(name string, v *float64, def float64) {
		switch {
		case *v == 0:
			*v = def
		case *v == None:
			*v = 0
		case math.IsNaN(*v) || *v < 0 || *v > 1:
			bad("%s is %v: a fraction is between 0 and 1", name, *v)
			*v = 0
		}
	}
	fraction("Redelivery", &s.Redelivery, DefaultRedelivery)
	fraction("OutOfOrder", &s.OutOfOrder, DefaultOutOfOrder)

	families := s.Services + s.Standalone
	switch {
	case families == 0:
		bad("no families: Services and Standalone are both none")
	case families > MaxFamilies:
		bad("%d families (Services %d + Standalone %d) is over the limit of %d", families, s.Services, s.Standalone, MaxFamilies)
	}
	if s.Violating > families {
		bad("Violating is %d, but there are only %d families", s.Violating, families)
	}
	if s.Rolls > families {
		bad("Rolls is %d, but there are only %d families", s.Rolls, families)
	}
	if s.TaskStarts > MaxTaskStarts {
		bad("TaskStarts %d is over the limit of %d", s.TaskStarts, MaxTaskStarts)
	}
	if need := families + min(s.Rolls, families); families > 0 && s.TaskStarts < need {
		bad("TaskStarts is %d, but %d families need at least %d (one task each, two for each of the %d rolled)",
			s.TaskStarts, families, need, s.Rolls)
	}

	if len(s.Statuses) == 0 {
		s.Statuses = StartStatuses
	}
	s.Statuses = slices.Clone(s.Statuses)
	last := -1
	for _, st := range s.Statuses {
		i := slices.Index(StartStatuses, st)
		switch {
		case i < 0:
			bad("status %q is not one ECS sends on the way to RUNNING (%s)", st, strings.Join(StartStatuses, ", "))
		case i <= last:
			bad("statuses %s are not in ECS's order (%s), or one is listed twice", strings.Join(s.Statuses, ", "), strings.Join(StartStatuses, ", "))
		default:
			last = i
		}
	}

	if s.Start.IsZero() {
		s.Start = DefaultStart
	}
	s.Start = s.Start.UTC()
	if s.Span == 0 {
		s.Span = DefaultSpan
	}
	switch {
	case s.Span < MinSpan:
		bad("Span %v is shorter than %v", s.Span, MinSpan)
	case s.Span > MaxSpan:
		bad("Span %v is longer than %v (ten years)", s.Span, MaxSpan)
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("fleet: %w", errors.Join(errs...))
	}
	return s, nil
}
