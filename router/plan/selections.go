package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

var typenameSel = &Selection{ResponseKey: "__typename", Name: "__typename"}

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
	out, err := p.planFrame(f, t.Name, path, ss, provided)
	if err != nil {
		return nil, err
	}
	return mergeAll(out, fr.extra), nil
}

func (p *planning) planFrame(f *Fetch, typeName string, path []string, ss ast.SelectionSet, provided ast.SelectionSet) ([]*Selection, error) {
	t := p.sg.Type(typeName)
	var out []*Selection
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				out = merge(out, &Selection{ResponseKey: s.Alias, Name: "__typename"})
				if p.interfaceObjectIn(f.graph, typeName) {
					// This subgraph answers the interface's name; the real
					// type comes from the subgraph that owns the interface.
					sels, err := p.viaInterfaceOwner(f, typeName, path, ast.SelectionSet{s})
					if err != nil {
						return nil, err
					}
					out = mergeAll(out, sels)
				}
				continue
			}
			fd := t.Fields[s.Name]
			if fd == nil {
				return nil, fmt.Errorf("unknown field %s.%s", typeName, s.Name)
			}
			sub, isProvided := findProvided(provided, s.Name)
			if p.abstract(typeName) && !isProvided && (!fd.ResolvableIn(f.graph) && !p.hasEntityKeys(typeName) || p.someImplementationElsewhere(f.graph, typeName, s.Name)) {
				// A field of an interface that this subgraph cannot resolve:
				// ask for it per implementation, each an entity of its own.
				for _, c := range p.possibleTypes(typeName) {
					if !p.possibleIn(f.graph, typeName, c) {
						continue
					}
					children, err := p.planSelections(f, c, path, ast.SelectionSet{s}, nil)
					if err != nil {
						return nil, err
					}
					out = merge(out, &Selection{TypeCond: c, Children: children})
				}
				continue
			}
			if !fd.ResolvableIn(f.graph) && !isProvided && len(fd.ResolvingGraphs()) == 0 {
				// Resolved for every implementation by an @interfaceObject subgraph.
				sels, err := p.viaInterfaceObject(f, typeName, path, s)
				if err != nil {
					return nil, err
				}
				out = mergeAll(out, sels)
				continue
			}
			// A field with @requires is resolved through _entities, which
			// carries the required fields, even from its own subgraph.
			needsRequires := fd.ResolvableIn(f.graph) && fd.In[f.graph].Requires != nil && !p.inEntityFetch[s]
			if !fd.ResolvableIn(f.graph) && !isProvided || needsRequires {
				sels, err := p.jump(f, typeName, path, s, provided)
				if err != nil {
					return nil, err
				}
				for _, sel := range sels {
					out = merge(out, sel)
				}
				continue
			}
			sel := &Selection{ResponseKey: s.Alias, Name: s.Name, Arguments: s.Arguments, typeSig: fd.Def.Type.String()}
			if in := fd.In[f.graph]; in != nil && in.Type != "" {
				sel.typeSig = in.Type
			}
			if len(s.SelectionSet) > 0 {
				childProvided := sub
				if in := fd.In[f.graph]; in != nil && in.Provides != nil {
					childProvided = in.Provides
				}
				childType := fd.Def.Type.Name()
				graphType := childType
				if in := fd.In[f.graph]; in != nil && in.Type != "" {
					// The subgraph declares a narrower type (e.g. a union
					// member where the supergraph has the union): plan for it.
					graphType = strings.Trim(in.Type, "[]!")
				}
				p.entering = s
				children, err := p.planSelections(f, graphType, appendPath(path, s.Alias), s.SelectionSet, childProvided)
				if err != nil {
					return nil, err
				}
				if p.abstract(childType) {
					children = mergeAll([]*Selection{typenameSel}, children)
				}
				sel.Children = children
			}
			out = merge(out, sel)
		case *ast.InlineFragment:
			tc := s.TypeCondition
			if !p.possibleIn(f.graph, typeName, tc) && p.interfaceObjectIn(f.graph, typeName) {
				sels, err := p.viaInterfaceOwner(f, typeName, path, ast.SelectionSet{s})
				if err != nil {
					return nil, err
				}
				out = mergeAll(out, sels)
				continue
			}
			if tc != typeName && p.abstract(tc) && p.abstract(typeName) {
				// A fragment on an interface inside another abstract type:
				// the subgraph's view of which types implement it may be
				// narrower than the supergraph's, so ask per concrete type.
				for _, c := range p.possibleTypes(tc) {
					if !p.possibleIn(f.graph, typeName, c) {
						continue
					}
					children, err := p.planSelections(f, c, path, s.SelectionSet, provided)
					if err != nil {
						return nil, err
					}
					out = merge(out, &Selection{TypeCond: c, Children: children})
				}
				continue
			}
			if !p.possibleIn(f.graph, typeName, tc) {
				continue // this subgraph never returns a tc here
			}
			if p.sg.Schema.Types[typeName].Kind == ast.Union && !p.abstract(tc) && !p.safeMember(typeName, tc) {
				continue // another subgraph that may answer this path does not know tc
			}
			children, err := p.planSelections(f, tc, path, s.SelectionSet, provided)
			if err != nil {
				return nil, err
			}
			if tc == typeName {
				out = mergeAll(out, children)
				continue
			}
			out = merge(out, &Selection{TypeCond: tc, Children: children})
		}
	}
	return out, nil
}

func mergeAll(list, more []*Selection) []*Selection {
	for _, s := range more {
		list = merge(list, s)
	}
	return list
}

func appendPath(path []string, key string) []string {
	return append(append([]string(nil), path...), key)
}

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

// interfaceObjectIn reports whether graph g knows typeName as an
// @interfaceObject (an object standing for all the interface's implementations).
func (p *planning) interfaceObjectIn(g, typeName string) bool {
	t := p.sg.Type(typeName)
	return t != nil && t.In[g] != nil && t.In[g].IsInterfaceObject
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

// safeMember reports whether member tc of the union at the current
// path is known to every subgraph that may answer that path. A path below an
// entity (or root field) that several subgraphs resolve, through @shareable
// fields, may be answered by any of them; a member only some know is not
// safe to ask for, and its fragment is left out (its fields answer null).
func (p *planning) safeMember(typeName, tc string) bool {
	for _, g := range p.pathCandidates() {
		if !p.possibleIn(g, typeName, tc) {
			return false
		}
	}
	return true
}

// pathCandidates lists the subgraphs that resolve the chain of fields from
// the nearest enclosing entity (or the root) to the current frame, and can
// be entered at that entity.
func (p *planning) pathCandidates() []string {
	top := len(p.frames) - 1
	var chain []*ast.Field
	for i := top; i > 0; i-- {
		if !slices.Equal(p.frames[i].path, p.frames[i-1].path) {
			chain = append([]*ast.Field{p.frames[i].field}, chain...)
		}
		anc := p.frames[i-1]
		root := anc.typeName == p.op.RootType.Name
		if len(chain) == 0 || !root && !p.hasEntityKeys(anc.typeName) {
			continue
		}
		var out []string
		for _, g := range p.sortedGraphs(p.sg.GraphEnums()) {
			in := p.sg.Type(anc.typeName).In[g]
			if in == nil || !root && len(in.ResolvableKeys()) == 0 {
				continue
			}
			if p.chainResolvable(g, anc.typeName, chain[:len(chain)-1], chain[len(chain)-1]) {
				out = append(out, g)
			}
		}
		return out
	}
	return nil
}

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
