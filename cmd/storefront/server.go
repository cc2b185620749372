package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/service"
)

// handlerConfig is what the storefront's handler is built from.
type handlerConfig struct {
	Site          fs.FS // the built site (index.html, assets/)
	Built         bool  // Site holds a build
	RouterURL     string
	RouterTimeout time.Duration
	Documents     trustedDocuments // the BFF's operations
	Secure        func(*http.Request) bool
	CookieMaxAge  time.Duration
	ClientIP      *clientip.Resolver
	// Stopping ends when the process starts to shut down: streams proxied
	// to the router (WebSockets, SSE) close then, so the drain can finish.
	Stopping context.Context
	Log      *slog.Logger
	Registry *prometheus.Registry
}

// newHandler is the storefront's public port: /graphql (proxy), /auth/*
// (BFF) and the site for every other GET.
func newHandler(cfg handlerConfig) (http.Handler, error) {
	target, err := url.Parse(cfg.RouterURL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("STOREFRONT_ROUTER_URL=%q: want the router's http(s)://host/graphql", cfg.RouterURL)
	}
	if cfg.Stopping == nil {
		cfg.Stopping = context.Background()
	}
	site, err := newSite(cfg.Site, cfg.Built)
	if err != nil {
		return nil, err
	}
	bff, err := newBFF(cfg, target)
	if err != nil {
		return nil, err
	}
	r := service.Router(cfg.Registry)
	r.Use(securityHeaders)
	r.Handle("/graphql", newProxy(target, cfg.ClientIP, cfg.Stopping, cfg.Log))
	r.Route("/auth", func(r chi.Router) {
		r.Use(csrfGuard)
		r.Post("/login", bff.login)
		r.Post("/register", bff.register)
		r.Post("/refresh", bff.refresh)
		r.Post("/logout", bff.logout)
	})
	r.NotFound(site.ServeHTTP)
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	return r, nil
}

// securityHeaders are on every answer; the site's pages add their CSP.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
