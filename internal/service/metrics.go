package service

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a Prometheus registry with the Go runtime and process
// collectors. Each process owns one registry (no global default registry), so
// tests can build many services in one process without duplicate registrations.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// MetricsHandler serves the registry in the Prometheus exposition format.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true})
}

// HTTPMetrics counts and times every request by route pattern (never by raw
// path, which would explode label cardinality), method and status code.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers the HTTP server metrics on reg.
func NewHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Middleware records the metrics for each request passing through next.
func (m *HTTPMetrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		method := methodLabel(r.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// methodLabel bounds the method label: a client may send any token as the
// method, so anything but the standard methods is "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush etc.).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what was written so far (server-sent events): libraries that
// stream ask for an http.Flusher rather than use http.ResponseController.
func (w *statusWriter) Flush() {
	w.wroteHeader = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over (a WebSocket upgrade), for the same
// libraries; the status of a hijacked request is recorded as 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && !w.wroteHeader {
		w.code, w.wroteHeader = http.StatusSwitchingProtocols, true
	}
	return c, rw, err
}

// GaugeValue is one series of a ScrapeGauge: its value and label values.
type GaugeValue struct {
	Value  float64
	Labels []string // in the order of the gauge's label names
}

// ScrapeGauge is a gauge family computed at every scrape by read (e.g. a
// COUNT query), given at most timeout. When read fails or times out the
// family is left out of that scrape and the error logged: a slow or
// unreachable database never fails or stalls the rest of the scrape.
// Register it on the service's registry.
func ScrapeGauge(opts prometheus.GaugeOpts, labels []string, timeout time.Duration, log *slog.Logger, read func(ctx context.Context) ([]GaugeValue, error)) prometheus.Collector {
	name := prometheus.BuildFQName(opts.Namespace, opts.Subsystem, opts.Name)
	return &scrapeGauge{
		name: name, desc: prometheus.NewDesc(name, opts.Help, labels, opts.ConstLabels),
		timeout: timeout, log: log, read: read,
	}
}

type scrapeGauge struct {
	name    string
	desc    *prometheus.Desc
	timeout time.Duration
	log     *slog.Logger
	read    func(ctx context.Context) ([]GaugeValue, error)
}

func (g *scrapeGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *scrapeGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	values, err := g.read(ctx)
	if err != nil {
		g.log.Warn("metric left out of this scrape", "metric", g.name, "err", err)
		return
	}
	for _, v := range values {
		m, err := prometheus.NewConstMetric(g.desc, prometheus.GaugeValue, v.Value, v.Labels...)
		if err != nil {
			g.log.Error("metric left out of this scrape", "metric", g.name, "err", err)
			continue
		}
		ch <- m
	}
}
