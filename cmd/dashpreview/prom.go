package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/virtual-store/virtual-store/dashboards"
)

// Fetching a panel's data from Prometheus as Grafana would: the queries
// with the template variables at their defaults, over the dashboard's time
// range at the step Grafana picks for the panel's width.

// point is one sample: Unix seconds and value (NaN where Prometheus says
// NaN).
type point struct{ T, V float64 }

// series is one series of a panel: its legend and the query it came from.
type series struct {
	RefID  string
	Name   string
	Points []point
}

// panelData is what a panel shows.
type panelData struct {
	Series []series
	Errs   []string
	Step   time.Duration // of the range queries: longer gaps break a line
}

// timing is how a panel is queried: Grafana's $__interval (the step) and
// $__rate_interval, over the range aligned to the step.
type timing struct {
	Start, End         time.Time
	Step, RateInterval time.Duration
}

// grafanaTiming is the timing Grafana's Prometheus data source uses for a
// panel maxDataPoints pixels wide over [start, end] with the data source's
// scrape interval: the interval is the range over the data points rounded
// to a round duration, at least the scrape interval (and at most 11,000
// points); $__rate_interval is max(interval + scrape, 4 x scrape); the
// range is aligned to the step.
func grafanaTiming(start, end time.Time, maxDataPoints int, scrape time.Duration) timing {
	rng := end.Sub(start)
	step := roundInterval(rng / time.Duration(max(maxDataPoints, 1)))
	step = max(step, scrape, time.Second)
	if safe := rng / 11000; step < safe {
		step = roundInterval(safe)
	}
	sec := int64(step / time.Second)
	align := func(t time.Time) time.Time { return time.Unix(t.Unix()/sec*sec, 0) }
	return timing{Start: align(start), End: align(end), Step: step, RateInterval: max(step+scrape, 4*scrape)}
}

// roundInterval is Grafana's rounding of an interval (kbn.roundInterval).
func roundInterval(d time.Duration) time.Duration {
	ms := d.Milliseconds()
	for _, r := range []struct{ below, to int64 }{
		{15, 10}, {35, 20}, {75, 50}, {150, 100}, {350, 200}, {750, 500},
		{1500, 1000}, {3500, 2000}, {7500, 5000}, {12500, 10000}, {17500, 15000},
		{25000, 20000}, {45000, 30000}, {90000, 60000}, {210000, 120000},
		{450000, 300000}, {750000, 600000}, {1050000, 900000}, {1500000, 1200000},
		{2700000, 1800000}, {5400000, 3600000}, {9000000, 7200000},
		{16200000, 10800000}, {32400000, 21600000}, {86400000, 43200000},
		{604800000, 86400000}, {1814400000, 604800000}, {3628800000, 2592000000},
	} {
		if ms < r.below {
			return time.Duration(r.to) * time.Millisecond
		}
	}
	return 365 * 24 * time.Hour
}

// promDuration is d in PromQL's notation: 1m, 20s, 500ms.
func promDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// expand is a query's PromQL with every Grafana variable substituted: the
// dashboard's at their defaults (dashboards.Expand), $__interval and
// $__range as Grafana sets them.
func expand(expr string, t timing) string {
	return dashboards.Expand(expr, promDuration(t.RateInterval), map[string]string{
		"__interval":    promDuration(t.Step),
		"__interval_ms": strconv.FormatInt(t.Step.Milliseconds(), 10),
		"__range":       promDuration(t.End.Sub(t.Start).Truncate(time.Second)),
	})
}

// prometheus is Prometheus' HTTP API.
type prometheus struct {
	URL    string
	Client *http.Client
}

// promSeries is a series of a query's answer.
type promSeries struct {
	Metric map[string]string
	Points []point
}

// get calls an API endpoint and decodes its data.
func (p prometheus) get(ctx context.Context, path string, params url.Values, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.URL, "/")+path+"?"+params.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: HTTP %d: %.200s", path, resp.StatusCode, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s", env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

// sample is a [unix seconds, "value"] pair of the API.
type sample point

func (s *sample) UnmarshalJSON(b []byte) error {
	var raw [2]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	t, ok1 := raw[0].(float64)
	v, ok2 := raw[1].(string)
	if !ok1 || !ok2 {
		return fmt.Errorf("sample %s: want [time, \"value\"]", b)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return err
	}
	*s = sample{t, f}
	return nil
}

// query runs expr over t's range (range) or at its end (instant).
func (p prometheus) query(ctx context.Context, expr string, t timing, instant bool) ([]promSeries, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	params := url.Values{"query": {expr}}
	path := "/api/v1/query_range"
	if instant {
		path = "/api/v1/query"
		params.Set("time", strconv.FormatInt(t.End.Unix(), 10))
	} else {
		params.Set("start", strconv.FormatInt(t.Start.Unix(), 10))
		params.Set("end", strconv.FormatInt(t.End.Unix(), 10))
		params.Set("step", strconv.FormatFloat(t.Step.Seconds(), 'f', -1, 64))
	}
	if err := p.get(ctx, path, params, &data); err != nil {
		return nil, err
	}
	var out []promSeries
	switch data.ResultType {
	case "matrix":
		var m []struct {
			Metric map[string]string `json:"metric"`
			Values []sample          `json:"values"`
		}
		if err := json.Unmarshal(data.Result, &m); err != nil {
			return nil, err
		}
		for _, s := range m {
			pts := make([]point, len(s.Values))
			for i, v := range s.Values {
				pts[i] = point(v)
			}
			out = append(out, promSeries{s.Metric, pts})
		}
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  sample            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, err
		}
		for _, s := range v {
			out = append(out, promSeries{s.Metric, []point{point(s.Value)}})
		}
	case "scalar":
		var s sample
		if err := json.Unmarshal(data.Result, &s); err != nil {
			return nil, err
		}
		out = append(out, promSeries{nil, []point{point(s)}})
	default:
		return nil, fmt.Errorf("unexpected result type %q", data.ResultType)
	}
	return out, nil
}

// panel runs every query of a panel: range queries, instant ones for a
// stat panel (as the dashboards' JSON asks), each series named by its
// query's legend format.
func (p prometheus) panel(ctx context.Context, pn dashboards.Panel, t timing) panelData {
	d := panelData{Step: t.Step}
	for _, q := range pn.Queries {
		expr := expand(q.Expr, t)
		res, err := p.query(ctx, expr, t, q.Instant || pn.Kind == dashboards.Stat)
		if err != nil {
			d.Errs = append(d.Errs, fmt.Sprintf("%s: %v", q.RefID, err))
			continue
		}
		var got []series
		for _, s := range res {
			got = append(got, series{RefID: q.RefID, Name: legend(q.Legend, s.Metric, expr), Points: s.Points})
		}
		// Prometheus orders series by their labels; by name reads better
		// and stays the same from run to run.
		sort.SliceStable(got, func(i, j int) bool { return got[i].Name < got[j].Name })
		d.Series = append(d.Series, got...)
	}
	return d
}

var legendVar = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// legend is a series' name from a legend format: {{label}} is the label's
// value (empty when the series lacks it). Without a format Grafana shows
// the series' labels, or the query when it has none.
func legend(format string, metric map[string]string, expr string) string {
	if format != "" && format != "__auto" {
		return strings.TrimSpace(legendVar.ReplaceAllStringFunc(format, func(m string) string {
			return metric[legendVar.FindStringSubmatch(m)[1]]
		}))
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(metric)) {
		if k != "__name__" {
			labels = append(labels, fmt.Sprintf("%s=%q", k, metric[k]))
		}
	}
	if len(labels) == 0 && metric["__name__"] == "" {
		return expr
	}
	return metric["__name__"] + "{" + strings.Join(labels, ", ") + "}"
}

// lastValue is a series' last value that is a number (Grafana's
// lastNotNull), NaN if none.
func lastValue(s series) float64 {
	for i := len(s.Points) - 1; i >= 0; i-- {
		if v := s.Points[i].V; !math.IsNaN(v) {
			return v
		}
	}
	return math.NaN()
}
