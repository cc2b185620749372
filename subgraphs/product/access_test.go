package product_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
)

// Who may call what: GraphQL only as the router, with its statement for
// this subgraph; admin mutations and stock only for administrators.

func TestAdminMutationsRequireAdmin(t *testing.T) {
	m := `mutation { createCategory(input: {slug: "x", name: "X"}) { category { id } } }`
	if got := anon.Do(t, m, nil).Codes(); len(got) != 1 || got[0] != "UNAUTHENTICATED" {
		t.Errorf("anonymous: %v", got)
	}
	if got := as("u1", auth.RoleCustomer).Do(t, m, nil).Codes(); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Errorf("customer: %v", got)
	}
	r := as("u1", auth.RoleCustomer).Do(t, `{ products(first: 1) { edges { node { sku stock { onHand } } } } }`, nil)
	if got := r.Codes(); len(got) != 1 || got[0] != "FORBIDDEN" || r.Dig("products", "edges", 0, "node", "sku") == nil {
		t.Errorf("customer reading stock: %v, data %v; want FORBIDDEN at stock and the rest answered", got, r.Data)
	}
	// A statement meant for another subgraph is refused outright.
	r, err := anon.With(auth.IdentityHeader, pkitest.Says(pki.Order, "x", auth.RoleAdmin)).Post(context.Background(), `{ categories { id } }`, nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("statement for another subgraph: %v %v", r.Status, err)
	}
}

// The attack on main before mutual TLS: an identity header signed with the
// published default secret made anyone ADMIN. Now only the router's
// certificate may call GraphQL at all, and only the order service's the
// reservation API.
func TestOnlyTheirOneCallerReachesTheEndpoints(t *testing.T) {
	setPrice := `mutation { createProduct(input: {sku: "EVIL-1", name: "Evil", initialStock: 1000, prices: [{amount: 1, currency: "EUR"}]}) { product { id } } }`
	oldDefault := "eyJzdWIiOiJhdHRhY2tlciIsInJvbGVzIjpbIkFETUlOIl0sImV4cCI6OTk5OTk5OTk5OX0.eA" // the shape of a HMAC-signed header
	foreign := pkitest.New(t)
	reservation := `{"orderId":"made-up-order","currency":"EUR","lines":[{"productId":"00000000-0000-0000-0000-000000000001","quantity":1000}]}`
	callers := []struct {
		name            string
		client          *http.Client
		graphql, intern int // 0: the handshake fails
	}{
		{"router", router, http.StatusOK, http.StatusForbidden},
		{"order", kit.Client(t, pki.Order), http.StatusForbidden, http.StatusUnprocessableEntity /* reaches the API: unknown product */},
		{"payment gateway", kit.Client(t, pki.PaymentGW), http.StatusForbidden, http.StatusForbidden},
		{"user", kit.Client(t, pki.User), http.StatusForbidden, http.StatusForbidden},
		{"no certificate", kit.Plain(t), 0, 0},
		{"the router's name from another CA", foreign.Client(t, pki.Router), 0, 0},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			caller := anon
			caller.HTTP = c.client
			for _, ident := range []string{oldDefault, pkitest.Says(pki.Product, "attacker", auth.RoleAdmin)} {
				r, _ := caller.With(auth.IdentityHeader, ident).Post(context.Background(), setPrice, nil)
				status := r.Status // 0 when the TLS handshake refused the client
				want := c.graphql
				if c.graphql == http.StatusOK {
					want = http.StatusUnauthorized // the router's own certificate still cannot pass off a forgery...
					if ident != oldDefault {
						want = http.StatusOK // ...but its real statement is its word
					}
				}
				if status != want {
					t.Errorf("GraphQL with %.12s…: status %d, want %d", ident, status, want)
				}
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/internal/v1/reservations", strings.NewReader(reservation))
			if status := statusOf(t, c.client, req); status != c.intern {
				t.Errorf("reservation API: status %d, want %d", status, c.intern)
			}
		})
	}
	var evil int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM products WHERE sku = 'EVIL-1'").Scan(&evil); err != nil || evil != 1 {
		t.Fatalf("products created: %d (%v); want exactly the router's one", evil, err)
	}
}

// statusOf sends req and returns the status, or 0 when no HTTP exchange
// happened (the TLS handshake refused the client).
func statusOf(t *testing.T, c *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
