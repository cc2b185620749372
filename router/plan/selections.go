package plan

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

// planSelections plans ss, selected on typeName at path, for fetch f. Fields
// f's subgraph resolves (or that a parent field @provides) stay in f; the
// others become entity fetches under f, and f selects the keys they need.
func (p *planning) planSelections(f *Fetch, typeName string, path []string, ss ast.SelectionSet, provided ast.SelectionSet) ([]*Selection, error) {
	t := p.sg.Type(typeName)
	if t == nil {
		return nil, fmt.Errorf("unknown type %s", typeName)
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, fmt.Errorf("cannot plan %s: the supergraph's keys and requirements form a cycle", typeName)
	}
	fr := &frame{fetch: f, typeName: typeName, path: path, field: p.entering}
	if n := len(p.frames); n > 0 && strings.Join(p.frames[n-1].path, ".") == strings.Join(path, ".") {
		fr.field = p.frames[n-1].field // the same place planned again (another fetch, @requires, a key)
	}
	p.frames = append(p.frames, fr)
	defer func() { p.frames = p.frames[:len(p.frames)-1] }()
	out, err := p.planFrame(site{fetch: f, typeName: t.Name, path: path, provided: provided, here: p.providedOn(provided, t.Name)}, ss)
	if err != nil {
		return nil, err
	}
	return mergeAll(out, fr.extra), nil
}

// site is where a selection set is planned: for which fetch, on which type,
// at which response path, and what a parent field @provides there (whole,
// for the fragments below, and here: the part that holds for the type).
type site struct {
	fetch    *Fetch
	typeName string
	path     []string
	provided ast.SelectionSet
	here     ast.SelectionSet
}

// planFrame plans each selection of ss in turn and merges what they ask of
// the fetch's subgraph into one selection set.
func (p *planning) planFrame(at site, ss ast.SelectionSet) ([]*Selection, error) {
	var out []*Selection
	for _, s := range ss {
		var sels []*Selection
		var err error
		switch s := s.(type) {
		case *ast.Field:
			sels, err = p.planField(at, s)
		case *ast.InlineFragment:
			sels, err = p.planFragment(at, s)
		}
		if err != nil {
			return nil, err
		}
		out = mergeAll(out, sels)
	}
	return out, nil
}

// planField plans one field: __typename; a field of an interface asked per
// implementation; one an @interfaceObject subgraph resolves; one another
// subgraph resolves (an entity fetch); or one the fetch's subgraph answers.
func (p *planning) planField(at site, s *ast.Field) ([]*Selection, error) {
	if s.Name == "__typename" {
		return p.planTypename(at, s)
	}
	fd := p.sg.Type(at.typeName).Fields[s.Name]
	if fd == nil {
		return nil, fmt.Errorf("unknown field %s.%s", at.typeName, s.Name)
	}
	g := at.fetch.graph
	sub, isProvided := findProvided(at.here, s.Name)
	local := fd.ResolvableIn(g) || isProvided
	switch {
	case !isProvided && p.perImplementation(at, fd):
		return p.perConcreteType(at, at.typeName, ast.SelectionSet{s})
	case !local && len(fd.ResolvingGraphs()) == 0:
		// Resolved for every implementation by an @interfaceObject subgraph.
		return p.viaInterfaceObject(at.fetch, at.typeName, at.path, s)
	case !local || p.needsRequires(g, fd, s):
		return p.jump(at.fetch, at.typeName, at.path, s, at.here)
	}
	return p.planLocal(at, fd, s, sub)
}

// perImplementation reports whether a field of an abstract type is asked per
// implementation, each an entity of its own: the fetch's subgraph cannot
// resolve it and the type has no key to look it up as a whole, or an
// implementation the subgraph returns resolves it elsewhere (e.g. after
// @override).
func (p *planning) perImplementation(at site, fd *supergraph.Field) bool {
	g := at.fetch.graph
	return p.abstract(at.typeName) && (!fd.ResolvableIn(g) && !p.hasEntityKeys(at.typeName) || p.someImplementationElsewhere(g, at.typeName, fd.Name))
}

// needsRequires reports whether field, which graph g resolves, has a
// @requires there and is not yet planned into the entity fetch carrying the
// required fields: such a field is resolved through _entities, even from
// its own subgraph.
func (p *planning) needsRequires(g string, fd *supergraph.Field, field *ast.Field) bool {
	return fd.ResolvableIn(g) && fd.In[g].Requires != nil && !p.inEntityFetch[field]
}

// planTypename selects __typename, which an @interfaceObject subgraph
// answers with the interface's name: the real type then comes from the
// subgraph that owns the interface.
func (p *planning) planTypename(at site, s *ast.Field) ([]*Selection, error) {
	out := []*Selection{{ResponseKey: s.Alias, Name: "__typename"}}
	if !p.interfaceObjectIn(at.fetch.graph, at.typeName) {
		return out, nil
	}
	sels, err := p.viaInterfaceOwner(at.fetch, at.typeName, at.path, ast.SelectionSet{s})
	if err != nil {
		return nil, err
	}
	return append(out, sels...), nil
}

// planLocal selects a field the fetch's subgraph resolves itself (or that a
// parent field @provides there, with sub the provided selection below it),
// and plans the field's own selection set below.
func (p *planning) planLocal(at site, fd *supergraph.Field, s *ast.Field, sub ast.SelectionSet) ([]*Selection, error) {
	in := fd.In[at.fetch.graph]
	sel := &Selection{ResponseKey: s.Alias, Name: s.Name, Arguments: s.Arguments, typeSig: fd.Def.Type.String()}
	if in != nil && in.Type != "" {
		sel.typeSig = in.Type
	}
	if len(s.SelectionSet) == 0 {
		return []*Selection{sel}, nil
	}
	childProvided := sub
	if in != nil && in.Provides != nil {
		childProvided = in.Provides
	}
	childType := fd.Def.Type.Name()
	graphType := childType
	if in != nil && in.Type != "" {
		// The subgraph declares a narrower type (e.g. a union member
		// where the supergraph has the union): plan for it.
		graphType = strings.Trim(in.Type, "[]!")
	}
	p.entering = s
	children, err := p.planSelections(at.fetch, graphType, appendPath(at.path, s.Alias), s.SelectionSet, childProvided)
	if err != nil {
		return nil, err
	}
	if p.abstract(childType) {
		children = mergeAll([]*Selection{typenameSel}, children)
	}
	sel.Children = children
	return []*Selection{sel}, nil
}

// planFragment plans an inline fragment, or leaves it out where the
// fetch's subgraph never returns (or must not be asked for) its type.
func (p *planning) planFragment(at site, s *ast.InlineFragment) ([]*Selection, error) {
	tc, g := s.TypeCondition, at.fetch.graph
	switch {
	case !p.possibleIn(g, at.typeName, tc) && p.interfaceObjectIn(g, at.typeName):
		return p.viaInterfaceOwner(at.fetch, at.typeName, at.path, ast.SelectionSet{s})
	case tc != at.typeName && p.abstract(tc) && p.abstract(at.typeName):
		// A fragment on an interface inside another abstract type: the
		// subgraph's view of which types implement it may be narrower
		// than the supergraph's, so ask per concrete type.
		return p.perConcreteType(at, tc, s.SelectionSet)
	case !p.possibleIn(g, at.typeName, tc):
		return nil, nil // this subgraph never returns a tc here
	case p.sg.Schema.Types[at.typeName].Kind == ast.Union && !p.abstract(tc) && !p.safeMember(at.typeName, tc):
		return nil, nil // another subgraph that may answer this path does not know tc
	}
	children, err := p.planSelections(at.fetch, tc, at.path, s.SelectionSet, at.provided)
	if err != nil {
		return nil, err
	}
	if tc == at.typeName {
		return children, nil
	}
	return []*Selection{{TypeCond: tc, Children: children}}, nil
}

// perConcreteType plans ss in a fragment per concrete type of typeName that
// the fetch's subgraph can return where the site's type is expected.
func (p *planning) perConcreteType(at site, typeName string, ss ast.SelectionSet) ([]*Selection, error) {
	var out []*Selection
	for _, c := range p.possibleTypes(typeName) {
		if !p.possibleIn(at.fetch.graph, at.typeName, c) {
			continue
		}
		children, err := p.planSelections(at.fetch, c, at.path, ss, at.provided)
		if err != nil {
			return nil, err
		}
		out = append(out, &Selection{TypeCond: c, Children: children})
	}
	return out, nil
}
