// Command storefront serves the web storefront (web/): the single-page
// application built into web/dist and embedded here, /graphql proxied to the
// router (WebSocket subscriptions and SSE streams too) so the browser stays
// on one origin, and the small backend-for-frontend under /auth that keeps
// the refresh token in an HttpOnly cookie (see bff.go).
//
//	storefront                       serve (STOREFRONT_* variables, defaults for make run)
//	storefront schema [--root DIR]   print the router's public API schema, composed
//	                                 offline from the repository's subgraph SDLs
//	                                 (what GraphQL Code Generator types the web app against)
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/web"
)

// Config is the storefront's configuration, read from STOREFRONT_* variables.
type Config struct {
	// Listen serves the site, /graphql and /auth: plain HTTP (TLS ends at
	// the ingress, as for the router).
	Listen string `env:"LISTEN" envDefault:":3000"`
	// AdminListen serves /healthz, /readyz and /metrics.
	AdminListen string `env:"ADMIN_LISTEN" envDefault:":3100"`
	// RouterURL is the router's GraphQL endpoint: /graphql is proxied
	// there and the /auth routes call it.
	RouterURL string `env:"ROUTER_URL" envDefault:"http://localhost:4000/graphql"`
	// RouterTimeout bounds one /auth call to the router.
	RouterTimeout time.Duration `env:"ROUTER_TIMEOUT" envDefault:"10s"`
	// CookieSecure is the refresh cookie's Secure flag: "auto" sets it
	// outside development (behind a TLS ingress) and, in development, on
	// requests that came over TLS; "true" or "false" force it.
	CookieSecure string `env:"COOKIE_SECURE" envDefault:"auto"`
	// RefreshCookieMaxAge is how long the browser keeps the refresh cookie:
	// the user service's refresh-token lifetime (30 days).
	RefreshCookieMaxAge time.Duration `env:"REFRESH_COOKIE_MAX_AGE" envDefault:"720h"`
	// TrustedProxies (CIDRs) may say who the client is in X-Forwarded-For
	// (the ingress in front of the storefront). The storefront tells the
	// router the client's address the same way; list the storefront in the
	// router's trusted_proxies.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "schema" {
		return runSchema(args[1:], stdout, stderr)
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "storefront: unknown argument %q (usage: storefront [schema [--root DIR]])\n", args[0])
		return 2
	}
	common, err := service.LoadCommon()
	if err != nil {
		fmt.Fprintln(stderr, "storefront:", err)
		return 2
	}
	log, err := service.NewLogger(stderr, "storefront", common)
	if err != nil {
		fmt.Fprintln(stderr, "storefront:", err)
		return 2
	}
	slog.SetDefault(log)
	log.Info("starting", "version", service.Version, "environment", common.Environment)
	var cfg Config
	if err := service.LoadConfig(&cfg, "STOREFRONT_"); err != nil {
		log.Error("invalid configuration", "err", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, common, log); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// serve runs the storefront until ctx ends, then drains.
func serve(ctx context.Context, cfg Config, common service.Common, log *slog.Logger) error {
	shutdownTracing, err := service.SetupTracing(ctx, "storefront", common)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()

	site, built := web.Site()
	if !built {
		log.Warn("this binary holds no built storefront (web/dist/site): build it with `make build` (it runs `make web`)")
	}
	secure, err := cookieSecurity(cfg.CookieSecure, common.Development())
	if err != nil {
		return err
	}
	ips, err := clientip.New(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("STOREFRONT_TRUSTED_PROXIES: %w", err)
	}
	docs, err := parseTrustedDocuments(web.TrustedDocuments)
	if err != nil {
		return err
	}
	reg := service.NewRegistry()
	h, err := newHandler(handlerConfig{
		Site: site, Built: built, RouterURL: cfg.RouterURL, RouterTimeout: cfg.RouterTimeout,
		Documents: docs, Secure: secure, CookieMaxAge: cfg.RefreshCookieMaxAge,
		ClientIP: ips, Stopping: ctx, Log: log, Registry: reg,
	})
	if err != nil {
		return err
	}
	assets := service.Check{Name: "assets", Func: func(context.Context) error {
		if !built {
			return fmt.Errorf("no built storefront in this binary")
		}
		return nil
	}}
	srv := service.NewServer(cfg.Listen, h, nil, cfg.AdminListen, service.Admin(reg, assets), common, log)
	return srv.Run(ctx)
}

// cookieSecurity decides the refresh cookie's Secure flag per request.
func cookieSecurity(mode string, development bool) (func(*http.Request) bool, error) {
	switch mode {
	case "true":
		return func(*http.Request) bool { return true }, nil
	case "false":
		return func(*http.Request) bool { return false }, nil
	case "auto", "":
		if !development {
			return func(*http.Request) bool { return true }, nil
		}
		return func(r *http.Request) bool { return r.TLS != nil }, nil
	}
	return nil, fmt.Errorf("STOREFRONT_COOKIE_SECURE=%q: want auto, true or false", mode)
}
