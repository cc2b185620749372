// Package access reads the Federation access directives, @authenticated and
// @requiresScopes, and decides them for a caller. The router enforces them
// before it plans (router/authz) and every subgraph enforces them again on
// each field it resolves (graph), so both read and decide them here: a
// subgraph reached without the router in front refuses what the router
// would. (The codes differ where the conventions do: the router answers a
// guarded field asked without credentials with UNAUTHORIZED, as Apollo's
// router does, a subgraph with UNAUTHENTICATED, as its resolvers always have.)
package access

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/auth"
)

// Rule is one schema element's requirement.
type Rule struct {
	// Authenticated requires a signed-in caller.
	Authenticated bool
	// AnyOf requires all the scopes of at least one of these sets
	// (@requiresScopes(scopes: [["a", "b"], ["c"]]) is (a and b) or c).
	// A scope requirement implies a signed-in caller.
	AnyOf [][]string
}

// Read is the requirement the directives ds state, and whether they state
// one. A subgraph may spell them namespaced (@federation__authenticated)
// when it does not import them; composition accepts both, so both count.
func Read(ds ast.DirectiveList) (Rule, bool) {
	var r Rule
	found := false
	if forName(ds, "authenticated") != nil {
		r.Authenticated, found = true, true
	}
	if d := forName(ds, "requiresScopes"); d != nil {
		if a := d.Arguments.ForName("scopes"); a != nil && a.Value != nil {
			found = true
			for _, or := range a.Value.Children {
				var set []string
				for _, s := range or.Value.Children {
					set = append(set, s.Value.Raw)
				}
				r.AnyOf = append(r.AnyOf, set)
			}
		}
	}
	return r, found
}

func forName(ds ast.DirectiveList, name string) *ast.Directive {
	if d := ds.ForName(name); d != nil {
		return d
	}
	return ds.ForName("federation__" + name)
}

// Verdict is the outcome of checking a caller against requirements.
type Verdict int

// Verdicts.
const (
	Allowed      Verdict = iota
	NotSignedIn          // a requirement needs a signed-in caller: UNAUTHENTICATED
	MissingScope         // the caller lacks every scope set of a requirement: FORBIDDEN
)

// Check decides rules, all of which must hold, for claims (nil: an
// anonymous caller).
func Check(rules []Rule, claims *auth.Claims) Verdict {
	for _, r := range rules {
		if claims == nil {
			return NotSignedIn
		}
		if len(r.AnyOf) > 0 && !slices.ContainsFunc(r.AnyOf, func(set []string) bool {
			for _, s := range set {
				if !slices.Contains(claims.Scopes, s) {
					return false
				}
			}
			return true
		}) {
			return MissingScope
		}
	}
	return Allowed
}

// Field is the requirements of field on the object or interface parent in
// schema: the field's own, its parent type's, and its return type's (a
// directive on a type guards every field of it and every field returning
// it).
func Field(schema *ast.Schema, parent string, field *ast.FieldDefinition) []Rule {
	var out []Rule
	add := func(r Rule, ok bool) {
		if ok {
			out = append(out, r)
		}
	}
	add(Read(field.Directives))
	if def := schema.Types[parent]; def != nil {
		add(Read(def.Directives))
	}
	if def := schema.Types[field.Type.Name()]; def != nil {
		add(Read(def.Directives))
	}
	return out
}
