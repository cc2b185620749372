// Command dashpreview renders the store's Grafana dashboards to PNG from a
// real Prometheus, without Grafana: every panel's queries over a time range
// (template variables at their defaults, $__interval and $__rate_interval
// as Grafana computes them for the panel's width), laid out on the
// dashboard's grid, one image per dashboard.
//
//	go run ./cmd/dashpreview -prometheus http://localhost:9090 -out docs/previews -range 15m
//
// (`make dashboards-preview`, after `make run` and some load). The
// dashboards are dashboards.All(): the same panels, units, thresholds and
// queries as the generated JSON.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/virtual-store/virtual-store/dashboards"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("dashpreview: ")
	var (
		promURL = flag.String("prometheus", "http://localhost:9090", "Prometheus to query")
		out     = flag.String("out", "docs/previews", "directory the PNG files are written to (<dashboard>.png)")
		rng     = flag.Duration("range", 15*time.Minute, "time range shown, ending at -end")
		endFlag = flag.String("end", "", "end of the range, RFC 3339 (default now)")
		width   = flag.Int("width", 1600, "image width in pixels (the 24 grid columns)")
		scrape  = flag.Duration("scrape-interval", 15*time.Second, "the Grafana data source's scrape interval, the floor of $__interval and a quarter of $__rate_interval's (15s: Grafana's default, which the monitoring component's data source keeps)")
		only    = flag.String("dashboards", "", "comma-separated dashboards to render, by uid or file (e.g. resolvers,overview); default all")
		maxKB   = flag.Int("max-kb", 400, "size a PNG should stay under: above it, it is encoded with fewer colours")
	)
	flag.Parse()
	end := time.Now()
	if *endFlag != "" {
		t, err := time.Parse(time.RFC3339, *endFlag)
		if err != nil {
			log.Fatalf("-end: %v", err)
		}
		end = t
	}
	prom := prometheus{URL: *promURL, Client: &http.Client{Timeout: 30 * time.Second}}
	o := options{Out: *out, Start: end.Add(-*rng), End: end, Width: *width, Scrape: *scrape, Only: *only, MaxKB: *maxKB}
	if err := run(context.Background(), prom, o); err != nil {
		log.Fatal(err)
	}
}

// options are the flags.
type options struct {
	Out        string
	Start, End time.Time
	Width      int
	Scrape     time.Duration
	Only       string // dashboards by uid or file, comma-separated
	MaxKB      int
}

func run(ctx context.Context, prom prometheus, o options) error {
	ds, err := dashboards.All()
	if err != nil {
		return err
	}
	if o.Only != "" {
		want := strings.Split(o.Only, ",")
		ds = slices.DeleteFunc(ds, func(d dashboards.Dashboard) bool {
			name := strings.TrimSuffix(d.File, ".json")
			return !slices.ContainsFunc(want, func(w string) bool {
				w = strings.TrimSuffix(strings.TrimSpace(w), ".json")
				return w == name || w == d.UID
			})
		})
		if len(ds) == 0 {
			return fmt.Errorf("no dashboard matches -dashboards %q", o.Only)
		}
	}
	// Unreachable, every query would fail: say so once.
	if _, err := prom.query(ctx, "1", timing{End: o.End}, true); err != nil {
		return fmt.Errorf("Prometheus at %s: %w (make run starts one)", prom.URL, err)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	v := view{Start: o.Start, End: o.End, Loc: time.Local,
		Source: fmt.Sprintf("Prometheus %s, data source scrape interval %s", prom.URL, promDuration(o.Scrape))}
	for _, d := range ds {
		pg := layout(d, o.Width)
		data := fetchAll(ctx, prom, pg, o.Start, o.End, o.Scrape)
		img := renderPage(d, pg, data, v)
		path := filepath.Join(o.Out, strings.TrimSuffix(d.File, ".json")+".png")
		size, err := writePNG(path, img, o.MaxKB<<10)
		if err != nil {
			return err
		}
		empty, failed := 0, 0
		for _, pd := range data {
			switch {
			case len(pd.Errs) > 0:
				failed++
			case !slices.ContainsFunc(pd.Series, func(s series) bool { return finite(s.Points) }):
				empty++
			}
		}
		fmt.Printf("%-32s %4dx%-5d %4d KB  %d panels, %d without data, %d with query errors\n",
			path, pg.W, pg.H, (size+512)/1024, len(pg.Panels), empty, failed)
	}
	return nil
}

// fetchAll queries every panel of the page, a few at a time.
func fetchAll(ctx context.Context, prom prometheus, pg page, start, end time.Time, scrape time.Duration) []panelData {
	data := make([]panelData, len(pg.Panels))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, p := range pg.Panels {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// Grafana asks for as many points as the panel is pixels wide.
			t := grafanaTiming(start, end, p.R.Dx()-2*panelPad, scrape)
			data[i] = prom.panel(ctx, p.Panel, t)
		})
	}
	wg.Wait()
	return data
}
