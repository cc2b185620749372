package graph

import (
	"context"

	"github.com/virtual-store/virtual-store/internal/auth"
)

// Who may do what, as every subgraph checks it behind the router's
// @authenticated and @requiresScopes (defence in depth). The caller is the
// router's statement, which auth.FromRouter put in the context.

// Caller is the signed-in caller's claims, or UNAUTHENTICATED.
func Caller(ctx context.Context) (auth.Claims, error) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return c, Unauthenticated()
	}
	return c, nil
}

// CallerID is the signed-in caller's id, or UNAUTHENTICATED.
func CallerID(ctx context.Context) (string, error) {
	c, err := Caller(ctx)
	return c.Subject, err
}

// RequireAdmin is the caller's claims if they hold the admin role:
// UNAUTHENTICATED without a caller, FORBIDDEN without the role.
func RequireAdmin(ctx context.Context) (auth.Claims, error) {
	c, err := Caller(ctx)
	if err == nil && !c.HasRole(auth.RoleAdmin) {
		err = Forbidden("admin role required")
	}
	return c, err
}

// IsAdmin reports whether the caller holds the admin role.
func IsAdmin(ctx context.Context) bool {
	_, err := RequireAdmin(ctx)
	return err == nil
}

// OwnerOrAdmin reports whether the caller is the user userID or an admin:
// who may read that user's private data (orders, profile).
func OwnerOrAdmin(ctx context.Context, userID string) bool {
	c, ok := auth.FromContext(ctx)
	return ok && (c.Subject == userID || c.HasRole(auth.RoleAdmin))
}
