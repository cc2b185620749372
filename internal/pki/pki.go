// Package pki is the store's private public-key infrastructure: a CA, one
// certificate per service carrying its identity, and the TLS configurations
// that make every internal hop mutual TLS 1.3.
//
// An identity is a SPIFFE ID in the certificate's URI SAN
// (spiffe://virtual-store/order), so authorization asks "which service is
// calling", never "from which address". Servers require a client certificate
// from the CA (a connection without one, or with one from another CA, fails
// in the handshake) and then allow each endpoint to exactly the identities
// that may call it (Only). Certificates and the CA are re-read from their
// files while the process runs (Source), so rotation needs no restart:
// Kubernetes Secrets, cert-manager or `router pki` may replace them at will.
package pki

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// TrustDomain is the SPIFFE trust domain of the store's identities.
const TrustDomain = "virtual-store"

// The store's service identities (the last segment of their SPIFFE IDs).
const (
	Router    = "router"
	User      = "user"
	Product   = "product"
	Order     = "order"
	PaymentGW = "paymentgw"
)

// Services lists every identity the store issues certificates for.
var Services = []string{Router, User, Product, Order, PaymentGW}

// SPIFFEID is the URI of a service identity, e.g. spiffe://virtual-store/order.
func SPIFFEID(name string) string { return "spiffe://" + TrustDomain + "/" + name }

// IdentityOf returns the service identity a certificate carries: the name in
// its spiffe://virtual-store/ URI SAN. Certificates with no such URI, or with
// more than one, have none (a certificate speaks for one service only).
func IdentityOf(c *x509.Certificate) (string, bool) {
	var found string
	for _, u := range c.URIs {
		name, ok := nameOf(u)
		if !ok {
			continue
		}
		if found != "" {
			return "", false
		}
		found = name
	}
	return found, found != ""
}

func nameOf(u *url.URL) (string, bool) {
	if u.Scheme != "spiffe" || u.Host != TrustDomain {
		return "", false
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// Peer returns the identity of the client that called r over a verified
// mutual TLS connection. Plain HTTP requests, and TLS requests whose client
// certificate was not verified against the CA, have none.
func Peer(r *http.Request) (string, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "", false
	}
	return IdentityOf(r.TLS.VerifiedChains[0][0])
}

// Refuse answers a request whose caller may not use an endpoint. Each API
// writes it in its own error format.
type Refuse func(w http.ResponseWriter, r *http.Request, msg string)

// Only lets through requests whose verified peer is one of ids; every other
// request is answered by refuse (HTTP 403 in the store's APIs). It is the
// authorization half of mutual TLS: the handshake proves who is calling,
// Only decides whether that caller may call this endpoint.
func Only(refuse Refuse, ids ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			peer, ok := Peer(r)
			if !ok {
				refuse(w, r, "a client certificate of the store is required")
				return
			}
			for _, id := range ids {
				if peer == id {
					next.ServeHTTP(w, r)
					return
				}
			}
			refuse(w, r, fmt.Sprintf("the %s service may not call this endpoint", peer))
		})
	}
}
