package replay

import (
	"context"
	"encoding/json"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// A replay runs on every core: the events are split into independent
// groups, each replayed in order in its own copy of the simulated account,
// and their records are counted in the events' order, so the summary is the
// same whatever the number of workers.
//
// Two events are in one group when they share a task definition family or a
// service (the cluster's service a task's group names): everything one
// event's executions read or change — its task, its judgements (keyed by
// the task definition and the service), the service it scales, the revision
// it deregisters, the incident it counts — belongs to its family and its
// service. Events whose family cannot be read (broken events, other
// sources) form one group of their own.

// workers is how many groups replay at once (Options.Workers, default the
// usable cores).
func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// groupKeys are the family and service an event touches ("" when absent).
func groupKeys(raw []byte) (family, service string) {
	var e struct {
		Detail struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
			ClusterArn        string `json:"clusterArn"`
			Group             string `json:"group"`
			RequestParameters struct {
				Family string `json:"family"`
			} `json:"requestParameters"`
		} `json:"detail"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	d := e.Detail
	switch {
	case d.TaskDefinitionArn != "":
		family = familyOf(d.TaskDefinitionArn)
	case d.RequestParameters.Family != "":
		family = d.RequestParameters.Family
	}
	if name, ok := strings.CutPrefix(d.Group, "service:"); ok && name != "" {
		service = d.ClusterArn + "/" + name
	}
	return family, service
}

// familyOf is the family of a task definition ARN (task-definition/FAMILY:REV)
// or of a bare FAMILY:REV.
func familyOf(td string) string {
	res := td
	if a, err := arn.Parse(td); err == nil {
		res = a.Resource
	}
	if name, ok := strings.CutPrefix(res, "task-definition/"); ok {
		res = name
	}
	for i := len(res) - 1; i >= 0; i-- {
		if res[i] == ':' {
			return res[:i]
		}
	}
	return res
}

// partition assigns each event to one of at most n workers: the events of a
// group to the same one, the groups spread so that the workers get about as
// many events each (largest group first to the least loaded worker). It
// returns the worker of each event and the number of workers used.
func partition(events []offline.Event, n int) ([]int, int) {
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok {
			parent[k] = k
			return k
		}
		if p == k {
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	keys := make([]string, len(events))
	for i, ev := range events {
		family, service := groupKeys(ev.JSON)
		switch {
		case family != "" && service != "":
			keys[i] = "f:" + family
			union(keys[i], "s:"+service)
		case family != "":
			keys[i] = "f:" + family
		case service != "":
			keys[i] = "s:" + service
		default:
			keys[i] = "?" // unreadable: one group
		}
		find(keys[i])
	}
	size := map[string]int{}
	for _, k := range keys {
		size[find(k)]++
	}
	groups := make([]string, 0, len(size))
	for g := range size {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if size[groups[i]] != size[groups[j]] {
			return size[groups[i]] > size[groups[j]]
		}
		return groups[i] < groups[j]
	})
	n = max(1, min(n, len(groups)))
	load := make([]int, n)
	worker := map[string]int{}
	for _, g := range groups {
		w := 0
		for i := range load {
			if load[i] < load[w] {
				w = i
			}
		}
		worker[g] = w
		load[w] += size[g]
	}
	out := make([]int, len(events))
	for i, k := range keys {
		out[i] = worker[find(k)]
	}
	return out, n
}

// runParallel replays the events on n workers, each with its own runner
// (its own copy of the account), and counts the records in the events'
// order.
func runParallel(ctx context.Context, opts offline.Options, events []offline.Event, n int, progress func(done, total int)) (counted, error) {
	mode := opts.Mode
	if mode == "" {
		mode = contract.ModeAudit
	}
	t0 := time.Now()
	part, n := partition(events, n)
	partitioning := time.Since(t0)
	runners := make([]*offline.Runner, n)
	for w := range runners {
		r, err := offline.New(opts, events)
		if err != nil {
			return counted{}, err
		}
		runners[w] = r
	}
	// The setup (the accounts, the policy's compilation) is not replaying;
	// reading the events' groups is.
	start := time.Now()
	results := make([]chan *offline.Record, n)
	for w := range results {
		results[w] = make(chan *offline.Record, 512)
	}
	for w := range n {
		go func() {
			defer close(results[w])
			for i, ev := range events {
				if part[i] != w {
					continue
				}
				if err := ctx.Err(); err != nil {
					results[w] <- offline.FailedRecord(ev.Name, "Local.Canceled", err.Error())
					continue
				}
				results[w] <- runners[w].Run(ctx, ev)
			}
		}()
	}
	c := NewCounter(mode)
	last := time.Now()
	for i := range events {
		c.Add(<-results[part[i]])
		if progress != nil && (time.Since(last) > 200*time.Millisecond || i == len(events)-1) {
			progress(i+1, len(events))
			last = time.Now()
		}
	}
	if err := ctx.Err(); err != nil {
		return counted{}, err
	}
	s := c.Summary()
	s.Seconds = (time.Since(start) + partitioning).Seconds()
	if s.Seconds > 0 {
		s.EventsPerSecond = float64(s.Events) / s.Seconds
	}
	return counted{counter: c, s0: s}, nil
}
