package resolvers

import (
	"slices"
	"testing"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/subgraphs/user/model"
)

// roles converts by name, so the GraphQL Role enum must spell exactly the
// role names tokens carry and the router's statements state.
func TestRoleEnumIsTheAuthRoles(t *testing.T) {
	want := []string{auth.RoleAdmin, auth.RoleCustomer}
	var got []string
	for _, r := range model.AllRole {
		if !r.IsValid() {
			t.Errorf("%s is not a valid Role", r)
		}
		got = append(got, string(r))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("GraphQL roles %v, auth roles %v", got, want)
	}
	if r := roles([]string{auth.RoleCustomer}); len(r) != 1 || !r[0].IsValid() {
		t.Errorf("roles(%s) = %v", auth.RoleCustomer, r)
	}
}
