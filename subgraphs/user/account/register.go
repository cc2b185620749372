package account

import (
	"context"
	"errors"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

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

// Register creates a customer account and signs it in. Registrations are
// throttled per client address (see Throttle).
func (s *Service) Register(ctx context.Context, email, pw, name string, client netip.Addr) (*Session, error) {
	sess, err := s.register(ctx, email, pw, name, client)
	if s.Metrics != nil {
		countOutcome(s.Metrics.Registration, err, registrationOutcomes, OutcomeRejected)
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
	if ue := checkName(&name); ue != nil {
		fe = append(fe, ue)
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
	if err := s.db.InsertUser(ctx, u); errors.Is(err, store.ErrEmailTaken) {
		return nil, userErr(graph.CodeEmailTaken, "an account with this email exists; sign in instead", "input", "email")
	} else if err != nil {
		return nil, err
	}
	s.Log.InfoContext(ctx, "user registered", "user_id", u.ID)
	return s.startSession(ctx, u, uuid.NewString())
}
