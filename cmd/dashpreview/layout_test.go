package main

import (
	"fmt"
	"image"
	"testing"

	"github.com/virtual-store/virtual-store/dashboards"
)

// sampleDashboard has an open row, a collapsed one and an open one after
// it, with grid positions as dashboards' layout sets them: a collapsed
// row's panels where they go when it is opened, the next row right after
// the collapsed one.
func sampleDashboard() dashboards.Dashboard {
	ts := func(title string, x, y, w, h uint32) dashboards.Panel {
		return dashboards.Panel{Title: title, X: x, Y: y, W: w, H: h, Unit: "s"}
	}
	return dashboards.Dashboard{Title: "sample", File: "sample.json", Rows: []dashboards.Row{
		{Title: "open", Y: 0, Panels: []dashboards.Panel{ts("A", 0, 1, 12, 8), ts("B", 12, 1, 12, 8)}},
		{Title: "collapsed", Y: 9, Collapsed: true, Panels: []dashboards.Panel{
			ts("C", 0, 10, 8, 8), ts("D", 8, 10, 8, 8), ts("E", 16, 10, 8, 8), ts("F", 0, 18, 8, 8)}},
		{Title: "after", Y: 10, Panels: []dashboards.Panel{ts("G", 0, 11, 24, 4)}},
	}}
}

func TestLayoutGridToPixels(t *testing.T) {
	// 1208 px: a grid column is (1208 - 2*8 + 8) / 24 = 50 px, a grid line 38.
	pg := layout(sampleDashboard(), 1208)
	y := func(line int) int { return headerH + line*38 }
	wantBands := []image.Rectangle{
		image.Rect(8, y(0), 1200, y(0)+30),
		image.Rect(8, y(9), 1200, y(9)+30),   // the collapsed row, after the first row's 8 lines
		image.Rect(8, y(26), 1200, y(26)+30), // after the collapsed row opened: 2 lines of panels
	}
	for i, b := range pg.Bands {
		if b.R != wantBands[i] {
			t.Errorf("band %d (%s) at %v, want %v", i, b.Title, b.R, wantBands[i])
		}
	}
	if !pg.Bands[1].Collapsed || pg.Bands[0].Collapsed {
		t.Errorf("collapsed flags: %+v", pg.Bands)
	}
	want := map[string]image.Rectangle{
		"A": image.Rect(8, y(1), 600, y(9)-8),
		"B": image.Rect(608, y(1), 1200, y(9)-8),
		"C": image.Rect(8, y(10), 400, y(18)-8),
		"D": image.Rect(408, y(10), 800, y(18)-8),
		"E": image.Rect(808, y(10), 1200, y(18)-8),
		"F": image.Rect(8, y(18), 400, y(26)-8),
		"G": image.Rect(8, y(27), 1200, y(31)-8),
	}
	for _, p := range pg.Panels {
		if p.R != want[p.Panel.Title] {
			t.Errorf("panel %s at %v, want %v", p.Panel.Title, p.R, want[p.Panel.Title])
		}
	}
	if pg.W != 1208 || pg.H != y(31)+pagePad {
		t.Errorf("page %dx%d, want 1208x%d", pg.W, pg.H, y(31)+pagePad)
	}
}

// Every real dashboard lays out without overlaps, inside the page, each
// panel below its row's band and above the next one.
func TestLayoutAllDashboards(t *testing.T) {
	ds, err := dashboards.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		pg := layout(d, 1600)
		page := image.Rect(0, 0, pg.W, pg.H)
		for i, p := range pg.Panels {
			if !p.R.In(page) || p.R.Empty() {
				t.Errorf("%s: %q at %v, outside the page %v", d.File, p.Panel.Title, p.R, page)
			}
			if p.R.Min.Y < pg.Bands[p.Row].R.Max.Y {
				t.Errorf("%s: %q above its row's band", d.File, p.Panel.Title)
			}
			if p.Row+1 < len(pg.Bands) && p.R.Max.Y > pg.Bands[p.Row+1].R.Min.Y {
				t.Errorf("%s: %q runs into the next row's band", d.File, p.Panel.Title)
			}
			for _, q := range pg.Panels[i+1:] {
				if p.R.Overlaps(q.R) {
					t.Errorf("%s: %q and %q overlap", d.File, p.Panel.Title, q.Panel.Title)
				}
			}
		}
	}
}

func TestLegendLayout(t *testing.T) {
	widths := []float64{50, 50, 50, 50, 50}
	for _, tc := range []struct {
		width, moreW float64
		maxLines     int
		lines        string
		hidden       int
	}{
		{120, 30, 3, "[[0 1] [2 3] [4]]", 0},
		{120, 30, 2, "[[0 1] [2]]", 2}, // the second line leaves room for "+2 more"
		{120, 10, 2, "[[0 1] [2 3]]", 1},
		{40, 30, 1, "[[0]]", 4}, // an entry wider than the line still gets one
	} {
		lines, hidden := legendLayout(widths, tc.width, tc.maxLines, tc.moreW)
		if got := fmt.Sprint(lines); got != tc.lines || hidden != tc.hidden {
			t.Errorf("width %g, %d lines: %s, %d hidden; want %s, %d", tc.width, tc.maxLines, got, hidden, tc.lines, tc.hidden)
		}
	}
}
