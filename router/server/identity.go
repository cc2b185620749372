package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/router/config"
)

// subgraphIdentities are the certificates the router accepts from an
// https:// subgraph of the store's CA: a subgraph's, never another
// service's (the payment gateway's key must not pass for a subgraph).
var subgraphIdentities = []string{pki.User, pki.Product, pki.Order}

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

// clientTLS is how the router calls whoever holds one of the identities:
// with its certificate, trusting only those (nil without a certificate:
// https:// with the system's roots).
func clientTLS(src *pki.Source, identities ...string) *tls.Config {
	if src == nil {
		return nil
	}
	return src.ClientTLS(identities...)
}

// httpClient makes requests over its own connection pool, with the router's
// certificate when tlsCfg has it.
func httpClient(tlsCfg *tls.Config, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsCfg.Clone() // net/http may add ALPN protocols to it: never share one
	return &http.Client{Timeout: timeout, Transport: t}
}

// sdlClient fetches subgraph schemas, with the router's certificate when
// it has one.
func sdlClient(src *pki.Source) *http.Client {
	return httpClient(clientTLS(src, subgraphIdentities...), 10*time.Second)
}
