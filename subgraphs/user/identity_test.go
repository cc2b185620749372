package user_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	gjwt "github.com/golang-jwt/jwt/v5"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
)

// Only the router may speak for a caller, and only to this subgraph: the
// same statement from another service's certificate, one meant for another
// subgraph, or a bearer token sent here directly gets nowhere.
func TestIdentityOnlyFromTheRouter(t *testing.T) {
	a := register(t, "ident")
	me := func(client *http.Client, header, value string) (int, gqltest.Response) {
		// A refusal need not be a GraphQL answer: its status is.
		out, err := gqltest.Client{URL: srv.URL + "/graphql", HTTP: client}.With(header, value).Post(context.Background(), `{ me { id } }`, nil)
		if err != nil && !errors.Is(err, gqltest.ErrNotGraphQL) {
			t.Fatal(err)
		}
		return out.Status, out
	}
	if code, out := me(router, auth.IdentityHeader, pkitest.Says(pki.User, a.id, auth.RoleCustomer)); code != http.StatusOK || out.Dig("me", "id") != a.id {
		t.Fatalf("router's statement: %d %v", code, out.Data)
	}
	if code, out := me(kit.Client(t, pki.Order), auth.IdentityHeader, pkitest.Says(pki.User, a.id, auth.RoleCustomer)); code != http.StatusForbidden || !codesAre(out.Codes(), errcode.CallerNotAllowed) {
		t.Fatalf("order service relaying a statement: %d %v", code, out.Codes())
	}
	if code, _ := me(router, auth.IdentityHeader, pkitest.Says(pki.Product, a.id, auth.RoleCustomer)); code != http.StatusUnauthorized {
		t.Fatalf("statement for product replayed here: %d", code)
	}
	if code, out := me(router, "Authorization", "Bearer "+a.access); code != http.StatusOK || out.Data["me"] != nil {
		t.Fatalf("bearer token sent directly: %d %v; want it ignored (anonymous)", code, out.Data)
	}
	if _, err := svc.Tokens.Verify(a.access[:len(a.access)-4] + "AAAA"); err == nil {
		t.Fatal("tampered token verified")
	}
	if r := anon.do(t, `{ me { id } }`, nil); r.Data["me"] != nil || len(r.Errors) > 0 {
		t.Fatalf("anonymous me: %v %+v", r.Data, r.Errors)
	}
}

func TestIssuedTokenVerifiesAgainstServedJWKS(t *testing.T) {
	a := register(t, "jwks")
	if resp, err := kit.Client(t, pki.Order).Get(srv.URL + "/.well-known/jwks.json"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("JWKS for the order service: %v %v; want 403", resp, err)
	}
	resp, err := router.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid, X string } `json:"keys"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	tok, err := gjwt.Parse(a.access, func(tk *gjwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tk.Header["kid"] {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, fmt.Errorf("kid %v not in JWKS", tk.Header["kid"])
	}, gjwt.WithValidMethods([]string{"EdDSA"}), gjwt.WithIssuer("http://user.test"), gjwt.WithAudience("virtual-store"))
	if err != nil || !tok.Valid {
		t.Fatalf("token does not verify against the served JWKS: %v", err)
	}
	if sub, _ := tok.Claims.GetSubject(); sub != a.id {
		t.Fatalf("sub = %s", sub)
	}
}
