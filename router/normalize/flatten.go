package normalize

import "github.com/vektah/gqlparser/v2/ast"

// flattenSameType lifts the selections of inline fragments without a type
// condition, or on the very type of their parent, into the parent.
func flattenSameType(schema *ast.Schema) Pass {
	var walk func(ss ast.SelectionSet, parent *ast.Definition) ast.SelectionSet
	walk = func(ss ast.SelectionSet, parent *ast.Definition) ast.SelectionSet {
		var out ast.SelectionSet
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				var child *ast.Definition
				if s.Definition != nil {
					child = schema.Types[s.Definition.Type.Name()]
				}
				out = append(out, copyField(s, walk(s.SelectionSet, child)))
			case *ast.InlineFragment:
				if (s.TypeCondition == "" || parent != nil && s.TypeCondition == parent.Name) && len(s.Directives) == 0 {
					out = append(out, walk(s.SelectionSet, parent)...)
					continue
				}
				out = append(out, copyFragment(s, walk(s.SelectionSet, schema.Types[s.TypeCondition])))
			}
		}
		return out
	}
	return func(ss ast.SelectionSet, parent *ast.Definition) (ast.SelectionSet, error) {
		return walk(ss, parent), nil
	}
}
