// Command router is the federation gateway: it serves one GraphQL API over
// the subgraphs of a supergraph, behind the edge (auth, limits, rate limits,
// allow-lists, persisted queries, playground, metrics).
//
//	router [--config FILE] [--supergraph FILE] [--listen ADDR]   serve
//	router compose                               print the supergraph composed from the subgraphs
//	router plan [--supergraph FILE] [--json] QUERY   print the query plan of an operation
//	router schema [--supergraph FILE]            print the public API schema
//	router pki init|issue ...                    issue the store's CA and service certificates
//
// Configuration: router.example.yaml documents every key and its default;
// ROUTER_* variables, REDIS_URL and TLS_* override the file. The wiring
// lives in router/server; this is flags and subcommands.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/config"
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
	if len(args) > 0 && args[0] == "pki" {
		return runPKI(args[1:], stdout, stderr)
	}
	cmd := "serve"
	if len(args) > 0 && (args[0] == "compose" || args[0] == "plan" || args[0] == "schema") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", os.Getenv("ROUTER_CONFIG"), "YAML configuration file (env ROUTER_CONFIG); see router.example.yaml")
	supergraphFile := fs.String("supergraph", "", "supergraph SDL file (overrides the config and ROUTER_SUPERGRAPH); without one, compose from the subgraphs")
	listen := fs.String("listen", "", "listen address (overrides the config and ROUTER_LISTEN)")
	asJSON := fs.Bool("json", false, "router plan: print the plan as JSON instead of text")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		fmt.Fprintln(stderr, "router:", err)
		return 2
	}
	if *supergraphFile != "" {
		cfg.Supergraph = *supergraphFile
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	common, err := service.LoadCommon()
	if err != nil {
		fmt.Fprintln(stderr, "router:", err)
		return 2
	}
	log, err := service.NewLogger(stderr, "router", common)
	if err != nil {
		fmt.Fprintln(stderr, "router:", err)
		return 2
	}
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd != "serve" {
		return runTool(ctx, cmd, cfg, fs.Args(), *asJSON, stdout, stderr)
	}
	log.Info("starting", "version", service.Version)
	if err := serve(ctx, cfg, common, log); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

// serve runs the router until ctx ends, with the process's tracing.
func serve(ctx context.Context, cfg config.Config, common service.Common, log *slog.Logger) error {
	shutdownTracing, err := service.SetupTracing(ctx, "router", common)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()
	srv, err := server.New(cfg, server.Deps{Log: log})
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
