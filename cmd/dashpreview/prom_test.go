package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/dashboards"
)

func TestGrafanaTiming(t *testing.T) {
	end := time.Unix(1_800_000_007, 0)
	for _, tc := range []struct {
		rng          time.Duration
		width        int
		scrape       time.Duration
		step, rateIv time.Duration
	}{
		// 5m over 500 px: 600 ms, rounded to 500 ms, at least the scrape
		// interval; $__rate_interval = max(step + scrape, 4 x scrape).
		{5 * time.Minute, 500, 15 * time.Second, 15 * time.Second, time.Minute},
		{5 * time.Minute, 500, 5 * time.Second, 5 * time.Second, 20 * time.Second},
		{time.Hour, 500, 15 * time.Second, 15 * time.Second, time.Minute},
		{24 * time.Hour, 500, 15 * time.Second, 2 * time.Minute, 135 * time.Second},
	} {
		tm := grafanaTiming(end.Add(-tc.rng), end, tc.width, tc.scrape)
		if tm.Step != tc.step || tm.RateInterval != tc.rateIv {
			t.Errorf("%s over %d px, scrape %s: step %s, rate interval %s; want %s, %s", tc.rng, tc.width, tc.scrape, tm.Step, tm.RateInterval, tc.step, tc.rateIv)
		}
		if tm.Start.Unix()%int64(tm.Step.Seconds()) != 0 || tm.End.After(end) {
			t.Errorf("range %v to %v not aligned to %s", tm.Start, tm.End, tm.Step)
		}
	}
}

func TestLegend(t *testing.T) {
	m := map[string]string{"__name__": "x", "service": "order", "field": "Query.cart"}
	for format, want := range map[string]string{
		"{{service}} {{field}}": "order Query.cart",
		"{{ service }} p99":     "order p99",
		"{{missing}} calls/s":   "calls/s",
		"":                      `x{field="Query.cart", service="order"}`,
		"__auto":                `x{field="Query.cart", service="order"}`,
	} {
		if got := legend(format, m, "expr"); got != want {
			t.Errorf("legend(%q) = %q, want %q", format, got, want)
		}
	}
	if got := legend("", nil, "sum(rate(x[1m]))"); got != "sum(rate(x[1m]))" {
		t.Errorf("legend of a series without labels: %q", got)
	}
}

// A panel's queries reach Prometheus with the variables substituted, as
// range queries at the panel's step (instant for a stat), and come back as
// named series; a failing query is the panel's error, not the program's.
func TestPanelQueries(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		got = append(got, r.URL.Path+" "+q.Get("query")+" step="+q.Get("step"))
		switch {
		case strings.Contains(q.Get("query"), "broken"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
		case r.URL.Path == "/api/v1/query":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"service":"order"},"value":[1800000000,"0.25"]}]}}`)
		default:
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[
				{"metric":{"service":"order"},"values":[[1799999985,"1"],[1800000000,"NaN"]]},
				{"metric":{"service":"user"},"values":[[1800000000,"2"]]}]}}`)
		}
	}))
	defer srv.Close()
	prom := prometheus{URL: srv.URL, Client: srv.Client()}
	end := time.Unix(1_800_000_000, 0)
	tm := grafanaTiming(end.Add(-5*time.Minute), end, 500, 15*time.Second)
	p := dashboards.Panel{Title: "t", Unit: "s", Queries: []dashboards.Query{
		{RefID: "A", Expr: `sum by (service) (rate(x{namespace=~"$namespace", instance=~"$instance"}[$__rate_interval]))`, Legend: "{{service}}"},
		{RefID: "B", Expr: `broken[$__interval]`},
	}}
	d := prom.panel(context.Background(), p, tm)
	want := `/api/v1/query_range sum by (service) (rate(x{namespace=~".*", instance=~".*"}[1m])) step=15`
	if len(got) != 2 || got[0] != want || got[1] != "/api/v1/query_range broken[15s] step=15" {
		t.Errorf("queries sent:\n%s\nwant first:\n%s", strings.Join(got, "\n"), want)
	}
	if len(d.Series) != 2 || d.Series[0].Name != "order" || d.Series[1].Name != "user" || !math.IsNaN(d.Series[0].Points[1].V) {
		t.Errorf("series: %+v", d.Series)
	}
	if len(d.Errs) != 1 || !strings.Contains(d.Errs[0], "B: parse error") {
		t.Errorf("errors: %q", d.Errs)
	}
	got = nil
	p.Kind, p.Queries = dashboards.Stat, p.Queries[:1]
	d = prom.panel(context.Background(), p, tm)
	if len(got) != 1 || !strings.HasPrefix(got[0], "/api/v1/query ") || lastValue(d.Series[0]) != 0.25 {
		t.Errorf("stat: sent %q, got %+v", got, d.Series)
	}
}
