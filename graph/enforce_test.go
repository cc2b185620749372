package graph_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/graph/internal/graphtest"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
)

// TestSubgraphEnforcesAccessDirectives: a subgraph refuses, field by field,
// what its SDL's @authenticated and @requiresScopes refuse, whoever
// reaches it; allowed fields of the same operation
// still answer.
func TestSubgraphEnforcesAccessDirectives(t *testing.T) {
	es := graphtest.NewExecutableSchema(graphtest.Config{Resolvers: graphtest.Resolver{}})
	h := graph.NewHandler(es, graph.HandlerConfig{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	const query = `{ when mine restricted vault { gold } }`

	anonymous := (*auth.Claims)(nil)
	customer := &auth.Claims{Subject: "u1", Roles: []string{auth.RoleCustomer}, Scopes: auth.ScopesFor([]string{auth.RoleCustomer})}
	admin := &auth.Claims{Subject: "a1", Roles: []string{auth.RoleAdmin}, Scopes: auth.ScopesFor([]string{auth.RoleAdmin})}
	half := &auth.Claims{Subject: "u2", Scopes: []string{"orders:admin"}} // one of a set's two scopes is not the set
	both := &auth.Claims{Subject: "u3", Scopes: []string{"orders:admin", "users:admin"}}

	tests := []struct {
		name   string
		claims *auth.Claims
		denied map[string]string // field → code; the others answer
	}{
		{"anonymous", anonymous, map[string]string{"mine": errcode.Unauthenticated, "restricted": errcode.Unauthenticated, "vault": errcode.Unauthenticated}},
		{"customer", customer, map[string]string{"restricted": errcode.Forbidden}},
		{"admin", admin, nil},
		{"one scope of a set", half, map[string]string{"restricted": errcode.Forbidden}},
		{"the whole second set", both, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"`+query+`"}`))
			req.Header.Set("Content-Type", "application/json")
			if tt.claims != nil {
				req = req.WithContext(auth.WithClaims(req.Context(), *tt.claims))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var resp struct {
				Data   map[string]any
				Errors []struct {
					Path       []any
					Extensions map[string]any
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			if resp.Data["when"] == nil {
				t.Fatalf("the unguarded field did not answer: %s", rec.Body)
			}
			got := map[string]string{}
			for _, e := range resp.Errors {
				code, _ := e.Extensions["code"].(string)
				got[e.Path[0].(string)] = code
			}
			for _, f := range []string{"mine", "restricted", "vault"} {
				want, refused := tt.denied[f]
				switch {
				case refused && (resp.Data[f] != nil || got[f] != want):
					t.Errorf("%s: %v with code %q, want null with %s", f, resp.Data[f], got[f], want)
				case !refused && (resp.Data[f] == nil || got[f] != ""):
					t.Errorf("%s: %v with code %q, want an answer", f, resp.Data[f], got[f])
				}
			}
		})
	}
}
