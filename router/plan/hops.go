package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

// jump plans field (on typeName at path) in another subgraph through an
// entity fetch under f. It returns what f must select for it: the entity's
// __typename, key fields, and the fields the target @requires. provided is
// what a parent field @provides here (key fields may come from it).
func (p *planning) jump(f *Fetch, typeName string, path []string, field *ast.Field, provided ast.SelectionSet) ([]*Selection, error) {
	fd := p.sg.Type(typeName).Fields[field.Name]
	k, err := p.entityKeyFor(f, typeName, fd, path, provided)
	if err != nil {
		// The type has no usable key: go back up to an ancestor the field
		// can be reached from in another subgraph.
		if ok, aerr := p.viaAncestor(field); ok || aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	parentSel := mergeAll([]*Selection{typenameSel}, k.selection)
	rep := keyRepresentation(k.key)
	after := k.after
	if in := fd.In[k.graph]; in != nil && in.Requires != nil {
		req, reqRep, reqAfter, err := p.requires(f, typeName, path, field, in.Requires)
		if err != nil {
			return nil, err
		}
		parentSel = mergeAll(parentSel, req)
		rep = mergeAll(rep, reqRep)
		after = append(after, reqAfter...)
	}
	child := p.entityFetch(f, k.graph, typeName, path, after, rep)
	p.inEntityFetch[field] = true
	sels, err := p.planSelections(child, typeName, path, ast.SelectionSet{field}, nil)
	if err != nil {
		return nil, err
	}
	child.Selection = mergeAll(child.Selection, sels)
	return parentSel, nil
}

// entityKey is how a fetch reaches an entity in another subgraph: the
// subgraph, the key it is asked by, what the fetch selects for that key,
// and the fetches the entity fetch must wait for (those that fetch key
// fields the fetch cannot select itself).
type entityKey struct {
	graph     string
	key       supergraph.Key
	selection []*Selection
	after     []int
}

// entityKeyFor picks the entity key for fd: one f can select directly, or
// else one fetched through one more entity fetch (two hops).
func (p *planning) entityKeyFor(f *Fetch, typeName string, fd *supergraph.Field, path []string, provided ast.SelectionSet) (entityKey, error) {
	t := p.sg.Type(typeName)
	target, key, err := p.chooseTarget(f, t, fd, path, provided)
	if err == nil {
		return entityKey{graph: target, key: key, selection: fromFieldSet(key.Selection)}, nil
	}
	k, herr := p.keyViaHop(f, t, fd, path)
	if herr != nil {
		return entityKey{}, err
	}
	// Key fields fetched by entity fetches planned earlier (for the
	// client's own selection) are not "changed", yet must come first.
	for _, provider := range providersOf(f, path, k.key.Selection) {
		k.after = append(k.after, provider.ID)
	}
	return k, nil
}

// keyViaHop finds a subgraph resolving fd whose key f can get through one
// more entity fetch, and plans that fetch.
func (p *planning) keyViaHop(f *Fetch, t *supergraph.Type, fd *supergraph.Field, path []string) (entityKey, error) {
	mark := fmt.Sprintf("%d/%s/%s", f.ID, t.Name, strings.Join(path, "."))
	if p.hopping[mark] {
		return entityKey{}, fmt.Errorf("the key of %s depends on itself", t.Name)
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
			return entityKey{graph: g, key: k, selection: sels, after: snap.changedIDs(f)}, nil
		}
	}
	return entityKey{}, fmt.Errorf("no key of %s reachable", t.Name)
}

// entityFetch returns the entity fetch under parent that asks graph for
// typeName's objects at path, sending rep and waiting for after.
func (p *planning) entityFetch(parent *Fetch, graph, typeName string, path []string, after []int, rep []*Selection) *Fetch {
	child := p.childFetchFor(parent, graph, typeName, path, after, rep)
	if p.interfaceObjectIn(graph, typeName) {
		child.RepTypename = typeName
	}
	for _, id := range after {
		if id != child.ID && !slices.Contains(child.After, id) {
			child.After = append(child.After, id)
		}
	}
	child.Representation = mergeAll(child.Representation, rep)
	return child
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

// keyRepresentation is what a representation carries for a key: the
// object's __typename and the key's fields.
func keyRepresentation(key supergraph.Key) []*Selection {
	return mergeAll([]*Selection{typenameSel}, fromFieldSet(key.Selection))
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
