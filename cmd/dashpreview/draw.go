package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"time"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/virtual-store/virtual-store/dashboards"
)

// Drawing: every panel, row band and the header is drawn with gonum's vg
// on an image of its own (at 72 dpi, so that a point is a pixel), then
// composed onto the page with image/draw. Colours are Grafana's light
// theme.

var (
	pageBG    = rgb(0xF4F5F5)
	panelBG   = color.White
	border    = rgb(0xDCDDDE)
	textColor = rgb(0x24292E)
	muted     = rgb(0x6E7079)
	gridColor = rgb(0xE9EAEB)
	errColor  = rgb(0xD10E5C)

	// palette is Grafana's classic palette, the series colours in order.
	palette = []color.Color{
		rgb(0x7EB26D), rgb(0xEAB839), rgb(0x6ED0E0), rgb(0xEF843C), rgb(0xE24D42),
		rgb(0x1F78C1), rgb(0xBA43A9), rgb(0x705DA0), rgb(0x508642), rgb(0xCCA300),
		rgb(0x447EBC), rgb(0xC15C17), rgb(0x890F02), rgb(0x0A437C), rgb(0x6D1F62),
		rgb(0x584477),
	}

	// namedColors are the threshold colours by Grafana name (light theme).
	namedColors = map[string]color.Color{
		"green": rgb(0x56A64B), "orange": rgb(0xFF780A), "red": rgb(0xE02F44),
		"yellow": rgb(0xE0B400), "blue": rgb(0x3274D9), "purple": rgb(0x8F3BB8),
		"text": textColor,
	}

	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
	bold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xFF}
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

func named(name string) color.Color {
	if c, ok := namedColors[name]; ok {
		return c
	}
	var v uint32
	if _, err := fmt.Sscanf(name, "#%06x", &v); err == nil {
		return rgb(v)
	}
	return textColor
}

func style(f font.Font, size float64, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(f, vg.Length(size)), Handler: snappedText{text.Plain{Fonts: font.DefaultCache}}}
}

// snappedText is gonum's plain text drawn from whole pixels, without
// kerning. From whole pixels, a label renders to the same pixels wherever
// it is: sharper, and the PNG stores a repeated one (the same legend in
// panels side by side) for almost nothing. Kerning rounded to whole pixels
// at these sizes overdoes it: the period of "Query.orders" hides under
// the y, "AddToCart" reads "AddTo Cart". Rotation is not supported
// (nothing here is rotated).
type snappedText struct{ text.Plain }

// noKerning puts a zero-width space between the characters: no two of
// them make a kerning pair.
func noKerning(s string) string { return strings.Join(strings.Split(s, ""), "\u200b") }

func (h snappedText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	return h.Plain.Box(noKerning(txt), fnt)
}

func (h snappedText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if txt == "" {
		return
	}
	fnt := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	c.SetColor(sty.Color)
	lines := h.Lines(txt)
	y := pt.Y + sty.Height(txt)*vg.Length(sty.YAlign) - fnt.Extents().Ascent
	for i, line := range lines {
		x := pt.X + vg.Length(sty.XAlign)*fnt.Width(noKerning(line))
		base := y + vg.Length(len(lines)-i)*sty.Font.Size
		c.FillString(fnt, vg.Point{X: vg.Length(math.Round(float64(x))), Y: vg.Length(math.Round(float64(base)))}, noKerning(line))
	}
}

// view is what the whole page shows: the time range and how it was read.
type view struct {
	Start, End time.Time
	Source     string // e.g. "Prometheus http://localhost:9090, scrape interval 5s"
	Loc        *time.Location
}

// renderPage draws a laid-out dashboard, data[i] being pg.Panels[i]'s.
func renderPage(d dashboards.Dashboard, pg page, data []panelData, v view) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, pg.W, pg.H))
	draw.Draw(img, img.Bounds(), image.NewUniform(pageBG), image.Point{}, draw.Src)
	compose(img, pg.Header, drawHeader(d, v, pg.Header.Dx(), pg.Header.Dy()))
	for _, b := range pg.Bands {
		compose(img, b.R, drawBand(b, b.R.Dx(), b.R.Dy()))
	}
	for i, p := range pg.Panels {
		compose(img, p.R, drawPanel(p.Panel, data[i], v, p.R.Dx(), p.R.Dy()))
	}
	return img
}

func compose(dst *image.RGBA, r image.Rectangle, src image.Image) {
	draw.Draw(dst, r, src, src.Bounds().Min, draw.Over)
}

// canvas is a w x h pixel image drawn with vg: y grows upwards, one unit is
// one pixel. top(y) turns a distance from the top edge into vg's y.
type canvas struct {
	img  *vgimg.Canvas
	c    vgdraw.Canvas
	w, h float64
}

func newCanvas(w, h int, bg color.Color) canvas {
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(w), vg.Length(h)), vgimg.UseDPI(72), vgimg.UseBackgroundColor(bg))
	return canvas{img: img, c: vgdraw.New(img), w: float64(w), h: float64(h)}
}

func (c canvas) top(y float64) vg.Length { return vg.Length(c.h - y) }

// text writes s with its top-left corner (or top-centre, top-right, per
// sty's alignment) at x, y from the top.
func (c canvas) text(sty text.Style, x, y float64, s string) {
	sty.YAlign = text.YTop
	c.c.FillText(sty, vg.Point{X: vg.Length(x), Y: c.top(y)}, s)
}

// fit shortens s with an ellipsis to at most w pixels in sty.
func fit(sty text.Style, s string, w float64) string {
	if float64(sty.Width(s)) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && float64(sty.Width(string(r)+"…")) > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func (c canvas) rect(x0, y0, x1, y1 float64, fill color.Color) {
	c.c.FillPolygon(fill, []vg.Point{
		{X: vg.Length(x0), Y: c.top(y0)}, {X: vg.Length(x1), Y: c.top(y0)},
		{X: vg.Length(x1), Y: c.top(y1)}, {X: vg.Length(x0), Y: c.top(y1)},
	})
}

func (c canvas) frame() {
	c.c.StrokeLines(vgdraw.LineStyle{Color: border, Width: 1}, []vg.Point{
		{X: 0.5, Y: 0.5}, {X: vg.Length(c.w - 0.5), Y: 0.5},
		{X: vg.Length(c.w - 0.5), Y: vg.Length(c.h - 0.5)}, {X: 0.5, Y: vg.Length(c.h - 0.5)}, {X: 0.5, Y: 0.5},
	})
}

func drawHeader(d dashboards.Dashboard, v view, w, h int) image.Image {
	c := newCanvas(w, h, pageBG)
	c.text(style(bold, 20, textColor), pagePad, 8, d.Title)
	loc := v.Loc
	if loc == nil {
		loc = time.Local
	}
	rng := v.End.Sub(v.Start).Round(time.Second)
	sub := fmt.Sprintf("Last %s: %s to %s %s · namespace All, instance All · %s · rows collapsed in Grafana are shown open",
		strings.TrimSuffix(strings.TrimSuffix(rng.String(), "0s"), "0m"),
		v.Start.In(loc).Format("2006-01-02 15:04:05"), v.End.In(loc).Format("15:04:05"), v.End.In(loc).Format("MST"), v.Source)
	c.text(style(sans, 12, muted), pagePad, 34, fit(style(sans, 12, muted), sub, float64(w-2*pagePad)))
	return c.img.Image()
}

func drawBand(b band, w, h int) image.Image {
	c := newCanvas(w, h, pageBG)
	sty := style(bold, 15, textColor)
	mark := "▼ "
	if b.Collapsed {
		mark = "► "
	}
	c.text(sty, 2, 7, mark+b.Title)
	if b.Collapsed {
		note := style(sans, 11, muted)
		c.text(note, 14+float64(sty.Width(mark+b.Title)), 10, "collapsed in Grafana, shown open")
	}
	c.rect(0, float64(h)-1, float64(w), float64(h), border)
	return c.img.Image()
}

// fillAlpha is the opacity of the area under a line: Grafana's fillOpacity
// 10 (%).
const fillAlpha = 26

// Panel geometry, in pixels.
const (
	panelPad = 8
	titleH   = 26
	legendLH = 16 // a legend line
)

func drawPanel(p dashboards.Panel, d panelData, v view, w, h int) image.Image {
	c := newCanvas(w, h, panelBG)
	c.frame()
	c.text(style(bold, 13, textColor), panelPad, 7, fit(style(bold, 13, textColor), p.Title, float64(w-2*panelPad)))
	top := float64(titleH)
	errSty := style(sans, 10.5, errColor)
	for _, e := range d.Errs {
		c.text(errSty, panelPad, top, fit(errSty, "⚠ "+e, float64(w-2*panelPad)))
		top += 14
	}
	area := vg.Rectangle{Min: vg.Point{X: panelPad, Y: panelPad}, Max: vg.Point{X: vg.Length(w - panelPad), Y: c.top(top)}}
	if p.Kind == dashboards.Stat {
		drawStat(c, area, p, d)
	} else {
		drawTimeSeries(c, area, p, d, v)
	}
	return c.img.Image()
}

func noData(c canvas, area vg.Rectangle) {
	sty := style(sans, 13, muted)
	sty.XAlign, sty.YAlign = text.XCenter, text.YCenter
	c.c.FillText(sty, vg.Point{X: (area.Min.X + area.Max.X) / 2, Y: (area.Min.Y + area.Max.Y) / 2}, "No data")
}

// thresholdColor is the colour of v under t: the base below the first
// step, else the highest step at or under v.
func thresholdColor(t dashboards.Thresholds, v float64) color.Color {
	if math.IsNaN(v) {
		return muted
	}
	col := named(t.Base)
	if t.Base == "" {
		col = textColor
	}
	for _, s := range t.Steps {
		if v >= s.Value {
			col = named(s.Color)
		}
	}
	return col
}

// drawStat shows each series' last value, big, coloured by the thresholds,
// side by side (named when there are several).
func drawStat(c canvas, area vg.Rectangle, p dashboards.Panel, d panelData) {
	if len(d.Series) == 0 {
		noData(c, area)
		return
	}
	n := len(d.Series)
	cellW := (area.Max.X - area.Min.X) / vg.Length(n)
	height := area.Max.Y - area.Min.Y
	nameH := vg.Length(0)
	if n > 1 {
		nameH = 16
	}
	for i, s := range d.Series {
		val := lastValue(s)
		txt := formatValue(p.Unit, val)
		if math.IsNaN(val) {
			txt = "No data"
		}
		sty := style(bold, 10, thresholdColor(p.Thresholds, val))
		size := min(float64(height-nameH)*0.7, 0.9*float64(cellW)/(float64(sty.Width(txt))/10), 56)
		sty = style(bold, size, sty.Color)
		sty.XAlign, sty.YAlign = text.XCenter, text.YCenter
		x := area.Min.X + cellW*vg.Length(i) + cellW/2
		c.c.FillText(sty, vg.Point{X: x, Y: area.Min.Y + nameH + (height-nameH)/2}, txt)
		if n > 1 {
			ns := style(sans, 11, muted)
			ns.XAlign = text.XCenter
			c.c.FillText(ns, vg.Point{X: x, Y: area.Min.Y + 2}, fit(ns, s.Name, float64(cellW)-4))
		}
	}
}

// legendLayout flows legend entries widths[i] wide into lines at most
// width wide, at most maxLines of them; hidden is how many entries did not
// fit: the last line then leaves moreW for "+N more".
func legendLayout(widths []float64, width float64, maxLines int, moreW float64) (lines [][]int, hidden int) {
	var cur []int
	x := 0.0
	for i, w := range widths {
		if len(cur) > 0 && x+w > width {
			lines = append(lines, cur)
			cur, x = nil, 0
		}
		cur = append(cur, i)
		x += w
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	if len(lines) <= maxLines {
		return lines, 0
	}
	lines = lines[:maxLines]
	last := lines[maxLines-1]
	used := 0.0
	for _, i := range last {
		used += widths[i]
	}
	for len(last) > 1 && used+moreW > width {
		used -= widths[last[len(last)-1]]
		last = last[:len(last)-1]
	}
	lines[maxLines-1] = last
	return lines, len(widths) - 1 - last[len(last)-1]
}

// legend entries: a colour swatch, the name, a gap.
const swatchW, entryGap = 18.0, 14.0

func legendStyle() text.Style { return style(sans, 11, textColor) }

func drawLegend(c canvas, topY vg.Length, x0 float64, lines [][]int, hidden int, names []string) {
	sty := legendStyle()
	sty.YAlign = text.YCenter
	for li, ln := range lines {
		y := vg.Length(math.Round(float64(topY))) - vg.Length(li*legendLH) - legendLH/2
		x := x0
		for _, i := range ln {
			x = math.Round(x)
			col := palette[i%len(palette)]
			c.c.FillPolygon(col, []vg.Point{{X: vg.Length(x), Y: y - 1.5}, {X: vg.Length(x + 14), Y: y - 1.5}, {X: vg.Length(x + 14), Y: y + 1.5}, {X: vg.Length(x), Y: y + 1.5}})
			c.c.FillText(sty, vg.Point{X: vg.Length(x + swatchW), Y: y}, names[i])
			x += swatchW + float64(sty.Width(names[i])) + entryGap
		}
		if hidden > 0 && li == len(lines)-1 {
			ms := sty
			ms.Color = muted
			c.c.FillText(ms, vg.Point{X: vg.Length(x), Y: y}, fmt.Sprintf("+%d more", hidden))
		}
	}
}
