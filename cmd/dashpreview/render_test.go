package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/dashboards"
)

// canned is made-up data for every query of a page's panels: a series per
// query, three when its legend names a label, values of the unit's usual
// size, a gap in the middle of the first series.
func canned(pg page, start, end time.Time, step time.Duration) []panelData {
	label := regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)
	size := map[string]float64{"s": 0.004, "percentunit": 0.02, "bytes": 40 << 20, "reqps": 12, "ops": 8, "short": 30}
	out := make([]panelData, len(pg.Panels))
	for i, pl := range pg.Panels {
		p := pl.Panel
		out[i].Step = step
		for qi, q := range p.Queries {
			unit := p.Unit
			if u, ok := p.RightAxis[q.RefID]; ok {
				unit = u
			}
			n := 1
			if label.MatchString(q.Legend) {
				n = 3
			}
			for k := range n {
				metric := map[string]string{}
				for _, m := range label.FindAllStringSubmatch(q.Legend, -1) {
					metric[m[1]] = string(rune('a'+k)) + "-" + m[1]
				}
				var pts []point
				for t := start; !t.After(end); t = t.Add(step) {
					x := t.Sub(start).Seconds()
					v := size[unit] * (1 + 0.4*float64(qi+k) + 0.3*math.Sin(x/40+float64(k)))
					if qi == 0 && k == 0 && x > 400 && x < 460 {
						v = math.NaN()
					}
					pts = append(pts, point{float64(t.Unix()), v})
				}
				out[i].Series = append(out[i].Series, series{RefID: q.RefID, Name: legend(q.Legend, metric, q.Expr), Points: pts})
			}
		}
	}
	return out
}

// The resolvers dashboard (collapsed rows, a right axis, thresholds) and a
// small one with stat and stacked panels render from canned results to a
// PNG of the page's size that is not blank: each panel has drawn pixels in
// the palette's first colour or, for a stat, in a threshold colour.
// DASHPREVIEW_TEST_OUT=dir keeps the images to look at.
func TestRenderCannedDashboard(t *testing.T) {
	ds, err := dashboards.All()
	if err != nil {
		t.Fatal(err)
	}
	var resolvers dashboards.Dashboard
	for _, d := range ds {
		if d.UID == "virtual-store-resolvers" {
			resolvers = d
		}
	}
	// Its first two rows: the summary and a collapsed subgraph row (all
	// of it takes long under the race detector).
	resolvers.Rows = resolvers.Rows[:2]
	small := sampleDashboard()
	small.Rows[0].Panels[0].Kind = dashboards.Stat
	small.Rows[0].Panels[0].Thresholds = dashboards.Thresholds{Base: "green", Steps: []dashboards.Step{{Value: 1, Color: "red"}}}
	small.Rows[0].Panels[1].Stack = true
	for ri := range small.Rows {
		for pi := range small.Rows[ri].Panels {
			small.Rows[ri].Panels[pi].Queries = []dashboards.Query{{RefID: "A", Expr: "up", Legend: "{{instance}}"}}
		}
	}
	// Faster, and larger: under the size checked, so is the real thing.
	defer func(c png.CompressionLevel) { compression = c }(compression)
	compression = png.BestSpeed
	dir := os.Getenv("DASHPREVIEW_TEST_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	end := time.Date(2026, 12, 1, 10, 15, 0, 0, time.UTC)
	start := end.Add(-15 * time.Minute)
	for _, d := range []dashboards.Dashboard{resolvers, small} {
		pg := layout(d, 1600)
		img := renderPage(d, pg, canned(pg, start, end, 15*time.Second), view{Start: start, End: end, Loc: time.UTC, Source: "canned data"})
		path := filepath.Join(dir, strings.TrimSuffix(d.File, ".json")+".png")
		size, err := writePNG(path, img, 400<<10)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != image.Rect(0, 0, pg.W, pg.H) {
			t.Fatalf("%s: %v, want %dx%d", d.File, got.Bounds(), pg.W, pg.H)
		}
		t.Logf("%s: %dx%d, %d KB", path, pg.W, pg.H, size/1024)
		if size > 400<<10 {
			t.Errorf("%s: %d KB, want under 400 KB", path, size/1024)
		}
		for _, p := range pg.Panels {
			want := []color.Color{palette[0]}
			if p.Panel.Kind == dashboards.Stat {
				want = []color.Color{named("green"), named("red")}
			}
			if n := countColors(got, p.R, want); n < 20 {
				t.Errorf("%s: panel %q has %d pixels of its series' colour: blank?", d.File, p.Panel.Title, n)
			}
		}
	}
}

// countColors counts the pixels in r close to one of cs.
func countColors(img image.Image, r image.Rectangle, cs []color.Color) int {
	p, ok := img.(*image.Paletted)
	if !ok {
		panic("want a paletted PNG")
	}
	near := make([]bool, len(p.Palette))
	for i, pc := range p.Palette {
		r1, g1, b1, _ := pc.RGBA()
		for _, c := range cs {
			r2, g2, b2, _ := c.RGBA()
			near[i] = near[i] || diff(r1, r2)+diff(g1, g2)+diff(b1, b2) < 3*0x0C00
		}
	}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, i := range p.Pix[p.PixOffset(r.Min.X, y):p.PixOffset(r.Max.X, y)] {
			if near[i] {
				n++
			}
		}
	}
	return n
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
