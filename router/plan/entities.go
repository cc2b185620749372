package plan

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

// jump plans field (on typeName at path) in another subgraph through an
// entity fetch. It returns what the current fetch must select for it: the
// entity's __typename, key fields, and the fields the target @requires.
func (p *planning) jump(f *Fetch, typeName string, path []string, field *ast.Field) ([]*Selection, error) {
	t := p.sg.Type(typeName)
	fd := t.Fields[field.Name]
	// The entity fetch normally hangs under f; if its key or @requires fields
	// need fetches of their own, it hangs under the last of those, so it runs after.
	host := f
	target, key, err := p.chooseTarget(f, t, fd)
	var keySel []*Selection
	if err != nil {
		// No key f's subgraph can provide directly: fetch one through another
		// entity fetch first (two hops).
		var kerr error
		target, key, keySel, host, kerr = p.keyViaHop(f, t, fd, path)
		if kerr != nil {
			return nil, err
		}
	} else {
		keySel = fromFieldSet(key.Selection)
	}
	parentSel := mergeAll([]*Selection{typenameSel}, keySel)
	rep := mergeAll([]*Selection{typenameSel}, fromFieldSet(key.Selection))
	if in := fd.In[target]; in != nil && in.Requires != nil {
		snap := snapshot(f)
		req, err := p.planSelections(f, typeName, path, in.Requires, nil)
		if err != nil {
			return nil, fmt.Errorf("plan the @requires of %s.%s: %w", typeName, field.Name, err)
		}
		parentSel = mergeAll(parentSel, req)
		rep = mergeAll(rep, fromFieldSet(in.Requires))
		if provider := providerOf(f, path, in.Requires); provider != nil && host == f {
			host = provider
		} else if changed := snap.changed(f); changed != nil && host == f {
			host = changed
		}
	}
	child := p.childFetch(host, target, typeName, path)
	child.Representation = mergeAll(child.Representation, rep)
	sels, err := p.planSelections(child, typeName, path, ast.SelectionSet{field}, nil)
	if err != nil {
		return nil, err
	}
	child.Selection = mergeAll(child.Selection, sels)
	return parentSel, nil
}

// chooseTarget picks the subgraph that resolves fd and has a key of t whose
// fields the current fetch's subgraph can provide.
func (p *planning) chooseTarget(f *Fetch, t *supergraph.Type, fd *supergraph.Field) (string, supergraph.Key, error) {
	for _, g := range p.sortedGraphs(fd.ResolvingGraphs()) {
		in := t.In[g]
		if in == nil {
			continue
		}
		for _, k := range in.ResolvableKeys() {
			if p.canFetch(f.graph, t.Name, k.Selection) {
				return g, k, nil
			}
		}
	}
	return "", supergraph.Key{}, fmt.Errorf("cannot plan %s.%s: no subgraph resolving it has a key %s can provide", t.Name, fd.Name, f.Graph)
}

// keyViaHop finds a subgraph resolving fd whose key f can get through one
// more entity fetch, plans that fetch, and returns it as the host.
func (p *planning) keyViaHop(f *Fetch, t *supergraph.Type, fd *supergraph.Field, path []string) (string, supergraph.Key, []*Selection, *Fetch, error) {
	for _, g := range p.sortedGraphs(fd.ResolvingGraphs()) {
		in := t.In[g]
		if in == nil {
			continue
		}
		for _, k := range in.ResolvableKeys() {
			snap := snapshot(f)
			sels, err := p.planSelections(f, t.Name, path, k.Selection, nil)
			if err != nil {
				f.Children = f.Children[:snap.children]
				continue
			}
			host := f
			if changed := snap.changed(f); changed != nil {
				host = changed
			}
			return g, k, sels, host, nil
		}
	}
	return "", supergraph.Key{}, nil, nil, fmt.Errorf("no key of %s reachable", t.Name)
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

// childFetch returns parent's entity fetch for (graph, type, path), creating it.
func (p *planning) childFetch(parent *Fetch, graph, typeName string, path []string) *Fetch {
	for _, c := range parent.Children {
		if c.graph == graph && c.typeName == typeName && strings.Join(c.Path, ".") == strings.Join(path, ".") {
			return c
		}
	}
	c := p.newFetch(graph, typeName, true, path)
	c.Types = p.possibleTypes(typeName)
	parent.Children = append(parent.Children, c)
	return c
}

// fromFieldSet turns a parsed field set into selections (no aliases).
func fromFieldSet(ss ast.SelectionSet) []*Selection {
	var out []*Selection
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, &Selection{ResponseKey: s.Name, Name: s.Name, Arguments: s.Arguments, Children: fromFieldSet(s.SelectionSet)})
		case *ast.InlineFragment:
			out = append(out, &Selection{TypeCond: s.TypeCondition, Children: fromFieldSet(s.SelectionSet)})
		}
	}
	return out
}

// childSnapshot remembers f's children and their selections, to find the
// fetch that planning some fields added to (the one a dependent fetch must follow).
type childSnapshot struct {
	children int
	sizes    map[*Fetch]int
}

func snapshot(f *Fetch) childSnapshot {
	s := childSnapshot{children: len(f.Children), sizes: map[*Fetch]int{}}
	for _, c := range f.Children {
		s.sizes[c] = selectionSize(c.Selection)
	}
	return s
}

// changed returns the last child of f that is new or whose selection grew.
func (s childSnapshot) changed(f *Fetch) *Fetch {
	var out *Fetch
	for i, c := range f.Children {
		if i >= s.children || selectionSize(c.Selection) != s.sizes[c] {
			out = c
		}
	}
	return out
}

func selectionSize(sels []*Selection) int {
	n := len(sels)
	for _, s := range sels {
		n += selectionSize(s.Children)
	}
	return n
}

// providerOf returns the last child of f at path whose selection has one of
// the top-level fields of required: the fetch a @requires must wait for.
func providerOf(f *Fetch, path []string, required ast.SelectionSet) *Fetch {
	var out *Fetch
	for _, c := range f.Children {
		if strings.Join(c.Path, ".") != strings.Join(path, ".") {
			continue
		}
		for _, r := range required {
			if rf, ok := r.(*ast.Field); ok && hasField(c.Selection, rf.Name) {
				out = c
			}
		}
	}
	return out
}

func hasField(sels []*Selection, name string) bool {
	for _, s := range sels {
		if s.Name == name || s.Name == "" && hasField(s.Children, name) {
			return true
		}
	}
	return false
}
