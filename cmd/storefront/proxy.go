package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/virtual-store/virtual-store/internal/clientip"
)

// newProxy forwards /graphql to the router: queries and mutations, GraphQL
// over SSE (streamed, flushed as each event arrives) and graphql-ws
// WebSockets (the upgrade passes through). The browser thus talks to one
// origin, and needs no CORS. The router learns the client's address from
// X-Forwarded-For (list the storefront in its trusted_proxies); cookies
// stay here. Streams end when the storefront shuts down, so its drain
// completes and the clients reconnect elsewhere.
func newProxy(target *url.URL, ips *clientip.Resolver, stopping context.Context, log *slog.Logger) http.Handler {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	transport.ResponseHeaderTimeout = 60 * time.Second
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path, pr.Out.URL.RawPath = target.Path, target.RawPath
			pr.Out.Host = target.Host
			pr.Out.Header.Del("Cookie")
			if a := ips.Of(pr.In); a.IsValid() {
				pr.Out.Header.Set("X-Forwarded-For", a.String())
			}
			pr.Out.Header.Set("X-Forwarded-Host", pr.In.Host)
			proto := "http"
			if pr.In.TLS != nil {
				proto = "https"
			}
			pr.Out.Header.Set("X-Forwarded-Proto", proto)
		},
		Transport:     transport,
		FlushInterval: -1, // stream every write (SSE, incremental delivery)
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client left, or the storefront is stopping
			}
			log.Warn("router unreachable", "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"errors":[{"message":"the store's API cannot be reached right now","extensions":{"code":"BAD_GATEWAY"}}]}`))
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(stopping, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		rp.ServeHTTP(w, r)
	})
}

// isStream reports a request whose answer lasts: a WebSocket upgrade or an
// event stream (GraphQL over SSE).
func isStream(r *http.Request) bool {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return true
	}
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}
