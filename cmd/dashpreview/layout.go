package main

import (
	"image"
	"math"

	"github.com/virtual-store/virtual-store/dashboards"
)

// Grafana's grid in pixels: 24 columns over the page's width, 30 px per
// grid unit of height, 8 px between panels.
const (
	cellHeight = 30
	cellGap    = 8
	pagePad    = 8
	headerH    = 58
)

// page is a dashboard laid out in pixels: the header, a band per row, the
// panels.
type page struct {
	W, H   int
	Header image.Rectangle
	Bands  []band
	Panels []placed
}

// band is a row's title band.
type band struct {
	Title     string
	Collapsed bool // in Grafana; the preview shows it open
	R         image.Rectangle
}

// placed is a panel and where it is drawn.
type placed struct {
	Panel dashboards.Panel
	Row   int // index in page.Bands
	R     image.Rectangle
}

// layout places d's rows and panels on a page width pixels wide from their
// grid positions (dashboards.All sets them). Every row is shown open, in
// order: a collapsed row's panels sit below its band as they do when the
// row is opened in Grafana, and the rows after it move down by their
// height.
func layout(d dashboards.Dashboard, width int) page {
	unit := float64(width-2*pagePad+cellGap) / dashboards.GridWidth
	x := func(col uint32) int { return pagePad + int(math.Round(float64(col)*unit)) }
	y := func(gridY int) int { return headerH + gridY*(cellHeight+cellGap) }
	pg := page{W: width, Header: image.Rect(0, 0, width, headerH)}
	cursor := 0 // the next free grid line, rows expanded
	for ri, r := range d.Rows {
		pg.Bands = append(pg.Bands, band{Title: r.Title, Collapsed: r.Collapsed,
			R: image.Rect(x(0), y(cursor), x(dashboards.GridWidth)-cellGap, y(cursor)+cellHeight)})
		top := cursor + 1
		height := 0
		for _, p := range r.Panels {
			// Grid y relative to the row's first line: open rows hold
			// absolute positions, collapsed rows the positions they take
			// when opened; both start right below the row.
			rel := int(p.Y) - int(r.Y) - 1
			py := top + rel
			pg.Panels = append(pg.Panels, placed{Panel: p, Row: ri,
				R: image.Rect(x(p.X), y(py), x(p.X+p.W)-cellGap, y(py+int(p.H))-cellGap)})
			height = max(height, rel+int(p.H))
		}
		cursor = top + height
	}
	pg.H = y(cursor) + pagePad
	return pg
}
