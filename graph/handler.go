// Package graph holds the GraphQL building blocks every subgraph shares: Relay
// connections and cursors, mutation user errors, GraphQL error codes,
// authorization helpers, request limits, and the gqlgen handler with
// per-resolver metrics and tracing.
package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"
)

// HandlerConfig configures a subgraph's GraphQL endpoint.
type HandlerConfig struct {
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// ComplexityLimit refuses operations whose static cost exceeds it (0 =
	// none): gqlgen's complexity, with a field's selection counted once per
	// item its size argument (first, limit) asks for and `_entities`' once per
	// representation, as the router counts. COST_LIMIT_EXCEEDED.
	// The router enforces the public limits; this protects a subgraph reached directly.
	ComplexityLimit int
	// Limits caps the body, depth and aliases (zero values: the defaults).
	Limits Limits
	// TracerProvider receives the GraphQL spans (nil: the global one); see
	// Tracing for what they record.
	TracerProvider trace.TracerProvider
}

// NewHandler serves es over HTTP (GET and POST, JSON) with the behaviour every
// subgraph shares: masked internal errors with stable codes, panic recovery,
// parsed-query and persisted-query caches, per-resolver metrics and tracing.
func NewHandler(es graphql.ExecutableSchema, cfg HandlerConfig) http.Handler {
	limits := cfg.Limits.withDefaults()
	srv := handler.New(listCost{es})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	// Subscriptions as GraphQL over SSE (the router subscribes this way):
	// a POST that accepts text/event-stream, answered event by event.
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: 15 * time.Second})
	srv.AddTransport(boundedPOST{maxBytes: limits.MaxBodyBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetErrorPresenter(ErrorPresenter(cfg.Logger))
	srv.SetRecoverFunc(RecoverFunc(cfg.Logger))
	// Subgraphs sit behind the router, which composes from introspection-free
	// `_service { sdl }`; introspection stays on for the playground and tools.
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	// The shape first: it refuses a fragment bomb before the cost walks it.
	srv.Use(fragmentLimit{}) // before gqlgen parses and validates
	srv.Use(shapeLimit{maxDepth: limits.MaxDepth, maxAliases: limits.MaxAliases})
	if cfg.ComplexityLimit > 0 {
		srv.Use(&costLimit{limit: cfg.ComplexityLimit})
	}
	srv.Use(Tracing(cfg.TracerProvider))
	srv.Use(NewMetrics(cfg.Registry))
	srv.Use(&enforceAccess{}) // inside tracing and metrics: a refused field is seen there

	// A deadline on the context (not http.TimeoutHandler, which buffers the
	// response and answers in plain text) cancels database work of a request
	// whose client is gone or that runs away.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if streaming(r) {
			// A subscription lasts as long as its subscriber wants.
			r.Body = http.MaxBytesReader(w, r.Body, limits.MaxBodyBytes)
			srv.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		srv.ServeHTTP(w, r.WithContext(ctx))
	})
}

const requestTimeout = 30 * time.Second

// streaming reports a GraphQL-over-SSE request (transport.SSE's test).
func streaming(r *http.Request) bool {
	return transport.SSE{}.Supports(r)
}
