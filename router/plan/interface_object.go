package plan

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// An @interfaceObject subgraph knows an interface as an object type standing
// for all its implementations: it answers the interface's name as
// __typename, cannot tell the implementations apart, and adds fields to
// every one of them.

// interfaceObjectIn reports whether graph g knows typeName as an
// @interfaceObject (an object standing for all the interface's implementations).
func (p *planning) interfaceObjectIn(g, typeName string) bool {
	t := p.sg.Type(typeName)
	return t != nil && t.In[g] != nil && t.In[g].IsInterfaceObject
}

// viaInterfaceOwner plans ss (the real __typename, or fragments on
// implementations) for objects of interface typeName that f's subgraph only
// knows as an @interfaceObject: through the subgraph owning the interface.
func (p *planning) viaInterfaceOwner(f *Fetch, typeName string, path []string, ss ast.SelectionSet) ([]*Selection, error) {
	t := p.sg.Type(typeName)
	for _, g := range p.sortedGraphs(t.Graphs()) {
		in := t.In[g]
		if in.IsInterfaceObject || g == f.graph {
			continue
		}
		key, ok := p.fetchableKey(f, path, g, typeName)
		if !ok {
			continue
		}
		keySel := keyRepresentation(key)
		child := p.childFetch(f, g, typeName, path, nil)
		child.Representation = mergeAll(child.Representation, keySel)
		sels, err := p.planSelections(child, typeName, path, ss, nil)
		if err != nil {
			return nil, err
		}
		// The owner answers the object's real type, which the fragments
		// of the client's selection are matched against.
		child.Selection = mergeAll(child.Selection, append([]*Selection{typenameSel}, sels...))
		return keySel, nil
	}
	return nil, fmt.Errorf("no subgraph owning interface %s has a key %s can provide", typeName, f.Graph)
}

// viaInterfaceObject plans a field of an implementation (typeName) that an
// @interfaceObject subgraph resolves for its interface.
func (p *planning) viaInterfaceObject(f *Fetch, typeName string, path []string, field *ast.Field) ([]*Selection, error) {
	def := p.sg.Schema.Types[typeName]
	for _, iface := range def.Interfaces {
		it := p.sg.Type(iface)
		if it == nil || it.Fields[field.Name] == nil {
			continue
		}
		for _, g := range p.sortedGraphs(it.Fields[field.Name].ResolvingGraphs()) {
			if !p.interfaceObjectIn(g, iface) {
				continue
			}
			for _, k := range it.In[g].ResolvableKeys() {
				if !p.canFetch(f.graph, typeName, k.Selection) {
					continue
				}
				keySel := keyRepresentation(k)
				child := p.childFetch(f, g, iface, path, nil)
				child.RepTypename = iface
				if !slices.Contains(child.Types, typeName) {
					child.Types = append(child.Types, typeName)
				}
				child.Representation = mergeAll(child.Representation, keySel)
				sels, err := p.planSelections(child, iface, path, ast.SelectionSet{field}, nil)
				if err != nil {
					return nil, err
				}
				child.Selection = mergeAll(child.Selection, sels)
				return keySel, nil
			}
		}
	}
	return nil, fmt.Errorf("no subgraph resolves %s.%s", typeName, field.Name)
}
