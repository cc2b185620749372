// Package resolvers implements the user subgraph's GraphQL schema over the
// account service. Resolvers translate between GraphQL and the account
// service and decide who may see and change what; the rules live in
// package account.
package resolvers

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/user/account"
	"github.com/virtual-store/virtual-store/subgraphs/user/model"
)

// Resolver is the root resolver.
type Resolver struct {
	Accounts *account.Service
}

// signedIn remembers, per request, the accounts the caller proved to own in
// this very request (by registering or signing in), so that
// `login { user { email } }` answers although the request carried no token.
type signedIn struct {
	mu  sync.Mutex
	ids []string
}

type signedInKey struct{}

// WithRequestState prepares the per-request state resolvers share.
func WithRequestState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), signedInKey{}, &signedIn{})))
	})
}

func markSignedIn(ctx context.Context, id string) {
	if s, ok := ctx.Value(signedInKey{}).(*signedIn); ok {
		s.mu.Lock()
		s.ids = append(s.ids, id)
		s.mu.Unlock()
	}
}

// canSee reports whether the caller may read u's private fields.
func canSee(ctx context.Context, u *account.User) bool {
	if graph.OwnerOrAdmin(ctx, u.ID) {
		return true
	}
	if s, ok := ctx.Value(signedInKey{}).(*signedIn); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		return slices.Contains(s.ids, u.ID)
	}
	return false
}

func private[T any](ctx context.Context, u *account.User, value func() T) (T, error) {
	var zero T
	if !canSee(ctx, u) {
		return zero, graph.Forbidden("private to the account holder")
	}
	return value(), nil
}

func authPayload(ctx context.Context, s *account.Session, err error) (*model.AuthPayload, error) {
	ues, err := graph.UserErrorsFrom(err)
	if err != nil || len(ues) > 0 {
		return &model.AuthPayload{UserErrors: ues}, err
	}
	markSignedIn(ctx, s.User.ID)
	exp := s.ExpiresAt.UTC().Truncate(time.Second)
	return &model.AuthPayload{AccessToken: &s.AccessToken, RefreshToken: &s.RefreshToken, ExpiresAt: &exp, User: s.User, UserErrors: ues}, nil
}

// userPayload answers a change to the caller's own account.
func userPayload(u *account.User, err error) (*model.UserPayload, error) {
	u, ues, err := graph.Outcome(u, err)
	if err != nil {
		return nil, err
	}
	return &model.UserPayload{User: u, UserErrors: ues}, nil
}
