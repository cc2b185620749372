package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/engine"
	"github.com/virtual-store/virtual-store/router/execute"
)

// subscriptions runs the router's long-lived operations, whatever carries
// them (ws.go: graphql-transport-ws over WebSocket; sse.go: GraphQL over
// SSE). It admits them (limits per connection, per client and in total),
// runs each through the engine as any request (persisted documents,
// validation, limits, authorization), ends them when the caller's token
// expires, and ends them all when the router shuts down.
type subscriptions struct {
	cfg config.Subscriptions
	gql *graphQLHandler

	mu sync.Mutex
	// subs are the subscriptions; conns the connections (WebSockets and
	// SSE streams), bounded alike: an idle WebSocket costs goroutines and
	// buffers too.
	subs, conns quota
	// draining is closed when the router starts shutting down: every
	// subscription completes and every connection closes.
	draining  chan struct{}
	drainOnce sync.Once
	open      sync.WaitGroup // connections and streams being served

	active prometheus.Gauge
	events prometheus.Counter
}

func newSubscriptions(cfg config.Subscriptions, gql *graphQLHandler, reg prometheus.Registerer) *subscriptions {
	s := &subscriptions{cfg: cfg, gql: gql, draining: make(chan struct{}),
		subs:   quota{what: "subscriptions", perClient: map[string]int{}},
		conns:  quota{what: "subscription connections", perClient: map[string]int{}},
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "router_subscriptions_active", Help: "Subscriptions open on this router (WebSocket and SSE)."}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "router_subscription_events_total", Help: "Events sent to subscribers."}),
	}
	reg.MustRegister(s.active, s.events)
	return s
}

// drain ends every subscription and waits (until ctx ends) for their
// connections to close: part of the router's graceful shutdown.
func (s *subscriptions) drain(ctx context.Context) {
	s.drainOnce.Do(func() { close(s.draining) })
	done := make(chan struct{})
	go func() { s.open.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// background drains the subscriptions when ctx (the server's) ends.
func (s *subscriptions) background(ctx context.Context) error {
	<-ctx.Done()
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s.drain(dctx)
	return nil
}

// quota counts what clients hold (subscriptions, or connections) against a
// total and a per-client bound. The caller holds subscriptions.mu.
type quota struct {
	what      string
	total     int
	perClient map[string]int
}

func (q *quota) take(client string, maxTotal, maxPerClient int) *engine.RequestError {
	if q.total >= maxTotal {
		return engine.Refuse(errcode.RateLimited, "this router holds %d %s, its most", maxTotal, q.what)
	}
	if q.perClient[client] >= maxPerClient {
		return engine.Refuse(errcode.RateLimited, "at most %d %s per client", maxPerClient, q.what)
	}
	q.total++
	q.perClient[client]++
	return nil
}

func (q *quota) give(client string) {
	q.total--
	if q.perClient[client]--; q.perClient[client] <= 0 {
		delete(q.perClient, client)
	}
}

// take reserves one of q for client, or refuses it; draining refuses
// every new one, so the drain's wait never sees the count grow again.
func (s *subscriptions) take(q *quota, client string) *engine.RequestError {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.draining:
		return engine.Refuse(errcode.ServiceUnavailable, "the router is shutting down; subscribe again")
	default:
	}
	return q.take(client, s.cfg.MaxTotal, s.cfg.MaxPerClient)
}

// connect admits a connection of client (before a WebSocket is accepted or
// a stream starts), or refuses it; disconnect ends it.
func (s *subscriptions) connect(client string) *engine.RequestError {
	if refused := s.take(&s.conns, client); refused != nil {
		return refused
	}
	s.open.Add(1)
	return nil
}

func (s *subscriptions) disconnect(client string) {
	s.mu.Lock()
	s.conns.give(client)
	s.mu.Unlock()
	s.open.Done()
}

// admit reserves a subscription for client, or refuses it; release frees it.
func (s *subscriptions) admit(client string) *engine.RequestError {
	if refused := s.take(&s.subs, client); refused != nil {
		return refused
	}
	s.active.Inc()
	return nil
}

func (s *subscriptions) release(client string) {
	s.mu.Lock()
	s.subs.give(client)
	s.mu.Unlock()
	s.active.Dec()
}

// start runs req for the caller in ctx: a subscription's responses, or a
// query's or mutation's one response (graphql-ws carries those too). The
// refusal of a request that never ran comes back as a RequestError.
func (s *subscriptions) start(ctx context.Context, r *http.Request, req *engine.Request) (<-chan *execute.Response, *engine.RequestError) {
	e := s.gql.current()
	if e == nil {
		return nil, engine.Refuse(errcode.ServiceUnavailable, "the router has no supergraph yet")
	}
	if refused := s.gql.resolve(r, req); refused != nil {
		return nil, refused
	}
	p, err := e.Prepare(ctx, req)
	var reqErr *engine.RequestError
	if errors.As(err, &reqErr) {
		s.gql.metrics.reject(reqErr.Code)
		return nil, reqErr
	}
	if err != nil {
		s.gql.log.ErrorContext(ctx, "subscription failed", "err", err)
		return nil, engine.Refuse(errcode.Internal, "internal server error")
	}
	if p.Kind != ast.Subscription {
		once := make(chan *execute.Response, 1)
		once <- e.Run(ctx, p)
		close(once)
		return once, nil
	}
	ch, err := e.Subscribe(ctx, p)
	if err != nil {
		s.gql.log.WarnContext(ctx, "subscription could not start", "err", err)
		return nil, engine.Refuse(errcode.SubrequestHTTPError, "the subscription could not be started; try again")
	}
	if s.gql.persisted != nil {
		s.gql.persisted.Register(req.Query, req.Extensions)
	}
	return ch, nil
}

// expiring is ctx ending when the caller's access token expires (claims
// without an expiry never do); expired tells the two endings apart.
func expiring(ctx context.Context) (_ context.Context, cancel context.CancelFunc, expired func() bool) {
	c, ok := auth.FromContext(ctx)
	if !ok || c.Expires == 0 {
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, func() bool { return false }
	}
	deadline := time.Unix(c.Expires, 0)
	ctx, cancel = context.WithDeadline(ctx, deadline)
	return ctx, cancel, func() bool { return !time.Now().Before(deadline) }
}

// tokenExpired is the error a subscription ends with when its token does.
var tokenExpired = execute.Error{Message: "the access token expired; subscribe again with a fresh one",
	Extensions: map[string]any{"code": errcode.Unauthenticated}}

// tokenRevoked is the error a subscription ends with when its session is
// signed out (or its token otherwise stops verifying) while it runs.
var tokenRevoked = execute.Error{Message: "the access token is no longer valid (signed out?); sign in again",
	Extensions: map[string]any{"code": errcode.Unauthenticated}}

// stillValid re-verifies a long-lived connection's credentials (the
// verifier caches the signature check; the revoked sessions are the ones
// the router polls), so a signed-out session ends within a heartbeat.
func (g *gateway) stillValid(r *http.Request, authorization string) bool {
	if authorization == "" {
		return true
	}
	_, _, err := g.identify(r, authorization)
	return err == nil
}

// refusalErrors is a refusal as the errors of a GraphQL response.
func refusalErrors(e *engine.RequestError) []execute.Error {
	out := make([]execute.Error, len(e.Errors))
	for i, ge := range e.Errors {
		out[i] = fromGQL(ge, e.Code)
	}
	return out
}

// encodeResponse is a response as JSON, for one message or event.
func encodeResponse(r *execute.Response) ([]byte, error) {
	return execute.AppendJSON(make([]byte, 0, execute.EncodedSize(r)), r)
}

// clientOf is who a subscription counts against: the signed-in user, else
// the client's address.
func (g *gateway) clientOf(ctx context.Context, r *http.Request) string {
	if c, ok := auth.FromContext(ctx); ok && c.Subject != "" {
		return "user:" + c.Subject
	}
	if a := g.ips.Of(r); a.IsValid() {
		return "ip:" + a.String()
	}
	return "ip:unknown"
}
