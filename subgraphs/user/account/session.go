package account

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
	"github.com/virtual-store/virtual-store/subgraphs/user/tokens"
)

// Session is what a successful sign-in returns.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	User         *User
}

// accessTokensEnd is when every access token issued until now has expired
// (with a minute for clocks that differ): how long a revoked session must
// stay on the list the router checks.
func (s *Service) accessTokensEnd() time.Time {
	return s.Now().UTC().Add(s.Tokens.TTL + time.Minute)
}

// RevokedSessions lists the revoked sessions whose access tokens may still
// be alive: the router refuses those tokens.
func (s *Service) RevokedSessions(ctx context.Context) ([]string, error) {
	return s.db.RevokedSessions(ctx, s.Now().UTC())
}

// startSession issues an access token and a new refresh token in family.
func (s *Service) startSession(ctx context.Context, u *store.User, family string) (*Session, error) {
	access, exp, err := s.Tokens.AccessToken(u.ID, u.Roles, family)
	if err != nil {
		return nil, err
	}
	refresh, hash, err := tokens.NewRefreshToken()
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.db.InsertRefreshToken(ctx, &store.RefreshToken{
		Hash: hash, UserID: u.ID, FamilyID: family, CreatedAt: now, ExpiresAt: now.Add(s.RefreshTTL),
	}); err != nil {
		return nil, err
	}
	// A password change, a role taken away or a sign-out that ran while
	// this sign-in was made (after u was read, before the token existed)
	// revoked what it found: the new token was not there yet. Checked
	// after the insert, either that revocation saw the token, or this
	// check sees the revocation.
	cur, err := s.db.UserByID(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	revoked, err := s.db.SessionRevoked(ctx, family)
	if err != nil {
		return nil, err
	}
	if revoked || cur.PasswordHash != u.PasswordHash || !slices.Equal(cur.Roles, u.Roles) {
		if err := s.db.RevokeFamily(ctx, family, s.accessTokensEnd()); err != nil {
			return nil, err
		}
		return nil, userErr(graph.CodeConflict, "the account changed while signing in (a new password, roles or a sign-out); sign in again")
	}
	return &Session{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, User: userFrom(u)}, nil
}

// Refresh exchanges a refresh token for a new access and refresh token.
// Each refresh token works once: presenting one that was already rotated
// means it was stolen (or the client is broken), so the whole family —
// every token descended from that sign-in — is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	sess, err := s.refresh(ctx, token)
	if s.Metrics != nil {
		countOutcome(s.Metrics.TokenRefresh, err, refreshOutcomes, "")
	}
	return sess, err
}

func (s *Service) refresh(ctx context.Context, token string) (*Session, error) {
	invalid := userErr(graph.CodeInvalidToken, "refresh token is invalid; sign in again", "token")
	if tokens.CheckRefreshTokenFormat(token) != nil {
		return nil, invalid
	}
	t, err := s.db.RefreshTokenByHash(ctx, tokens.HashRefreshToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	switch {
	case t.Revoked:
		return nil, invalid
	case t.Rotated:
		return nil, s.reuseDetected(ctx, t)
	case !s.Now().Before(t.ExpiresAt):
		return nil, userErr(graph.CodeTokenExpired, "refresh token has expired; sign in again", "token")
	}
	won, err := s.db.MarkRotated(ctx, t.Hash)
	if err != nil {
		return nil, err
	}
	if !won { // a concurrent refresh used it first: the same reuse
		return nil, s.reuseDetected(ctx, t)
	}
	u, err := s.db.UserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u, t.FamilyID)
}

func (s *Service) reuseDetected(ctx context.Context, t *store.RefreshToken) error {
	if err := s.db.RevokeFamily(ctx, t.FamilyID, s.accessTokensEnd()); err != nil {
		return err
	}
	s.Log.WarnContext(ctx, "refresh token reuse: family revoked", "user_id", t.UserID, "family", t.FamilyID)
	return userErr(graph.CodeTokenReused, "this refresh token was already used; every session of that sign-in is now signed out", "token")
}

// Logout revokes the sign-in a refresh token belongs to. An unknown token is
// not an error: the result (that token cannot be used) is the same.
func (s *Service) Logout(ctx context.Context, token string) error {
	if tokens.CheckRefreshTokenFormat(token) != nil {
		return nil
	}
	t, err := s.db.RefreshTokenByHash(ctx, tokens.HashRefreshToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.db.RevokeFamily(ctx, t.FamilyID, s.accessTokensEnd())
}
