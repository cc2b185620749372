package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotutil"
)

const clientsTSV = `# 2026-12-02, 2 cores, 10s per point after 3s warm-up
peer	clients	rps	p50_ms	p99_ms	failures	bytes
router	1	400	2.4	4.1	0	4858
hive-dedup	1	150	6	12	0	4858
router	50	1550	30	70	0	4858
hive-dedup	50	1600	30	52	0	4858
router	10	1500	6	15	0	4858
hive-dedup	10	900	11	30	0	4858
`

const sizeTSV = `peer	clients	first	rps	p50_ms	p99_ms	failures	bytes	router_cpu_ms	subgraphs_cpu_ms
router	10	1	3000	3	7	0	888	0.2	0.4
router	10	1150	20	480	900	0	1050000	80	220
router	10	64	500	18	40	0	56151	-	-
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The charts of the TSVs present are written as PNGs of the chart size,
// with a line in its own colour for each peer (or, with one peer, each
// column); a missing TSV skips its chart.
func TestDrawAllWritesAChartPerTSV(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	write(t, in, "clients.tsv", clientsTSV)
	write(t, in, "size.tsv", sizeTSV)
	written, err := drawAll(in, out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range written {
		names = append(names, filepath.Base(w))
	}
	if want := []string{"throughput-vs-clients.png", "p99-vs-clients.png", "latency-vs-response-size.png"}; !slices.Equal(names, want) {
		t.Fatalf("wrote %v, want %v", names, want)
	}
	for _, w := range written {
		f, err := os.Open(w)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 480 {
			t.Errorf("%s is %v, want 768×480", w, b.Size())
		}
		lines := 2 // peers
		if strings.HasPrefix(filepath.Base(w), "latency") {
			lines = 4 // columns
		}
		for i := range 5 {
			if got, want := hasColor(img, plotutil.Color(i)), i < lines; got != want {
				t.Errorf("%s: a line in colour %d: %v, want %v", filepath.Base(w), i, got, want)
			}
		}
	}
}

// hasColor reports whether some pixel of img is c.
func hasColor(img image.Image, c color.Color) bool {
	r0, g0, b0, _ := c.RGBA()
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r == r0 && g == g0 && b == b0 {
				return true
			}
		}
	}
	return false
}

func TestLinesByPeerAndColumnOrderedByX(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "clients.tsv", clientsTSV+"router\t0\t0\t0\t0\t0\t0\n")
	tab, err := readTable(filepath.Join(dir, "clients.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if tab.note != "2026-12-02, 2 cores, 10s per point after 3s warm-up" {
		t.Errorf("note %q", tab.note)
	}
	lines, err := tab.lines("clients", []string{"p50_ms", "p99_ms"}, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		s := l.peer + " " + l.col + ":"
		for _, p := range l.points {
			s += " " + formatNumber(p.x) + "=" + formatNumber(p.y)
		}
		got = append(got, s)
	}
	want := []string{
		"router p50_ms: 1=2.4 10=6 50=30", // x = 0 has no place on a log axis
		"router p99_ms: 1=4.1 10=15 50=70",
		"hive-dedup p50_ms: 1=6 10=11 50=30",
		"hive-dedup p99_ms: 1=12 10=30 50=52",
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMalformedTSVsAreErrors(t *testing.T) {
	for name, content := range map[string]string{
		"short row":      "peer\tclients\trps\nrouter\t1\n",
		"not a number":   "peer\tclients\trps\nrouter\tone\t5\n",
		"no such column": "peer\tconcurrency\trps\nrouter\t1\t5\n",
		"no header":      "# only a note\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "clients.tsv", content)
			if _, err := drawAll(dir, dir); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestLogTicksLabelPowersOfTen(t *testing.T) {
	var labels []string
	for _, tk := range logTicks(formatBytes, 1e3).Ticks(800, 1.2e6) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"1 KB", "10 KB", "100 KB", "1 MB"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	labels = labels[:0]
	for _, tk := range logTicks(formatNumber, 1e3).Ticks(3, 90) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"5", "10", "20", "50"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
}
