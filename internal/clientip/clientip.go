// Package clientip finds the address of the client behind a request honestly:
// X-Forwarded-For is believed only as far as it was written by proxies we
// trust, so a client cannot pick the address that rate limits count against.
package clientip

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver knows which proxies are trusted.
type Resolver struct {
	trusted Networks
}

// New parses a list of trusted proxy CIDRs (e.g. "127.0.0.1/32,10.0.0.0/8").
func New(cidrs []string) (*Resolver, error) {
	n, err := ParseNetworks(cidrs)
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	return &Resolver{trusted: n}, nil
}

// Networks is a list of IP networks.
type Networks []netip.Prefix

// ParseNetworks reads CIDRs, or single addresses as their own /32 or /128.
// Blank entries are skipped.
func ParseNetworks(cidrs []string) (Networks, error) {
	var out Networks
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			addr, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", c)
			}
			addr = addr.Unmap()
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Contains reports whether a is in one of the networks.
func (n Networks) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range n {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (r *Resolver) isTrusted(a netip.Addr) bool { return r.trusted.Contains(a) }

// Of returns the client address of req: the peer address, unless the peer is
// a trusted proxy, in which case X-Forwarded-For is walked from the right
// (the nearest hop) past trusted proxies to the first untrusted address.
func (r *Resolver) Of(req *http.Request) netip.Addr {
	peer := parseHostPort(req.RemoteAddr)
	if !peer.IsValid() || !r.isTrusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: trust nothing beyond it
		}
		client = a.Unmap()
		if !r.isTrusted(client) {
			break
		}
	}
	return client
}

type ctxKey struct{}

// Middleware stores each request's client address in its context.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), ctxKey{}, r.Of(req))))
	})
}

// WithAddr returns ctx carrying a, the client address of its request (for
// services that learn it from a trusted statement rather than from headers).
func WithAddr(ctx context.Context, a netip.Addr) context.Context {
	return context.WithValue(ctx, ctxKey{}, a.Unmap())
}

// FromContext returns the address Middleware or WithAddr stored (invalid if none).
func FromContext(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(ctxKey{}).(netip.Addr)
	return a
}

func parseHostPort(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Bucket is what limits count a client address as: the address itself for
// IPv4, its /64 for IPv6, since one client (a home, a phone) owns a whole
// /64 and could otherwise rotate addresses to get fresh buckets. The zero
// Addr's bucket is "".
func Bucket(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.Unmap().String()
}
