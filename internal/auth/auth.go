// Package auth carries a caller's verified identity from the edge to the code
// that authorizes. Services depend only on Claims and the Authenticator
// interface; how identity is proven (today a header signed by the router with
// a shared secret) can change without touching a resolver.
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

// Middleware authenticates each request with a. Anonymous requests pass on
// without claims; requests with bad credentials are refused with 401, because
// silently downgrading a forged identity to anonymous hides attacks.
func Middleware(a Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := a.Authenticate(r)
			switch {
			case errors.Is(err, ErrNoCredentials):
				next.ServeHTTP(w, r)
			case err != nil:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"errors":[{"message":"invalid credentials","extensions":{"code":"UNAUTHENTICATED"}}]}`))
			default:
				next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
			}
		})
	}
}

// Chain tries each authenticator in turn: the first that finds credentials
// decides (accepting or refusing them); a request with none stays anonymous.
func Chain(as ...Authenticator) Authenticator { return chain(as) }

type chain []Authenticator

func (c chain) Authenticate(r *http.Request) (Claims, error) {
	for _, a := range c {
		claims, err := a.Authenticate(r)
		if !errors.Is(err, ErrNoCredentials) {
			return claims, err
		}
	}
	return Claims{}, ErrNoCredentials
}
