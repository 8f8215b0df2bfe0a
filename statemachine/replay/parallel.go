package replay

import (
	"context"
	"encoding/json"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

// A replay runs on every core: the events are split into independent
// groups, each replayed in order in its own copy of the simulated account,
// and their records are counted in the events' order, so the summary is the
// same whatever the number of workers.
//
// Two events are in one group when they share a task definition family or a
// service, as Record task reads them (recordtask.ParseEvent): everything
// one event's executions read or change — its task, its judgements (keyed
// by the task definition and the service), the service it scales, the
// revision it deregisters, the incident it counts — belongs to its family
// and its service. An event Record task refuses (broken, of another
// source, a status the rules do not send) changes nothing the others see:
// it is a group of its own.

// workers is how many groups replay at once (Options.Workers, default the
// usable cores).
func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// groupKeys are the family and service (cluster ARN/name) an event
// touches; ok is false when Record task refuses the event.
func groupKeys(raw []byte) (family, service string, ok bool) {
	var ev contract.Event
	if json.Unmarshal(raw, &ev) != nil {
		return "", "", false
	}
	t, err := recordtask.ParseEvent(ev)
	if err != nil {
		return "", "", false
	}
	if t.Service != "" {
		service = t.ClusterArn + "/" + t.Service
	}
	return t.Family, service, true
}

// partition assigns each event to one of at most n workers: the events of a
// group to the same one, the groups spread so that the workers get about as
// many events each (largest group first to the least loaded worker). It
// returns the worker of each event and the number of workers used.
func partition(events []offline.Event, n int) ([]int, int) {
	if n <= 1 {
		return make([]int, len(events)), 1
	}
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
	// Reading the events is most of the work: n readers, each a slice.
	type read struct {
		family, service string
		ok              bool
	}
	reads := make([]read, len(events))
	var wg sync.WaitGroup
	per := (len(events) + n - 1) / n
	for lo := 0; lo < len(events); lo += per {
		wg.Go(func() {
			for i := lo; i < min(lo+per, len(events)); i++ {
				r := &reads[i]
				r.family, r.service, r.ok = groupKeys(events[i].JSON)
			}
		})
	}
	wg.Wait()
	keys := make([]string, len(events))
	for i, r := range reads {
		switch {
		case !r.ok:
			keys[i] = "?" + strconv.Itoa(i) // refused: a group of its own
		case r.service != "":
			keys[i] = "f:" + r.family
			union(keys[i], "s:"+r.service)
		default:
			keys[i] = "f:" + r.family
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

// run replays the events on n workers, the events of worker w (part) in
// order on runner w — New's runner or a fork of it, each its own copy of the
// account — and counts the records in the events' order, handing each to
// each (when set) after. It returns the count and how long replaying took
// (the setup not included).
func run(ctx context.Context, opts offline.Options, events []offline.Event, part []int, n int,
	progress func(done, total int), each func(*offline.Record)) (*Counter, time.Duration, error) {
	mode := opts.Mode
	if mode == "" {
		mode = contract.ModeAudit
	}
	first, err := offline.New(opts, events)
	if err != nil {
		return nil, 0, err
	}
	runners := []*offline.Runner{first}
	for len(runners) < n {
		r, err := first.Fork()
		if err != nil {
			return nil, 0, err
		}
		runners = append(runners, r)
	}
	start := time.Now()
	results := make([]chan *offline.Record, n)
	for w := range results {
		results[w] = make(chan *offline.Record, 512)
	}
	for w, r := range runners {
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
				results[w] <- r.Run(ctx, ev)
			}
		}()
	}
	c := NewCounter(mode)
	last := time.Now()
	for i := range events {
		rec := <-results[part[i]]
		c.Add(rec)
		if each != nil {
			each(rec)
		}
		if progress != nil && (time.Since(last) > 200*time.Millisecond || i == len(events)-1) {
			progress(i+1, len(events))
			last = time.Now()
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return c, time.Since(start), nil
}
