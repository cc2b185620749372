package plan

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

// Which @key a fetch can ask another subgraph by: one whose fields the
// fetch's subgraph can select on the objects at hand.

// chooseTarget picks the subgraph that resolves fd and has a key of t whose
// fields the current fetch's subgraph can provide (itself, or through a
// parent's @provides).
func (p *planning) chooseTarget(f *Fetch, t *supergraph.Type, fd *supergraph.Field, path []string, provided ast.SelectionSet) (string, supergraph.Key, error) {
	for _, g := range p.sortedGraphs(fd.ResolvingGraphs()) {
		in := t.In[g]
		if in == nil {
			continue
		}
		for _, k := range in.ResolvableKeys() {
			if coveredBy(provided, k.Selection) || p.keyObtainable(f, t.Name, path, k.Selection) {
				return g, k, nil
			}
		}
	}
	return "", supergraph.Key{}, fmt.Errorf("cannot plan %s.%s: no subgraph resolving it has a key %s can provide", t.Name, fd.Name, f.Graph)
}

// fetchableKey finds a resolvable key of typeName in target whose fields
// graph from can provide.
func (p *planning) fetchableKey(from *Fetch, path []string, target, typeName string) (supergraph.Key, bool) {
	in := p.sg.Type(typeName).In[target]
	if in == nil {
		return supergraph.Key{}, false
	}
	for _, k := range in.ResolvableKeys() {
		if p.keyObtainable(from, typeName, path, k.Selection) {
			return k, true
		}
	}
	return supergraph.Key{}, false
}

// keyObtainable reports whether fetch f can select the fields of a key of
// typeName at path. Objects f's subgraph returns itself carry no key field it
// marks @external; objects it was asked for by key (an entity fetch of this
// type here) carry the key they were asked with.
func (p *planning) keyObtainable(f *Fetch, typeName string, path []string, key ast.SelectionSet) bool {
	if !p.canFetch(f.graph, typeName, key) {
		return false
	}
	entered := f.Entity && slices.Contains(f.Types, typeName) && slices.Equal(f.Path, path)
	return entered || !externalIn(p.sg.Type(typeName), f.graph, key)
}

// externalIn reports whether a top-level field of a key is @external in g.
func externalIn(t *supergraph.Type, g string, key ast.SelectionSet) bool {
	for _, s := range key {
		if f, ok := s.(*ast.Field); ok {
			if fd := t.Fields[f.Name]; fd != nil && fd.In[g] != nil && fd.In[g].External {
				return true
			}
		}
	}
	return false
}

// canFetch reports whether subgraph g resolves every field of a field set on typeName.
func (p *planning) canFetch(g, typeName string, ss ast.SelectionSet) bool {
	t := p.sg.Type(typeName)
	if t == nil {
		return false
	}
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			fd := t.Fields[s.Name]
			if fd == nil || !fd.ResolvableIn(g) && !keyFieldOf(t, g, s.Name) {
				return false
			}
			if len(s.SelectionSet) > 0 && !p.canFetch(g, fd.Def.Type.Name(), s.SelectionSet) {
				return false
			}
		case *ast.InlineFragment:
			if !p.canFetch(g, s.TypeCondition, s.SelectionSet) {
				return false
			}
		}
	}
	return true
}

// keyFieldOf reports whether name is part of a key of t in g (key fields
// are always available in the graph that declares the key).
func keyFieldOf(t *supergraph.Type, g, name string) bool {
	in := t.In[g]
	if in == nil {
		return false
	}
	for _, k := range in.Keys {
		for _, s := range k.Selection {
			if f, ok := s.(*ast.Field); ok && f.Name == name {
				return true
			}
		}
	}
	return false
}
