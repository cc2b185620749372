// Package normalize rewrites a validated operation into the shape the planner
// wants, in small passes: named fragments inlined, @skip/@include decided from
// the variables, inline fragments on the parent's own type flattened. The
// planner then only sees fields and type-conditioned inline fragments.
package normalize

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// Operation is an operation ready for planning.
type Operation struct {
	Kind         ast.Operation
	Name         string
	SelectionSet ast.SelectionSet
	Variables    ast.VariableDefinitionList
	// RootType is the schema type the selection applies to.
	RootType *ast.Definition
}

// Pass is one rewrite of a selection set.
type Pass func(ss ast.SelectionSet, parent *ast.Definition) (ast.SelectionSet, error)

// Normalize runs every pass over op, choosing variable values vars for
// @skip/@include. The result shares no mutable state with doc.
func Normalize(schema *ast.Schema, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) (*Operation, error) {
	root := RootType(schema, op.Operation)
	if root == nil {
		return nil, fmt.Errorf("the schema has no %s type", op.Operation)
	}
	ss := op.SelectionSet
	for _, pass := range []Pass{
		inlineFragments(doc),
		applySkipInclude(vars),
		flattenSameType(schema),
	} {
		var err error
		if ss, err = pass(ss, root); err != nil {
			return nil, err
		}
	}
	return &Operation{Kind: op.Operation, Name: op.Name, SelectionSet: ss, Variables: op.VariableDefinitions, RootType: root}, nil
}

// RootType is the schema type an operation of kind op starts from.
func RootType(schema *ast.Schema, op ast.Operation) *ast.Definition {
	switch op {
	case ast.Mutation:
		return schema.Mutation
	case ast.Subscription:
		return schema.Subscription
	}
	return schema.Query
}

// copyField returns a shallow copy of a field with a new selection set.
func copyField(f *ast.Field, ss ast.SelectionSet) *ast.Field {
	c := *f
	c.SelectionSet = ss
	return &c
}

func copyFragment(f *ast.InlineFragment, ss ast.SelectionSet) *ast.InlineFragment {
	c := *f
	c.SelectionSet = ss
	return &c
}
