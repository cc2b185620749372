package supergraph

import "github.com/vektah/gqlparser/v2/ast"

// readUnionMembers reads @join__unionMember(graph:, member:).
func (s *Supergraph) readUnionMembers(t *Type) {
	if t.Def.Kind != ast.Union {
		return
	}
	ds := t.Def.Directives.ForNames("join__unionMember")
	if len(ds) == 0 {
		for g := range t.In {
			t.Members[g] = append([]string(nil), t.Def.Types...)
		}
		return
	}
	for _, d := range ds {
		g := argString(d, "graph")
		t.Members[g] = append(t.Members[g], argString(d, "member"))
	}
}
