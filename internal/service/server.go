package service

import (
	"context"
	"crypto/tls"
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

	"github.com/virtual-store/virtual-store/internal/pki"
)

// Router returns a chi router with the middleware every service wants:
// panic recovery, request ids, HTTP metrics. The caller mounts its routes.
func Router(reg *prometheus.Registry) chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer, NewHTTPMetrics(reg).Middleware)
	return r
}

// Admin is the handler of a service's admin port: /healthz, /readyz and
// /metrics, and nothing else. It is plain HTTP on its own listener so that
// kubelet probes and Prometheus need no client certificate, while the
// service port answers only mutual TLS.
func Admin(reg *prometheus.Registry, checks ...Check) http.Handler {
	return AdminWith(Liveness(), Readiness(checks...), reg)
}

// AdminWith is Admin with the probes given (the router's liveness waits for
// a supergraph).
func AdminWith(live, ready http.Handler, reg *prometheus.Registry) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Method(http.MethodGet, "/healthz", live)
	r.Method(http.MethodGet, "/readyz", ready)
	r.Method(http.MethodGet, "/metrics", MetricsHandler(reg))
	return r
}

// Server is a service's listeners with graceful shutdown: the service port
// (mutual TLS when TLS is set) and the plain-HTTP admin port.
type Server struct {
	Addr    string
	Handler http.Handler
	// TLS, when set, serves Handler over mutual TLS 1.3 with its current
	// certificate, re-read in the background as the files change.
	TLS *pki.Source
	// AdminAddr serves Admin (health and metrics) over plain HTTP.
	AdminAddr string
	Admin     http.Handler
	Logger    *slog.Logger
	// ShutdownTimeout bounds the drain of in-flight requests on stop.
	ShutdownTimeout time.Duration
	// Background jobs run beside the server and get the same lifetime: they stop
	// when ctx is cancelled, and one failing stops the whole process.
	Background []func(ctx context.Context) error
	// OnListen, if set, is told the bound address of the service port
	// (useful with port 0 in tests).
	OnListen func(addr net.Addr)
	// H2C also serves HTTP/2 without TLS (prior knowledge), for clients and
	// meshes that multiplex over cleartext inside a cluster.
	H2C bool
}

// NewServer is the Server of a service binary: its service port over mutual
// TLS, its admin port, the common drain timeout, and its background jobs.
func NewServer(addr string, h http.Handler, tls *pki.Source, adminAddr string, admin http.Handler, common Common, log *slog.Logger, background ...func(context.Context) error) *Server {
	s := &Server{Addr: addr, Handler: h, TLS: tls, AdminAddr: adminAddr, Admin: admin, Logger: log,
		ShutdownTimeout: common.ShutdownTimeout, Background: background}
	if common.PprofAddr != "" {
		s.Background = append(s.Background, Pprof(common.PprofAddr, log))
	}
	return s
}

// Run listens and serves until ctx is cancelled (SIGINT/SIGTERM in main) or a
// background job fails, then stops accepting connections and waits up to
// ShutdownTimeout for in-flight requests before returning.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	var adminLn net.Listener
	if s.Admin != nil {
		if adminLn, err = net.Listen("tcp", s.AdminAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on the admin address %s: %w", s.AdminAddr, err)
		}
	}
	if s.OnListen != nil {
		s.OnListen(ln.Addr())
	}
	srv := s.httpServer(ctx, s.Handler)
	if s.TLS != nil {
		srv.TLSConfig = s.TLS.ServerTLS()
		ln = tls.NewListener(ln, srv.TLSConfig)
	} else if s.H2C {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	servers := []*http.Server{srv}
	g, gctx := errgroup.WithContext(ctx)
	serve := func(srv *http.Server, ln net.Listener, what string) {
		g.Go(func() error {
			s.Logger.Info("listening", "addr", ln.Addr().String(), "port", what)
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve %s: %w", what, err)
			}
			return nil
		})
	}
	mode := "plain HTTP"
	if s.TLS != nil {
		mode = "mutual TLS as " + s.TLS.Identity()
		g.Go(func() error { return s.TLS.Run(gctx) })
	}
	serve(srv, ln, "service ("+mode+")")
	if adminLn != nil {
		admin := s.httpServer(ctx, s.Admin)
		servers = append(servers, admin)
		serve(admin, adminLn, "admin (health, metrics)")
	}
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
		// The service port drains first; probes keep answering meanwhile.
		for _, srv := range servers {
			if err := srv.Shutdown(sctx); err != nil {
				return fmt.Errorf("drain HTTP server: %w", err)
			}
		}
		return nil
	})
	err = g.Wait()
	for _, srv := range servers {
		_ = srv.Close()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// What a connection may take of a server, so that slow or hostile clients
// (slowloris) cannot hold connections or memory: the headers within
// ReadHeaderTimeout, the whole request, body included, within ReadTimeout
// (Go lifts it once the body is read, so it never cuts a long-running
// handler), MaxHeaderBytes of request line and headers (Go's default is
// 1 MiB; a GET query the router accepts fits), and IdleTimeout between
// keep-alive requests (longer than the router's 90 s, so that the caller
// closes first and never reuses a connection being closed). No
// WriteTimeout: handlers bound their own work, and it would cut a slow
// response mid-body.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

func (s *Server) httpServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}
