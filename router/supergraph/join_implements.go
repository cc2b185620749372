package supergraph

// readImplements reads @join__implements(graph:, interface:).
func (s *Supergraph) readImplements(t *Type) {
	ds := t.Def.Directives.ForNames("join__implements")
	if len(ds) == 0 {
		for g := range t.In {
			t.Implements[g] = append([]string(nil), t.Def.Interfaces...)
		}
		return
	}
	for _, d := range ds {
		g := argString(d, "graph")
		t.Implements[g] = append(t.Implements[g], argString(d, "interface"))
	}
}
