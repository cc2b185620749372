// Command benchplot draws the curves scripts/bench-curves.sh measures (make
// bench-curves) as PNGs: from clients.tsv, size.tsv and representations.tsv
// in -in, throughput-vs-clients.png, p99-vs-clients.png,
// latency-vs-response-size.png and latency-vs-representations.png in -out.
// A chart whose TSV is missing is skipped.
//
//	go run ./cmd/benchplot -in docs/bench
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// The size of every chart: 768×480 pixels at gonum's 96 dpi.
const width, height = 8 * vg.Inch, 5 * vg.Inch

// A chart is one PNG: a column of a TSV against another, one line per peer
// and y column, x on a log scale.
type chart struct {
	file, source string // PNG written, TSV read
	title        string
	x, xLabel    string
	ys           []string // y columns
	yLabel       string
	logY         bool
	xBytes       bool // x ticks at powers of ten, as sizes; otherwise at the measured x values
}

var charts = []chart{
	{file: "throughput-vs-clients.png", source: "clients.tsv", title: "Throughput against concurrent clients, gateway benchmark query",
		x: "clients", xLabel: "concurrent clients", ys: []string{"rps"}, yLabel: "requests per second"},
	{file: "p99-vs-clients.png", source: "clients.tsv", title: "p99 latency against concurrent clients, gateway benchmark query",
		x: "clients", xLabel: "concurrent clients", ys: []string{"p99_ms"}, yLabel: "p99 latency (ms)", logY: true},
	{file: "latency-vs-response-size.png", source: "size.tsv", title: "Router latency against the size of the answer",
		x: "bytes", xLabel: "answer size (the benchmark query's topProducts part, first: N)",
		ys: []string{"p50_ms", "p99_ms", "router_cpu_ms", "subgraphs_cpu_ms"}, yLabel: "ms", logY: true, xBytes: true},
	{file: "latency-vs-representations.png", source: "representations.tsv", title: "Latency against entity representations per fetch",
		x: "representations", xLabel: "representations in one _entities fetch (topProducts(first: N) { upc inStock })",
		ys: []string{"p50_ms", "p99_ms", "router_cpu_ms"}, yLabel: "ms", logY: true},
}

// Legend names of the peers bench-curves.sh measures.
var peerNames = map[string]string{
	"router":       "router",
	"router-dedup": "router, inbound dedup",
	"hive-dedup":   "Hive Gateway, benchmark config (dedup)",
	"hive":         "Hive Gateway, dedup off",
	"subgraph":     "inventory subgraph alone",
}

// Legend names of the columns.
var colNames = map[string]string{
	"rps": "req/s", "p50_ms": "p50 latency", "p99_ms": "p99 latency",
	"router_cpu_ms": "CPU time in the router per answer", "subgraphs_cpu_ms": "CPU time in the subgraphs per answer",
}

func main() {
	in := flag.String("in", "docs/bench", "directory of the TSV files")
	out := flag.String("out", "", "directory for the PNGs (default: -in)")
	flag.Parse()
	if *out == "" {
		*out = *in
	}
	written, err := drawAll(*in, *out)
	for _, f := range written {
		fmt.Println(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

// drawAll draws every chart whose TSV is in dir in and returns the PNGs
// written.
func drawAll(in, out string) ([]string, error) {
	var written []string
	for _, c := range charts {
		t, err := readTable(filepath.Join(in, c.source))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return written, err
		}
		p, err := c.plot(t)
		if err != nil {
			return written, fmt.Errorf("%s: %w", c.source, err)
		}
		path := filepath.Join(out, c.file)
		if err := p.Save(width, height, path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

func (c chart) plot(t *table) (*plot.Plot, error) {
	lines, err := t.lines(c.x, c.ys, c.logY)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("nothing to draw")
	}
	p := plot.New()
	p.Title.Text = c.title
	if t.note != "" {
		p.Title.Text += "\n" + t.note
	}
	p.X.Label.Text, p.Y.Label.Text = c.xLabel, c.yLabel
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(4)
	p.Add(plotter.NewGrid())

	// A colour per peer, a dash pattern per column; a colour per column
	// where there is one peer.
	var xs []float64
	minY, maxY := math.Inf(1), math.Inf(-1)
	peer, entries, onePeer := -1, 0, lines[0].peer == lines[len(lines)-1].peer
	for i, l := range lines {
		if i == 0 || l.peer != lines[i-1].peer {
			peer++
		}
		col := slices.Index(c.ys, l.col)
		colour := plotutil.Color(peer)
		if onePeer {
			colour = plotutil.Color(col)
		}
		if len(l.points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(l.points))
		for j, pt := range l.points {
			xys[j] = plotter.XY{X: pt.x, Y: pt.y}
			xs = append(xs, pt.x)
			minY, maxY = math.Min(minY, pt.y), math.Max(maxY, pt.y)
		}
		ln, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		ln.Color, ln.Width, ln.Dashes = colour, vg.Points(1.5), plotutil.Dashes(col)
		pts.Color, pts.Shape = colour, plotutil.Shape(peer)
		p.Add(ln, pts)
		name := cmp.Or(peerNames[l.peer], l.peer)
		switch {
		case onePeer && len(c.ys) > 1:
			name = cmp.Or(colNames[l.col], l.col)
		case len(c.ys) > 1:
			name += ", " + cmp.Or(colNames[l.col], l.col)
		}
		p.Legend.Add(name, ln, pts)
		entries++
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("nothing to draw")
	}

	p.X.Scale = plot.LogScale{}
	if c.xBytes {
		p.X.Tick.Marker = logTicks(formatBytes, 1e3) // wide labels
	} else {
		p.X.Tick.Marker = valueTicks(xs)
	}
	p.X.Min, p.X.Max = p.X.Min/1.3, p.X.Max*1.3
	// Room above the lines for the legend (top left): the share of the
	// plot's height its entries take.
	room := min(0.45, float64(entries*10+10)/290)
	if c.logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks(formatNumber, 1e4)
		p.Y.Min = minY / 1.4
		p.Y.Max = p.Y.Min * math.Pow(maxY*1.1/p.Y.Min, 1/(1-room))
	} else {
		p.Y.Min, p.Y.Max = 0, maxY*1.05/(1-room)
	}
	return p, nil
}

// valueTicks labels the values measured (1, 10, 50 and 200 clients).
func valueTicks(xs []float64) plot.Ticker {
	var ticks plot.ConstantTicks
	for _, x := range xs {
		if !slices.ContainsFunc(ticks, func(t plot.Tick) bool { return t.Value == x }) {
			ticks = append(ticks, plot.Tick{Value: x, Label: formatNumber(x)})
		}
	}
	return ticks
}

// logTicks marks 1…9 × each power of ten in range and labels the powers of
// ten, and 2 and 5 × them where the range spans less than a factor of fine
// (or has no power of ten in it).
func logTicks(format func(float64) string, fine float64) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		narrow := hi/lo < fine || math.Floor(math.Log10(hi)) == math.Floor(math.Log10(lo))
		var ticks []plot.Tick
		for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi; d *= 10 {
			for m := 1.0; m <= 9; m++ {
				v := m * d
				if v < lo || v > hi {
					continue
				}
				t := plot.Tick{Value: v}
				if m == 1 || narrow && (m == 2 || m == 5) {
					t.Label = format(v)
				}
				ticks = append(ticks, t)
			}
		}
		return ticks
	})
}

// formatNumber is v as written: 0.5, 2, 150, 10000.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// formatBytes is a size in bytes: 100 B, 2 KB, 1 MB (powers of 1000).
func formatBytes(v float64) string {
	for _, u := range []struct {
		unit string
		size float64
	}{{"MB", 1e6}, {"KB", 1e3}} {
		if v >= u.size {
			return strconv.FormatFloat(v/u.size, 'g', 3, 64) + " " + u.unit
		}
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " B"
}
