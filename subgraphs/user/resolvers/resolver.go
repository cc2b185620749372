// Package resolvers implements the user subgraph's GraphQL schema over the
// account service. Resolvers decide who may see and change what.
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
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
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
func canSee(ctx context.Context, u *store.User) bool {
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

func private[T any](ctx context.Context, u *store.User, value func() T) (T, error) {
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
func userPayload(u *store.User, err error) (*model.UserPayload, error) {
	ues, err := graph.UserErrorsFrom(err)
	if err != nil {
		return nil, err
	}
	if len(ues) > 0 {
		u = nil
	}
	return &model.UserPayload{User: u, UserErrors: ues}, nil
}

func toAddress(u *store.User, a store.Address) *model.Address {
	return &model.Address{ID: a.ID, Label: a.Label, FullName: a.FullName, Line1: a.Line1, Line2: a.Line2, City: a.City,
		PostalCode: a.PostalCode, Region: a.Region, Country: a.Country, Phone: a.Phone, IsDefaultShipping: a.ID == u.DefaultShippingAddressID}
}

func fromAddressInput(in model.AddressInput) account.AddressInput {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return account.AddressInput{Label: s(in.Label), FullName: in.FullName, Line1: in.Line1, Line2: s(in.Line2), City: in.City,
		PostalCode: in.PostalCode, Region: s(in.Region), Country: in.Country, Phone: s(in.Phone), MakeDefault: in.MakeDefault != nil && *in.MakeDefault}
}
