package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/engine"
	"github.com/virtual-store/virtual-store/router/persisted"
	"github.com/virtual-store/virtual-store/router/playground"
	"github.com/virtual-store/virtual-store/router/ratelimit"
)

// gateway is the router's HTTP surface: the GraphQL handler behind the edge
// middleware (CORS, IP allow-lists, authentication, rate limits, access
// logs, metrics), the playground, health and metrics endpoints.
type gateway struct {
	graphQL *graphQLHandler
	// subscriptions serves WebSocket and SSE clients (nil: off).
	subscriptions *subscriptions
	metrics       *Metrics

	cfg      config.Config
	log      *slog.Logger
	reg      *prometheus.Registry
	authn    auth.Authenticator
	limiter  *ratelimit.Limiter
	ips      *clientip.Resolver
	allowAll clientip.Networks
	rules    []ipRule
	// audiences names the subgraph behind each URL of the current
	// supergraph: the audience of the identity statements sent there.
	audiences atomic.Pointer[map[string]string]
}

// newGateway wires a gateway; the engine is set later with graphQL.swap
// (the router is not ready until then). d is complete (New fills it in).
func newGateway(cfg config.Config, d Deps) (*gateway, error) {
	ips, err := clientip.New(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	allowAll, err := clientip.ParseNetworks(cfg.IPAllow.Router)
	if err != nil {
		return nil, fmt.Errorf("ip_allow.router: %w", err)
	}
	rules, err := parseIPRules(cfg.IPAllow.Rules)
	if err != nil {
		return nil, err
	}
	pq, err := persisted.New(cfg.Persisted)
	if err != nil {
		return nil, err
	}
	g := &gateway{
		cfg: cfg, log: d.Log, reg: d.Registry, authn: d.Authenticator, ips: ips, allowAll: allowAll, rules: rules,
		metrics: NewMetrics(d.Registry),
	}
	if cfg.RateLimit.Enabled {
		g.limiter = ratelimit.New(cfg.RateLimit, d.RateStore)
		g.limiter.OnStoreError = func(err error) {
			g.log.Warn("shared rate limit store failed; using in-memory buckets for a while", "err", err)
		}
	}
	g.graphQL = &graphQLHandler{log: d.Log, maxBody: cfg.Limits.MaxBodyBytes, dedupInbound: cfg.DedupInbound,
		persisted: pq, metrics: g.metrics, guard: g.guardOperation}
	if cfg.Playground {
		g.graphQL.playgroundPage = playground.Handler("/playground", "/graphql")
	}
	if cfg.Subscriptions.Enabled {
		g.subscriptions = newSubscriptions(cfg.Subscriptions, g.graphQL, d.Registry)
	}
	return g, nil
}

// admin is the handler of the router's admin port: /healthz, /readyz and
// /metrics. Both probes wait for a supergraph: before one is loaded the
// router can answer nothing, and restarting it would not help either.
// Readiness also waits for the authenticator (the revoked sessions read
// once: until then every token is refused), so a new replica takes no
// signed-in traffic it would turn away; liveness does not (a restart would
// not bring the user service back).
func (g *gateway) admin() http.Handler {
	checks := []service.Check{{Name: "supergraph", Func: func(context.Context) error {
		if g.graphQL.current() == nil {
			return fmt.Errorf("no supergraph loaded yet")
		}
		return nil
	}}}
	live := service.Readiness(checks...)
	if a, ok := g.authn.(readier); ok {
		checks = append(checks, service.Check{Name: "authentication", Func: func(context.Context) error { return a.Ready() }})
	}
	return service.AdminWith(live, service.Readiness(checks...), g.reg)
}

// readier is an authenticator that may not be able to honour tokens yet.
type readier interface{ Ready() error }

// routes is the gateway's public HTTP handler.
func (g *gateway) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer, service.NewHTTPMetrics(g.reg).Middleware)

	c := cors.New(cors.Options{
		AllowedOrigins:   g.cfg.CORS.AllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "Apollographql-Client-Name", "Apollographql-Client-Version", "Traceparent", "Tracestate"},
		ExposedHeaders:   []string{"Retry-After", "X-Request-Id"},
		AllowCredentials: g.cfg.CORS.AllowCredentials,
		MaxAge:           int(g.cfg.CORS.MaxAge.Seconds()),
	})
	// Per-client rate limit before authentication, per-user and global after.
	edge := chi.Chain(c.Handler, g.accessLog, g.trace, g.allowIPs, g.limitClient, g.authenticate, g.limitCaller)
	r.With(edge...).HandleFunc("/graphql", g.serveGraphQL)
	if pg := g.graphQL.playgroundPage; pg != nil {
		r.Method(http.MethodGet, "/", pg)
		r.Method(http.MethodGet, "/playground/assets/*", pg)
	}
	return r
}

// serveGraphQL answers at /graphql: subscriptions over WebSocket or SSE,
// everything else over plain HTTP.
func (g *gateway) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	switch {
	case g.subscriptions != nil && isWebSocket(r):
		g.serveWS(w, r)
	case g.subscriptions != nil && wantsEventStream(r):
		g.serveSSE(w, r)
	default:
		g.graphQL.ServeHTTP(w, r)
	}
}

// refuse writes a GraphQL error response for a request stopped at the edge.
func (g *gateway) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	g.graphQL.refuse(w, info(r.Context()), status, code, msg)
}

// authenticate verifies the bearer token; what the router then knows of the
// caller (claims, client address) goes to the subgraphs as its statement
// (subgraphHeaders). Whatever identity header a client sends is never
// forwarded.
func (g *gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, reason, err := g.identify(r, r.Header.Get("Authorization"))
		if err != nil {
			g.authFailed(w, r, reason, err.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// identify is r's context with what the router knows of the caller: the
// verified claims of the authorization ("Bearer <token>", or none) and the
// statement for the subgraphs. A WebSocket's connection_init brings its
// token this way too. On failure it says why (a metric label) and what to
// tell the client.
func (g *gateway) identify(r *http.Request, authorization string) (_ context.Context, reason string, _ error) {
	now := time.Now()
	st := &auth.Statement{Claims: auth.Claims{Expires: now.Add(g.cfg.Auth.IdentityTTL).Unix()}}
	if a := g.ips.Of(r); a.IsValid() {
		st.ClientAddr = a.String()
	}
	if authorization == "" {
		return context.WithValue(r.Context(), statementKey{}, st), "", nil
	}
	if g.authn == nil {
		return nil, "disabled", errors.New("this router does not accept credentials")
	}
	withToken := r
	if r.Header.Get("Authorization") != authorization {
		withToken = r.Clone(r.Context())
		withToken.Header.Set("Authorization", authorization)
	}
	claims, err := g.authn.Authenticate(withToken)
	if err != nil {
		g.log.DebugContext(r.Context(), "authentication failed", "err", err)
		return nil, "invalid_token", errors.New("invalid or expired access token")
	}
	exp := st.Expires
	st.Claims = claims
	st.Expires = min(exp, max(claims.Expires, 1))
	ctx := auth.WithClaims(r.Context(), claims)
	return context.WithValue(ctx, statementKey{}, st), "", nil
}

func (g *gateway) authFailed(w http.ResponseWriter, r *http.Request, reason, msg string) {
	g.metrics.authFail.WithLabelValues(reason).Inc()
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	g.refuse(w, r, http.StatusUnauthorized, errcode.Unauthenticated, msg)
}

type statementKey struct{}

// setSubgraphs names the subgraph behind each URL (from a new supergraph):
// the audience of the statements sent to it, and the subgraph label of its
// fetch metrics.
func (g *gateway) setSubgraphs(nameByURL map[string]string) { g.audiences.Store(&nameByURL) }

// observeFetch is the executor transport's Observe hook: the fetch metrics
// of the subgraph at url (none before the first supergraph names it).
func (g *gateway) observeFetch(url string, d time.Duration, outcome string) {
	if names := g.audiences.Load(); names != nil {
		g.metrics.Fetch((*names)[url], d, outcome)
	}
}

// subgraphHeaders is the executor transport's Header hook: the router's
// statement about the caller, addressed to the subgraph at url, and the
// trace context travel with every subgraph request.
func (g *gateway) subgraphHeaders(ctx context.Context, url string, h http.Header) {
	if st, ok := ctx.Value(statementKey{}).(*auth.Statement); ok {
		s := *st
		if names := g.audiences.Load(); names != nil {
			s.Audience = (*names)[url]
		}
		// Valid from now: a subscription's later fetches run long after
		// the request began (never past the caller's token).
		s.Expires = time.Now().Add(g.cfg.Auth.IdentityTTL).Unix()
		if c, ok := auth.FromContext(ctx); ok {
			s.Expires = min(s.Expires, max(c.Expires, 1))
		}
		if v, err := s.Encode(); err == nil {
			h.Set(auth.IdentityHeader, v)
		}
	}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
}

// caller is the executor transport's Caller hook: who is asking, for
// sharing identical in-flight subgraph queries only between requests whose
// answers cannot differ (the same claims; client addresses do not matter).
func caller(ctx context.Context) string {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return ""
	}
	return c.Subject + "\x00" + strings.Join(c.Roles, ",") + "\x00" + strings.Join(c.Scopes, " ")
}

// limitClient draws from the client address's bucket, before any token is
// verified: a flood of requests (with credentials or garbage) from one
// client is refused before it costs a signature check.
func (g *gateway) limitClient(next http.Handler) http.Handler {
	if g.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ref := g.limiter.AllowClient(r.Context(), clientip.Bucket(g.ips.Of(r))); ref != nil {
			g.rateLimited(w, r, ref)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitCaller draws from the signed-in user's bucket, then the global one:
// what a per-client bucket refused never spends the global bucket.
func (g *gateway) limitCaller(next http.Handler) http.Handler {
	if g.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := ""
		if c, ok := auth.FromContext(r.Context()); ok {
			user = c.Subject
		}
		if ref := g.limiter.AllowCaller(r.Context(), user); ref != nil {
			g.rateLimited(w, r, ref)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitOperation draws one operation on a long-lived connection (a
// WebSocket's subscribe) from the same buckets a request draws from at the
// edge: the client address's, the caller's and the global one.
func (g *gateway) limitOperation(ctx context.Context, r *http.Request) *engine.RequestError {
	if g.limiter == nil {
		return nil
	}
	user := ""
	if c, ok := auth.FromContext(ctx); ok {
		user = c.Subject
	}
	ref := g.limiter.AllowClient(ctx, clientip.Bucket(g.ips.Of(r)))
	if ref == nil {
		ref = g.limiter.AllowCaller(ctx, user)
	}
	if ref == nil {
		return nil
	}
	g.metrics.rateLimited.WithLabelValues(ref.Scope).Inc()
	return engine.Refuse(errcode.RateLimited, "too many requests (%s limit); retry in %d s", ref.Scope, ref.RetryAfterSeconds())
}

func (g *gateway) rateLimited(w http.ResponseWriter, r *http.Request, ref *ratelimit.Refusal) {
	g.metrics.rateLimited.WithLabelValues(ref.Scope).Inc()
	w.Header().Set("Retry-After", strconv.Itoa(ref.RetryAfterSeconds()))
	g.refuse(w, r, http.StatusTooManyRequests, errcode.RateLimited, fmt.Sprintf("too many requests (%s limit); retry in %d s", ref.Scope, ref.RetryAfterSeconds()))
}

// background runs the gateway's periodic jobs until ctx ends.
func (g *gateway) background(ctx context.Context) error {
	if g.limiter == nil {
		<-ctx.Done()
		return nil
	}
	return g.limiter.SweepEvery(ctx, time.Minute)
}
