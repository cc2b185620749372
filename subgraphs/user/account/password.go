package account

import (
	"context"
	"errors"
	"net/netip"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// ChangePassword replaces the password after checking the current one
// (throttled like a sign-in from client: a stolen access token is no
// unlimited password oracle), revokes every session of the account (all
// sign out) and forgets the addresses it signed in from.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next string, client netip.Addr) (*User, error) {
	u, err := s.db.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	forget, err := s.admitSignIn(ctx, u.EmailKey, bucket(client))
	if err != nil {
		return nil, err
	}
	if err := s.Hasher.Verify(ctx, current, u.PasswordHash); errors.Is(err, password.ErrBusy) {
		forget()
		return nil, busy(err)
	} else if err != nil {
		return nil, userErr(graph.CodeInvalidCredentials, "current password is wrong", "input", "currentPassword")
	}
	forget()
	if msg := password.CheckPolicy(next, u.Email); msg != "" {
		return nil, userErr(graph.CodeWeakPassword, msg, "input", "newPassword")
	}
	hash, err := s.Hasher.Hash(ctx, next)
	if err != nil {
		return nil, busy(err)
	}
	u, err = s.db.ModifyUser(ctx, userID, func(cur *store.User) error {
		cur.PasswordHash = hash
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.db.RevokeUserTokens(ctx, userID, s.accessTokensEnd()); err != nil {
		return nil, err
	}
	return userFrom(u), s.db.ForgetSignIns(ctx, u.EmailKey)
}
