package authz_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/authz"
	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/schema"
)

const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@authenticated", "@requiresScopes"])
`

// A supergraph with every kind of guard: a field, a type (guarding the
// fields returning it and its own), scope sets OR-ed, and an interface
// whose one implementation guards the field the interface declares.
func policy(t *testing.T) (*authz.Policy, func(query string) *normalize.Operation) {
	t.Helper()
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "shop", URL: "http://shop", SDL: link + `
type Query {
  open: String
  me: String @authenticated
  stock: Int @requiresScopes(scopes: [["inventory:read"], ["catalog:write", "inventory:write"]])
  vault: Vault
  items: [Item]
}
type Vault @authenticated { gold: Int }
interface Item { id: ID! cost: Int }
type Book implements Item { id: ID! cost: Int }
type Secret implements Item { id: ID! cost: Int @requiresScopes(scopes: [["secrets"]]) }
`},
	})
	if err != nil {
		t.Fatal(err)
	}
	sg, api, err := schema.Load(sdl)
	if err != nil {
		t.Fatal(err)
	}
	return authz.New(sg.Schema, api.Schema), func(query string) *normalize.Operation {
		doc, errs := gqlparser.LoadQuery(api.Schema, query)
		if errs != nil {
			t.Fatalf("%s: %v", query, errs)
		}
		op, err := normalize.Normalize(api.Schema, doc, doc.Operations[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
}

func TestGuardedCoordinates(t *testing.T) {
	p, op := policy(t)
	got := p.Guarded(op(`{ open me stock vault { gold } items { id cost } }`))
	// items.cost is guarded through Secret's own rule: any implementation may answer.
	want := []string{"Item.cost", "Query.me", "Query.stock", "Query.vault", "Vault.gold"}
	if !slices.Equal(got, want) {
		t.Errorf("guarded %v, want %v", got, want)
	}
	if g := p.Guarded(op(`{ open items { id } }`)); len(g) != 0 {
		t.Errorf("an unguarded operation has guarded coordinates %v", g)
	}
}

func TestDeniedByCaller(t *testing.T) {
	p, op := policy(t)
	guarded := p.Guarded(op(`{ open me stock vault { gold } items { id cost } }`))
	claims := func(scopes ...string) *auth.Claims { return &auth.Claims{Subject: "u", Scopes: scopes} }
	tests := []struct {
		name   string
		claims *auth.Claims
		want   map[string]string
	}{
		{"anonymous", nil, map[string]string{"Item.cost": errcode.Unauthorized, "Query.me": errcode.Unauthorized, "Query.stock": errcode.Unauthorized, "Query.vault": errcode.Unauthorized, "Vault.gold": errcode.Unauthorized}},
		{"signed in, no scopes", claims(), map[string]string{"Item.cost": errcode.Forbidden, "Query.stock": errcode.Forbidden}},
		{"one whole set", claims("inventory:read", "secrets"), nil},
		{"the other set", claims("catalog:write", "inventory:write", "secrets"), nil},
		{"half a set", claims("catalog:write"), map[string]string{"Item.cost": errcode.Forbidden, "Query.stock": errcode.Forbidden}},
	}
	for _, tt := range tests {
		if got := p.Denied(guarded, tt.claims); !maps.Equal(got, tt.want) {
			t.Errorf("%s: denied %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Filter cuts exactly the denied fields; a selection left empty keeps
// __typename so that the planned operation stays valid; denial sets that
// differ never share a cache key.
func TestFilterKeepsTheRest(t *testing.T) {
	p, op := policy(t)
	o := op(`{ open me vault { gold } }`)
	denied := p.Denied(p.Guarded(o), &auth.Claims{Subject: "u"})
	if len(denied) != 0 {
		t.Fatalf("a signed-in caller is denied %v", denied)
	}
	denied = map[string]string{"Query.me": errcode.Unauthorized, "Vault.gold": errcode.Unauthorized}
	text := render(authz.Filter(o, denied).SelectionSet)
	if text != "open vault{__typename}" {
		t.Errorf("filtered operation %q, want %q", text, "open vault{__typename}")
	}
	if len(o.SelectionSet) != 3 {
		t.Errorf("Filter changed its input: %d root selections", len(o.SelectionSet))
	}
	if authz.Key(denied) == authz.Key(map[string]string{"Query.me": errcode.Unauthorized}) || authz.Key(nil) != "" {
		t.Error("different denial sets share a plan cache key")
	}
}

// render writes a selection set compactly: fields by response name, with
// their sub-selections in braces.
func render(ss ast.SelectionSet) string {
	var parts []string
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			part := s.Alias
			if len(s.SelectionSet) > 0 {
				part += "{" + render(s.SelectionSet) + "}"
			}
			parts = append(parts, part)
		case *ast.InlineFragment:
			parts = append(parts, "...on "+s.TypeCondition+"{"+render(s.SelectionSet)+"}")
		}
	}
	return strings.Join(parts, " ")
}
