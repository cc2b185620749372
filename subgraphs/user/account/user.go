package account

import (
	"context"
	"errors"
	"time"

	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// User is an account as callers of the service see it: the stored
// document without its password hash, lookup key and version. The GraphQL
// User type is bound to it; its private fields have resolvers.
type User struct {
	ID        string
	Email     string
	Name      string
	Phone     string
	Roles     []string
	Addresses []Address
	CreatedAt time.Time
}

// Address is a postal address of a user.
type Address struct {
	ID         string
	Label      string
	FullName   string
	Line1      string
	Line2      string
	City       string
	PostalCode string
	Region     string
	Country    string // ISO 3166-1 alpha-2
	Phone      string
	// IsDefaultShipping marks the address checkout proposes first.
	IsDefaultShipping bool
}

// DefaultShippingAddress is the address checkout proposes first, or nil.
func (u *User) DefaultShippingAddress() *Address {
	for i := range u.Addresses {
		if u.Addresses[i].IsDefaultShipping {
			return &u.Addresses[i]
		}
	}
	return nil
}

// IsEntity marks User as a federation entity for gqlgen.
func (User) IsEntity() {}

// userFrom is the caller's view of a stored user (nil for nil).
func userFrom(u *store.User) *User {
	if u == nil {
		return nil
	}
	out := &User{ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, Roles: u.Roles,
		Addresses: make([]Address, len(u.Addresses)), CreatedAt: u.CreatedAt}
	for i, a := range u.Addresses {
		out.Addresses[i] = Address{ID: a.ID, Label: a.Label, FullName: a.FullName, Line1: a.Line1, Line2: a.Line2, City: a.City,
			PostalCode: a.PostalCode, Region: a.Region, Country: a.Country, Phone: a.Phone, IsDefaultShipping: a.ID == u.DefaultShippingAddressID}
	}
	return out
}

// changed is userFrom for the outcome of a change: the changed user, or
// the error.
func changed(u *store.User, err error) (*User, error) {
	return userFrom(u), err
}

// User returns the user id, or nil if there is none.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	u, err := s.db.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return userFrom(u), err
}

// UsersByIDs returns the users in the order of ids, with nil where an id
// is unknown. It costs one query however many ids are asked for.
func (s *Service) UsersByIDs(ctx context.Context, ids []string) ([]*User, error) {
	users, err := s.db.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*store.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := make([]*User, len(ids))
	for i, id := range ids {
		out[i] = userFrom(byID[id])
	}
	return out, nil
}
