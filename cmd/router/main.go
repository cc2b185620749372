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
// ROUTER_* variables, REDIS_URL and TLS_* override the file.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only on pprof_addr
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/authn"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/ratelimit"
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
	if cmd == "serve" {
		log.Info("starting", "version", service.Version)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd != "serve" {
		return runTool(ctx, cmd, cfg, fs.Args(), *asJSON, stdout, stderr)
	}
	if err := serve(ctx, cfg, common, log); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

// runTool runs compose, schema or plan.
func runTool(ctx context.Context, cmd string, cfg config.Config, args []string, asJSON bool, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "router:", err)
		return 1
	}
	sdl, err := loadSupergraph(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	if cmd == "compose" {
		fmt.Fprint(stdout, sdl)
		return 0
	}
	e, err := server.NewEngine(sdl, server.Options{Transport: execute.NewTransport(cfg.SubgraphTimeout, nil)})
	if err != nil {
		return fail(err)
	}
	if cmd == "schema" {
		fmt.Fprint(stdout, e.API.SDL)
		return 0
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: router plan [--supergraph FILE] QUERY")
		return 2
	}
	p, err := e.Plan(args[0], "")
	if err != nil {
		return fail(err)
	}
	if !asJSON {
		fmt.Fprint(stdout, plan.Format(p))
		return 0
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, string(b))
	return 0
}

func loadSupergraph(ctx context.Context, cfg config.Config) (string, error) {
	if cfg.Supergraph != "" {
		b, err := os.ReadFile(cfg.Supergraph)
		return string(b), err
	}
	tlsCfg, err := clientTLS(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	return composeWaiting(ctx, cfg.Subgraphs, sdlClient(tlsCfg))
}

// identity loads the router's certificate when one is configured (nil: no
// client certificate for https:// subgraphs).
func identity(cfg config.Config, log *slog.Logger) (*pki.Source, error) {
	if !cfg.TLS.Files().Configured() {
		return nil, nil
	}
	src, err := pki.Load(cfg.TLS.Files(), log)
	if err != nil {
		return nil, fmt.Errorf("router certificate: %w", err)
	}
	if src.Identity() != pki.Router {
		return nil, fmt.Errorf("router certificate %s speaks for %q, not %q", cfg.TLS.Files().Cert, src.Identity(), pki.Router)
	}
	return src, nil
}

func clientTLS(cfg config.Config, log *slog.Logger) (*tls.Config, error) {
	src, err := identity(cfg, log)
	if src == nil || err != nil {
		return nil, err
	}
	return src.ClientTLS(subgraphIdentities...), nil
}

// subgraphIdentities are the certificates the router accepts from an
// https:// subgraph of the store's CA: a subgraph's, never another
// service's (the payment gateway's key must not pass for a subgraph).
var subgraphIdentities = []string{pki.User, pki.Product, pki.Order}

// sdlClient fetches subgraph schemas (with the router's certificate).
func sdlClient(tlsCfg *tls.Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsCfg.Clone() // net/http may add ALPN protocols to it: never share one
	return &http.Client{Timeout: 10 * time.Second, Transport: t}
}

// serve runs the router until ctx ends.
func serve(ctx context.Context, cfg config.Config, common service.Common, log *slog.Logger) error {
	src, err := identity(cfg, log)
	if err != nil {
		return err
	}
	var tlsCfg, jwksTLS *tls.Config
	if src != nil {
		tlsCfg = src.ClientTLS(subgraphIdentities...)
		// Whoever serves the JWKS can mint any identity: only the user service.
		jwksTLS = src.ClientTLS(pki.User)
		log.Info("mutual TLS to https:// subgraphs", "identity", pki.SPIFFEID(src.Identity()), "not_after", src.Leaf().NotAfter)
	}
	shutdownTracing, err := service.SetupTracing(ctx, "router", common)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()

	reg := service.NewRegistry()
	deps := server.Deps{Log: log, Registry: reg}
	var verifier *authn.Verifier
	if cfg.Auth.JWKSURL != "" {
		jwks := sdlClient(jwksTLS)
		jwks.Timeout = 5 * time.Second
		if verifier, err = authn.New(cfg.Auth, jwks, log); err != nil {
			return err
		}
		deps.Authenticator = verifier
	}
	if cfg.RateLimit.Enabled && cfg.RateLimit.RedisURL != "" {
		rs, err := ratelimit.NewRedis(ctx, cfg.RateLimit.RedisURL, "virtual-store:router:")
		if err != nil {
			return err
		}
		defer rs.Close()
		deps.RateStore = rs
		log.Info("rate limits shared through Redis")
	}
	gw, err := server.NewGateway(cfg, deps)
	if err != nil {
		return err
	}
	transport := execute.NewTransport(cfg.SubgraphTimeout, tlsCfg)
	transport.Header = gw.SubgraphHeaders
	transport.Caller = server.Caller
	var subgraphNames atomic.Pointer[map[string]string] // URL → name, per supergraph
	transport.Observe = func(url string, d time.Duration, outcome string) {
		if names := subgraphNames.Load(); names != nil {
			gw.Metrics.Fetch((*names)[url], d, outcome)
		}
	}
	load := func(sdl string) error {
		e, err := server.NewEngine(sdl, server.Options{Transport: transport, Limits: cfg.Limits, OverrideLabels: cfg.OverrideLabels, NoIntrospection: !cfg.Introspection})
		if err != nil {
			return err
		}
		names := map[string]string{}
		timeouts := map[string]time.Duration{}
		for _, g := range e.Supergraph.Graphs {
			if !cfg.AllowPlaintextSubgraphs && config.PlaintextURL(g.URL) {
				return fmt.Errorf("subgraph %s at %s is plain HTTP and allow_plaintext_subgraphs is off", g.Name, g.URL)
			}
			names[g.URL] = g.Name
			if d, ok := cfg.SubgraphTimeouts[g.Name]; ok {
				timeouts[g.URL] = d
			}
		}
		subgraphNames.Store(&names)
		gw.SetSubgraphs(names)
		transport.SetTimeouts(timeouts)
		e.OnPlanCache = gw.Metrics.PlanCache
		gw.GraphQL.Swap(e)
		gw.Metrics.SupergraphLoaded(time.Now())
		log.Info("supergraph loaded", "subgraphs", len(e.Supergraph.Graphs))
		return nil
	}
	if cfg.PprofAddr != "" {
		// Profiling on its own listener (never the public one), for `go tool pprof`.
		go func() { log.Warn("pprof", "err", http.ListenAndServe(cfg.PprofAddr, nil)) }()
	}
	srv := &service.Server{Addr: cfg.Listen, Handler: gw.Routes(), AdminAddr: cfg.AdminListen, Admin: gw.Admin(),
		Logger: log, ShutdownTimeout: cfg.ShutdownTimeout, H2C: true}
	srv.Background = append(srv.Background, gw.StartBackground)
	if src != nil {
		srv.Background = append(srv.Background, src.Run) // the client certificate, kept current
	}
	if verifier != nil {
		srv.Background = append(srv.Background, verifier.KeepFresh)
	}
	if cfg.Supergraph != "" {
		b, err := os.ReadFile(cfg.Supergraph)
		if err != nil {
			return err
		}
		if err := load(string(b)); err != nil {
			return err
		}
	} else {
		// Listen at once (ready once composed), compose in the background.
		srv.Background = append(srv.Background, func(ctx context.Context) error {
			return pollSubgraphs(ctx, cfg.Subgraphs, sdlClient(tlsCfg), cfg.PollInterval, load, log)
		})
	}
	if err := srv.Run(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
