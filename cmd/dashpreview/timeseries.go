package main

import (
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"

	"github.com/virtual-store/virtual-store/dashboards"
)

// A time series panel: gonum's plot with plotters of its own (lines,
// fills, threshold lines, the grid) and the axes laid out by niceAxis.

// drawTimeSeries draws the series as lines with a light fill (stacked when
// the panel stacks), the thresholds as dashed lines, the unit on the axes
// (a second one on the right for the queries the panel puts there), and
// the legend below.
func drawTimeSeries(c canvas, area vg.Rectangle, p dashboards.Panel, d panelData, v view) {
	if !slices.ContainsFunc(d.Series, func(s series) bool { return finite(s.Points) }) {
		// Nothing to draw (series of NaN only, e.g. quantiles of no
		// requests, draw nothing either).
		noData(c, area)
		return
	}
	// Legend first: it takes what it needs from the bottom, up to about a
	// third of the panel.
	names := make([]string, len(d.Series))
	for i, s := range d.Series {
		names[i] = s.Name
		if _, right := p.RightAxis[s.RefID]; right && len(p.RightAxis) < len(p.Queries) {
			names[i] += " (right)"
		}
	}
	maxLines := max(1, int(float64(area.Max.Y-area.Min.Y)*0.34/legendLH))
	lsty := legendStyle()
	width := float64(area.Max.X - area.Min.X)
	widths := make([]float64, len(names))
	for i, n := range names {
		names[i] = fit(lsty, n, width-swatchW)
		widths[i] = swatchW + float64(lsty.Width(names[i])) + entryGap
	}
	lines, hidden := legendLayout(widths, width, maxLines, float64(lsty.Width("+999 more")))
	area.Min.Y += vg.Length(len(lines)*legendLH + 4)
	drawLegend(c, area.Min.Y-4, float64(area.Min.X), lines, hidden, names)

	var left, right []drawn
	for i, s := range d.Series {
		ds := drawn{pts: s.Points, color: palette[i%len(palette)]}
		if _, ok := p.RightAxis[s.RefID]; ok {
			right = append(right, ds)
		} else {
			left = append(left, ds)
		}
	}
	if p.Stack {
		left = stack(left)
	}
	plotH := float64(area.Max.Y - area.Min.Y)
	intervals := min(max(2, int(plotH/55)), 6)
	lo, hi := valueRange(left)
	yl := niceAxis(p.Unit, lo, hi, p.Min, p.Max, intervals)

	pl := plot.New()
	pl.BackgroundColor = nil
	start, end := float64(v.Start.Unix()), float64(v.End.Unix())
	for _, ax := range []*plot.Axis{&pl.X, &pl.Y} {
		ax.LineStyle = vgdraw.LineStyle{}
		ax.Padding = 0
		ax.Tick.LineStyle = vgdraw.LineStyle{}
		ax.Tick.Length = 0
		ax.Tick.Label = style(sans, 10.5, muted)
	}
	pl.X.Tick.Label.XAlign, pl.X.Tick.Label.YAlign = text.XCenter, text.YTop
	pl.Y.Tick.Label.XAlign, pl.Y.Tick.Label.YAlign = text.XRight, text.YCenter
	pl.Y.Tick.Length = 4 // the gap between the labels and the data
	pl.Y.Tick.Marker = axisTicks(yl)
	pl.Add(grid{})
	leftData := slices.ContainsFunc(left, func(s drawn) bool { return finite(s.pts) })
	for _, t := range p.Thresholds.Steps {
		// On the axis only (Grafana does not widen it for them), and only
		// where the axis has data.
		if leftData && t.Value > yl.Min && t.Value <= yl.Max {
			pl.Add(hline{y: t.Value, color: named(t.Color)})
		}
	}
	// Grafana fills under every line (fillOpacity 10); the fills of several
	// overlapping lines only muddy a small image, so only a stack's bands
	// and a lone series are filled.
	filled := p.Stack || len(d.Series) == 1
	addSeries(pl, left, p.Stack, filled, yl.Min, d.Step, func(v float64) float64 { return v })

	// The right axis: its own nice range over as many intervals as the
	// left one, so that its labels sit on the left's grid lines.
	var yr axis
	rightW := 0.0
	if len(right) > 0 {
		unit := rightUnit(p)
		rlo, rhi := valueRange(right)
		yr = alignedAxis(unit, rlo, rhi, p.Min, len(yl.Ticks)-1)
		for _, l := range yr.Labels {
			rightW = max(rightW, float64(pl.Y.Tick.Label.Width(l)))
		}
		rightW += 6
		toLeft := func(v float64) float64 { return yl.Min + (v-yr.Min)/(yr.Max-yr.Min)*(yl.Max-yl.Min) }
		addSeries(pl, right, false, filled, yr.Min, d.Step, toLeft)
	}
	// Time labels, none so close to an edge that it would run into the
	// value labels there.
	dataW := float64(area.Max.X-area.Min.X) - rightW
	for _, l := range yl.Labels {
		dataW = min(dataW, float64(area.Max.X-area.Min.X)-rightW-float64(pl.Y.Tick.Label.Width(l)))
	}
	edge := (float64(pl.X.Tick.Label.Width("00:00:00"))/2 + 4) / dataW * (end - start)
	pl.X.Tick.Marker = plot.ConstantTicks(timeTicks(start, end, int(dataW/85), edge, v.Loc))
	pl.X.Min, pl.X.Max = start, end
	pl.Y.Min, pl.Y.Max = yl.Min, yl.Max
	pc := vgdraw.Canvas{Canvas: c.c.Canvas, Rectangle: area}
	pc.Max.X -= vg.Length(rightW)
	pl.Draw(pc)
	if len(right) > 0 {
		dc := pl.DataCanvas(pc)
		_, ty := pl.Transforms(&dc)
		sty := pl.Y.Tick.Label
		sty.XAlign, sty.YAlign = text.XLeft, text.YCenter
		for i, t := range yr.Ticks {
			y := ty(yl.Min + (t-yr.Min)/(yr.Max-yr.Min)*(yl.Max-yl.Min))
			c.c.FillText(sty, vg.Point{X: dc.Max.X + 6, Y: y}, yr.Labels[i])
		}
	}
}

// finite tells whether any point has a finite value.
func finite(pts []point) bool {
	return slices.ContainsFunc(pts, func(p point) bool { return !math.IsNaN(p.V) && !math.IsInf(p.V, 0) })
}

// valueRange is the smallest and largest finite value of the series (0
// and 1 when there is none).
func valueRange(ss []drawn) (lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	for _, s := range ss {
		for _, p := range s.pts {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			if math.IsNaN(lo) || p.V < lo {
				lo = p.V
			}
			if math.IsNaN(hi) || p.V > hi {
				hi = p.V
			}
		}
	}
	if math.IsNaN(lo) {
		return 0, 1
	}
	return lo, hi
}

// stack sums the series over each timestamp, in order (Grafana's normal
// stacking): a missing or NaN value adds nothing.
func stack(ss []drawn) []drawn {
	sum := map[float64]float64{}
	out := make([]drawn, len(ss))
	for i, s := range ss {
		out[i] = drawn{pts: make([]point, len(s.pts)), color: s.color}
		for j, p := range s.pts {
			if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
				sum[p.T] += p.V
			}
			out[i].pts[j] = point{p.T, sum[p.T]}
		}
	}
	return out
}

// drawn is a series as drawn: its points (stacked if so) and colour.
type drawn struct {
	pts   []point
	color color.Color
}

// rightUnit is the unit of the panel's right axis (its overrides name one).
func rightUnit(p dashboards.Panel) string {
	for _, u := range p.RightAxis {
		return u
	}
	return ""
}

// addSeries adds each series as a line, split where a sample is missing or
// not a number, filled down to base (to the series below when stacked) if
// filled. to maps a value onto the left axis.
func addSeries(pl *plot.Plot, ss []drawn, stacked, filled bool, base float64, step time.Duration, to func(float64) float64) {
	below := map[float64]float64{}
	for _, s := range ss {
		col := s.color
		for _, seg := range segments(s.pts, step) {
			var upper, lower []point
			for _, p := range seg {
				upper = append(upper, point{p.T, to(p.V)})
				b := base
				if stacked {
					if v, ok := below[p.T]; ok {
						b = v
					}
				}
				lower = append(lower, point{p.T, to(b)})
			}
			if filled {
				pl.Add(fill{upper: upper, lower: lower, color: withAlpha(col, fillAlpha)})
			}
			pl.Add(line{pts: upper, color: col})
		}
		if stacked {
			for _, p := range s.pts {
				if !math.IsNaN(p.V) {
					below[p.T] = p.V
				}
			}
		}
	}
}

// segments splits points where a value is not a number or samples are
// missing (a gap of more than 1.5 steps), as Grafana breaks a line.
func segments(pts []point, step time.Duration) [][]point {
	var out [][]point
	var cur []point
	gap := 1.5 * step.Seconds()
	for _, p := range pts {
		bad := math.IsNaN(p.V) || math.IsInf(p.V, 0)
		if bad || (len(cur) > 0 && step > 0 && p.T-cur[len(cur)-1].T > gap) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
		}
		if !bad {
			cur = append(cur, p)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// line, fill and hline are plotters: a series' line, the area under it and
// a dashed threshold line.
type line struct {
	pts   []point
	color color.Color
}

func (l line) Plot(c vgdraw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	pts := make([]vg.Point, len(l.pts))
	for i, pt := range l.pts {
		pts[i] = vg.Point{X: tx(pt.T), Y: ty(pt.V)}
	}
	if len(pts) == 1 { // a lone sample: a short tick
		pts = append(pts, vg.Point{X: pts[0].X + 2, Y: pts[0].Y})
		pts[0].X -= 2
	}
	c.StrokeLines(vgdraw.LineStyle{Color: l.color, Width: 1}, c.ClipLinesXY(pts)...)
}

type fill struct {
	upper, lower []point
	color        color.Color
}

func (f fill) Plot(c vgdraw.Canvas, p *plot.Plot) {
	if len(f.upper) < 2 {
		return
	}
	tx, ty := p.Transforms(&c)
	var pts []vg.Point
	for _, pt := range f.upper {
		pts = append(pts, vg.Point{X: tx(pt.T), Y: ty(pt.V)})
	}
	for i := len(f.lower) - 1; i >= 0; i-- {
		pts = append(pts, vg.Point{X: tx(f.lower[i].T), Y: ty(f.lower[i].V)})
	}
	c.FillPolygon(f.color, c.ClipPolygonXY(pts))
}

// grid is a horizontal line at each value tick, on whole pixels (sharp,
// and smaller to store than anti-aliased). Grafana's vertical lines at the
// time ticks are left out: every row of pixels they cross costs bytes, and
// the time labels say enough.
type grid struct{}

func (grid) Plot(c vgdraw.Canvas, p *plot.Plot) {
	_, ty := p.Transforms(&c)
	sty := vgdraw.LineStyle{Color: gridColor, Width: 1}
	for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		y := snap(ty(t.Value))
		c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	}
}

// snap puts a coordinate on a pixel's centre: a 1 px line there covers one
// row or column of pixels instead of half of two.
func snap(v vg.Length) vg.Length { return vg.Length(math.Floor(float64(v))) + 0.5 }

type hline struct {
	y     float64
	color color.Color
}

func (h hline) Plot(c vgdraw.Canvas, p *plot.Plot) {
	_, ty := p.Transforms(&c)
	y := snap(ty(h.y))
	c.StrokeLine2(vgdraw.LineStyle{Color: h.color, Width: 1, Dashes: []vg.Length{5, 4}}, c.Min.X, y, c.Max.X, y)
}

// axisTicks are an axis' labelled ticks for gonum.
func axisTicks(a axis) plot.ConstantTicks {
	out := make(plot.ConstantTicks, len(a.Ticks))
	for i, t := range a.Ticks {
		out[i] = plot.Tick{Value: t, Label: a.Labels[i]}
	}
	return out
}

// timeTicks are labelled times from start to end (Unix seconds), on round
// local times, at most n of them, none within edge of either end.
func timeTicks(start, end float64, n int, edge float64, loc *time.Location) []plot.Tick {
	if loc == nil {
		loc = time.Local
	}
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if (end-start)/s <= float64(max(n, 2)) {
			step = s
			break
		}
	}
	format := "15:04"
	if step < 60 {
		format = "15:04:05"
	}
	_, off := time.Unix(int64(start), 0).In(loc).Zone()
	var out []plot.Tick
	for t := math.Ceil((start+float64(off))/step)*step - float64(off); t <= end; t += step {
		if t >= start+edge && t <= end-edge {
			out = append(out, plot.Tick{Value: t, Label: time.Unix(int64(t), 0).In(loc).Format(format)})
		}
	}
	return out
}
