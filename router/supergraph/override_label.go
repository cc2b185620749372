package supergraph

import (
	"maps"
	"slices"
)

// OverrideLabels lists the progressive override labels of the supergraph
// (@join__field(overrideLabel:)), sorted.
func (s *Supergraph) OverrideLabels() []string {
	seen := map[string]bool{}
	for _, t := range s.types {
		for _, f := range t.Fields {
			for _, in := range f.In {
				if in.OverrideLabel != "" {
					seen[in.OverrideLabel] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// WithLabels is the supergraph as planned for one request: for each field
// under progressive override, the overriding graph resolves it when its
// label is active, the overridden graph otherwise. The result shares
// everything else with s; s itself is unchanged.
func (s *Supergraph) WithLabels(active map[string]bool) *Supergraph {
	out := *s
	out.types = maps.Clone(s.types)
	for name, t := range s.types {
		var changed map[string]*Field
		for fname, f := range t.Fields {
			labeled := false
			for _, in := range f.In {
				labeled = labeled || in.OverrideLabel != ""
			}
			if !labeled {
				continue
			}
			nf := *f
			nf.In = make(map[string]*FieldInGraph, len(f.In))
			for g, in := range f.In {
				c := *in
				if in.OverrideLabel != "" {
					taker := in.Override != ""
					// The graph not chosen for this request keeps the field
					// only as it keeps an overridden one (keys, requires).
					c.UsedOverridden = taker != active[in.OverrideLabel]
				}
				nf.In[g] = &c
			}
			if changed == nil {
				changed = map[string]*Field{}
			}
			changed[fname] = &nf
		}
		if changed == nil {
			continue
		}
		nt := *t
		nt.Fields = maps.Clone(t.Fields)
		maps.Copy(nt.Fields, changed)
		out.types[name] = &nt
	}
	return &out
}
