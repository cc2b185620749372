// Command router is the federation gateway: it serves one GraphQL API over
// the subgraphs of a supergraph.
//
//	router [--supergraph FILE] [--listen ADDR]   serve (composing from ROUTER_SUBGRAPHS without --supergraph)
//	router compose                               print the supergraph composed from ROUTER_SUBGRAPHS
//	router plan [--supergraph FILE] QUERY        print the query plan of an operation
//	router schema [--supergraph FILE]            print the public API schema
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only on ROUTER_PPROF_ADDR
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/server"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// A gateway's garbage is per request and its live heap small (tens
		// of MB): collecting less often buys throughput for a few MB more.
		// Measured with make bench-gateway: ~660 → ~900 req/s, 33 → 48 MB RSS.
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "compose" || args[0] == "plan" || args[0] == "schema") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	fs.SetOutput(stderr)
	supergraphFile := fs.String("supergraph", os.Getenv("ROUTER_SUPERGRAPH"), "supergraph SDL file (env ROUTER_SUPERGRAPH); without it, compose from ROUTER_SUBGRAPHS")
	listen := fs.String("listen", envOr("ROUTER_LISTEN", ":4000"), "listen address (env ROUTER_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("service", "router")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	sdl, err := loadSupergraph(ctx, *supergraphFile)
	if err != nil {
		fmt.Fprintln(stderr, "router:", err)
		return 1
	}
	switch cmd {
	case "compose":
		fmt.Fprint(stdout, sdl)
		return 0
	case "schema":
		e, err := server.NewEngine(sdl, execute.NewTransport(30*time.Second))
		if err != nil {
			fmt.Fprintln(stderr, "router:", err)
			return 1
		}
		fmt.Fprint(stdout, e.API.SDL)
		return 0
	case "plan":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: router plan [--supergraph FILE] QUERY")
			return 2
		}
		e, err := server.NewEngine(sdl, execute.NewTransport(30*time.Second))
		if err != nil {
			fmt.Fprintln(stderr, "router:", err)
			return 1
		}
		p, err := e.Plan(fs.Arg(0), "")
		if err != nil {
			fmt.Fprintln(stderr, "router:", err)
			return 1
		}
		fmt.Fprintln(stdout, p)
		return 0
	}

	timeout, err := time.ParseDuration(envOr("ROUTER_SUBGRAPH_TIMEOUT", "30s"))
	if err != nil {
		fmt.Fprintln(stderr, "router: ROUTER_SUBGRAPH_TIMEOUT:", err)
		return 2
	}
	transport := execute.NewTransport(timeout)
	transport.Header = server.ForwardHeaders
	e, err := server.NewEngine(sdl, transport)
	if err != nil {
		fmt.Fprintln(stderr, "router:", err)
		return 1
	}
	if addr := os.Getenv("ROUTER_PPROF_ADDR"); addr != "" {
		// Profiling on its own listener (never the public one), for `go tool pprof`.
		go func() { log.Warn("pprof", "err", http.ListenAndServe(addr, nil)) }()
	}
	reg := service.NewRegistry()
	r := service.Router(reg)
	h := server.NewHandler(e, log)
	h.DedupInbound = envOr("ROUTER_DEDUP_INBOUND", "false") == "true"
	r.Handle("/graphql", h)
	srv := &service.Server{Addr: *listen, Handler: r, Logger: log, ShutdownTimeout: 15 * time.Second}
	if *supergraphFile == "" {
		interval, _ := time.ParseDuration(envOr("ROUTER_POLL_INTERVAL", "10s"))
		srv.Background = append(srv.Background, func(ctx context.Context) error {
			return pollSubgraphs(ctx, h, sdl, interval, transport, log)
		})
	}
	if err := srv.Run(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

func loadSupergraph(ctx context.Context, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return composeFromEnv(ctx)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
