package auth

import (
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// FromJWT reads the claims of a verified access token: sub, exp, the roles
// array and the space-separated scope string (RFC 8693 style). The user
// service and the router share it so both read tokens the same way.
func FromJWT(tok jwt.Token) Claims {
	sub, _ := tok.Subject()
	exp, _ := tok.Expiration()
	c := Claims{Subject: sub, Expires: exp.Unix()}
	var roles []any
	if err := tok.Get("roles", &roles); err == nil {
		for _, r := range roles {
			if s, ok := r.(string); ok {
				c.Roles = append(c.Roles, s)
			}
		}
	}
	_ = tok.Get("sid", &c.Session)
	var scope string
	if err := tok.Get("scope", &scope); err == nil && scope != "" {
		c.Scopes = strings.Fields(scope)
	}
	return c
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header:
// ErrNoCredentials without the header, ErrInvalidCredentials for another scheme.
func BearerToken(h string) (string, error) {
	if h == "" {
		return "", ErrNoCredentials
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", ErrInvalidCredentials
	}
	return strings.TrimSpace(token), nil
}
