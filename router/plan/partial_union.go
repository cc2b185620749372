package plan

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

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
