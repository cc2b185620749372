package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/pki"
)

// Starter builds a service from its configuration and returns the server to
// run and a function releasing its resources.
// tls is the service's identity for mutual TLS, as server and as client.
type Starter[C any] func(ctx context.Context, cfg C, common Common, log *slog.Logger, reg *prometheus.Registry, tls *pki.Source) (*Server, func(), error)

// Main is the whole life of a service binary: read the configuration (the
// service's own variables carry prefix), set up logging and tracing, start,
// load its certificate, serve until SIGINT or SIGTERM, drain, and return the exit code.
func Main[C any](name, prefix string, start Starter[C]) int {
	common, err := LoadCommon()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 2
	}
	log, err := NewLogger(os.Stderr, name, common)
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 2
	}
	slog.SetDefault(log) // for what has no logger of its own (readiness failures)
	log.Info("starting", "version", Version, "environment", common.Environment)
	var cfg C
	if err := LoadConfig(&cfg, prefix); err != nil {
		log.Error("invalid configuration", "err", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	shutdownTracing, err := SetupTracing(ctx, name, common)
	if err != nil {
		log.Error("tracing setup failed", "err", err)
		return 1
	}
	defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()

	tls, err := pki.Load(common.TLSFiles(), log)
	if err != nil {
		log.Error("no service identity", "err", err)
		return 2
	}
	if tls.Identity() != name {
		log.Error("the certificate speaks for another service", "identity", tls.Identity(), "service", name, "file", common.TLSFiles().Cert)
		return 2
	}
	srv, release, err := start(ctx, cfg, common, log, NewRegistry(), tls)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	defer release()
	if err := srv.Run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
