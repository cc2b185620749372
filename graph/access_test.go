package graph_test

import (
	"context"
	"testing"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
)

func TestAccess(t *testing.T) {
	code := func(err error) string {
		if err == nil {
			return ""
		}
		return err.(*graph.CodedError).Code
	}
	anonymous := context.Background()
	customer := auth.WithClaims(anonymous, auth.Claims{Subject: "u1", Roles: []string{auth.RoleCustomer}})
	admin := auth.WithClaims(anonymous, auth.Claims{Subject: "a1", Roles: []string{auth.RoleAdmin}})
	for _, tt := range []struct {
		name             string
		ctx              context.Context
		caller, required string // codes of Caller and RequireAdmin
		ownsU1           bool
	}{
		{"anonymous", anonymous, errcode.Unauthenticated, errcode.Unauthenticated, false},
		{"customer u1", customer, "", errcode.Forbidden, true},
		{"admin", admin, "", "", true},
	} {
		_, cerr := graph.Caller(tt.ctx)
		_, aerr := graph.RequireAdmin(tt.ctx)
		if code(cerr) != tt.caller || code(aerr) != tt.required || graph.IsAdmin(tt.ctx) != (tt.required == "") {
			t.Errorf("%s: Caller %v, RequireAdmin %v", tt.name, cerr, aerr)
		}
		if graph.OwnerOrAdmin(tt.ctx, "u1") != tt.ownsU1 || (tt.name == "customer u1" && graph.OwnerOrAdmin(tt.ctx, "u2")) {
			t.Errorf("%s: OwnerOrAdmin is wrong", tt.name)
		}
	}
	if id, err := graph.CallerID(customer); id != "u1" || err != nil {
		t.Errorf("CallerID = %q, %v", id, err)
	}
}
