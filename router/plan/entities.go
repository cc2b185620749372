package plan

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

// jump plans field (on typeName at path) in another subgraph through an
// entity fetch. It returns what the current fetch must select for it: the
// entity's __typename, key fields, and the fields the target @requires.
// provided is what a parent field @provides here (key fields may come from it).
func (p *planning) jump(f *Fetch, typeName string, path []string, field *ast.Field, provided ast.SelectionSet) ([]*Selection, error) {
	t := p.sg.Type(typeName)
	fd := t.Fields[field.Name]
	// The entity fetch normally hangs under f; if its key or @requires fields
	// need fetches of their own, it hangs under the last of those, so it runs after.
	host := f
	var after []int
	target, key, err := p.chooseTarget(f, t, fd, path, provided)
	var keySel []*Selection
	if err != nil {
		// No key f's subgraph can provide directly: fetch one through another
		// entity fetch first (two hops).
		var kerr error
		target, key, keySel, after, kerr = p.keyViaHop(f, t, fd, path)
		if kerr == nil {
			// Key fields fetched by entity fetches planned earlier (for the
			// client's own selection) are not "changed", yet must come first.
			for _, provider := range providersOf(f, path, key.Selection) {
				after = append(after, provider.ID)
			}
		}
		if kerr != nil {
			// The type has no usable key: go back up to an ancestor the field
			// can be reached from in another subgraph.
			if ok, aerr := p.viaAncestor(field); ok || aerr != nil {
				return nil, aerr
			}
			return nil, err
		}
	} else {
		keySel = fromFieldSet(key.Selection)
	}
	parentSel := mergeAll([]*Selection{typenameSel}, keySel)
	rep := mergeAll([]*Selection{typenameSel}, fromFieldSet(key.Selection))
	if in := fd.In[target]; in != nil && in.Requires != nil {
		snap := snapshot(f)
		required := aliasArgumentFields(in.Requires)
		req, err := p.planSelections(f, typeName, path, required, nil)
		if err != nil {
			return nil, fmt.Errorf("plan the @requires of %s.%s: %w", typeName, field.Name, err)
		}
		parentSel = mergeAll(parentSel, req)
		rep = mergeAll(rep, fromFieldSet(required))
		after = append(after, snap.changedIDs(f)...)
		for _, provider := range providersOf(f, path, in.Requires) {
			after = append(after, provider.ID)
		}
	}
	child := p.childFetchFor(host, target, typeName, path, after, rep)
	if p.interfaceObjectIn(target, typeName) {
		child.RepTypename = typeName
	}
	for _, id := range after {
		if id != child.ID && !slices.Contains(child.After, id) {
			child.After = append(child.After, id)
		}
	}
	child.Representation = mergeAll(child.Representation, rep)
	p.inEntityFetch[field] = true
	sels, err := p.planSelections(child, typeName, path, ast.SelectionSet{field}, nil)
	if err != nil {
		return nil, err
	}
	child.Selection = mergeAll(child.Selection, sels)
	return parentSel, nil
}

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

// keyViaHop finds a subgraph resolving fd whose key f can get through one
// more entity fetch, plans that fetch, and returns it as the host.
func (p *planning) keyViaHop(f *Fetch, t *supergraph.Type, fd *supergraph.Field, path []string) (string, supergraph.Key, []*Selection, []int, error) {
	mark := fmt.Sprintf("%d/%s/%s", f.ID, t.Name, strings.Join(path, "."))
	if p.hopping[mark] {
		return "", supergraph.Key{}, nil, nil, fmt.Errorf("the key of %s depends on itself", t.Name)
	}
	p.hopping[mark] = true
	defer delete(p.hopping, mark)
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
			return g, k, sels, snap.changedIDs(f), nil
		}
	}
	return "", supergraph.Key{}, nil, nil, fmt.Errorf("no key of %s reachable", t.Name)
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

// childFetch returns parent's entity fetch for (graph, type, path), creating
// it. A fetch that is (or leads to) one of the fetches to wait for is not
// reused: waiting for itself would deadlock.
func (p *planning) childFetch(parent *Fetch, graph, typeName string, path []string, after []int) *Fetch {
	return p.childFetchFor(parent, graph, typeName, path, after, nil)
}

// childFetchFor is childFetch for a representation rep: a fetch whose
// representations carry a field of rep under another alias (the same
// @requires field with other arguments) is not shared.
func (p *planning) childFetchFor(parent *Fetch, graph, typeName string, path []string, after []int, rep []*Selection) *Fetch {
	for _, c := range parent.Children {
		if c.graph == graph && c.typeName == typeName && strings.Join(c.Path, ".") == strings.Join(path, ".") && !leadsTo(c, after) && compatible(c.Representation, rep) {
			return c
		}
	}
	c := p.newFetch(graph, typeName, true, path)
	c.Types = p.possibleTypes(typeName)
	if p.abstract(typeName) {
		// Objects from an @interfaceObject subgraph carry the interface's name.
		c.Types = append(c.Types, typeName)
	}
	parent.Children = append(parent.Children, c)
	return c
}

// aliasArgumentFields gives the fields with arguments in a @requires field
// set a private alias, so that they cannot collide with the same field
// selected by the client with other arguments.
func aliasArgumentFields(ss ast.SelectionSet) ast.SelectionSet {
	out := make(ast.SelectionSet, len(ss))
	for i, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			c := *s
			if len(s.Arguments) > 0 {
				sum := fnv.New32a()
				for _, a := range s.Arguments {
					sum.Write([]byte(a.Name + ":" + a.Value.String() + ","))
				}
				c.Alias = fmt.Sprintf("__requires_%s_%x", s.Name, sum.Sum32())
			}
			c.SelectionSet = aliasArgumentFields(s.SelectionSet)
			out[i] = &c
		case *ast.InlineFragment:
			c := *s
			c.SelectionSet = aliasArgumentFields(s.SelectionSet)
			out[i] = &c
		default:
			out[i] = s
		}
	}
	return out
}

// fromFieldSet turns a parsed field set into selections; the response key
// is the alias if any (project writes the field name into representations).
func fromFieldSet(ss ast.SelectionSet) []*Selection {
	var out []*Selection
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			out = append(out, &Selection{ResponseKey: key, Name: s.Name, Arguments: s.Arguments, Children: fromFieldSet(s.SelectionSet)})
		case *ast.InlineFragment:
			out = append(out, &Selection{TypeCond: s.TypeCondition, Children: fromFieldSet(s.SelectionSet)})
		}
	}
	return out
}

// childSnapshot remembers f's descendants and their selections, to find the
// fetches that planning some fields added to (a dependent fetch must follow them).
type childSnapshot struct {
	children int
	sizes    map[*Fetch]int
}

func snapshot(f *Fetch) childSnapshot {
	s := childSnapshot{children: len(f.Children), sizes: map[*Fetch]int{}}
	eachDescendant(f, func(c *Fetch) { s.sizes[c] = selectionSize(c.Selection) })
	return s
}

// changedIDs lists the descendants of f that are new or whose selection grew.
func (s childSnapshot) changedIDs(f *Fetch) []int {
	var out []int
	eachDescendant(f, func(c *Fetch) {
		if size, seen := s.sizes[c]; !seen || size != selectionSize(c.Selection) {
			out = append(out, c.ID)
		}
	})
	return out
}

func eachDescendant(f *Fetch, visit func(*Fetch)) {
	for _, c := range f.Children {
		visit(c)
		eachDescendant(c, visit)
	}
}

func selectionSize(sels []*Selection) int {
	n := len(sels)
	for _, s := range sels {
		n += selectionSize(s.Children)
	}
	return n
}

// providersOf returns the descendants of f that fetch any field of
// required at path (nested fields at their own paths): the fetches an entity
// fetch must wait for when its key or @requires fields come from them.
func providersOf(f *Fetch, path []string, required ast.SelectionSet) []*Fetch {
	var out []*Fetch
	at := strings.Join(path, ".")
	for _, r := range required {
		rf, ok := r.(*ast.Field)
		if !ok {
			continue
		}
		eachDescendant(f, func(c *Fetch) {
			if strings.Join(c.Path, ".") == at && hasField(c.Selection, rf.Name) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		})
		if len(rf.SelectionSet) > 0 {
			for _, c := range providersOf(f, appendPath(path, rf.Name), rf.SelectionSet) {
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
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

// leadsTo reports whether f or a descendant has one of the ids.
func leadsTo(f *Fetch, ids []int) bool {
	if slices.Contains(ids, f.ID) {
		return true
	}
	for _, c := range f.Children {
		if leadsTo(c, ids) {
			return true
		}
	}
	return false
}

// viaAncestor plans field, on a type without a usable key, from the nearest
// ancestor that another subgraph can reach: the root (a shared root field),
// or an entity with a key. That subgraph then resolves the whole chain of
// fields from the ancestor down to field.
func (p *planning) viaAncestor(field *ast.Field) (bool, error) {
	top := len(p.frames) - 1
	cur := p.frames[top]
	for i := top - 1; i >= 0; i-- {
		anc := p.frames[i]
		chain := make([]*ast.Field, 0, top-i)
		for j := i + 1; j <= top; j++ {
			if slices.Equal(p.frames[j].path, p.frames[j-1].path) {
				continue // the same place planned again (a key, @requires): no field between
			}
			chain = append(chain, p.frames[j].field)
		}
		for _, g := range p.sortedGraphs(p.sg.GraphEnums()) {
			if g == anc.fetch.graph || !p.chainResolvable(g, anc.typeName, chain, field) {
				continue
			}
			var target *Fetch
			if i == 0 && anc.typeName == p.op.RootType.Name && !p.out.Sequential {
				if p.throughAbstract(chain) {
					// Two subgraphs' answers to one field of an interface or
					// union type need not be the same object (each picks its own
					// implementation); merging them by path could mix two objects.
					continue
				}
				target = p.rootFetch(g)
			} else {
				key, ok := p.fetchableKey(anc.fetch, anc.path, g, anc.typeName)
				if !ok {
					continue
				}
				target = p.childFetch(anc.fetch, g, anc.typeName, anc.path, nil)
				keySel := mergeAll([]*Selection{typenameSel}, fromFieldSet(key.Selection))
				target.Representation = mergeAll(target.Representation, keySel)
				anc.extra = mergeAll(anc.extra, keySel)
			}
			inner, err := p.planSelections(target, cur.typeName, cur.path, ast.SelectionSet{field}, nil)
			if err != nil {
				return false, err
			}
			for j := len(chain) - 1; j >= 0; j-- {
				c := chain[j]
				wrapped := &Selection{ResponseKey: c.Alias, Name: c.Name, Arguments: c.Arguments, Children: inner}
				if p.abstract(c.Definition.Type.Name()) {
					wrapped.Children = mergeAll([]*Selection{typenameSel}, inner)
				}
				inner = []*Selection{wrapped}
			}
			target.Selection = mergeAll(target.Selection, inner)
			return true, nil
		}
	}
	return false, nil
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

// rootFetch returns the query's root fetch for graph g, creating it.
func (p *planning) rootFetch(g string) *Fetch {
	for _, f := range p.out.Roots {
		if f.graph == g {
			return f
		}
	}
	f := p.newFetch(g, p.op.RootType.Name, false, nil)
	f.OpKind = p.op.Kind
	p.out.Roots = append(p.out.Roots, f)
	return f
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
		keySel := mergeAll([]*Selection{typenameSel}, fromFieldSet(key.Selection))
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
				keySel := mergeAll([]*Selection{typenameSel}, fromFieldSet(k.Selection))
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

// compatible reports whether two representation selections agree on the
// response key of every field they share.
func compatible(a, b []*Selection) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Name != "" && x.Name == y.Name && x.ResponseKey != y.ResponseKey {
				return false
			}
		}
	}
	return true
}
