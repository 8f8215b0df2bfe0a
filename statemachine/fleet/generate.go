package fleet

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// Random streams: each concern draws from its own, so that a flag that adds
// events (StopEvents, Registrations) changes nothing else.
const (
	streamFamilies = iota + 1
	streamTimes
	streamIDs
	streamStops
	streamDelivery
)

// gen is one generation.
type gen struct {
	spec      Spec
	partition string
	end       time.Time // Start + Span

	families []*family
	tasks    []*task
	err      error // the first encoding error
}

// family is a task definition family being generated.
type family struct {
	name    string
	cluster string
	service bool
	profile Profile
	rolled  bool
	rank    int // 0 is the busiest
	starts  int
	desired int

	team     string
	owner    bool // tagged with an owner
	cpu, mem int
	arm      bool
	revision int // the first revision's number
	main     image
	sidecar  *sidecar
	traits   traits

	revs  []*revision
	tasks []*task
	// rollAt is when the rolled family's new deployment starts.
	rollAt time.Time
}

// traits are a family's settings that rules read.
type traits struct {
	digest, readonly, readonlyFalse, dropAll, initProcess      bool
	health, logs, nonBlocking, secrets, sharedRole, noTaskRole bool
	user                                                       string
}

// sidecar is a second, non-essential container.
type sidecar struct {
	name  string
	image image
	port  int
}

// image is an image reference: registry ("" for Docker Hub's short form),
// repository, a semantic version tag and an optional suffix.
type image struct {
	registry, repo string
	version        [3]int
	suffix         string
	pinned         bool // with a digest
}

// at is the image of revision r (0 the first): each roll bumps the minor
// version.
func (im image) at(r int) image {
	im.version[1] += r
	if r > 0 {
		im.version[2] = 0
	}
	return im
}

func (im image) ref(seed int64) string {
	s := im.repo + ":" + im.tag()
	if im.registry != "" {
		s = im.registry + "/" + s
	}
	if im.pinned {
		s += "@" + im.digest(seed)
	}
	return s
}

func (im image) tag() string {
	return fmt.Sprintf("%d.%d.%d%s", im.version[0], im.version[1], im.version[2], im.suffix)
}

// digest is the image's manifest digest (what ECS reports as imageDigest).
func (im image) digest(seed int64) string {
	return "sha256:" + hashHex(seed, 64, "image", im.registry, im.repo, im.tag())
}

// revision is one task definition revision.
type revision struct {
	fam          *family
	index        int // 0 first, 1 after the roll
	number       int
	arn          string
	deployment   string // the service deployment running it
	registeredAt time.Time
	registeredBy string
	td           taskDefinition
	raw          []byte
}

// task is one task start.
type task struct {
	fam   *family
	rev   *revision
	id    string
	arn   string
	start time.Time // createdAt
	az    int
	ip    string
	mac   string
	eni   string
	// runtime ids per container
	runtime []string
	life    lifecycle
	stops   bool
	stopWhy stopReason
}

type stopReason int

const (
	stopScaleIn stopReason = iota
	stopReplaced
	stopJobDone
)

// lifecycle are a task's times.
type lifecycle struct {
	provisioning, pending, pullStarted, pullStopped, activating, running time.Time
	stopping, executionStopped, deprovisioning, stopped                  time.Time
}

// Generate builds the fleet s describes, or says why it cannot exist.
func Generate(s Spec) (Fleet, error) {
	s, err := s.resolve()
	if err != nil {
		return Fleet{}, err
	}
	g := &gen{spec: s, partition: contract.Partition(s.Region), end: s.Start.Add(s.Span)}
	g.makeFamilies()
	g.makeTimes()
	g.makeTasks()
	if s.StopEvents {
		g.makeStops()
	}
	for _, f := range g.families {
		for _, r := range f.revs {
			g.buildTaskDefinition(r)
		}
	}
	out := Fleet{Spec: s, World: g.world(), TaskStarts: len(g.tasks)}
	for _, f := range g.families {
		fam := Family{Name: f.name, Cluster: f.cluster, Profile: f.profile, Rolled: f.rolled, TaskStarts: f.starts}
		if f.service {
			fam.Service = f.name
		}
		for _, r := range f.revs {
			fam.TaskDefinitions = append(fam.TaskDefinitions, r.arn)
		}
		out.TaskDefinitions += len(f.revs)
		out.Families = append(out.Families, fam)
	}
	for _, t := range g.tasks {
		out.Tasks = append(out.Tasks, Task{
			TaskArn: t.arn, Cluster: t.fam.cluster, Family: t.fam.name, TaskDefinitionArn: t.rev.arn,
			Group: t.group(), StartedBy: t.startedBy(), Stops: t.stops,
		})
	}
	out.Events, out.Counts, err = g.deliver()
	if err != nil {
		return Fleet{}, err
	}
	return out, nil
}

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// hashHex is n hex digits (n ≤ 64) of the SHA-256 of the seed and parts: ids
// that depend on what they identify, not on the order things are drawn in.
func hashHex(seed int64, n int, parts ...string) string {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:n]
}

// uuid is a version 4 UUID made from the seed and parts.
func uuid(seed int64, parts ...string) string {
	b, _ := hex.DecodeString(hashHex(seed, 32, parts...)) // 32 hex digits: cannot fail
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// Name pools. Families past a pool's end get numbered names (api-2, …).
var (
	serviceNames = []string{
		"web", "api", "payments", "orders", "checkout", "cart", "catalog", "search", "inventory", "accounts",
		"auth", "notifications", "billing", "pricing", "shipping", "recommendations", "reviews", "media",
		"gateway", "profile", "ledger", "fraud-check", "email", "webhooks", "admin", "graphql", "feature-flags",
		"rates", "tax", "loyalty", "chat", "ads",
	}
	jobNames = []string{
		"nightly-report", "db-migrate", "data-export", "invoice-run", "cache-warmer", "etl-orders",
		"backup-verify", "cleanup", "sitemap", "reindex", "usage-rollup", "cert-check",
	}
	teams = []string{"team-web", "team-payments", "team-platform", "team-data", "team-growth", "team-core"}

	// unapproved are images from registries the default policy does not
	// approve: Docker Hub (short and long forms) and ghcr.io.
	unapproved = []image{
		{repo: "nginx", version: [3]int{1, 27, 3}},
		{repo: "redis", version: [3]int{7, 4, 1}},
		{repo: "node", version: [3]int{22, 11, 0}, suffix: "-alpine"},
		{registry: "docker.io", repo: "library/python", version: [3]int{3, 12, 7}, suffix: "-slim"},
		{repo: "grafana/grafana", version: [3]int{11, 3, 0}},
		{registry: "ghcr.io", repo: "acme-corp/worker", version: [3]int{2, 4, 0}},
	}
	unapprovedSidecars = []sidecar{
		{name: "datadog-agent", image: image{repo: "datadog/agent", version: [3]int{7, 58, 2}}, port: 8126},
		{name: "envoy", image: image{repo: "envoyproxy/envoy", version: [3]int{1, 31, 2}}, port: 9901},
		{name: "otel-collector", image: image{registry: "ghcr.io", repo: "open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib", version: [3]int{0, 112, 0}}, port: 4317},
	}
	// fargateSizes are valid Fargate task cpu/memory pairs.
	fargateSizes = [][2]int{{256, 512}, {256, 1024}, {512, 1024}, {512, 2048}, {1024, 2048}, {1024, 4096}, {2048, 4096}, {2048, 8192}, {4096, 8192}}
)

func poolName(pool []string, i int) string {
	if i < len(pool) {
		return pool[i]
	}
	return fmt.Sprintf("%s-%d", pool[i%len(pool)], i/len(pool)+1)
}

// makeFamilies draws the families: names, clusters, profiles, rolls, how
// busy each is and what its task definition holds.
func (g *gen) makeFamilies() {
	s := g.spec
	rng := newRand(s.Seed, streamFamilies)
	svc := rng.Perm(len(serviceNames))
	job := rng.Perm(len(jobNames))
	n := s.Services + s.Standalone
	for i := range n {
		f := &family{service: i < s.Services}
		if f.service {
			f.name = poolName(serviceNames, permAt(svc, i))
		} else {
			f.name = poolName(jobNames, permAt(job, i-s.Services))
		}
		// The first cluster (prod) runs about half of the families.
		if c := rng.IntN(2 * len(s.Clusters)); c < len(s.Clusters) {
			f.cluster = s.Clusters[c]
		} else {
			f.cluster = s.Clusters[0]
		}
		g.families = append(g.families, f)
	}

	hardened := min((n+4)/8, n-s.Violating)
	for i, j := range rng.Perm(n) {
		switch {
		case i < s.Violating:
			g.families[j].profile = Violating
		case i < s.Violating+hardened:
			g.families[j].profile = Hardened
		default:
			g.families[j].profile = Typical
		}
	}
	for i, j := range rng.Perm(n) {
		g.families[j].rolled = i < s.Rolls
	}
	for i, j := range rng.Perm(n) {
		g.families[j].rank = i
	}
	g.allocateStarts()

	for _, f := range g.families {
		g.describeFamily(rng, f)
	}
}

// permAt is the i-th element of a permutation of a pool, past its end the
// index itself (numbered names).
func permAt(perm []int, i int) int {
	if i < len(perm) {
		return perm[i]
	}
	return i
}

// allocateStarts shares the task starts among the families: at least one
// each (two for a rolled family), the rest Zipf-like by rank, so that a few
// busy services start most tasks.
func (g *gen) allocateStarts() {
	total := g.spec.TaskStarts
	weights := make([]float64, len(g.families))
	var sum float64
	rest := total
	for i, f := range g.families {
		f.starts = 1
		if f.rolled {
			f.starts = 2
		}
		rest -= f.starts
		weights[i] = 1 / math.Pow(float64(f.rank+1), 1.2)
		sum += weights[i]
	}
	type share struct {
		i    int
		frac float64
	}
	shares := make([]share, len(g.families))
	given := 0
	for i, f := range g.families {
		exact := float64(rest) * weights[i] / sum
		whole := int(exact)
		f.starts += whole
		given += whole
		shares[i] = share{i, exact - float64(whole)}
	}
	slices.SortStableFunc(shares, func(a, b share) int { return cmp.Compare(b.frac, a.frac) })
	for k := 0; given < rest; k++ {
		g.families[shares[k%len(shares)].i].starts++
		given++
	}
	for _, f := range g.families {
		f.desired = min(max(1, (f.starts+12)/25), 100)
		if !f.service {
			f.desired = 0
		}
	}
}

// describeFamily draws what the family's task definition holds, by profile.
func (g *gen) describeFamily(rng *rand.Rand, f *family) {
	s := g.spec
	f.team = teams[rng.IntN(len(teams))]
	size := fargateSizes[rng.IntN(len(fargateSizes))]
	f.cpu, f.mem = size[0], size[1]
	f.arm = rng.IntN(3) == 0
	f.revision = 1 + rng.IntN(60)
	f.main = image{
		registry: fmt.Sprintf("%s.dkr.ecr.%s.%s", s.Account, s.Region, ecrDomain(g.partition)),
		repo:     f.name,
		version:  [3]int{1 + rng.IntN(4), rng.IntN(20), rng.IntN(12)},
	}
	chance := func(p float64) bool { return rng.Float64() < p }
	t := &f.traits
	switch f.profile {
	case Hardened:
		*t = traits{digest: true, readonly: true, dropAll: true, initProcess: true, health: true, logs: true,
			nonBlocking: true, secrets: f.service && chance(0.5), user: "10001:10001"}
		f.owner = true
	default:
		t.digest = chance(0.2)
		switch r := rng.Float64(); {
		case r < 0.4:
			t.user = []string{"1000", "10001:10001", "app", "nobody"}[rng.IntN(4)]
		case r < 0.45:
			t.user = "root"
		}
		t.readonly = chance(0.2)
		t.readonlyFalse = !t.readonly && chance(0.5)
		t.dropAll = chance(0.15)
		t.initProcess = chance(0.3)
		t.health = chance(0.6)
		if !f.service {
			t.health = chance(0.1)
		}
		t.logs = chance(0.9)
		t.nonBlocking = t.logs && chance(0.3)
		t.secrets = f.service && chance(0.3)
		t.sharedRole = chance(0.1)
		t.noTaskRole = !t.sharedRole && !f.service && chance(0.3)
		f.owner = chance(0.85)
		if t.digest && t.user != "" && t.user != "root" && t.readonly && t.dropAll && t.health && t.nonBlocking && !t.sharedRole && f.owner {
			// A typical family has at least one finding.
			t.readonly, t.readonlyFalse = false, true
		}
		if f.service && chance(0.25) {
			f.sidecar = &sidecar{
				name: "otel-collector", port: 4317,
				image: image{registry: f.main.registry, repo: "mirror/otel-collector", version: [3]int{0, 112, 0}},
			}
		}
	}
	if f.profile == Violating {
		if chance(0.5) || !f.service {
			f.main = unapproved[rng.IntN(len(unapproved))]
		} else {
			sc := unapprovedSidecars[rng.IntN(len(unapprovedSidecars))]
			f.sidecar = &sc
		}
		t.digest = false
	}
	f.main.pinned = t.digest
}

// ecrDomain is the DNS suffix of ECR registries in a partition.
func ecrDomain(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// makeTimes spreads each family's task starts over the span, rolls the
// rolled families mid-stream and dates each revision's registration before
// its first task.
func (g *gen) makeTimes() {
	s := g.spec
	rng := newRand(s.Seed, streamTimes)
	margin := min(s.Span/20, 2*time.Hour)
	tail := min(s.Span/10, 12*time.Hour)
	from, to := s.Start.Add(margin), g.end.Add(-tail)
	uniform := func(a, b time.Time) time.Time {
		if !b.After(a) {
			return a
		}
		return a.Add(time.Duration(rng.Int64N(int64(b.Sub(a))))).Truncate(time.Millisecond)
	}
	between := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(rng.Int64N(int64(hi-lo)))
	}
	deployer := fmt.Sprintf("arn:%s:sts::%s:assumed-role/github-actions-deploy/deploy-pipeline", g.partition, s.Account)

	for _, f := range g.families {
		first := &revision{fam: f, number: f.revision, registeredBy: deployer}
		f.revs = []*revision{first}
		starts := make([]time.Time, f.starts)
		if !f.rolled {
			for i := range starts {
				starts[i] = uniform(from, to)
			}
		} else {
			next := &revision{fam: f, index: 1, number: f.revision + 1, registeredBy: deployer}
			f.revs = append(f.revs, next)
			window := to.Sub(from)
			f.rollAt = uniform(from.Add(window*3/10), from.Add(window*7/10))
			lead := between(time.Minute, min(30*time.Minute, f.rollAt.Sub(from)/2))
			next.registeredAt = f.rollAt.Add(-lead).Truncate(time.Millisecond)
			old := max(1, min(f.starts-1, f.starts/2+rng.IntN(3)-1))
			burst := min(max(f.desired, 1), f.starts-old)
			burstEnd := f.rollAt.Add(min(10*time.Minute, to.Sub(f.rollAt)/4))
			for i := range starts {
				switch {
				case i < old:
					starts[i] = uniform(from, next.registeredAt.Add(-time.Second))
				case i < old+burst:
					starts[i] = uniform(f.rollAt, burstEnd)
				default:
					starts[i] = uniform(f.rollAt, to)
				}
			}
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		lead := between(time.Minute, min(time.Hour, margin))
		first.registeredAt = starts[0].Add(-lead).Truncate(time.Millisecond)
		for _, at := range starts {
			rev := first
			if f.rolled && !at.Before(f.rollAt) {
				rev = f.revs[1]
			}
			t := &task{fam: f, rev: rev, start: at}
			f.tasks = append(f.tasks, t)
			g.tasks = append(g.tasks, t)
		}
	}
	slices.SortStableFunc(g.tasks, func(a, b *task) int { return a.start.Compare(b.start) })
}

// makeTasks gives each task its ids, network interface and lifecycle.
func (g *gen) makeTasks() {
	s := g.spec
	rng := newRand(s.Seed, streamIDs)
	hexN := func(n int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = digits[rng.IntN(16)]
		}
		return string(b)
	}
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Millisecond }
	for _, f := range g.families {
		for _, r := range f.revs {
			r.arn = fmt.Sprintf("arn:%s:ecs:%s:%s:task-definition/%s:%d", g.partition, s.Region, s.Account, f.name, r.number)
			if f.service {
				r.deployment = fmt.Sprintf("ecs-svc/%d%018d", 1+rng.IntN(9), rng.Int64N(1_000_000_000_000_000_000))
			}
		}
	}
	for _, t := range g.tasks {
		t.id = hexN(32)
		t.arn = fmt.Sprintf("arn:%s:ecs:%s:%s:task/%s/%s", g.partition, s.Region, s.Account, t.fam.cluster, t.id)
		t.az = rng.IntN(3)
		t.ip = fmt.Sprintf("10.0.%d.%d", t.az*64+rng.IntN(64), 1+rng.IntN(254))
		t.mac = fmt.Sprintf("0e:%s:%s:%s:%s:%s", hexN(2), hexN(2), hexN(2), hexN(2), hexN(2))
		t.eni = "eni-" + hexN(17)
		for range t.fam.containerNames() {
			t.runtime = append(t.runtime, fmt.Sprintf("%s-%010d", t.id, rng.Int64N(10_000_000_000)))
		}
		l := &t.life
		l.provisioning = t.start
		l.pending = l.provisioning.Add(ms(2_000, 12_000))
		l.pullStarted = l.pending.Add(ms(1_000, 3_000))
		l.pullStopped = l.pullStarted.Add(ms(3_000, 30_000))
		l.activating = l.pullStopped.Add(ms(1_000, 3_000))
		l.running = l.activating.Add(ms(2_000, 10_000))
	}
}

// makeStops decides which tasks stop within the span, and when: standalone
// tasks when their job is done, a rolled family's old tasks a few minutes
// after the new deployment starts, and one service task in ten, scaled in.
func (g *gen) makeStops() {
	rng := newRand(g.spec.Seed, streamStops)
	ms := func(lo, hi int64) time.Duration { return time.Duration(lo+rng.Int64N(hi-lo+1)) * time.Millisecond }
	for _, t := range g.tasks {
		var at time.Time
		switch {
		case !t.fam.service:
			t.stopWhy = stopJobDone
			at = t.life.running.Add(ms(60_000, 45*60_000))
		case t.fam.rolled && t.rev.index == 0:
			t.stopWhy = stopReplaced
			at = t.fam.rollAt.Add(ms(2*60_000, 15*60_000))
			at = later(at, t.life.running.Add(ms(30_000, 120_000)))
		case rng.IntN(10) == 0:
			t.stopWhy = stopScaleIn
			at = t.life.running.Add(ms(3600_000, 5*24*3600_000))
		default:
			continue
		}
		l := &t.life
		l.stopping = at
		l.executionStopped = l.stopping.Add(ms(2_000, 4_000))
		l.deprovisioning = l.stopping.Add(ms(5_000, 35_000))
		l.stopped = l.deprovisioning.Add(ms(10_000, 40_000))
		if l.stopped.After(g.end) {
			*l = lifecycle{provisioning: l.provisioning, pending: l.pending, pullStarted: l.pullStarted,
				pullStopped: l.pullStopped, activating: l.activating, running: l.running}
			continue
		}
		t.stops = true
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
