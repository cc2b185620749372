package account

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

// MaxAddresses bounds the address book (and so the user document's size).
const MaxAddresses = 20

// AddressInput is a postal address to store.
type AddressInput struct {
	Label, FullName, Line1, Line2, City, PostalCode, Region, Country, Phone string
	// MakeDefault makes it the default shipping address.
	MakeDefault bool
}

func (in *AddressInput) normalize() error {
	for _, f := range []*string{&in.Label, &in.FullName, &in.Line1, &in.Line2, &in.City, &in.PostalCode, &in.Region, &in.Country, &in.Phone} {
		*f = strings.TrimSpace(*f)
	}
	in.Country = strings.ToUpper(in.Country)
	var fe graph.UserErrors
	field := func(name, value string, minLen, maxLen int) {
		if len(value) < minLen || len(value) > maxLen {
			msg := name + " must be at most " + strconv.Itoa(maxLen) + " characters"
			if minLen > 0 {
				msg = name + " must be " + strconv.Itoa(minLen) + "-" + strconv.Itoa(maxLen) + " characters"
			}
			fe = append(fe, graph.NewUserError(graph.CodeInvalidInput, msg, "input", name))
		}
	}
	field("label", in.Label, 0, 50)
	field("fullName", in.FullName, 1, 200)
	field("line1", in.Line1, 1, 200)
	field("line2", in.Line2, 0, 200)
	field("city", in.City, 1, 100)
	field("postalCode", in.PostalCode, 1, 20)
	field("region", in.Region, 0, 100)
	if r, err := language.ParseRegion(in.Country); err != nil || !r.IsCountry() || len(in.Country) != 2 {
		fe = append(fe, graph.NewUserError(graph.CodeInvalidInput, "country must be an ISO 3166-1 alpha-2 code such as DE or US", "input", "country"))
	}
	if !validPhone(in.Phone) {
		fe = append(fe, invalidPhone())
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

func (in AddressInput) toStore(id string) store.Address {
	return store.Address{ID: id, Label: in.Label, FullName: in.FullName, Line1: in.Line1, Line2: in.Line2,
		City: in.City, PostalCode: in.PostalCode, Region: in.Region, Country: in.Country, Phone: in.Phone}
}

var errAddressNotFound = userErr(graph.CodeNotFound, "no such address", "id")

// AddAddress adds an address; the first one becomes the default shipping address.
func (s *Service) AddAddress(ctx context.Context, userID string, in AddressInput) (*User, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	return changed(s.db.ModifyUser(ctx, userID, func(u *store.User) error {
		if len(u.Addresses) >= MaxAddresses {
			return userErr(graph.CodeConflict, "the address book is full ("+strconv.Itoa(MaxAddresses)+" addresses); remove one first")
		}
		u.Addresses = append(u.Addresses, in.toStore(id))
		if in.MakeDefault || u.DefaultShippingAddressID == "" {
			u.DefaultShippingAddressID = id
		}
		return nil
	}))
}

// UpdateAddress replaces an address's fields.
func (s *Service) UpdateAddress(ctx context.Context, userID, id string, in AddressInput) (*User, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	return changed(s.db.ModifyUser(ctx, userID, func(u *store.User) error {
		for i := range u.Addresses {
			if u.Addresses[i].ID == id {
				u.Addresses[i] = in.toStore(id)
				if in.MakeDefault {
					u.DefaultShippingAddressID = id
				}
				return nil
			}
		}
		return errAddressNotFound
	}))
}

// RemoveAddress deletes an address; if it was the default, the first
// remaining address becomes the default.
func (s *Service) RemoveAddress(ctx context.Context, userID, id string) (*User, error) {
	return changed(s.db.ModifyUser(ctx, userID, func(u *store.User) error {
		n := len(u.Addresses)
		u.Addresses = deleteAddress(u.Addresses, id)
		if len(u.Addresses) == n {
			return errAddressNotFound
		}
		if u.DefaultShippingAddressID == id {
			u.DefaultShippingAddressID = ""
			if len(u.Addresses) > 0 {
				u.DefaultShippingAddressID = u.Addresses[0].ID
			}
		}
		return nil
	}))
}

// SetDefaultShippingAddress picks the address checkout proposes first.
func (s *Service) SetDefaultShippingAddress(ctx context.Context, userID, id string) (*User, error) {
	return changed(s.db.ModifyUser(ctx, userID, func(u *store.User) error {
		for _, a := range u.Addresses {
			if a.ID == id {
				u.DefaultShippingAddressID = id
				return nil
			}
		}
		return errAddressNotFound
	}))
}

func deleteAddress(as []store.Address, id string) []store.Address {
	out := as[:0]
	for _, a := range as {
		if a.ID != id {
			out = append(out, a)
		}
	}
	return out
}
