package account

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// Login signs in with email and password from the client address client.
// Failures never reveal whether the email exists; Throttle says how
// failures slow down or refuse further attempts (RATE_LIMITED).
func (s *Service) Login(ctx context.Context, email, pw string, client netip.Addr) (*Session, error) {
	sess, err := s.login(ctx, email, pw, client)
	if s.Metrics != nil {
		countOutcome(s.Metrics.SignIn, err, signInOutcomes, "")
	}
	return sess, err
}

func (s *Service) login(ctx context.Context, email, pw string, client netip.Addr) (*Session, error) {
	key, ip := strings.ToLower(strings.TrimSpace(email)), bucket(client)
	forget, err := s.admitSignIn(ctx, key, ip)
	if err != nil {
		return nil, err
	}
	u, err := s.db.UserByEmailKey(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		forget()
		return nil, err
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	verr := s.Hasher.Verify(ctx, pw, hash)
	if errors.Is(verr, password.ErrBusy) || errors.Is(verr, context.Canceled) || errors.Is(verr, context.DeadlineExceeded) {
		forget() // not an answer about the password: no failure
		return nil, busy(verr)
	}
	if verr != nil || u == nil {
		return nil, userErr(graph.CodeInvalidCredentials, "email or password is wrong") // the attempt stays a failure
	}
	// This address knows the password: its failures on this account are
	// forgiven (this attempt's too), and it is a known place from now on.
	if err := s.db.ClearAttempts(ctx, store.Attempt{Kind: store.AttemptSignInFailure, Email: key, IP: ip}); err != nil {
		return nil, err
	}
	if ip != unknownClient {
		if err := s.db.RememberSignIn(ctx, key, ip, s.Now().UTC()); err != nil {
			return nil, err
		}
	}
	if s.Hasher.NeedsRehash(u.PasswordHash) {
		s.upgradeHash(ctx, u, pw)
	}
	return s.startSession(ctx, u, uuid.NewString())
}

// upgradeHash re-hashes a password made with older parameters. Best effort:
// a failure only postpones the upgrade to the next sign-in.
func (s *Service) upgradeHash(ctx context.Context, u *store.User, pw string) {
	hash, err := s.Hasher.Hash(ctx, pw)
	if err == nil {
		old := u.PasswordHash
		_, err = s.db.ModifyUser(ctx, u.ID, func(cur *store.User) error {
			if cur.PasswordHash != old {
				return nil // changed meanwhile; keep the newer one
			}
			cur.PasswordHash = hash
			return nil
		})
		if err == nil {
			u.PasswordHash = hash // the session started next checks it
		}
	}
	if err != nil {
		s.Log.WarnContext(ctx, "password hash upgrade failed", "user_id", u.ID, "err", err)
	}
}
