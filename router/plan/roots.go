package plan

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// planRootField plans one root field into the root fetch of the subgraph
// chosen for it.
func (p *planning) planRootField(s ast.Selection) error {
	field, ok := s.(*ast.Field)
	if !ok {
		return fmt.Errorf("unexpected fragment at the root after normalization")
	}
	if strings.HasPrefix(field.Name, "__") {
		return nil // introspection and __typename are answered by the router
	}
	root := p.op.RootType.Name
	graph, err := p.rootGraph(root, field)
	if err != nil {
		return err
	}
	f := p.rootFetchFor(graph)
	sels, err := p.planSelections(f, root, nil, ast.SelectionSet{field}, nil)
	if err != nil {
		return err
	}
	f.Selection = mergeAll(f.Selection, sels)
	return nil
}

// rootFetchFor returns the root fetch a root field resolved by graph joins.
// Queries: one fetch per subgraph. Mutations: consecutive fields of one
// subgraph share a fetch; the order across subgraphs is kept.
func (p *planning) rootFetchFor(graph string) *Fetch {
	if !p.out.Sequential {
		return p.rootFetch(graph)
	}
	if n := len(p.out.Roots); n > 0 && p.out.Roots[n-1].graph == graph {
		return p.out.Roots[n-1]
	}
	return p.newRootFetch(graph)
}

// rootFetch returns the query's root fetch for graph g, creating it.
func (p *planning) rootFetch(g string) *Fetch {
	for _, f := range p.out.Roots {
		if f.graph == g {
			return f
		}
	}
	return p.newRootFetch(g)
}

func (p *planning) newRootFetch(g string) *Fetch {
	f := p.newFetch(g, p.op.RootType.Name, false, nil)
	f.OpKind = p.op.Kind
	p.out.Roots = append(p.out.Roots, f)
	return f
}

// rootGraph picks the subgraph for a root field: among those resolving it,
// the one that can answer most of the field's subtree itself.
func (p *planning) rootGraph(root string, field *ast.Field) (string, error) {
	t := p.sg.Type(root)
	f := t.Fields[field.Name]
	if f == nil {
		return "", fmt.Errorf("no subgraph resolves %s.%s", root, field.Name)
	}
	graphs := f.ResolvingGraphs()
	if len(graphs) == 0 {
		return "", fmt.Errorf("no subgraph resolves %s.%s", root, field.Name)
	}
	best, bestScore := graphs[0], -1
	for _, g := range graphs {
		if score := p.coverage(g, f.Def.Type.Name(), field.SelectionSet); score > bestScore {
			best, bestScore = g, score
		}
	}
	return best, nil
}

// coverage counts the fields of ss (recursively) graph g resolves itself.
func (p *planning) coverage(g, typeName string, ss ast.SelectionSet) int {
	n := 0
	t := p.sg.Type(typeName)
	if t == nil {
		return 0
	}
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			if f := t.Fields[s.Name]; f != nil && f.ResolvableIn(g) {
				n += 1 + p.coverage(g, f.Def.Type.Name(), s.SelectionSet)
			}
		case *ast.InlineFragment:
			n += p.coverage(g, s.TypeCondition, s.SelectionSet)
		}
	}
	return n
}
