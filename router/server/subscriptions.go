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

	mu        sync.Mutex
	total     int
	perClient map[string]int
	// draining is closed when the router starts shutting down: every
	// subscription completes and every connection closes.
	draining  chan struct{}
	drainOnce sync.Once
	open      sync.WaitGroup // connections and streams being served

	active prometheus.Gauge
	events prometheus.Counter
}

func newSubscriptions(cfg config.Subscriptions, gql *graphQLHandler, reg prometheus.Registerer) *subscriptions {
	s := &subscriptions{cfg: cfg, gql: gql, perClient: map[string]int{}, draining: make(chan struct{}),
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

// admit reserves a subscription for client, or refuses it.
func (s *subscriptions) admit(client string) *engine.RequestError {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.draining:
		return engine.Refuse(errcode.ServiceUnavailable, "the router is shutting down; subscribe again")
	default:
	}
	if s.total >= s.cfg.MaxTotal {
		return engine.Refuse(errcode.RateLimited, "this router serves %d subscriptions, its most", s.cfg.MaxTotal)
	}
	if s.perClient[client] >= s.cfg.MaxPerClient {
		return engine.Refuse(errcode.RateLimited, "at most %d subscriptions per client", s.cfg.MaxPerClient)
	}
	s.total++
	s.perClient[client]++
	s.active.Inc()
	return nil
}

func (s *subscriptions) release(client string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.perClient[client]--; s.perClient[client] <= 0 {
		delete(s.perClient, client)
	}
	s.active.Dec()
}

// start runs req for the caller in ctx: a subscription's responses, or a
// query's or mutation's one response (graphql-ws carries those too). The
// refusal of a request that never ran comes back as a RequestError.
func (s *subscriptions) start(ctx context.Context, r *http.Request, req *engine.Request) (<-chan *execute.Response, *engine.RequestError) {
	if s.gql.guard != nil {
		req.Guard = func(opName string, roots []string) *engine.RequestError { return s.gql.guard(r, opName, roots) }
	}
	e := s.gql.current()
	if e == nil {
		return nil, engine.Refuse(errcode.ServiceUnavailable, "the router has no supergraph yet")
	}
	if s.gql.persisted != nil {
		q, perr := s.gql.persisted.Resolve(ctx, req.Query, req.Extensions)
		if perr != nil {
			return nil, engine.Refuse(perr.Code, "%s", perr.Message)
		}
		req.Query = q
	} else if req.Query == "" {
		return nil, engine.Refuse(errcode.BadRequest, "the request has no query")
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
