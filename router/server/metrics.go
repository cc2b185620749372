package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/labels"
)

// Metrics are the router's Prometheus series. Operation names come from
// clients, so they are sanitized and capped (maxOperationNames) to keep the
// label cardinality bounded; the rest are counted as "other".
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	fetches     *prometheus.HistogramVec
	fetchErrors *prometheus.CounterVec
	planCache   *prometheus.CounterVec
	rejections  *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	authFail    *prometheus.CounterVec
	supergraph  prometheus.Gauge
	shared      prometheus.Counter
	names       *labels.Names
}

const maxOperationNames = 500

// NewMetrics registers the router metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	latency := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "router_graphql_requests_total",
			Help: "GraphQL requests by operation name, operation type and outcome (success, partial, error, rejected).",
		}, []string{"operation", "type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "router_graphql_request_duration_seconds", Help: "GraphQL request latency by operation name.", Buckets: latency,
		}, []string{"operation"}),
		fetches: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "router_subgraph_fetch_duration_seconds", Help: "Subgraph round trips by subgraph and outcome.", Buckets: latency,
		}, []string{"subgraph", "outcome"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "router_subgraph_fetch_errors_total", Help: "Subgraph round trips that failed or answered errors.",
		}, []string{"subgraph", "outcome"}),
		planCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "router_plan_cache_lookups_total", Help: "Plan cache lookups by result (hit, miss).",
		}, []string{"result"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "router_rejections_total", Help: "Requests refused before execution, by reason (the error code).",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "router_rate_limited_total", Help: "Requests refused by a rate limit bucket (global, ip, user).",
		}, []string{"scope"}),
		authFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "router_auth_failures_total", Help: "Requests with credentials that did not verify.",
		}, []string{"reason"}),
		supergraph: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "router_supergraph_loaded_timestamp_seconds", Help: "When the serving supergraph was loaded.",
		}),
		shared: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "router_inbound_dedup_shared_total", Help: "Queries answered by another identical query's execution (inbound dedup).",
		}),
		names: &labels.Names{Max: maxOperationNames},
	}
	reg.MustRegister(m.requests, m.duration, m.fetches, m.fetchErrors, m.planCache, m.rejections, m.rateLimited, m.authFail, m.supergraph, m.shared)
	return m
}

// request records one answered GraphQL request.
func (m *Metrics) request(op, opType, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	name := m.names.Value(op)
	m.requests.WithLabelValues(name, opType, outcome).Inc()
	m.duration.WithLabelValues(name).Observe(d.Seconds())
}

func (m *Metrics) reject(code string) {
	if m != nil {
		m.rejections.WithLabelValues(code).Inc()
	}
}

// PlanCache is the Engine.OnPlanCache hook.
func (m *Metrics) PlanCache(hit bool) {
	if hit {
		m.planCache.WithLabelValues("hit").Inc()
	} else {
		m.planCache.WithLabelValues("miss").Inc()
	}
}

// Fetch is the execute.Transport Observe hook, with URLs named by subgraph.
func (m *Metrics) Fetch(subgraph string, d time.Duration, outcome string) {
	m.fetches.WithLabelValues(subgraph, outcome).Observe(d.Seconds())
	if outcome != "ok" {
		m.fetchErrors.WithLabelValues(subgraph, outcome).Inc()
	}
}

// sharedAnswer records a query answered by an identical one's execution.
func (m *Metrics) sharedAnswer() {
	if m != nil {
		m.shared.Inc()
	}
}

// SupergraphLoaded records a (re)load.
func (m *Metrics) SupergraphLoaded(t time.Time) { m.supergraph.Set(float64(t.Unix())) }
