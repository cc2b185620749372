package user_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/user"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

func TestRolesAndPrivacy(t *testing.T) {
	adm := login(t, adminEmail, adminPassword, uniqueIP())
	adminToken, _ := adm.Dig("login", "accessToken").(string)
	if adm.Dig("login", "user", "roles") == nil || !strings.Contains(fmt.Sprint(adm.Dig("login", "user", "roles")), auth.RoleAdmin) {
		t.Fatalf("bootstrap admin: %v", adm.Data)
	}
	a, b := register(t, "alice"), register(t, "bob")
	grant := `mutation($u: ID!) { grantRole(userId: $u, role: ` + auth.RoleAdmin + `) { user { roles } userErrors { code } } }`
	if got := (call{bearer: a.access}).do(t, grant, map[string]any{"u": a.id}).Codes(); !codesAre(got, errcode.Forbidden) {
		t.Fatalf("customer grants: %v", got)
	}
	// Bob sees Alice's public name, not her email.
	r := call{bearer: b.access}.do(t, `query($u: ID!) { user(id: $u) { name email } }`, map[string]any{"u": a.id})
	if got := r.Codes(); !codesAre(got, errcode.Forbidden) {
		t.Fatalf("bob reads alice: %v %v", got, r.Data)
	}
	r = anon.do(t, `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "User", "id": a.id}, map[string]any{"__typename": "User", "id": "missing"}, map[string]any{"__typename": "User", "id": b.id}}})
	ents := r.Data["_entities"].([]any)
	if len(ents) != 3 || gqltest.Dig(ents, 0, "name") != "Test" || gqltest.Dig(ents, 0, "email") != nil || ents[1] != nil || gqltest.Dig(ents, 2, "id") != b.id {
		t.Fatalf("entities: %v", ents)
	}
	if got := r.Codes(); len(got) != 2 || got[0] != errcode.Forbidden {
		t.Fatalf("anonymous entity email: %v", got)
	}
	// The admin reads and promotes.
	r = call{bearer: adminToken}.do(t, `query($u: ID!) { user(id: $u) { email } }`, map[string]any{"u": a.id})
	if r.Dig("user", "email") != a.email {
		t.Fatalf("admin reads alice: %v %+v", r.Data, r.Errors)
	}
	r = call{bearer: adminToken}.do(t, grant, map[string]any{"u": a.id})
	if fmt.Sprint(r.Dig("grantRole", "user", "roles")) != fmt.Sprint([]string{auth.RoleAdmin, auth.RoleCustomer}) {
		t.Fatalf("grant: %v %+v", r.Data, r.Errors)
	}
	revoke := `mutation($u: ID!) { revokeRole(userId: $u, role: ` + auth.RoleAdmin + `) { user { roles } userErrors { code } } }`
	r = call{bearer: adminToken}.do(t, revoke, map[string]any{"u": a.id})
	if fmt.Sprint(r.Dig("revokeRole", "user", "roles")) != fmt.Sprint([]string{auth.RoleCustomer}) {
		t.Fatalf("revoke: %v", r.Data)
	}
	adminID := adm.Dig("login", "user", "id")
	if got := (call{bearer: adminToken}).do(t, revoke, map[string]any{"u": adminID}).UserErrorCodes("revokeRole"); !codesAre(got, graph.CodeConflict) {
		t.Fatalf("last admin: %v", got)
	}
	if got := (call{bearer: adminToken}).do(t, grant, map[string]any{"u": "nobody"}).UserErrorCodes("grantRole"); !codesAre(got, graph.CodeNotFound) {
		t.Fatalf("grant to nobody: %v", got)
	}
}

// The configured admin email was registered first by someone else, with
// their own password: the bootstrap used to promote that account to ADMIN.
// It only creates; an existing account stops the start instead.
func TestBootstrapNeverPromotesAnExistingAccount(t *testing.T) {
	ctx := context.Background()
	dev := service.Common{Environment: service.EnvDevelopment}
	quiet := gqltest.Quiet()
	cfg := testCfg
	cfg.Database = fmt.Sprintf("bootstrap_takeover_%d", time.Now().UnixNano())
	cfg.BootstrapAdminEmail, cfg.BootstrapAdminPassword = "", ""
	first, err := user.New(ctx, cfg, dev, quiet, service.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Accounts.Register(ctx, "boss@shop.test", "the squatter's password", "Squatter", netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	first.Close()

	cfg.BootstrapAdminEmail, cfg.BootstrapAdminPassword = "Boss@shop.test", "the operator's password"
	if _, err := user.New(ctx, cfg, dev, quiet, service.NewRegistry()); err == nil || !strings.Contains(err.Error(), "never promotes") {
		t.Fatalf("start with a squatted admin email: err = %v, want a refusal", err)
	}
	st, err := store.Open(ctx, mongoURI, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if n, err := st.CountWithRole(ctx, auth.RoleAdmin); err != nil || n != 0 {
		t.Fatalf("admins after the refused bootstrap: %d (%v), want none", n, err)
	}
}
