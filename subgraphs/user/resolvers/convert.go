package resolvers

import (
	"github.com/virtual-store/virtual-store/subgraphs/user/account"
	"github.com/virtual-store/virtual-store/subgraphs/user/model"
)

// fromAddressInput is an address as the account service takes it; unset
// optional fields are empty.
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

// refs points at each element of s: gqlgen wants lists of objects as
// pointers.
func refs[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

// roles spells the account's role names as the GraphQL enum (its values
// are the names, see auth.RoleAdmin).
func roles(names []string) []model.Role {
	out := make([]model.Role, len(names))
	for i, name := range names {
		out[i] = model.Role(name)
	}
	return out
}
