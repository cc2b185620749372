package auth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
)

func statement(t *testing.T, s auth.Statement) string {
	t.Helper()
	v, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The product subgraph believes the router's statements, over real mutual
// TLS, and nobody else's.
func TestFromRouter(t *testing.T) {
	kit := pkitest.New(t)
	srv := kit.Serve(t, pki.Product, auth.FromRouter("product")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.FromContext(r.Context())
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": c.Subject, "admin": c.HasRole(auth.RoleAdmin), "ip": clientip.FromContext(r.Context()).String()})
	})))
	soon := time.Now().Add(time.Minute).Unix()
	admin := auth.Statement{Claims: auth.Claims{Subject: "u1", Roles: []string{auth.RoleAdmin}, Expires: soon}, Audience: "product", ClientAddr: "203.0.113.7"}
	anonymous := auth.Statement{Claims: auth.Claims{Expires: soon}, Audience: "product", ClientAddr: "2001:db8::1"}
	forOrder := admin
	forOrder.Audience = "order"
	expired := admin
	expired.Expires = time.Now().Add(-time.Second).Unix()
	badAddr := admin
	badAddr.ClientAddr = "not-an-ip"

	router, order := kit.Client(t, pki.Router), kit.Client(t, pki.Order)
	tests := []struct {
		name    string
		client  *http.Client
		header  string
		status  int
		wantSub string
		wantIP  string
	}{
		{"the router's statement", router, statement(t, admin), http.StatusOK, "u1", "203.0.113.7"},
		{"an anonymous client's address", router, statement(t, anonymous), http.StatusOK, "", "2001:db8::1"},
		{"no statement", router, "", http.StatusOK, "", "invalid IP"},
		{"the same statement from the order service", order, statement(t, admin), http.StatusUnauthorized, "", ""},
		{"a statement for the order subgraph (replay)", router, statement(t, forOrder), http.StatusUnauthorized, "", ""},
		{"expired", router, statement(t, expired), http.StatusUnauthorized, "", ""},
		{"malformed client address", router, statement(t, badAddr), http.StatusUnauthorized, "", ""},
		{"not base64", router, "{}", http.StatusUnauthorized, "", ""},
		{"not JSON", router, "bm90IGpzb24", http.StatusUnauthorized, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
			if tt.header != "" {
				req.Header.Set(auth.IdentityHeader, tt.header)
			}
			resp, err := tt.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%v), want %d", resp.StatusCode, out, tt.status)
			}
			if tt.status != http.StatusOK {
				errs, _ := out["errors"].([]any)
				if len(errs) != 1 || !strings.Contains(jsonString(errs[0]), "UNAUTHENTICATED") {
					t.Fatalf("body %v, want one UNAUTHENTICATED error", out)
				}
				return
			}
			if out["sub"] != tt.wantSub || out["ip"] != tt.wantIP {
				t.Fatalf("got %v, want sub %q ip %q", out, tt.wantSub, tt.wantIP)
			}
		})
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]error{"": auth.ErrNoCredentials, "Basic abc": auth.ErrInvalidCredentials, "Bearer ": auth.ErrInvalidCredentials} {
		if _, err := auth.BearerToken(h); err != want {
			t.Errorf("BearerToken(%q) err = %v, want %v", h, err, want)
		}
	}
	if tok, err := auth.BearerToken("bearer  abc "); err != nil || tok != "abc" {
		t.Fatalf("got %q %v", tok, err)
	}
}
