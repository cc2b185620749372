package normalize

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// applySkipInclude drops selections whose @skip is true or @include false,
// and removes the directives from the ones kept.
func applySkipInclude(vars map[string]any) Pass {
	var walk func(ss ast.SelectionSet) (ast.SelectionSet, error)
	walk = func(ss ast.SelectionSet) (ast.SelectionSet, error) {
		var out ast.SelectionSet
		for _, s := range ss {
			var dirs ast.DirectiveList
			switch s := s.(type) {
			case *ast.Field:
				dirs = s.Directives
			case *ast.InlineFragment:
				dirs = s.Directives
			}
			keep, err := included(dirs, vars)
			if err != nil {
				return nil, err
			}
			if !keep {
				continue
			}
			switch s := s.(type) {
			case *ast.Field:
				children, err := walk(s.SelectionSet)
				if err != nil {
					return nil, err
				}
				c := copyField(s, children)
				c.Directives = withoutSkipInclude(s.Directives)
				out = append(out, c)
			case *ast.InlineFragment:
				children, err := walk(s.SelectionSet)
				if err != nil {
					return nil, err
				}
				c := copyFragment(s, children)
				c.Directives = withoutSkipInclude(s.Directives)
				out = append(out, c)
			}
		}
		return out, nil
	}
	return func(ss ast.SelectionSet, _ *ast.Definition) (ast.SelectionSet, error) { return walk(ss) }
}

func included(dirs ast.DirectiveList, vars map[string]any) (bool, error) {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			return false, fmt.Errorf("@%s needs an if argument", d.Name)
		}
		v, err := arg.Value.Value(vars)
		if err != nil {
			return false, err
		}
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false, nil
		}
	}
	return true, nil
}

func withoutSkipInclude(dirs ast.DirectiveList) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			out = append(out, d)
		}
	}
	return out
}
