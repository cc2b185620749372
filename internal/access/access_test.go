package access

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/auth"
)

const sdl = `
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
type Query {
  open: String
  mine: String @authenticated
  either: String @requiresScopes(scopes: [["a", "b"], ["c"]])
  vault: Vault
}
type Vault @authenticated { gold: Int }
`

func TestRulesOfFieldsAndTypes(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: sdl})
	q := s.Types["Query"]
	anon, none := (*auth.Claims)(nil), &auth.Claims{Subject: "u"}
	ab, a, c := &auth.Claims{Subject: "u", Scopes: []string{"b", "a"}}, &auth.Claims{Subject: "u", Scopes: []string{"a"}}, &auth.Claims{Subject: "u", Scopes: []string{"c"}}
	tests := []struct {
		parent, field string
		claims        *auth.Claims
		want          Verdict
	}{
		{"Query", "open", anon, Allowed},
		{"Query", "mine", anon, NotSignedIn},
		{"Query", "mine", none, Allowed},
		{"Query", "either", anon, NotSignedIn},
		{"Query", "either", none, MissingScope},
		{"Query", "either", a, MissingScope}, // half of a set is not the set
		{"Query", "either", ab, Allowed},
		{"Query", "either", c, Allowed},
		{"Query", "vault", anon, NotSignedIn}, // a guarded type guards the fields returning it
		{"Vault", "gold", anon, NotSignedIn},  // and its own fields
		{"Vault", "gold", none, Allowed},
	}
	for _, tt := range tests {
		def := q
		if tt.parent != "Query" {
			def = s.Types[tt.parent]
		}
		rules := Field(s, tt.parent, def.Fields.ForName(tt.field))
		if got := Check(rules, tt.claims); got != tt.want {
			t.Errorf("%s.%s for %+v: %v, want %v", tt.parent, tt.field, tt.claims, got, tt.want)
		}
	}
}
