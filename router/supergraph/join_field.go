package supergraph

import (
	"fmt"
	"maps"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// Field is a field with the graphs that know it.
type Field struct {
	Name string
	Def  *ast.FieldDefinition
	// In maps a graph enum to how the graph declares the field.
	In map[string]*FieldInGraph
}

// FieldInGraph is @join__field(graph:, requires:, provides:, type:, external:, override:, usedOverridden:, overrideLabel:).
type FieldInGraph struct {
	Requires       ast.SelectionSet
	RequiresText   string
	Provides       ast.SelectionSet
	External       bool
	Override       string
	UsedOverridden bool
	Type           string
	// OverrideLabel marks a progressive override: with the label active the
	// graph with Override resolves the field, without it the other one.
	OverrideLabel string
}

// ResolvableIn reports whether graph g can resolve the field itself.
func (f *Field) ResolvableIn(g string) bool {
	in := f.In[g]
	return in != nil && !in.External && !in.UsedOverridden
}

// ResolvingGraphs lists the graphs that resolve the field, sorted.
func (f *Field) ResolvingGraphs() []string {
	var out []string
	for _, g := range slices.Sorted(maps.Keys(f.In)) {
		if f.ResolvableIn(g) {
			out = append(out, g)
		}
	}
	return out
}

func (s *Supergraph) readFields(t *Type) error {
	for _, fd := range t.Def.Fields {
		f := &Field{Name: fd.Name, Def: fd, In: map[string]*FieldInGraph{}}
		joins := fd.Directives.ForNames("join__field")
		if len(joins) == 0 {
			// No @join__field: every graph of the type resolves it.
			for g := range t.In {
				f.In[g] = &FieldInGraph{}
			}
		}
		for _, d := range joins {
			g := argString(d, "graph")
			if g == "" {
				continue // @join__field without graph: a field no subgraph owns (e.g. from @interfaceObject)
			}
			if s.graphs[g] == nil {
				return fmt.Errorf("supergraph: %s.%s: @join__field names unknown graph %s", t.Name, fd.Name, g)
			}
			in := &FieldInGraph{External: argBool(d, "external", false), Override: argString(d, "override"),
				UsedOverridden: argBool(d, "usedOverridden", false), Type: argString(d, "type"),
				OverrideLabel: argString(d, "overrideLabel")}
			var err error
			if in.RequiresText = argString(d, "requires"); in.RequiresText != "" {
				if in.Requires, err = ParseFieldSet(in.RequiresText); err != nil {
					return fmt.Errorf("supergraph: %s.%s: %w", t.Name, fd.Name, err)
				}
			}
			if p := argString(d, "provides"); p != "" {
				if in.Provides, err = ParseFieldSet(p); err != nil {
					return fmt.Errorf("supergraph: %s.%s: %w", t.Name, fd.Name, err)
				}
			}
			f.In[g] = in
		}
		t.Fields[fd.Name] = f
	}
	return nil
}
