// Package server is the router's HTTP edge and its life: it builds the
// query engine (router/engine) of the current supergraph and swaps it when
// the supergraph changes, puts the edge in front of it (CORS, IP
// allow-lists, authentication, rate limits, persisted queries, access logs,
// metrics, the playground), and serves the public and admin ports until
// shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/authn"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/engine"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/ratelimit"
)

// Server is one router: New builds it, Load gives it a supergraph, Run
// serves it.
type Server struct {
	cfg       config.Config
	log       *slog.Logger
	gw        *gateway
	transport *execute.Transport
	// identity is the router's certificate (nil: none), presented to
	// https:// subgraphs and the JWKS, kept current while Run runs.
	identity *pki.Source
	// sdlClient asks the subgraphs for their schemas.
	sdlClient *http.Client
	// verifier, when New built it, keeps its keys fresh while Run runs.
	verifier *authn.Verifier
	// redis, when New connected it, is closed when Run ends.
	redis    *ratelimit.Redis
	onListen func(net.Addr)

	mu      sync.Mutex // one Load at a time
	current string     // the supergraph served
}

// Deps are what a server is built from besides its configuration; New
// makes those left nil from the configuration.
type Deps struct {
	// Log is the server's logger (nil: slog.Default()).
	Log *slog.Logger
	// Registry holds the router's metrics, served on the admin port (nil:
	// service.NewRegistry()).
	Registry *prometheus.Registry
	// Authenticator verifies credentials (nil: the JWKS at auth.jwks_url;
	// without one everyone is anonymous and requests with credentials are
	// refused, since nothing can check them).
	Authenticator auth.Authenticator
	// RateStore shares rate limit buckets (nil: Redis at
	// rate_limit.redis_url, or in memory).
	RateStore ratelimit.Store
	// OnListen is told the bound public address (tests listen on port 0).
	OnListen func(net.Addr)
}

// New builds a router for cfg, with no supergraph yet (Load or Run gives
// it one): its certificate, the edge, and the transport to the subgraphs.
func New(cfg config.Config, deps Deps) (*Server, error) {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Registry == nil {
		deps.Registry = service.NewRegistry()
	}
	src, err := identity(cfg, deps.Log)
	if err != nil {
		return nil, err
	}
	if src != nil {
		deps.Log.Info("mutual TLS to https:// subgraphs", "identity", pki.SPIFFEID(src.Identity()), "not_after", src.Leaf().NotAfter)
	}
	s := &Server{cfg: cfg, log: deps.Log, identity: src, sdlClient: sdlClient(src), onListen: deps.OnListen}
	if deps.Authenticator == nil && cfg.Auth.JWKSURL != "" {
		// Whoever serves the JWKS can mint any identity: only the user service.
		if s.verifier, err = authn.New(cfg.Auth, httpClient(clientTLS(src, pki.User), 5*time.Second), deps.Log); err != nil {
			return nil, err
		}
		deps.Authenticator = s.verifier
	}
	if deps.RateStore == nil && cfg.RateLimit.Enabled && cfg.RateLimit.RedisURL != "" {
		// Connecting is part of starting: a router that cannot reach the
		// store it was told to share would count alone without saying so.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if s.redis, err = ratelimit.NewRedis(ctx, cfg.RateLimit.RedisURL, "virtual-store:router:"); err != nil {
			return nil, err
		}
		deps.RateStore = s.redis
		deps.Log.Info("rate limits shared through Redis")
	}
	if s.gw, err = newGateway(cfg, deps); err != nil {
		s.close()
		return nil, err
	}
	s.transport = execute.NewTransport(cfg.SubgraphTimeout, clientTLS(src, subgraphIdentities...))
	s.transport.Header = s.gw.subgraphHeaders
	s.transport.Caller = caller
	s.transport.Observe = s.gw.observeFetch
	return s, nil
}

// Handler is the public port's handler: /graphql behind the edge, and the
// playground.
func (s *Server) Handler() http.Handler { return s.gw.routes() }

// Admin is the admin port's handler: /healthz, /readyz and /metrics.
func (s *Server) Admin() http.Handler { return s.gw.admin() }

// Engine is the engine of the supergraph served, nil before the first.
func (s *Server) Engine() *engine.Engine { return s.gw.graphQL.current() }

// Run serves the public and admin ports until ctx ends, then drains them.
// With a supergraph file and none loaded yet, it loads the file first (an
// error stops it); composing from the subgraphs, it listens at once (not
// ready until the first composition) and keeps composing in the background.
// Beside them run the certificate's and the keys' refreshes, the rate
// limiter's sweeps and, when configured, pprof on its own port. Run once:
// it releases what New opened when it returns.
func (s *Server) Run(ctx context.Context) error {
	defer s.close()
	srv := &service.Server{Addr: s.cfg.Listen, Handler: s.Handler(), AdminAddr: s.cfg.AdminListen, Admin: s.Admin(),
		Logger: s.log, ShutdownTimeout: s.cfg.ShutdownTimeout, H2C: true, OnListen: s.onListen}
	srv.Background = append(srv.Background, s.gw.background)
	if s.gw.subscriptions != nil {
		srv.Background = append(srv.Background, s.gw.subscriptions.background)
	}
	if s.identity != nil {
		srv.Background = append(srv.Background, s.identity.Run) // the client certificate, kept current
	}
	if s.verifier != nil {
		srv.Background = append(srv.Background, s.verifier.KeepFresh)
	}
	if s.cfg.PprofAddr != "" {
		srv.Background = append(srv.Background, service.Pprof(s.cfg.PprofAddr, s.log))
	}
	if s.cfg.Supergraph == "" {
		srv.Background = append(srv.Background, s.followSubgraphs)
	} else if s.Engine() == nil {
		if err := s.Load(ctx); err != nil {
			return err
		}
	}
	if err := srv.Run(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// close releases what New opened.
func (s *Server) close() {
	if s.redis != nil {
		_ = s.redis.Close()
	}
}
