package plan

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// The supergraph's interfaces and unions as each subgraph sees them: which
// concrete types a subgraph can return where an abstract type is expected.

func (p *planning) abstract(typeName string) bool {
	d := p.sg.Schema.Types[typeName]
	return d != nil && (d.Kind == ast.Interface || d.Kind == ast.Union)
}

// possibleIn reports whether subgraph g can return an object of type tc where
// a parent of type parent is expected.
func (p *planning) possibleIn(g, parent, tc string) bool {
	if parent == tc {
		return true
	}
	t := p.sg.Type(tc)
	if t == nil || t.In[g] == nil {
		return false
	}
	pt := p.sg.Type(parent)
	if pt == nil {
		return false
	}
	switch pt.Def.Kind {
	case ast.Union:
		if p.abstract(tc) {
			return true
		}
		return slices.Contains(pt.Members[g], tc)
	case ast.Interface:
		if p.abstract(tc) {
			return true
		}
		return slices.Contains(t.Implements[g], parent)
	}
	// parent is an object: tc is an interface or union it belongs to.
	return slices.Contains(p.sg.Type(parent).Implements[g], tc) || slices.Contains(t.Members[g], parent)
}

// possibleTypes lists the concrete types of typeName in the API schema.
func (p *planning) possibleTypes(typeName string) []string {
	d := p.sg.Schema.Types[typeName]
	if d == nil {
		return nil
	}
	if d.Kind == ast.Object {
		return []string{typeName}
	}
	var out []string
	for _, pt := range p.sg.Schema.GetPossibleTypes(d) {
		out = append(out, pt.Name)
	}
	slices.Sort(out)
	return out
}

// within reports whether every object of type typeName is also of type tc.
func (p *planning) within(typeName, tc string) bool {
	possible := p.possibleTypes(tc)
	for _, c := range p.possibleTypes(typeName) {
		if !slices.Contains(possible, c) {
			return false
		}
	}
	return true
}

// someImplementationElsewhere reports whether, among the implementations of
// interface typeName that graph g returns, one resolves field in another
// subgraph (e.g. after @override): then the field is asked per type.
func (p *planning) someImplementationElsewhere(g, typeName, field string) bool {
	for _, c := range p.possibleTypes(typeName) {
		if !p.possibleIn(g, typeName, c) {
			continue
		}
		if fd := p.sg.Type(c).Fields[field]; fd != nil && !fd.ResolvableIn(g) && len(fd.ResolvingGraphs()) > 0 {
			return true
		}
	}
	return false
}

// hasEntityKeys reports whether a type has a resolvable @key in some subgraph
// (an entity interface can be looked up as a whole).
func (p *planning) hasEntityKeys(typeName string) bool {
	t := p.sg.Type(typeName)
	for _, in := range t.In {
		if len(in.ResolvableKeys()) > 0 {
			return true
		}
	}
	return false
}
