// Package auth carries a caller's verified identity from the edge to the code
// that authorizes. The router proves a client's identity (Authenticator, its
// JWT verifier) and states it to the subgraphs (Statement), which believe it
// only from the router's mutual TLS connection (FromRouter). Resolvers depend
// only on Claims, so how identity travels can change without touching one.
package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
)

// Role names. A user's roles come from the user service's tokens.
const (
	RoleCustomer = "CUSTOMER"
	RoleAdmin    = "ADMIN"
)

// Claims is the verified identity of a caller.
type Claims struct {
	Subject string   `json:"sub"`
	Roles   []string `json:"roles,omitempty"`
	Scopes  []string `json:"scope,omitempty"`
	// Expires is a Unix time after which the claims must not be trusted.
	Expires int64 `json:"exp"`
	// Session is the sign-in the token belongs to (sid), which the router
	// checks against the revoked sessions; empty for other tokens.
	Session string `json:"sid,omitempty"`
}

// HasRole reports whether the claims grant role.
func (c Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// Authenticator proves who sent a request. It returns ErrNoCredentials when the
// request carries none (an anonymous caller, which is not an error by itself).
type Authenticator interface {
	Authenticate(r *http.Request) (Claims, error)
}

// Errors an Authenticator returns.
var (
	ErrNoCredentials      = errors.New("no credentials")
	ErrInvalidCredentials = errors.New("invalid credentials")
)

type ctxKey struct{}

// WithClaims returns ctx carrying c.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the caller's claims, if the request was authenticated.
func FromContext(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(Claims)
	return c, ok
}
