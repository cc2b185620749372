package server

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// trace continues the client's W3C trace context (traceparent/tracestate)
// in a server span; subgraphHeaders passes it on to every subgraph, so one
// trace spans client, router and subgraphs. Without an exporter configured
// the span records nothing but still carries the trace id along.
func (g *gateway) trace(next http.Handler) http.Handler {
	tracer := otel.Tracer("github.com/virtual-store/virtual-store/router")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, "graphql", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
		ri := info(ctx)
		span.SetAttributes(
			attribute.String("graphql.operation.name", ri.operation),
			attribute.String("graphql.operation.type", ri.opType),
			attribute.String("virtual_store.outcome", ri.outcome),
		)
	})
}
