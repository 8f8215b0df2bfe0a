package page

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/statemachine/graph"
)

// esc makes text safe as element text and in a double-quoted attribute.
func esc(s string) string { return html.EscapeString(s) }

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// svgWriter writes one machine's drawing.
type svgWriter struct {
	b *strings.Builder
	// marks, badges and taken are the first run's, drawn in the page as
	// served (the script redraws them for the run chosen).
	marks  map[string]string
	badges map[string]string
	taken  map[int]bool
}

func (w *svgWriter) p(parts ...string) {
	for _, s := range parts {
		w.b.WriteString(s)
	}
}

// writeSVG draws a laid out machine: the Parallel and Map boxes with their
// branches, then the transitions, then the states.
func (w *svgWriter) writeSVG(name string, sc *scope) {
	w.p(`<svg class="graph" data-machine="`, esc(name), `" viewBox="0 0 `, num(sc.w), " ", num(sc.h), `" width="`, num(sc.w),
		`" height="`, num(sc.h), `" role="group" aria-label="`, esc(name), `">`, "\n")
	var boxes, edges, nodes strings.Builder
	w.scope(sc, 0, 0, &boxes, &edges, &nodes)
	w.p(`<g class="boxes">`, boxes.String(), "</g>\n")
	w.p(`<g class="edges">`, edges.String(), "</g>\n")
	w.p(`<g class="nodes">`, nodes.String(), "</g>\n")
	w.p("</svg>\n")
}

type pt struct{ x, y float64 }

func (w *svgWriter) scope(sc *scope, ox, oy float64, boxes, edges, nodes *strings.Builder) {
	abs := func(n *lnode) pt { return pt{ox + n.x, oy + n.y} }
	for _, n := range sc.nodes {
		c := abs(n)
		switch {
		case n.kind == "start" || n.kind == "end":
			fmt.Fprintf(nodes, `<g class="terminal %s"><rect x="%s" y="%s" width="%s" height="%s" rx="12"/><text x="%s" y="%s">%s</text></g>`+"\n",
				n.kind, num(c.x-n.w/2), num(c.y-n.h/2), num(n.w), num(n.h), num(c.x), num(c.y+4), esc(n.lines[0]))
		case n.kind == "state" && len(n.inner) > 0:
			w.compound(n, c, boxes, edges, nodes)
		case n.kind == "state":
			w.state(n, c, nodes)
		}
	}
	// Endpoints spread along a box's top (incoming) and bottom (outgoing).
	type end struct {
		e   *ledge
		out bool
	}
	ports := map[*lnode][]end{}
	for _, e := range sc.edges {
		if e.lane > 0 {
			continue
		}
		ports[e.from] = append(ports[e.from], end{e, true})
		ports[e.to] = append(ports[e.to], end{e, false})
	}
	at := map[end]float64{}
	for n, ends := range ports {
		for _, out := range []bool{true, false} {
			var side []end
			for _, p := range ends {
				if p.out == out {
					side = append(side, p)
				}
			}
			// By where the other end is, left to right.
			other := func(p end) float64 {
				if p.out {
					if len(p.e.chain) > 0 {
						return p.e.chain[0].x
					}
					return p.e.to.x
				}
				if len(p.e.chain) > 0 {
					return p.e.chain[len(p.e.chain)-1].x
				}
				return p.e.from.x
			}
			slices.SortStableFunc(side, func(a, b end) int { return cmpFloat(other(a), other(b)) })
			step := min(14, n.w/float64(2*len(side)+1))
			for i, p := range side {
				at[p] = (float64(i) - float64(len(side)-1)/2) * step
			}
		}
	}
	for _, e := range sc.edges {
		var d string
		var head [3]pt
		if e.lane > 0 {
			// Down out of the source, right to the lane, along it, and
			// left and down into the target, the horizontal stretches in
			// the gaps between the ranks (where no state is).
			from, to := abs(e.from), abs(e.to)
			sx, sy := from.x+e.from.w/2-portInset(e.from), from.y+e.from.h/2
			tx, ty := to.x+e.to.w/2-portInset(e.to), to.y-e.to.h/2
			lane := ox + e.lane
			y1, y2 := sy+rankGap/2, ty-rankGap+2
			r := 4.0
			dir := 1.0
			if y2 < y1 {
				dir = -1
			}
			d = fmt.Sprintf("M%s %sV%sQ%s %s %s %sH%sQ%s %s %s %sV%sQ%s %s %s %sH%sQ%s %s %s %sV%s",
				num(sx), num(sy), num(y1-r), num(sx), num(y1), num(sx+r), num(y1),
				num(lane-r), num(lane), num(y1), num(lane), num(y1+dir*r),
				num(y2-dir*r), num(lane), num(y2), num(lane-r), num(y2),
				num(tx+r), num(tx), num(y2), num(tx), num(y2+r), num(ty-7))
			head = [3]pt{{tx, ty}, {tx - 4, ty - 8}, {tx + 4, ty - 8}}
		} else {
			from, to := abs(e.from), abs(e.to)
			points := []pt{{from.x + at[end{e, true}], from.y + e.from.h/2}}
			for _, b := range e.chain {
				points = append(points, abs(b))
			}
			t := pt{to.x + at[end{e, false}], to.y - e.to.h/2}
			points = append(points, t)
			var sb strings.Builder
			fmt.Fprintf(&sb, "M%s %s", num(points[0].x), num(points[0].y))
			for i := 1; i < len(points); i++ {
				p, q := points[i-1], points[i]
				if i == len(points)-1 {
					q.y -= 7 // the arrowhead's length
				}
				mid := (p.y + q.y) / 2
				if p.x == q.x {
					fmt.Fprintf(&sb, "V%s", num(q.y))
				} else {
					fmt.Fprintf(&sb, "C%s %s %s %s %s %s", num(p.x), num(mid), num(q.x), num(mid), num(q.x), num(q.y))
				}
			}
			d = sb.String()
			head = [3]pt{{t.x, t.y}, {t.x - 4, t.y - 8}, {t.x + 4, t.y - 8}}
		}
		class := e.edge.Kind
		if e.lane > 0 && e.edge.Kind != graph.EdgeCatch {
			class += " loop"
		}
		if w.taken[e.index] {
			class += " taken"
		}
		fmt.Fprintf(edges, `<g class="edge %s" data-edge="%d"%s%s><path class="line" d="%s"/><path class="head" d="M%s %sL%s %sL%s %sZ"/>`,
			class, e.index, endAttr("data-from", e.from), endAttr("data-to", e.to), d,
			num(head[0].x), num(head[0].y), num(head[1].x), num(head[1].y), num(head[2].x), num(head[2].y))
		if e.label != nil {
			c := abs(e.label)
			fmt.Fprintf(edges, `<rect class="label-bg" x="%s" y="%s" width="%s" height="%s" rx="3"/><text class="label" x="%s" y="%s">%s</text>`,
				num(c.x-e.label.w/2), num(c.y-e.label.h/2), num(e.label.w), num(e.label.h), num(c.x), num(c.y+3.5), esc(e.label.lines[0]))
		}
		if e.edge.Kind == graph.EdgeCatch || e.lane > 0 {
			title := e.edge.Label
			if title == "" {
				title = "loop"
			}
			fmt.Fprintf(edges, "<title>%s</title>", esc(nodeName(e.from)+" → "+nodeName(e.to)+": "+title))
		}
		edges.WriteString("</g>\n")
	}
}

// portInset is how far left of a box's right edge the lanes leave and
// enter it.
func portInset(n *lnode) float64 {
	if n.node != nil && n.node.Type == "Choice" {
		return 22
	}
	return min(16, n.w/4)
}

func nodeName(n *lnode) string {
	if n.node != nil {
		return n.node.Name
	}
	return n.kind
}

// endAttr names a state at an end of an edge (nothing for the machine's
// start and end).
func endAttr(attr string, n *lnode) string {
	if n.node == nil {
		return ""
	}
	return " " + attr + `="` + esc(n.node.Name) + `"`
}

// stateAttrs are a state's element's attributes.
func (w *svgWriter) stateAttrs(n *lnode, extra string) string {
	class := "state t-" + strings.ToLower(n.node.Type) + extra
	if m := w.marks[n.node.Name]; m != "" {
		class += " m-" + m
	}
	return fmt.Sprintf(`class="%s" data-state="%s" data-type="%s" tabindex="0" role="button" aria-label="%s"`,
		class, esc(n.node.Name), esc(n.node.Type), esc(n.node.Name+" ("+n.node.Type+")"))
}

func tooltip(n *graph.Node) string {
	t := n.Name + "\n" + n.Type
	if n.Resource != "" {
		t += ": " + n.Resource
	}
	if n.Retried {
		t += " (retried)"
	}
	if n.Comment != "" {
		t += "\n" + n.Comment
	}
	return "<title>" + esc(t) + "</title>"
}

func (w *svgWriter) state(n *lnode, c pt, nodes *strings.Builder) {
	x0, y0, x1, y1 := c.x-n.w/2, c.y-n.h/2, c.x+n.w/2, c.y+n.h/2
	extra := ""
	if n.node.Retried {
		extra = " retried"
	}
	fmt.Fprintf(nodes, "<g %s>%s", w.stateAttrs(n, extra), tooltip(n.node))
	switch n.node.Type {
	case "Choice":
		k := 12.0
		fmt.Fprintf(nodes, `<polygon class="shape" points="%s,%s %s,%s %s,%s %s,%s %s,%s %s,%s"/>`,
			num(x0), num(c.y), num(x0+k), num(y0), num(x1-k), num(y0), num(x1), num(c.y), num(x1-k), num(y1), num(x0+k), num(y1))
	case "Wait":
		k := 8.0
		fmt.Fprintf(nodes, `<polygon class="shape" points="%s,%s %s,%s %s,%s %s,%s"/>`,
			num(x0+k), num(y0), num(x1), num(y0), num(x1-k), num(y1), num(x0), num(y1))
	default:
		rx := 6.0
		switch n.node.Type {
		case "Pass", "Succeed", "Fail":
			rx = 14
		}
		fmt.Fprintf(nodes, `<rect class="shape" x="%s" y="%s" width="%s" height="%s" rx="%s"/>`, num(x0), num(y0), num(n.w), num(n.h), num(rx))
	}
	top := c.y - n.h/2 + 6 + lineHeight - 3
	nodes.WriteString(`<text class="name">`)
	for i, l := range n.lines {
		fmt.Fprintf(nodes, `<tspan x="%s" y="%s">%s</tspan>`, num(c.x), num(top+float64(i)*lineHeight), esc(l))
	}
	fmt.Fprintf(nodes, `</text><text class="badge" x="%s" y="%s">%s</text></g>`+"\n", num(c.x), num(y1-6), esc(w.badges[n.node.Name]))
}

// compound draws a Parallel or a Map: its box and name, its branches' boxes,
// and what is in them.
func (w *svgWriter) compound(n *lnode, c pt, boxes, edges, nodes *strings.Builder) {
	x0, y0 := c.x-n.w/2, c.y-n.h/2
	fmt.Fprintf(boxes, `<g %s>%s<rect class="shape" x="%s" y="%s" width="%s" height="%s" rx="8"/>`,
		w.stateAttrs(n, " compound"), tooltip(n.node), num(x0), num(y0), num(n.w), num(n.h))
	fmt.Fprintf(boxes, `<text class="name" x="%s" y="%s">%s</text><text class="badge" x="%s" y="%s">%s</text></g>`+"\n",
		num(x0+10), num(y0+17), esc(graph.OneLine(n.node.Name)), num(x0+n.w-10), num(y0+17), esc(w.badges[n.node.Name]))
	total := float64(len(n.inner)-1) * groupPad
	for _, b := range n.inner {
		total += b.w
	}
	bx := c.x - total/2
	by := y0 + groupHeader
	for i, b := range n.inner {
		label := fmt.Sprintf("branch %d", i+1)
		if n.node.Type == "Map" {
			label = "each item"
		}
		fmt.Fprintf(boxes, `<g class="branch"><rect x="%s" y="%s" width="%s" height="%s" rx="6"/><text x="%s" y="%s">%s</text></g>`+"\n",
			num(bx), num(by), num(b.w), num(b.h), num(bx+8), num(by+12), esc(label))
		w.scope(b, bx, by, boxes, edges, nodes)
		bx += b.w + groupPad
	}
}
