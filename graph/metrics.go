package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/labels"
)

// Metrics is a gqlgen extension recording per-resolver latency (labelled
// "Type.field", feeding the per-resolver Grafana panels) and per-operation
// counts and latency. Only fields with a resolver function or method are
// timed: plain struct fields cost nanoseconds and would only add series.
type Metrics struct {
	resolver   *prometheus.HistogramVec
	operations *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	// names bounds the name label: only the router can call a subgraph,
	// but a subgraph does not trust that for its memory.
	names *labels.Names
}

var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// NewMetrics registers the GraphQL metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		resolver: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "graphql_resolver_duration_seconds",
			Help:    "Latency of GraphQL field resolvers, by Type.field.",
			Buckets: latencyBuckets,
		}, []string{"field"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphql_operations_total",
			Help: "GraphQL operations executed, by operation type and name and outcome (ok or error).",
		}, []string{"type", "name", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "graphql_operation_duration_seconds",
			Help:    "Latency of GraphQL operations, by operation type and name.",
			Buckets: latencyBuckets,
		}, []string{"type", "name"}),
		names: &labels.Names{Max: 500},
	}
	reg.MustRegister(m.resolver, m.operations, m.duration)
	return m
}

var (
	_ graphql.HandlerExtension    = (*Metrics)(nil)
	_ graphql.FieldInterceptor    = (*Metrics)(nil)
	_ graphql.ResponseInterceptor = (*Metrics)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*Metrics) ExtensionName() string { return "PrometheusMetrics" }

// Validate implements graphql.HandlerExtension.
func (*Metrics) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField times resolver-backed fields.
func (m *Metrics) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !(fc.IsResolver || fc.IsMethod) {
		return next(ctx)
	}
	start := time.Now()
	res, err := next(ctx)
	m.resolver.WithLabelValues(fc.Object + "." + fc.Field.Name).Observe(time.Since(start).Seconds())
	return res, err
}

// InterceptResponse counts and times whole operations.
func (m *Metrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	opType, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		opType = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
	}
	name = m.names.Value(name)
	start := time.Now()
	resp := next(ctx)
	outcome := "ok"
	if resp == nil || len(resp.Errors) > 0 {
		outcome = "error"
	}
	m.operations.WithLabelValues(opType, name, outcome).Inc()
	m.duration.WithLabelValues(opType, name).Observe(time.Since(start).Seconds())
	return resp
}
