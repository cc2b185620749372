package normalize

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// inlineFragments replaces every fragment spread by an inline fragment with
// the fragment's type condition and selections.
func inlineFragments(doc *ast.QueryDocument) Pass {
	var walk func(ss ast.SelectionSet, depth int) (ast.SelectionSet, error)
	walk = func(ss ast.SelectionSet, depth int) (ast.SelectionSet, error) {
		if depth > 100 {
			return nil, fmt.Errorf("fragments nest too deeply")
		}
		var out ast.SelectionSet
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				children, err := walk(s.SelectionSet, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, copyField(s, children))
			case *ast.InlineFragment:
				children, err := walk(s.SelectionSet, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, copyFragment(s, children))
			case *ast.FragmentSpread:
				def := doc.Fragments.ForName(s.Name)
				if def == nil {
					return nil, fmt.Errorf("unknown fragment %q", s.Name)
				}
				children, err := walk(def.SelectionSet, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, &ast.InlineFragment{TypeCondition: def.TypeCondition, Directives: s.Directives,
					SelectionSet: children, ObjectDefinition: def.Definition, Position: s.Position})
			}
		}
		return out, nil
	}
	return func(ss ast.SelectionSet, _ *ast.Definition) (ast.SelectionSet, error) { return walk(ss, 0) }
}
