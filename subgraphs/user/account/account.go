// Package account holds the rules of the user service: registration, sign-in
// with throttling, refresh token rotation with reuse detection, profiles,
// addresses, password changes and roles. Expected failures come back as
// graph.UserErrors with stable codes; anything else is a fault.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
	"github.com/virtual-store/virtual-store/subgraphs/user/tokens"
)

// Outcomes of sign-ins, registrations and token refreshes: the outcome
// label of signins_total, registrations_total and token_refreshes_total.
const (
	OutcomeOK        = "ok"
	OutcomeFailed    = "failed"    // sign-in: wrong email or password (the same for an unknown email)
	OutcomeThrottled = "throttled" // sign-in or registration: refused by throttling (RATE_LIMITED)
	OutcomeRejected  = "rejected"  // registration: invalid input or the email taken
	OutcomeReused    = "reused"    // refresh: an already rotated token; its sign-in is revoked
	OutcomeInvalid   = "invalid"   // refresh: a malformed, unknown, revoked or expired token
)

// Metrics is told the outcome of every sign-in, registration and token
// refresh. Faults (the database failing) are not outcomes and are not
// counted: they are errors of the GraphQL operation.
type Metrics interface {
	SignIn(outcome string)
	Registration(outcome string)
	TokenRefresh(outcome string)
}

// Service is the account logic over the store.
type Service struct {
	Store      *store.Store
	Hasher     password.Hasher
	Tokens     *tokens.Issuer
	RefreshTTL time.Duration
	Throttle   Throttle
	Log        *slog.Logger
	Now        func() time.Time
	// Metrics counts outcomes; nil counts nothing. Set it before use.
	Metrics Metrics

	pacer pacer

	// dummyHash is verified against when an email is unknown, so that a failed
	// sign-in takes as long whether or not the account exists.
	dummyHash string
}

// New returns a Service.
func New(s *store.Store, h password.Hasher, iss *tokens.Issuer, refreshTTL time.Duration, th Throttle, log *slog.Logger) (*Service, error) {
	dummy, err := password.Hasher{Params: h.Params}.Hash(context.Background(), uuid.NewString())
	if err != nil {
		return nil, err
	}
	return &Service{Store: s, Hasher: h, Tokens: iss, RefreshTTL: refreshTTL, Throttle: th, Log: log, Now: time.Now, dummyHash: dummy}, nil
}

// Session is what a successful sign-in returns.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	User         *store.User
}

// busy turns password.ErrBusy into its user error (the client retries);
// other errors pass.
func busy(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return userErr(graph.CodeBusy, "the service is busy; try again in 1s")
	}
	return err
}

func userErr(code graph.UserErrorCode, msg string, path ...string) error {
	return graph.UserErrors{graph.NewUserError(code, msg, path...)}
}

// NormalizeEmail validates an email address and returns it trimmed and its
// lookup key (lower case).
func NormalizeEmail(email string) (string, string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return "", "", userErr(graph.CodeInvalidEmail, "enter an email address like name@example.com", "input", "email")
	}
	return email, strings.ToLower(email), nil
}

// userErrorCode is the code of err's first user error; ok is false for a
// fault (or no error).
func userErrorCode(err error) (code graph.UserErrorCode, ok bool) {
	ues, fault := graph.UserErrorsFrom(err)
	if err == nil || fault != nil || len(ues) == 0 {
		return "", false
	}
	return ues[0].Code, true
}

// Register creates a customer account and signs it in. Registrations are
// throttled per client address (see Throttle).
func (s *Service) Register(ctx context.Context, email, pw, name string, client netip.Addr) (*Session, error) {
	sess, err := s.register(ctx, email, pw, name, client)
	if s.Metrics != nil {
		if code, rejected := userErrorCode(err); code == graph.CodeRateLimited {
			s.Metrics.Registration(OutcomeThrottled)
		} else if rejected {
			s.Metrics.Registration(OutcomeRejected)
		} else if err == nil {
			s.Metrics.Registration(OutcomeOK)
		}
	}
	return sess, err
}

func (s *Service) register(ctx context.Context, email, pw, name string, client netip.Addr) (*Session, error) {
	email, key, err := NormalizeEmail(email)
	var fe graph.UserErrors
	if err != nil {
		fe = append(fe, err.(graph.UserErrors)...)
	}
	if msg := password.CheckPolicy(pw, email); msg != "" {
		fe = append(fe, graph.NewUserError(graph.CodeWeakPassword, msg, "input", "password"))
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		fe = append(fe, graph.NewUserError(graph.CodeInvalidInput, "name must be 1-200 characters", "input", "name"))
	}
	if len(fe) > 0 {
		return nil, fe
	}
	if err := s.admitRegistration(ctx, bucket(client)); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return nil, busy(err)
	}
	now := s.Now().UTC()
	u := &store.User{ID: uuid.NewString(), Email: email, EmailKey: key, Name: name, PasswordHash: hash,
		Roles: []string{auth.RoleCustomer}, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.InsertUser(ctx, u); errors.Is(err, store.ErrEmailTaken) {
		return nil, userErr(graph.CodeEmailTaken, "an account with this email exists; sign in instead", "input", "email")
	} else if err != nil {
		return nil, err
	}
	s.Log.InfoContext(ctx, "user registered", "user_id", u.ID)
	return s.startSession(ctx, u, uuid.NewString())
}

// Login signs in with email and password from the client address client.
// Failures never reveal whether the email exists; Throttle says how
// failures slow down or refuse further attempts (RATE_LIMITED).
func (s *Service) Login(ctx context.Context, email, pw string, client netip.Addr) (*Session, error) {
	sess, err := s.login(ctx, email, pw, client)
	if s.Metrics != nil {
		code, _ := userErrorCode(err)
		switch {
		case err == nil:
			s.Metrics.SignIn(OutcomeOK)
		case code == graph.CodeInvalidCredentials:
			s.Metrics.SignIn(OutcomeFailed)
		case code == graph.CodeRateLimited:
			s.Metrics.SignIn(OutcomeThrottled)
		}
	}
	return sess, err
}

func (s *Service) login(ctx context.Context, email, pw string, client netip.Addr) (*Session, error) {
	key, ip := strings.ToLower(strings.TrimSpace(email)), bucket(client)
	forget, err := s.admitSignIn(ctx, key, ip)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByEmailKey(ctx, key)
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
	if err := s.Store.ClearAttempts(ctx, store.Attempt{Kind: store.AttemptSignInFailure, Email: key, IP: ip}); err != nil {
		return nil, err
	}
	if ip != unknownClient {
		if err := s.Store.RememberSignIn(ctx, key, ip, s.Now().UTC()); err != nil {
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
		_, err = s.Store.ModifyUser(ctx, u.ID, func(cur *store.User) error {
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

// accessTokensEnd is when every access token issued until now has expired
// (with a minute for clocks that differ): how long a revoked session must
// stay on the list the router checks.
func (s *Service) accessTokensEnd() time.Time {
	return s.Now().UTC().Add(s.Tokens.TTL + time.Minute)
}

// RevokedSessions lists the revoked sessions whose access tokens may still
// be alive: the router refuses those tokens.
func (s *Service) RevokedSessions(ctx context.Context) ([]string, error) {
	return s.Store.RevokedSessions(ctx, s.Now().UTC())
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
	if err := s.Store.InsertRefreshToken(ctx, &store.RefreshToken{
		Hash: hash, UserID: u.ID, FamilyID: family, CreatedAt: now, ExpiresAt: now.Add(s.RefreshTTL),
	}); err != nil {
		return nil, err
	}
	// A password change, a role taken away or a sign-out that ran while
	// this sign-in was made (after u was read, before the token existed)
	// revoked what it found: the new token was not there yet. Checked
	// after the insert, either that revocation saw the token, or this
	// check sees the revocation.
	cur, err := s.Store.UserByID(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	revoked, err := s.Store.SessionRevoked(ctx, family)
	if err != nil {
		return nil, err
	}
	if revoked || cur.PasswordHash != u.PasswordHash || !slices.Equal(cur.Roles, u.Roles) {
		if err := s.Store.RevokeFamily(ctx, family, s.accessTokensEnd()); err != nil {
			return nil, err
		}
		return nil, userErr(graph.CodeConflict, "the account changed while signing in (a new password, roles or a sign-out); sign in again")
	}
	return &Session{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, User: u}, nil
}

// Refresh exchanges a refresh token for a new access and refresh token.
// Each refresh token works once: presenting one that was already rotated
// means it was stolen (or the client is broken), so the whole family —
// every token descended from that sign-in — is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	sess, err := s.refresh(ctx, token)
	if s.Metrics != nil {
		code, _ := userErrorCode(err)
		switch {
		case err == nil:
			s.Metrics.TokenRefresh(OutcomeOK)
		case code == graph.CodeTokenReused:
			s.Metrics.TokenRefresh(OutcomeReused)
		case code == graph.CodeInvalidToken, code == graph.CodeTokenExpired:
			s.Metrics.TokenRefresh(OutcomeInvalid)
		}
	}
	return sess, err
}

func (s *Service) refresh(ctx context.Context, token string) (*Session, error) {
	invalid := userErr(graph.CodeInvalidToken, "refresh token is invalid; sign in again", "token")
	if tokens.CheckRefreshTokenFormat(token) != nil {
		return nil, invalid
	}
	t, err := s.Store.RefreshTokenByHash(ctx, tokens.HashRefreshToken(token))
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
	won, err := s.Store.MarkRotated(ctx, t.Hash)
	if err != nil {
		return nil, err
	}
	if !won { // a concurrent refresh used it first: the same reuse
		return nil, s.reuseDetected(ctx, t)
	}
	u, err := s.Store.UserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u, t.FamilyID)
}

func (s *Service) reuseDetected(ctx context.Context, t *store.RefreshToken) error {
	if err := s.Store.RevokeFamily(ctx, t.FamilyID, s.accessTokensEnd()); err != nil {
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
	t, err := s.Store.RefreshTokenByHash(ctx, tokens.HashRefreshToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.Store.RevokeFamily(ctx, t.FamilyID, s.accessTokensEnd())
}

// ChangePassword replaces the password after checking the current one
// (throttled like a sign-in from client: a stolen access token is no
// unlimited password oracle), revokes every session of the account (all
// sign out) and forgets the addresses it signed in from.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next string, client netip.Addr) (*store.User, error) {
	u, err := s.Store.UserByID(ctx, userID)
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
	u, err = s.Store.ModifyUser(ctx, userID, func(cur *store.User) error {
		cur.PasswordHash = hash
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.Store.RevokeUserTokens(ctx, userID, s.accessTokensEnd()); err != nil {
		return nil, err
	}
	return u, s.Store.ForgetSignIns(ctx, u.EmailKey)
}

// UpdateProfile changes the name and phone (nil keeps a field).
func (s *Service) UpdateProfile(ctx context.Context, userID string, name, phone *string) (*store.User, error) {
	var fe graph.UserErrors
	if name != nil {
		*name = strings.TrimSpace(*name)
		if *name == "" || len(*name) > 200 {
			fe = append(fe, graph.NewUserError(graph.CodeInvalidInput, "name must be 1-200 characters", "input", "name"))
		}
	}
	if phone != nil {
		*phone = strings.TrimSpace(*phone)
		if !validPhone(*phone) {
			fe = append(fe, graph.NewUserError(graph.CodeInvalidInput, "phone must be 6-20 digits, optionally with +, spaces, dashes", "input", "phone"))
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return s.Store.ModifyUser(ctx, userID, func(u *store.User) error {
		if name != nil {
			u.Name = *name
		}
		if phone != nil {
			u.Phone = *phone
		}
		return nil
	})
}

// validPhone accepts an empty phone (clearing it) or a plausible number.
func validPhone(p string) bool {
	if p == "" {
		return true
	}
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 20
}

// SetRole grants or revokes a role. The last admin cannot lose the admin
// role. Revoking a role signs the user out everywhere.
func (s *Service) SetRole(ctx context.Context, userID, role string, grant bool) (*store.User, error) {
	if role != auth.RoleAdmin && role != auth.RoleCustomer {
		return nil, userErr(graph.CodeInvalidInput, "unknown role", "role")
	}
	if !grant && role == auth.RoleAdmin {
		n, err := s.Store.CountWithRole(ctx, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		if n <= 1 {
			return nil, userErr(graph.CodeConflict, "the last admin cannot lose the admin role", "role")
		}
	}
	u, err := s.Store.ModifyUser(ctx, userID, func(u *store.User) error {
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
		err = s.Store.RevokeUserTokens(ctx, userID, s.accessTokensEnd())
	}
	return u, err
}

// Bootstrap makes sure an admin exists on first start: if nobody holds the
// admin role, the account with email gets it (created with pw if missing).
func (s *Service) Bootstrap(ctx context.Context, email, pw string) error {
	n, err := s.Store.CountWithRole(ctx, auth.RoleAdmin)
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
	if _, err := s.Store.UserByEmailKey(ctx, key); err == nil {
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
	u, err := s.Store.UserByEmailKey(ctx, key)
	if err != nil {
		return err
	}
	if _, err := s.SetRole(ctx, u.ID, auth.RoleAdmin, true); err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "bootstrap admin granted", "user_id", u.ID)
	return nil
}

// Purge deletes stale throttle records and long-expired refresh tokens.
func (s *Service) Purge(ctx context.Context) error {
	now := s.Now().UTC()
	attempts := now.Add(-max(s.Throttle.Window, s.Throttle.RegisterWindow))
	if err := s.Store.Purge(ctx, attempts, now.Add(-s.Throttle.KnownFor), now.Add(-24*time.Hour), now); err != nil {
		return err
	}
	return s.Store.PurgeRotations(ctx, now.Add(-s.RefreshTTL-24*time.Hour))
}

// RunPurge calls Purge every interval until ctx ends.
func (s *Service) RunPurge(ctx context.Context, interval time.Duration) error {
	return service.Every(ctx, interval, func(ctx context.Context) {
		if err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("purge", "err", err)
		}
	})
}
