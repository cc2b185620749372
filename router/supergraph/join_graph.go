package supergraph

import (
	"fmt"
	"sort"
)

// Graph is one subgraph: @join__graph(name: "products", url: "http://...").
type Graph struct {
	Enum string // the join__Graph enum value, e.g. PRODUCTS
	Name string
	URL  string
}

func (s *Supergraph) readGraphs() error {
	enum := s.Schema.Types["join__Graph"]
	if enum == nil {
		return fmt.Errorf("supergraph: no join__Graph enum (is this a federation v2 supergraph?)")
	}
	for _, v := range enum.EnumValues {
		d := v.Directives.ForName("join__graph")
		if d == nil {
			return fmt.Errorf("supergraph: join__Graph.%s has no @join__graph", v.Name)
		}
		g := &Graph{Enum: v.Name, Name: argString(d, "name"), URL: argString(d, "url")}
		s.graphs[g.Enum] = g
		s.Graphs = append(s.Graphs, g)
	}
	sort.Slice(s.Graphs, func(i, j int) bool { return s.Graphs[i].Name < s.Graphs[j].Name })
	return nil
}
