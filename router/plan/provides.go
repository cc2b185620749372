package plan

import "github.com/vektah/gqlparser/v2/ast"

// What a parent field's @provides lets its subgraph answer below it: the
// provided fields are resolved there although the subgraph marks them
// @external, and provided key fields let it ask another subgraph by key.

// findProvided reports whether a @provides selection covers field name, and
// its sub-selection.
func findProvided(provided ast.SelectionSet, name string) (ast.SelectionSet, bool) {
	for _, s := range provided {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == name {
				return s.SelectionSet, true
			}
		case *ast.InlineFragment:
			if sub, ok := findProvided(s.SelectionSet, name); ok {
				return sub, true
			}
		}
	}
	return nil, false
}

// providedOn is the part of a @provides selection that holds for objects of
// typeName: its fields, and those of its fragments on typeName or on an
// abstract type typeName's objects all belong to. A fragment on another
// implementation provides nothing here: the subgraph may not even have the
// field on typeName.
func (p *planning) providedOn(provided ast.SelectionSet, typeName string) ast.SelectionSet {
	if provided == nil {
		return nil
	}
	out := ast.SelectionSet{}
	for _, s := range provided {
		frag, ok := s.(*ast.InlineFragment)
		if !ok {
			out = append(out, s)
			continue
		}
		if frag.TypeCondition == "" || p.within(typeName, frag.TypeCondition) {
			out = append(out, p.providedOn(frag.SelectionSet, typeName)...)
		}
	}
	return out
}

// coveredBy reports whether every field of a (key) field set is in a
// @provides selection.
func coveredBy(provided, ss ast.SelectionSet) bool {
	if provided == nil {
		return false
	}
	for _, s := range ss {
		f, ok := s.(*ast.Field)
		if !ok {
			return false
		}
		sub, ok := findProvided(provided, f.Name)
		if !ok || len(f.SelectionSet) > 0 && !coveredBy(sub, f.SelectionSet) {
			return false
		}
	}
	return true
}
