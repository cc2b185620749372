package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// Router returns a chi router with the endpoints every service exposes
// (/healthz, /readyz, /metrics) and the middleware every service wants:
// panic recovery, request ids, HTTP metrics. The caller mounts its own routes.
func Router(reg *prometheus.Registry, checks ...Check) chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer, NewHTTPMetrics(reg).Middleware)
	r.Method(http.MethodGet, "/healthz", Liveness())
	r.Method(http.MethodGet, "/readyz", Readiness(checks...))
	r.Method(http.MethodGet, "/metrics", MetricsHandler(reg))
	return r
}

// Server is one HTTP listener with graceful shutdown.
type Server struct {
	Addr    string
	Handler http.Handler
	Logger  *slog.Logger
	// ShutdownTimeout bounds the drain of in-flight requests on stop.
	ShutdownTimeout time.Duration
	// Background jobs run beside the server and get the same lifetime: they stop
	// when ctx is cancelled, and one failing stops the whole process.
	Background []func(ctx context.Context) error
	// OnListen, if set, is told the bound address (useful with port 0 in tests).
	OnListen func(addr net.Addr)
	// H2C also serves HTTP/2 without TLS (prior knowledge), for clients and
	// meshes that multiplex over cleartext inside a cluster.
	H2C bool
}

// NewServer is the Server of a service binary: its address and handler, the
// common drain timeout, and its background jobs.
func NewServer(addr string, h http.Handler, common Common, log *slog.Logger, background ...func(context.Context) error) *Server {
	return &Server{Addr: addr, Handler: h, Logger: log, ShutdownTimeout: common.ShutdownTimeout, Background: background}
}

// Run listens and serves until ctx is cancelled (SIGINT/SIGTERM in main) or a
// background job fails, then stops accepting connections and waits up to
// ShutdownTimeout for in-flight requests before returning.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	if s.OnListen != nil {
		s.OnListen(ln.Addr())
	}
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	if s.H2C {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		s.Logger.Info("listening", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	})
	for _, job := range s.Background {
		g.Go(func() error { return job(gctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		timeout := s.ShutdownTimeout
		if timeout <= 0 {
			timeout = 15 * time.Second
		}
		s.Logger.Info("shutting down", "drain_timeout", timeout)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("drain HTTP server: %w", err)
		}
		return nil
	})
	err = g.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
