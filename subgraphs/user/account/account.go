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
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
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

// The outcome each user error code counts as; a code not listed (BUSY, a
// CONFLICT while signing in) counts nothing.
var (
	signInOutcomes = map[graph.UserErrorCode]string{
		graph.CodeInvalidCredentials: OutcomeFailed,
		graph.CodeRateLimited:        OutcomeThrottled,
	}
	// Any other user error of a registration is OutcomeRejected.
	registrationOutcomes = map[graph.UserErrorCode]string{
		graph.CodeRateLimited: OutcomeThrottled,
	}
	refreshOutcomes = map[graph.UserErrorCode]string{
		graph.CodeTokenReused:  OutcomeReused,
		graph.CodeInvalidToken: OutcomeInvalid,
		graph.CodeTokenExpired: OutcomeInvalid,
	}
)

// Metrics is told the outcome of every sign-in, registration and token
// refresh. Faults (the database failing) are not outcomes and are not
// counted: they are errors of the GraphQL operation.
type Metrics interface {
	SignIn(outcome string)
	Registration(outcome string)
	TokenRefresh(outcome string)
}

// Service is the account logic over the store. Only it reads and writes
// the store: resolvers and handlers go through its methods.
type Service struct {
	db         *store.Store
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
		return nil, fmt.Errorf("dummy password hash: %w", err)
	}
	return &Service{db: s, Hasher: h, Tokens: iss, RefreshTTL: refreshTTL, Throttle: th, Log: log, Now: time.Now, dummyHash: dummy}, nil
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

// countOutcome tells record the outcome of an operation that ended with
// err: OutcomeOK without an error, else the outcome of its first user
// error's code in byCode, else other for any user error ("" counts
// nothing). Faults count nothing.
func countOutcome(record func(outcome string), err error, byCode map[graph.UserErrorCode]string, other string) {
	ues, fault := graph.UserErrorsFrom(err)
	switch {
	case err == nil:
		record(OutcomeOK)
	case fault != nil || len(ues) == 0:
	case byCode[ues[0].Code] != "":
		record(byCode[ues[0].Code])
	case other != "":
		record(other)
	}
}

// Purge deletes stale throttle records and long-expired refresh tokens.
func (s *Service) Purge(ctx context.Context) error {
	now := s.Now().UTC()
	attempts := now.Add(-max(s.Throttle.Window, s.Throttle.RegisterWindow))
	if err := s.db.Purge(ctx, attempts, now.Add(-s.Throttle.KnownFor), now.Add(-24*time.Hour), now); err != nil {
		return err
	}
	return s.db.PurgeRotations(ctx, now.Add(-s.RefreshTTL-24*time.Hour))
}

// RunPurge calls Purge every interval until ctx ends.
func (s *Service) RunPurge(ctx context.Context, interval time.Duration) error {
	return service.Every(ctx, interval, func(ctx context.Context) {
		if err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("purge", "err", err)
		}
	})
}
