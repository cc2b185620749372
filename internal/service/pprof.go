package service

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// Pprof is a background job serving net/http/pprof on its own listener
// (never the service or admin port: profiles reveal code and data, so the
// address is a private one, 127.0.0.1 or a port-forward), for `go tool
// pprof`, until ctx ends. Its failure is logged and stops nothing else: a
// profiler is a convenience, not a reason to take a service down.
func Pprof(addr string, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
		defer stop()
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof", "addr", addr, "err", err)
		}
		return nil
	}
}
