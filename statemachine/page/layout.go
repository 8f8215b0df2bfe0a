package page

import (
	"iter"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
)

// The layout is layered, as the Step Functions console draws a machine:
// each state in a rank by the longest path from StartAt to it (back edges,
// the loops, ignored), ranks top to bottom, states ordered in their rank to
// cross few edges and placed near the states they connect to. A transition
// that spans several ranks goes through a point in each rank between (so it
// bends around the states in its way); a Choice rule's condition is a box
// of its own in the rank below its Choice. Loops, and Catch transitions
// that go further than the next rank, go along lanes on the right. A Parallel (or Map) state is a box holding its
// branches (its item processor), each laid out the same way, side by side.

// Sizes, in SVG pixels.
const (
	charWidth    = 6.9  // an average character of the states' 12px font
	labelChar    = 5.9  // of the conditions' 10px font
	lineHeight   = 15.0 // a line of a state's name
	nodePad      = 14.0 // left and right of a state's name
	minNodeWidth = 130.0
	maxNodeWidth = 232.0
	badgeHeight  = 12.0 // the line under a state's name (duration, retries)
	labelHeight  = 16.0
	nodeGap      = 26.0 // between two states of a rank
	dummyGap     = 10.0 // beside a bend point
	rankGap      = 14.0 // between ranks
	laneGap      = 12.0 // between two lanes
	laneMargin   = 22.0 // between the states and the first lane
	margin       = 16.0 // around a machine
	groupHeader  = 26.0 // a Parallel's name
	branchHeader = 18.0 // "branch 1"
	groupPad     = 10.0
)

// lnode is a box of the layout: a state, the machine's start or end, a bend
// point of a long transition, or a condition.
type lnode struct {
	kind  string      // state, start, end, bend, label
	node  *graph.Node // a state's
	lines []string    // a state's name, wrapped; a label's text
	w, h  float64
	rank  int
	key   float64 // the first order: the walk's
	pos   int     // index in its rank
	x, y  float64 // the center, in the scope
	// inner are a Parallel's branches (a Map's item processor).
	inner []*scope
	preds []*lnode // in the rank above (chains of long edges included)
	succs []*lnode
}

// ledge is one of the chart's edges as laid out.
type ledge struct {
	index int // in the chart's Edges
	edge  graph.Edge
	from  *lnode
	to    *lnode
	chain []*lnode // bend points (and the label) between from and to, in rank order
	label *lnode
	lane  float64 // >0: routed along the lane at this x (catch, loop)
}

// scope is a laid out group: the machine's top level or a branch.
type scope struct {
	top   bool
	nodes []*lnode
	ranks [][]*lnode
	edges []*ledge
	w, h  float64
}

// wrap breaks a name into lines of at most n characters, at spaces when it
// can.
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for utf8.RuneCountInString(word) > n {
			r := []rune(word)
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			lines, word = append(lines, string(r[:n])), string(r[n:])
		}
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= n:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// layoutChart lays out a chart: its top level with the machine's start and
// end.
func layoutChart(c *graph.Chart) *scope {
	return layoutGroup(c, &c.Top, true)
}

func layoutGroup(c *graph.Chart, g *graph.Group, top bool) *scope {
	sc := &scope{top: top}
	byID := map[string]*lnode{}
	add := func(n *lnode, id string) {
		sc.nodes = append(sc.nodes, n)
		byID[id] = n
	}
	if top {
		add(&lnode{kind: "start", lines: []string{"Start"}, w: 56, h: 24, key: -1}, "start")
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		ln := &lnode{kind: "state", node: n, key: float64(i)}
		maxChars := int(math.Floor((maxNodeWidth - 2*nodePad) / charWidth))
		if n.Type == "Choice" {
			maxChars -= 3
		}
		ln.lines = wrap(graph.OneLine(n.Name), maxChars)
		longest := 0
		for _, l := range ln.lines {
			longest = max(longest, utf8.RuneCountInString(l))
		}
		ln.w = max(minNodeWidth, float64(longest)*charWidth+2*nodePad)
		if n.Type == "Choice" {
			ln.w += 20
		}
		ln.h = float64(len(ln.lines))*lineHeight + 12 + badgeHeight
		for _, sub := range g.Groups {
			if sub.Owner == n.ID {
				ln.inner = append(ln.inner, layoutGroup(c, sub, false))
			}
		}
		if len(ln.inner) > 0 {
			w, h := 0.0, 0.0
			for _, b := range ln.inner {
				w += b.w
				h = max(h, b.h)
			}
			ln.w = max(ln.w, w+float64(len(ln.inner)-1)*groupPad+2*groupPad)
			ln.h = groupHeader + h + groupPad
			for _, b := range ln.inner {
				b.h = h // branches as tall as the tallest
			}
		}
		add(ln, n.ID)
	}
	if top && c.End {
		add(&lnode{kind: "end", lines: []string{"End"}, w: 56, h: 24, key: float64(len(g.Nodes))}, "finish")
	}
	for i, e := range c.Edges {
		from, to := byID[e.From], byID[e.To]
		if from == nil || to == nil || e.Kind == graph.EdgeBranch {
			continue
		}
		sc.edges = append(sc.edges, &ledge{index: i, edge: e, from: from, to: to})
	}
	sc.rank()
	sc.order()
	sc.place()
	return sc
}

// rank puts each box in a rank: twice the longest path from the start to it
// (the ranks between hold the conditions and the bends), ignoring the back
// edges a depth-first walk from the start finds.
func (sc *scope) rank() {
	out := map[*lnode][]*ledge{}
	for _, e := range sc.edges {
		out[e.from] = append(out[e.from], e)
	}
	// Depth first, the normal transitions before the Catch ones.
	for _, l := range out {
		slices.SortStableFunc(l, func(a, b *ledge) int {
			return boolInt(a.edge.Kind == graph.EdgeCatch) - boolInt(b.edge.Kind == graph.EdgeCatch)
		})
	}
	const (
		unseen = iota
		onStack
		done
	)
	state := map[*lnode]int{}
	back := map[*ledge]bool{}
	var order []*lnode // reverse postorder: a topological order
	var dfs func(n *lnode)
	dfs = func(n *lnode) {
		state[n] = onStack
		for _, e := range out[n] {
			switch state[e.to] {
			case unseen:
				dfs(e.to)
			case onStack:
				back[e] = true
			}
		}
		state[n] = done
		order = append(order, n)
	}
	for _, n := range sc.nodes { // the start first; the others if unreachable
		if state[n] == unseen {
			dfs(n)
		}
	}
	slices.Reverse(order)
	rank := map[*lnode]int{}
	for _, n := range order {
		for _, e := range out[n] {
			if !back[e] {
				rank[e.to] = max(rank[e.to], rank[n]+1)
			}
		}
	}
	maxRank := 0
	for _, n := range sc.nodes {
		n.rank = 2 * rank[n]
		maxRank = max(maxRank, n.rank)
	}
	sc.ranks = make([][]*lnode, maxRank+1)
	for _, n := range sc.nodes {
		sc.ranks[n.rank] = append(sc.ranks[n.rank], n)
	}
	// Long transitions get a bend in each rank between; a condition is the
	// first. Catch transitions and loops take a lane instead.
	for _, e := range sc.edges {
		if back[e] || e.from.rank >= e.to.rank || (e.edge.Kind == graph.EdgeCatch && e.to.rank-e.from.rank > 2) {
			e.lane = -1
			continue
		}
		prev := e.from
		for r := e.from.rank + 1; r < e.to.rank; r++ {
			b := &lnode{kind: "bend", w: 2, h: 0, rank: r, key: (e.from.key*3 + e.to.key) / 4}
			if r == e.from.rank+1 && e.edge.Label != "" && e.edge.Kind != graph.EdgeCatch {
				b.kind, b.lines = "label", []string{e.edge.Label}
				b.w, b.h = float64(utf8.RuneCountInString(e.edge.Label))*labelChar+10, labelHeight
				e.label = b
			}
			e.chain = append(e.chain, b)
			sc.ranks[r] = append(sc.ranks[r], b)
			link(prev, b)
			prev = b
		}
		link(prev, e.to)
	}
	for _, rk := range sc.ranks {
		slices.SortStableFunc(rk, func(a, b *lnode) int { return cmpFloat(a.key, b.key) })
		for i, n := range rk {
			n.pos = i
		}
	}
}

func link(a, b *lnode) {
	a.succs = append(a.succs, b)
	b.preds = append(b.preds, a)
}

// order orders each rank by the barycenters of the neighbours in the rank
// above (going down) or below (going up), keeping the order with the
// fewest crossings.
func (sc *scope) order() {
	best := sc.crossings()
	keep := func() [][]*lnode {
		out := make([][]*lnode, len(sc.ranks))
		for i, rk := range sc.ranks {
			out[i] = slices.Clone(rk)
		}
		return out
	}
	bestOrder := keep()
	for iter := 0; iter < 8 && best > 0; iter++ {
		down := iter%2 == 0
		for _, rk := range sc.sweep(down) {
			bary := map[*lnode]float64{}
			for _, n := range rk {
				nb := n.neighbours(down)
				if len(nb) == 0 {
					bary[n] = float64(n.pos)
					continue
				}
				s := 0.0
				for _, m := range nb {
					s += float64(m.pos)
				}
				bary[n] = s / float64(len(nb))
			}
			slices.SortStableFunc(rk, func(a, b *lnode) int { return cmpFloat(bary[a], bary[b]) })
			for j, n := range rk {
				n.pos = j
			}
		}
		if c := sc.crossings(); c < best {
			best, bestOrder = c, keep()
		}
	}
	sc.ranks = bestOrder
	for _, rk := range sc.ranks {
		for j, n := range rk {
			n.pos = j
		}
	}
}

// crossings counts the crossings between consecutive ranks.
func (sc *scope) crossings() int {
	n := 0
	for _, rk := range sc.ranks {
		type seg struct{ a, b int }
		var segs []seg
		for _, u := range rk {
			for _, v := range u.succs {
				segs = append(segs, seg{u.pos, v.pos})
			}
		}
		for i := range segs {
			for j := i + 1; j < len(segs); j++ {
				if (segs[i].a-segs[j].a)*(segs[i].b-segs[j].b) < 0 {
					n++
				}
			}
		}
	}
	return n
}

// sep is the least distance between the centers of two neighbours in a
// rank.
func sep(a, b *lnode) float64 {
	gap := nodeGap
	if a.kind == "bend" || b.kind == "bend" {
		gap = dummyGap
	}
	return (a.w+b.w)/2 + gap
}

// place gives each box its x (near the boxes it connects to, in its rank's
// order) and y (its rank's middle), and routes the edges.
func (sc *scope) place() {
	for _, rk := range sc.ranks { // packed, centred on 0
		x := 0.0
		for i, n := range rk {
			if i > 0 {
				x += sep(rk[i-1], n)
			}
			n.x = x
		}
		for _, n := range rk {
			n.x -= x / 2
		}
	}
	for iter := 0; iter < 6; iter++ {
		down := iter%2 == 0
		for _, rk := range sc.sweep(down) {
			want := make([]float64, len(rk))
			for j, n := range rk {
				nb := n.neighbours(down)
				want[j] = n.x
				if len(nb) > 0 {
					s := 0.0
					for _, m := range nb {
						s += m.x
					}
					want[j] = s / float64(len(nb))
				}
			}
			closest(rk, want)
		}
	}
	// y: ranks top to bottom (a branch's under its name).
	y := margin
	if !sc.top {
		y = branchHeader + 6
	}
	for _, rk := range sc.ranks {
		h := 0.0
		for _, n := range rk {
			h = max(h, n.h)
		}
		for _, n := range rk {
			n.y = y + h/2
		}
		if h > 0 || len(rk) > 0 {
			y += h + rankGap
		}
	}
	sc.h = y - rankGap + margin
	// x from the margin.
	left, right := math.Inf(1), math.Inf(-1)
	for _, rk := range sc.ranks {
		for _, n := range rk {
			left, right = min(left, n.x-n.w/2), max(right, n.x+n.w/2)
		}
	}
	if math.IsInf(left, 1) {
		left, right = 0, 0
	}
	for _, rk := range sc.ranks {
		for _, n := range rk {
			n.x += margin - left
		}
	}
	right += margin - left
	// Lanes on the right: one per loop, one per Catch target.
	lane := right + laneMargin
	lanes := map[*lnode]float64{}
	used := false
	for _, e := range sc.edges {
		if e.lane != -1 {
			continue
		}
		used = true
		if e.edge.Kind == graph.EdgeCatch {
			if x, ok := lanes[e.to]; ok {
				e.lane = x
				continue
			}
			lanes[e.to] = lane
		}
		e.lane = lane
		lane += laneGap
	}
	if used {
		right = lane - laneGap
	}
	sc.w = right + margin
}

// closest moves the boxes of a rank as near as they can get to want, in
// their order and apart by sep: least squares under the order constraints
// (pool adjacent violators on the positions less the least offsets).
func closest(rk []*lnode, want []float64) {
	if len(rk) == 0 {
		return
	}
	off := make([]float64, len(rk))
	for i := 1; i < len(rk); i++ {
		off[i] = off[i-1] + sep(rk[i-1], rk[i])
	}
	type block struct {
		sum   float64
		count int
	}
	var blocks []block
	var sizes []int
	for i := range rk {
		blocks = append(blocks, block{want[i] - off[i], 1})
		sizes = append(sizes, 1)
		for len(blocks) > 1 {
			a, b := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if a.sum/float64(a.count) <= b.sum/float64(b.count) {
				break
			}
			blocks = blocks[:len(blocks)-1]
			blocks[len(blocks)-1] = block{a.sum + b.sum, a.count + b.count}
			n := sizes[len(sizes)-1]
			sizes = sizes[:len(sizes)-1]
			sizes[len(sizes)-1] += n
		}
	}
	i := 0
	for k, b := range blocks {
		v := b.sum / float64(b.count)
		for j := 0; j < sizes[k]; j++ {
			rk[i].x = v + off[i]
			i++
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sweep is the ranks from the top (down) or from the bottom: the order of
// one pass of the ordering and the placing.
func (sc *scope) sweep(down bool) iter.Seq2[int, []*lnode] {
	if down {
		return slices.All(sc.ranks)
	}
	return slices.Backward(sc.ranks)
}

// neighbours are a node's in the rank a sweep comes from: above it going
// down, below it going up.
func (n *lnode) neighbours(down bool) []*lnode {
	if down {
		return n.preds
	}
	return n.succs
}
