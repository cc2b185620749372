package auth

import "slices"

// Scopes a role grants. The user service signs them into access tokens
// (the JWT's scope claim); the router's @requiresScopes checks them, and
// states them to the subgraphs, which check them again.
var roleScopes = map[string][]string{
	RoleCustomer: {"profile:read", "profile:write", "cart:write", "orders:read", "orders:write"},
	RoleAdmin:    {"catalog:write", "inventory:write", "orders:admin", "users:admin"},
}

// ScopesFor returns the sorted union of the scopes of roles.
func ScopesFor(roles []string) []string {
	var out []string
	for _, r := range roles {
		for _, s := range roleScopes[r] {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}
