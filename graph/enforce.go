package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/access"
	"github.com/virtual-store/virtual-store/internal/auth"
)

// enforceAccess makes a subgraph keep its own SDL's @authenticated and
// @requiresScopes on every field it resolves, with the claims the router
// stated (defence in depth: the router already cut what the caller may not
// see, so behind it this never refuses; reached any other way, the subgraph
// refuses what the router would, with the codes its resolvers use:
// UNAUTHENTICATED where the router says UNAUTHORIZED). A refused field
// is null with its error; the rest of the operation still runs.
//
// The rules are read once from the executable schema: only fields that have
// any are checked, by one map lookup per resolved field.
type enforceAccess struct {
	rules map[coordinate][]access.Rule
}

type coordinate struct{ typ, field string }

var (
	_ graphql.HandlerExtension = (*enforceAccess)(nil)
	_ graphql.FieldInterceptor = (*enforceAccess)(nil)
)

func (*enforceAccess) ExtensionName() string { return "EnforceAccess" }

// Validate reads the rules of every field of every object type, as the
// router reads a field selected on an object: its own, its type's and its
// return type's (fields are always resolved on objects).
func (e *enforceAccess) Validate(es graphql.ExecutableSchema) error {
	e.rules = rulesOf(es.Schema())
	return nil
}

func rulesOf(s *ast.Schema) map[coordinate][]access.Rule {
	out := map[coordinate][]access.Rule{}
	for name, def := range s.Types {
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if rules := access.Field(s, name, f); len(rules) > 0 {
				out[coordinate{name, f.Name}] = rules
			}
		}
	}
	return out
}

func (e *enforceAccess) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	if len(e.rules) == 0 {
		return next(ctx)
	}
	fc := graphql.GetFieldContext(ctx)
	rules, ok := e.rules[coordinate{fc.Object, fc.Field.Name}]
	if !ok {
		return next(ctx)
	}
	var claims *auth.Claims
	if c, ok := auth.FromContext(ctx); ok {
		claims = &c
	}
	switch access.Check(rules, claims) {
	case access.NotSignedIn:
		return nil, Unauthenticated()
	case access.MissingScope:
		return nil, Forbidden(fc.Object + "." + fc.Field.Name + " requires a scope the caller lacks")
	}
	return next(ctx)
}
