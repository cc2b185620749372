package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/pki"
)

// IdentityHeader carries the router's statement about the request it
// forwards to a subgraph.
const IdentityHeader = "X-Virtual-Store-Identity"

// Statement is what the router says about a request it forwards: who the
// caller is (no Subject: nobody signed in), the client's address, which
// subgraph it is meant for, and until when it holds.
//
// It is a statement of the router, not a password: it carries no secret and
// no signature, and is believed only on a mutual TLS connection whose peer is
// the router's certificate (FromRouter). A client cannot make one (it cannot
// present the router's certificate), another service cannot relay one (its
// certificate is not the router's), and the router's own statement for one
// subgraph is refused by every other (Audience).
//
// Encoding: base64url (no padding) of the JSON object.
type Statement struct {
	Claims
	// Audience is the subgraph the statement is for (its name in the supergraph).
	Audience string `json:"aud"`
	// ClientAddr is the client's address as the router determined it.
	ClientAddr string `json:"cip,omitempty"`
}

// Encode is the header value of s.
func (s Statement) Encode() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode identity statement: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ParseStatement decodes a header value and checks that it is meant for
// audience and still valid at now.
func ParseStatement(v, audience string, now time.Time) (Statement, error) {
	var s Statement
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return s, fmt.Errorf("%w: identity statement is not base64url", ErrInvalidCredentials)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%w: identity statement is not JSON", ErrInvalidCredentials)
	}
	switch {
	case s.Audience != audience:
		return s, fmt.Errorf("%w: identity statement is for %q, not %q", ErrInvalidCredentials, s.Audience, audience)
	case s.Expires == 0 || now.Unix() >= s.Expires:
		return s, fmt.Errorf("%w: identity statement expired", ErrInvalidCredentials)
	}
	if s.ClientAddr != "" {
		if _, err := netip.ParseAddr(s.ClientAddr); err != nil {
			return s, fmt.Errorf("%w: identity statement has a malformed client address", ErrInvalidCredentials)
		}
	}
	return s, nil
}

// FromRouter makes the router's statements the identity of the requests of
// a subgraph that calls itself audience: the caller's claims (when someone
// signed in) go into the context for the resolvers, and the client's address
// for clientip.FromContext. A statement that is malformed, expired, meant for
// another subgraph, or sent by anyone but the router is refused with 401:
// silently downgrading a forged identity to anonymous would hide attacks.
// Requests without a statement stay anonymous.
func FromRouter(audience string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := r.Header.Get(IdentityHeader)
			if v == "" {
				next.ServeHTTP(w, r)
				return
			}
			if peer, _ := pki.Peer(r); peer != pki.Router {
				unauthenticated(w, "an identity statement is accepted only from the router")
				return
			}
			s, err := ParseStatement(v, audience, time.Now())
			if err != nil {
				unauthenticated(w, err.Error())
				return
			}
			ctx := r.Context()
			if s.Subject != "" {
				ctx = WithClaims(ctx, s.Claims)
			}
			if a, err := netip.ParseAddr(s.ClientAddr); err == nil {
				ctx = clientip.WithAddr(ctx, a)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func unauthenticated(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": errcode.Unauthenticated}}}})
	_, _ = w.Write(b)
}
