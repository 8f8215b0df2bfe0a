package fleet_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
	"github.com/ecs-compliance/ecs-compliance/statemachine"
	"github.com/ecs-compliance/ecs-compliance/statemachine/fleet"
)

// everything is a spec that turns every feature on.
var everything = fleet.Spec{Seed: 42, Standalone: 3, Rolls: 3, StopEvents: true, Registrations: true}

// generated caches fleets by spec name: generation is cheap, but many tests
// read the same fleet.
var generated sync.Map

func generate(t *testing.T, s fleet.Spec) fleet.Fleet {
	t.Helper()
	key, _ := json.Marshal(s)
	if f, ok := generated.Load(string(key)); ok {
		return f.(fleet.Fleet)
	}
	f, err := fleet.Generate(s)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	generated.Store(string(key), f)
	return f
}

// event is what the tests read of a delivered event.
type event struct {
	name string
	raw  []byte
	env  contract.Event
	// Of a task state change:
	detail struct {
		contract.TaskDetail
		ClusterArn string `json:"clusterArn"`
		CreatedAt  string `json:"createdAt"`
		UpdatedAt  string `json:"updatedAt"`
		Version    int    `json:"version"`
		Containers []struct {
			TaskArn      string `json:"taskArn"`
			ContainerArn string `json:"containerArn"`
			Name         string `json:"name"`
			Image        string `json:"image"`
		} `json:"containers"`
	}
	// Of a registration:
	trail struct {
		ResponseElements struct {
			TaskDefinition json.RawMessage `json:"taskDefinition"`
		} `json:"responseElements"`
	}
}

func (e event) registration() bool { return e.env.DetailType == recordtask.CloudTrailDetailType }

func (e event) time(t *testing.T) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, e.env.Time)
	if err != nil {
		t.Fatalf("%s: time %q: %v", e.name, e.env.Time, err)
	}
	return at
}

func parse(t *testing.T, f fleet.Fleet) []event {
	t.Helper()
	out := make([]event, len(f.Events))
	for i, ev := range f.Events {
		e := event{name: ev.Name, raw: ev.JSON}
		dec := json.NewDecoder(bytes.NewReader(ev.JSON))
		if err := dec.Decode(&e.env); err != nil {
			t.Fatalf("%s: %v", ev.Name, err)
		}
		target := any(&e.detail)
		if e.registration() {
			target = &e.trail
		}
		if err := json.Unmarshal(e.env.Detail, target); err != nil {
			t.Fatalf("%s: detail: %v", ev.Name, err)
		}
		out[i] = e
	}
	return out
}

// firstDeliveries drops redelivered copies (same event id).
func firstDeliveries(events []event) []event {
	seen := map[string]bool{}
	var out []event
	for _, e := range events {
		if !seen[e.env.ID] {
			seen[e.env.ID] = true
			out = append(out, e)
		}
	}
	return out
}

func byTask(events []event) map[string][]event {
	out := map[string][]event{}
	for _, e := range events {
		if !e.registration() {
			out[e.detail.TaskArn] = append(out[e.detail.TaskArn], e)
		}
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := fleet.Generate(everything)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleet.Generate(everything)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(a.Events, b.Events, func(x, y fleet.Event) bool { return x.Name == y.Name && bytes.Equal(x.JSON, y.JSON) }) {
		t.Error("the same spec gave different events")
	}
	wa, _ := json.Marshal(a.World)
	wb, _ := json.Marshal(b.World)
	if !bytes.Equal(wa, wb) {
		t.Error("the same spec gave different worlds")
	}

	other := everything
	other.Seed++
	c, err := fleet.Generate(other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Events[0].JSON, c.Events[0].JSON) {
		t.Error("another seed gave the same first event")
	}
}

// Flags that add events (stops, registrations) leave the rest of the fleet
// as it was: a benchmark with and without them measures the same tasks.
func TestOptionalEventsChangeNothingElse(t *testing.T) {
	plain := everything
	plain.StopEvents, plain.Registrations = false, false
	a, b := generate(t, plain), generate(t, everything)
	wa, _ := json.Marshal(a.World)
	wb, _ := json.Marshal(b.World)
	if !bytes.Equal(wa, wb) {
		t.Error("StopEvents/Registrations changed the world")
	}
	if !slices.EqualFunc(a.Tasks, b.Tasks, func(x, y fleet.Task) bool { return x.TaskArn == y.TaskArn && x.StartedBy == y.StartedBy }) {
		t.Error("StopEvents/Registrations changed the tasks")
	}
}

func TestGenerateHoldsTheSpecsCounts(t *testing.T) {
	for name, tc := range map[string]struct {
		spec                                                 fleet.Spec
		families, services, standalone, violating, revisions int
		taskStarts                                           int
		statuses                                             []string
		redelivery, outOfOrder                               float64
	}{
		"defaults": {
			spec:     fleet.Spec{Seed: 1},
			families: 16, services: 16, violating: 2, revisions: 16, taskStarts: 800,
			statuses: fleet.StartStatuses, redelivery: 0.1, outOfOrder: 0.05,
		},
		"the issue's example: 16 services, 192 task starts, one event in ten redelivered": {
			spec:     fleet.Spec{Seed: 2, TaskStarts: 192},
			families: 16, services: 16, violating: 2, revisions: 16, taskStarts: 192,
			statuses: fleet.StartStatuses, redelivery: 0.1, outOfOrder: 0.05,
		},
		"standalone families, rolls, stops and registrations": {
			spec:     everything,
			families: 19, services: 16, standalone: 3, violating: 2, revisions: 22, taskStarts: 800,
			statuses: fleet.StartStatuses, redelivery: 0.1, outOfOrder: 0.05,
		},
		"standalone only, two statuses, no redelivery, everything out of order": {
			spec: fleet.Spec{Seed: 3, Services: fleet.None, Standalone: 4, TaskStarts: 40, Violating: fleet.None,
				Statuses: []string{"PENDING", "RUNNING"}, Redelivery: fleet.None, OutOfOrder: 1},
			families: 4, standalone: 4, revisions: 4, taskStarts: 40,
			statuses: []string{"PENDING", "RUNNING"}, outOfOrder: 1,
		},
		"every family violating and rolled, the fewest task starts": {
			spec:     fleet.Spec{Seed: 4, Services: 3, TaskStarts: 6, Violating: 3, Rolls: 3, Redelivery: 1},
			families: 3, services: 3, violating: 3, revisions: 6, taskStarts: 6,
			statuses: fleet.StartStatuses, redelivery: 1, outOfOrder: 0.05,
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := generate(t, tc.spec)
			var services, standalone, violating int
			for _, fam := range f.Families {
				if fam.Service != "" {
					services++
				} else {
					standalone++
				}
				if fam.Profile == fleet.Violating {
					violating++
				}
			}
			if len(f.Families) != tc.families || services != tc.services || standalone != tc.standalone || violating != tc.violating {
				t.Errorf("families %d (%d services, %d standalone, %d violating), want %d (%d, %d, %d)",
					len(f.Families), services, standalone, violating, tc.families, tc.services, tc.standalone, tc.violating)
			}
			if f.TaskDefinitions != tc.revisions || len(f.World.TaskDefinitions) != tc.revisions {
				t.Errorf("TaskDefinitions %d, world has %d, want %d", f.TaskDefinitions, len(f.World.TaskDefinitions), tc.revisions)
			}
			if len(f.World.Services) != tc.services {
				t.Errorf("world has %d services, want %d", len(f.World.Services), tc.services)
			}

			events := parse(t, f)
			first := firstDeliveries(events)
			tasks := byTask(first)
			if f.TaskStarts != tc.taskStarts || len(tasks) != tc.taskStarts || len(f.Tasks) != tc.taskStarts {
				t.Errorf("TaskStarts %d, tasks in the events %d, Tasks %d; want %d", f.TaskStarts, len(tasks), len(f.Tasks), tc.taskStarts)
			}
			for arn, evs := range tasks {
				var statuses []string
				for _, e := range evs {
					if e.detail.DesiredStatus == "RUNNING" {
						statuses = append(statuses, e.detail.LastStatus)
					}
				}
				slices.SortFunc(statuses, func(a, b string) int {
					return slices.Index(fleet.StartStatuses, a) - slices.Index(fleet.StartStatuses, b)
				})
				if !slices.Equal(statuses, tc.statuses) {
					t.Errorf("task %s was sent %v, want %v", arn, statuses, tc.statuses)
					break
				}
			}

			originals := len(first)
			if got, want := len(events)-originals, int(math.Round(tc.redelivery*float64(originals))); got != want || got != f.Counts.Redelivered {
				t.Errorf("%d of %d events redelivered (Counts %d), want %d (%v)", got, originals, f.Counts.Redelivered, want, tc.redelivery)
			}
			// Each swap of a task's adjacent events is one inversion of its
			// versions in delivery order.
			pairs, inversions := 0, 0
			for _, evs := range tasks {
				pairs += len(evs) - 1
				for i := 1; i < len(evs); i++ {
					if evs[i].detail.Version < evs[i-1].detail.Version {
						inversions++
					}
				}
			}
			if inversions != f.Counts.OutOfOrder {
				t.Errorf("%d inversions, Counts.OutOfOrder %d", inversions, f.Counts.OutOfOrder)
			}
			// Swaps take two events each, so at a fraction of 1 only about
			// half the pairs can be swapped.
			if want := tc.outOfOrder * float64(pairs); math.Abs(float64(inversions)-want) > 1 && !(tc.outOfOrder == 1 && inversions >= pairs/3) {
				t.Errorf("%d of %d adjacent pairs out of order, want about %.0f", inversions, pairs, want)
			}
			if got := f.Counts.StateChanges + f.Counts.Registrations; got != originals {
				t.Errorf("Counts: %d state changes + %d registrations, but %d events delivered first", f.Counts.StateChanges, f.Counts.Registrations, originals)
			}
			for i, ev := range f.Events {
				if want := fmt.Sprintf("fleet#%06d", i+1); ev.Name != want {
					t.Fatalf("event %d is named %q, want %q", i, ev.Name, want)
				}
			}
		})
	}
}

func TestBusyServicesStartMostTasks(t *testing.T) {
	f := generate(t, fleet.Spec{Seed: 1})
	starts := make([]int, 0, len(f.Families))
	for _, fam := range f.Families {
		starts = append(starts, fam.TaskStarts)
	}
	slices.Sort(starts)
	slices.Reverse(starts)
	if top := starts[0] + starts[1] + starts[2]; top*2 < f.TaskStarts {
		t.Errorf("the three busiest of 16 services start %d of %d tasks, want at least half (%v)", top, f.TaskStarts, starts)
	}
	if starts[len(starts)-1] < 1 {
		t.Errorf("a family starts no task: %v", starts)
	}
}

// Every event must get through Record task's checks (the deployed workflow
// refuses inconsistent events), and the deployed rules deliver exactly the
// start statuses and the registrations.
func TestEveryEventIsOneTheRulesDeliverAndRecordTaskAccepts(t *testing.T) {
	f := generate(t, everything)
	taskRule, trailRule := statemachine.TaskEventPattern(nil), statemachine.RegistrationEventPattern()
	for _, e := range parse(t, f) {
		toTasks, err := statemachine.MatchPattern(taskRule, e.raw)
		if err != nil {
			t.Fatal(err)
		}
		toTrail, err := statemachine.MatchPattern(trailRule, e.raw)
		if err != nil {
			t.Fatal(err)
		}
		task, parseErr := recordtask.ParseEvent(e.env)
		switch {
		case e.registration():
			if !toTrail || toTasks || parseErr != nil {
				t.Fatalf("%s: registration: trail rule %t, task rule %t, ParseEvent %v", e.name, toTrail, toTasks, parseErr)
			}
		case e.detail.DesiredStatus == "STOPPED":
			if toTasks || toTrail || parseErr == nil || !strings.Contains(parseErr.Error(), "desiredStatus") {
				t.Fatalf("%s: a stop status: task rule %t, trail rule %t, ParseEvent %v (want filtered out and refused)", e.name, toTasks, toTrail, parseErr)
			}
			continue
		default:
			if !toTasks || toTrail || parseErr != nil {
				t.Fatalf("%s: task rule %t, trail rule %t, ParseEvent %v", e.name, toTasks, toTrail, parseErr)
			}
			if task.TaskArn != e.env.Resources[0] || task.Account != e.env.Account || task.Region != e.env.Region {
				t.Fatalf("%s: task %+v, envelope resources %v account %s region %s", e.name, task, e.env.Resources, e.env.Account, e.env.Region)
			}
		}
		if e.env.Account != fleet.DefaultAccount || e.env.Region != fleet.DefaultRegion || e.env.Version != "0" || e.env.Source != "aws.ecs" {
			t.Fatalf("%s: envelope %+v", e.name, e.env)
		}
	}
}

// In another partition every ARN follows the region.
func TestARNsFollowTheRegionsPartition(t *testing.T) {
	f := generate(t, fleet.Spec{Seed: 5, Services: 2, TaskStarts: 10, Account: "210987654321", Region: "cn-north-1",
		Registrations: true, Clusters: []string{"main"}})
	for _, e := range parse(t, f) {
		if _, err := recordtask.ParseEvent(e.env); err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if !bytes.Contains(e.raw, []byte("arn:aws-cn:")) || bytes.Contains(e.raw, []byte("arn:aws:")) {
			t.Fatalf("%s: ARNs not all in aws-cn: %s", e.name, e.raw)
		}
	}
	if _, err := inmemory.Load(f.World); err != nil {
		t.Fatal(err)
	}
}

// A task's events tell one story: one task ARN, cluster, task definition,
// group, startedBy and creation time; versions rising with time; times in
// the span; a redelivery repeats its first delivery byte for byte.
func TestEachTasksEventsTellOneStory(t *testing.T) {
	f := generate(t, everything)
	start, end := f.Spec.Start, f.Spec.Start.Add(f.Spec.Span)
	events := parse(t, f)
	seen := map[string][]byte{}
	for _, e := range events {
		if prev, ok := seen[e.env.ID]; ok && !bytes.Equal(prev, e.raw) {
			t.Fatalf("%s: a redelivery of %s differs from its first delivery", e.name, e.env.ID)
		}
		seen[e.env.ID] = e.raw
		if at := e.time(t); at.Before(start) || at.After(end) {
			t.Fatalf("%s: time %s outside [%s, %s]", e.name, at, start, end)
		}
	}
	known := map[string]fleet.Task{}
	for _, task := range f.Tasks {
		known[task.TaskArn] = task
	}
	for arn, evs := range byTask(firstDeliveries(events)) {
		task, ok := known[arn]
		if !ok {
			t.Fatalf("task %s is not in Fleet.Tasks", arn)
		}
		slices.SortFunc(evs, func(a, b event) int { return a.detail.Version - b.detail.Version })
		first := evs[0].detail
		for i, e := range evs {
			d := e.detail
			if d.TaskArn != task.TaskArn || d.ClusterArn != first.ClusterArn || d.TaskDefinitionArn != task.TaskDefinitionArn ||
				d.Group != task.Group || d.StartedBy != task.StartedBy || d.CreatedAt != first.CreatedAt {
				t.Fatalf("%s: task %s: detail %+v differs from its task %+v or its first event", e.name, arn, d, task)
			}
			if !strings.HasSuffix(d.ClusterArn, ":cluster/"+task.Cluster) || !strings.Contains(arn, ":task/"+task.Cluster+"/") {
				t.Fatalf("%s: cluster %s, task %s, want cluster %s", e.name, d.ClusterArn, arn, task.Cluster)
			}
			for _, c := range d.Containers {
				if _, clusterAndID, _ := strings.Cut(arn, ":task/"); c.TaskArn != arn || !strings.Contains(c.ContainerArn, ":container/"+clusterAndID+"/") {
					t.Fatalf("%s: container %+v is not the task's", e.name, c)
				}
			}
			if i > 0 {
				prev := evs[i-1]
				if d.Version <= prev.detail.Version || !e.time(t).After(prev.time(t)) || d.UpdatedAt <= prev.detail.UpdatedAt {
					t.Fatalf("%s: version %d at %s (updated %s) after version %d at %s (updated %s)", e.name,
						d.Version, e.env.Time, d.UpdatedAt, prev.detail.Version, prev.env.Time, prev.detail.UpdatedAt)
				}
			}
		}
		if stops := slices.ContainsFunc(evs, func(e event) bool { return e.detail.DesiredStatus == "STOPPED" }); stops != task.Stops {
			t.Fatalf("task %s: stop events %t, Task.Stops %t", arn, stops, task.Stops)
		}
	}
}

func TestWorldLoadsStrictly(t *testing.T) {
	for name, s := range map[string]fleet.Spec{"defaults": {Seed: 1}, "everything": everything} {
		t.Run(name, func(t *testing.T) {
			f := generate(t, s)
			if _, err := inmemory.Load(f.World); err != nil {
				t.Fatalf("inmemory.Load: %v", err)
			}
			dir := t.TempDir()
			if err := f.WriteFiles(dir); err != nil {
				t.Fatal(err)
			}
			w, err := inmemory.ReadWorldFile(dir + "/world.json")
			if err != nil {
				t.Fatalf("ReadWorldFile: %v", err)
			}
			if len(w.TaskDefinitions) != f.TaskDefinitions || len(w.Services) != len(f.World.Services) {
				t.Errorf("read back %d task definitions and %d services, want %d and %d",
					len(w.TaskDefinitions), len(w.Services), f.TaskDefinitions, len(f.World.Services))
			}
		})
	}
}

// The scale step verifies a task's startedBy against its service's
// deployments: each service task must be started by the deployment that runs
// its revision.
func TestServiceTasksAreStartedByTheDeploymentOfTheirRevision(t *testing.T) {
	f := generate(t, everything)
	deployments := map[string]inmemory.WorldDeployment{} // by id
	for _, s := range f.World.Services {
		primary := 0
		for _, d := range s.Deployments {
			deployments[d.ID] = d
			if d.Status == "PRIMARY" {
				primary++
				if d.TaskDefinition != s.TaskDefinition {
					t.Errorf("service %s: PRIMARY deployment runs %s, the service %s", s.ServiceName, d.TaskDefinition, s.TaskDefinition)
				}
			}
			if !strings.HasPrefix(d.ID, "ecs-svc/") || len(d.ID) != len("ecs-svc/")+19 {
				t.Errorf("service %s: deployment id %q is not ecs-svc/ and 19 digits", s.ServiceName, d.ID)
			}
		}
		if primary != 1 {
			t.Errorf("service %s has %d PRIMARY deployments", s.ServiceName, primary)
		}
	}
	for _, task := range f.Tasks {
		name, isService := strings.CutPrefix(task.Group, "service:")
		if !isService {
			if !strings.HasPrefix(task.Group, "family:") || !strings.HasPrefix(task.StartedBy, "events-rule/") {
				t.Errorf("standalone task %s: group %q, startedBy %q", task.TaskArn, task.Group, task.StartedBy)
			}
			continue
		}
		d, ok := deployments[task.StartedBy]
		if !ok || d.TaskDefinition != task.TaskDefinitionArn || name != task.Family {
			t.Errorf("task %s of %s (%s) started by %q: deployment %+v", task.TaskArn, name, task.TaskDefinitionArn, task.StartedBy, d)
		}
	}
}

func TestRolledFamilyRunsItsNewRevisionAfterTheRoll(t *testing.T) {
	f := generate(t, everything)
	events := firstDeliveries(parse(t, f))
	created := map[string]string{} // task ARN → createdAt
	for _, e := range events {
		if !e.registration() {
			created[e.detail.TaskArn] = e.detail.CreatedAt
		}
	}
	rolled := 0
	for _, fam := range f.Families {
		if !fam.Rolled {
			if len(fam.TaskDefinitions) != 1 {
				t.Errorf("%s did not roll but has %d revisions", fam.Name, len(fam.TaskDefinitions))
			}
			continue
		}
		rolled++
		if len(fam.TaskDefinitions) != 2 {
			t.Fatalf("%s rolled but has %d revisions", fam.Name, len(fam.TaskDefinitions))
		}
		old, next := fam.TaskDefinitions[0], fam.TaskDefinitions[1]
		var lastOld, firstNew string
		var olds, news int
		for _, task := range f.Tasks {
			if task.Family != fam.Name {
				continue
			}
			switch at := created[task.TaskArn]; task.TaskDefinitionArn {
			case old:
				olds++
				lastOld = max(lastOld, at)
			case next:
				news++
				if firstNew == "" || at < firstNew {
					firstNew = at
				}
			default:
				t.Errorf("%s: task %s runs %s", fam.Name, task.TaskArn, task.TaskDefinitionArn)
			}
		}
		if olds == 0 || news == 0 || lastOld >= firstNew {
			t.Errorf("%s: %d tasks of %s (last created %s), %d of %s (first created %s): want the old ones all before the new ones",
				fam.Name, olds, old, lastOld, news, next, firstNew)
		}
		if fam.Service != "" {
			for _, s := range f.World.Services {
				if s.ServiceName == fam.Service && (s.TaskDefinition != next || len(s.Deployments) != 2) {
					t.Errorf("service %s runs %s with deployments %+v; want %s, the old deployment still ACTIVE", s.ServiceName, s.TaskDefinition, s.Deployments, next)
				}
			}
		}
	}
	if rolled != everything.Rolls {
		t.Errorf("%d families rolled, want %d", rolled, everything.Rolls)
	}
}

func TestRegistrationsPrecedeTheirRevisionsFirstTask(t *testing.T) {
	f := generate(t, everything)
	world := map[string]map[string]any{}
	for _, raw := range f.World.TaskDefinitions {
		var td map[string]any
		if err := json.Unmarshal(raw, &td); err != nil {
			t.Fatal(err)
		}
		world[td["taskDefinitionArn"].(string)] = td
	}
	registered := map[string]int{} // ARN → position
	for i, e := range parse(t, f) {
		if e.registration() {
			var td map[string]any
			if err := json.Unmarshal(e.trail.ResponseElements.TaskDefinition, &td); err != nil {
				t.Fatal(err)
			}
			arn := td["taskDefinitionArn"].(string)
			if _, again := registered[arn]; !again {
				registered[arn] = i
			}
			// The registered revision is the world's (CloudTrail writes
			// registeredAt its own way).
			want := world[arn]
			delete(td, "registeredAt")
			delete(want, "registeredAt")
			if a, b := mustJSON(t, td), mustJSON(t, want); a != b {
				t.Errorf("%s: registered %s\nworld has %s", e.name, a, b)
			}
			continue
		}
		pos, ok := registered[e.detail.TaskDefinitionArn]
		if !ok || pos > i {
			t.Fatalf("%s: task of %s delivered before its registration", e.name, e.detail.TaskDefinitionArn)
		}
	}
	if len(registered) != f.TaskDefinitions || f.Counts.Registrations != f.TaskDefinitions {
		t.Errorf("%d revisions registered (Counts %d), want %d", len(registered), f.Counts.Registrations, f.TaskDefinitions)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGenerateRefusesImpossibleSpecs(t *testing.T) {
	for name, tc := range map[string]struct {
		spec fleet.Spec
		want string
	}{
		"negative services":            {fleet.Spec{Services: -2}, "Services is -2"},
		"negative task starts":         {fleet.Spec{TaskStarts: -5}, "TaskStarts is -5"},
		"none task starts":             {fleet.Spec{TaskStarts: fleet.None}, "TaskStarts is -1"},
		"negative rolls":               {fleet.Spec{Rolls: -3}, "Rolls is -3"},
		"no families":                  {fleet.Spec{Services: fleet.None}, "no families"},
		"more violating than families": {fleet.Spec{Services: 3, Violating: 4}, "Violating is 4, but there are only 3 families"},
		"more rolls than families":     {fleet.Spec{Services: 3, Rolls: 4}, "Rolls is 4, but there are only 3 families"},
		"fewer task starts than families": {fleet.Spec{Services: 10, TaskStarts: 9},
			"TaskStarts is 9, but 10 families need at least 10"},
		"too few task starts for the rolls": {fleet.Spec{Services: 3, Rolls: 2, TaskStarts: 4},
			"3 families need at least 5 (one task each, two for each of the 2 rolled)"},
		"too many task starts":    {fleet.Spec{TaskStarts: fleet.MaxTaskStarts + 1}, "over the limit"},
		"too many families":       {fleet.Spec{Services: fleet.MaxFamilies, Standalone: 1, TaskStarts: 5000}, "over the limit"},
		"redelivery above one":    {fleet.Spec{Redelivery: 1.5}, "Redelivery is 1.5"},
		"redelivery not a number": {fleet.Spec{Redelivery: math.NaN()}, "Redelivery is NaN"},
		"negative out of order":   {fleet.Spec{OutOfOrder: -0.2}, "OutOfOrder is -0.2"},
		"unknown status":          {fleet.Spec{Statuses: []string{"PENDING", "STOPPED"}}, `status "STOPPED" is not one ECS sends`},
		"statuses out of order":   {fleet.Spec{Statuses: []string{"RUNNING", "PENDING"}}, "not in ECS's order"},
		"status twice":            {fleet.Spec{Statuses: []string{"PENDING", "PENDING"}}, "listed twice"},
		"bad account":             {fleet.Spec{Account: "12345"}, `account "12345"`},
		"bad region":              {fleet.Spec{Region: "Mars"}, `region "Mars"`},
		"bad cluster":             {fleet.Spec{Clusters: []string{"prod", "my cluster"}}, `cluster "my cluster"`},
		"cluster twice":           {fleet.Spec{Clusters: []string{"prod", "prod"}}, `cluster "prod" is listed twice`},
		"span too short":          {fleet.Spec{Span: time.Minute}, "shorter than 1h0m0s"},
		"negative span":           {fleet.Spec{Span: -time.Hour}, "shorter than"},
		"span too long":           {fleet.Spec{Span: 100 * 365 * 24 * time.Hour}, "longer than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := fleet.Generate(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "fleet: ") {
				t.Fatalf("Generate(%+v) = %v, want an error containing %q", tc.spec, err, tc.want)
			}
		})
	}
}

func TestGenerateReportsEveryProblemAtOnce(t *testing.T) {
	_, err := fleet.Generate(fleet.Spec{Account: "x", Region: "y", Violating: 99})
	for _, want := range []string{`account "x"`, `region "y"`, "Violating is 99"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestSummaryNamesTheCounts(t *testing.T) {
	f := generate(t, everything)
	got := f.Summary()
	for _, want := range []string{"22 task definitions (16 services, 3 standalone; 2 violating, 2 hardened, 3 rolled)", "800 task starts",
		fmt.Sprintf("%d events", len(f.Events)), "seed 42"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
}

func BenchmarkGenerate1000TaskStarts(b *testing.B) {
	s := fleet.Spec{Seed: 1, TaskStarts: 1000, Standalone: 2, Rolls: 2, StopEvents: true, Registrations: true}
	for b.Loop() {
		f, err := fleet.Generate(s)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(f.Events)), "events")
	}
}
