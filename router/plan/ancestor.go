package plan

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// viaAncestor plans field, on a type without a usable key, from the nearest
// ancestor that another subgraph can reach: the root (a shared root field),
// or an entity with a key. That subgraph then resolves the whole chain of
// fields from the ancestor down to field.
func (p *planning) viaAncestor(field *ast.Field) (bool, error) {
	top := len(p.frames) - 1
	cur := p.frames[top]
	for i := top - 1; i >= 0; i-- {
		chain := p.chainBelow(i)
		for _, g := range p.sortedGraphs(p.sg.GraphEnums()) {
			target := p.ancestorFetch(i, g, chain, field)
			if target == nil {
				continue
			}
			inner, err := p.planSelections(target, cur.typeName, cur.path, ast.SelectionSet{field}, nil)
			if err != nil {
				return false, err
			}
			target.Selection = mergeAll(target.Selection, p.wrapChain(chain, inner))
			return true, nil
		}
	}
	return false, nil
}

// chainBelow lists the fields from frame i down to the current frame.
func (p *planning) chainBelow(i int) []*ast.Field {
	top := len(p.frames) - 1
	chain := make([]*ast.Field, 0, top-i)
	for j := i + 1; j <= top; j++ {
		if slices.Equal(p.frames[j].path, p.frames[j-1].path) {
			continue // the same place planned again (a key, @requires): no field between
		}
		chain = append(chain, p.frames[j].field)
	}
	return chain
}

// ancestorFetch returns the fetch in which graph g resolves chain and then
// field from the ancestor frame i, or nil if g cannot: the root fetch of g
// for a query's root, else an entity fetch of the ancestor by a key its
// fetch selects for it.
func (p *planning) ancestorFetch(i int, g string, chain []*ast.Field, field *ast.Field) *Fetch {
	anc := p.frames[i]
	if g == anc.fetch.graph || !p.chainResolvable(g, anc.typeName, chain, field) {
		return nil
	}
	if i == 0 && anc.typeName == p.op.RootType.Name && !p.out.Sequential {
		if p.throughAbstract(chain) {
			// Two subgraphs' answers to one field of an interface or
			// union type need not be the same object (each picks its own
			// implementation); merging them by path could mix two objects.
			return nil
		}
		return p.rootFetch(g)
	}
	key, ok := p.fetchableKey(anc.fetch, anc.path, g, anc.typeName)
	if !ok {
		return nil
	}
	target := p.childFetch(anc.fetch, g, anc.typeName, anc.path, nil)
	keySel := keyRepresentation(key)
	target.Representation = mergeAll(target.Representation, keySel)
	anc.extra = mergeAll(anc.extra, keySel)
	return target
}

// wrapChain nests inner in the fields of chain: what the ancestor's fetch
// selects to reach it (with __typename under abstract types).
func (p *planning) wrapChain(chain []*ast.Field, inner []*Selection) []*Selection {
	for j := len(chain) - 1; j >= 0; j-- {
		c := chain[j]
		wrapped := &Selection{ResponseKey: c.Alias, Name: c.Name, Arguments: c.Arguments, Children: inner}
		if p.abstract(c.Definition.Type.Name()) {
			wrapped.Children = mergeAll([]*Selection{typenameSel}, inner)
		}
		inner = []*Selection{wrapped}
	}
	return inner
}

// throughAbstract reports whether a field of chain returns an interface or union.
func (p *planning) throughAbstract(chain []*ast.Field) bool {
	for _, c := range chain {
		if c.Definition != nil && p.abstract(c.Definition.Type.Name()) {
			return true
		}
	}
	return false
}

// chainResolvable reports whether graph g resolves every field of chain
// (starting on typeName) and then field.
func (p *planning) chainResolvable(g, typeName string, chain []*ast.Field, field *ast.Field) bool {
	for _, c := range append(chain, field) {
		t := p.sg.Type(typeName)
		if t == nil {
			return false
		}
		fd := t.Fields[c.Name]
		if fd == nil || !fd.ResolvableIn(g) {
			return false
		}
		typeName = fd.Def.Type.Name()
	}
	return true
}
