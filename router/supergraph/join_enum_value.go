package supergraph

import "github.com/vektah/gqlparser/v2/ast"

// readEnumValues reads @join__enumValue(graph:).
func (s *Supergraph) readEnumValues(t *Type) {
	if t.Def.Kind != ast.Enum {
		return
	}
	for _, v := range t.Def.EnumValues {
		ds := v.Directives.ForNames("join__enumValue")
		if len(ds) == 0 {
			t.EnumValues[v.Name] = t.Graphs()
			continue
		}
		for _, d := range ds {
			t.EnumValues[v.Name] = append(t.EnumValues[v.Name], argString(d, "graph"))
		}
	}
}
