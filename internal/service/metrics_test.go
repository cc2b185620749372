package service

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
)

func TestScrapeGauge(t *testing.T) {
	quiet := gqltest.Quiet()
	reg := NewRegistry()
	answer := func(context.Context) ([]GaugeValue, error) {
		return []GaugeValue{{Value: 3, Labels: []string{"paid"}}, {Value: 0, Labels: []string{"pending"}}}, nil
	}
	reg.MustRegister(
		ScrapeGauge(prometheus.GaugeOpts{Name: "things", Help: "Things."}, []string{"status"}, time.Second, quiet, answer),
		ScrapeGauge(prometheus.GaugeOpts{Name: "slow_things", Help: "Things from a database that hangs."}, nil, 50*time.Millisecond, quiet,
			func(ctx context.Context) ([]GaugeValue, error) {
				<-ctx.Done() // honours the timeout
				return nil, ctx.Err()
			}),
		ScrapeGauge(prometheus.GaugeOpts{Name: "broken_things", Help: "Things from a database that fails."}, nil, time.Second, quiet,
			func(context.Context) ([]GaugeValue, error) { return nil, errors.New("connection refused") }),
	)
	srv := httptest.NewServer(MetricsHandler(reg))
	defer srv.Close()
	start := time.Now()
	s := metricstest.Scrape(t, srv.URL)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the scrape took %s", took)
	}
	if s.Sum("things", "status", "paid") != 3 || !s.Has("things", "status", "pending") {
		t.Errorf("things: %v", s.Find("things"))
	}
	if s.Has("slow_things") || s.Has("broken_things") {
		t.Error("a gauge that could not be read was exported")
	}
	if !s.Has("go_goroutines") {
		t.Error("the rest of the scrape is missing")
	}
}

func TestHTTPMetricsBoundTheMethod(t *testing.T) {
	reg := NewRegistry()
	r := Router(reg)
	r.Get("/items/{id}", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, method := range []string{"GET", "BREW", "X-ANYTHING-" + strconv.Itoa(time.Now().Nanosecond())} {
		req, _ := http.NewRequest(method, srv.URL+"/items/1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	s := metricstest.Gather(t, reg)
	if got := s.LabelValues("http_requests_total", "method"); len(got) != 2 || got[0] != "GET" || got[1] != "other" {
		t.Fatalf("method label values %v, want [GET other]", got)
	}
	if got := s.Sum("http_requests_total", "method", "other"); got != 2 {
		t.Fatalf("other methods counted %v, want 2", got)
	}
}
