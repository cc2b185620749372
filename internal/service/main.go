package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// Starter builds a service from its configuration and returns the server to
// run and a function releasing its resources.
type Starter[C any] func(ctx context.Context, cfg C, common Common, log *slog.Logger, reg *prometheus.Registry) (*Server, func(), error)

// Main is the whole life of a service binary: read the configuration (the
// service's own variables carry prefix), set up logging and tracing, start,
// serve until SIGINT or SIGTERM, drain, and return the exit code.
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

	srv, release, err := start(ctx, cfg, common, log, NewRegistry())
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
