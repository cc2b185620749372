package account

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// SetRole grants or revokes a role. The last admin cannot lose the admin
// role. Revoking a role signs the user out everywhere.
func (s *Service) SetRole(ctx context.Context, userID, role string, grant bool) (*User, error) {
	if role != auth.RoleAdmin && role != auth.RoleCustomer {
		return nil, userErr(graph.CodeInvalidInput, "unknown role", "role")
	}
	if !grant && role == auth.RoleAdmin {
		n, err := s.db.CountWithRole(ctx, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		if n <= 1 {
			return nil, userErr(graph.CodeConflict, "the last admin cannot lose the admin role", "role")
		}
	}
	u, err := s.db.ModifyUser(ctx, userID, func(u *store.User) error {
		has := slices.Contains(u.Roles, role)
		switch {
		case grant && !has:
			u.Roles = append(u.Roles, role)
			slices.Sort(u.Roles)
		case !grant && has:
			u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == role })
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, userErr(graph.CodeNotFound, "no such user", "userId")
	}
	if err == nil && !grant {
		// Tokens carry the roles they were issued with: a role taken away
		// ends every session of the user, who signs in again without it.
		err = s.db.RevokeUserTokens(ctx, userID, s.accessTokensEnd())
	}
	return userFrom(u), err
}

// Bootstrap makes sure an admin exists on first start: if nobody holds the
// admin role, the account with email gets it (created with pw if missing).
func (s *Service) Bootstrap(ctx context.Context, email, pw string) error {
	n, err := s.db.CountWithRole(ctx, auth.RoleAdmin)
	if err != nil || n > 0 {
		return err
	}
	email, key, err := NormalizeEmail(email)
	if err != nil {
		return fmt.Errorf("bootstrap admin email: %w", err)
	}
	// Bootstrap only creates: an account that already has this email was
	// registered by someone who knows its password — perhaps not the
	// operator — so it is never promoted.
	if _, err := s.db.UserByEmailKey(ctx, key); err == nil {
		return fmt.Errorf("bootstrap admin: %s is already registered, and bootstrap never promotes an existing account; "+
			"set USER_BOOTSTRAP_ADMIN_EMAIL to an unused address (or grant ADMIN from an admin account)", email)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if msg := password.CheckPolicy(pw, email); msg != "" {
		return fmt.Errorf("bootstrap admin password: %s", msg)
	}
	// Not a customer's registration: not counted.
	if _, err := s.register(ctx, email, pw, "Administrator", netip.Addr{}); err != nil {
		return fmt.Errorf("create bootstrap admin: %w", err)
	}
	u, err := s.db.UserByEmailKey(ctx, key)
	if err != nil {
		return err
	}
	if _, err := s.SetRole(ctx, u.ID, auth.RoleAdmin, true); err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "bootstrap admin granted", "user_id", u.ID)
	return nil
}
