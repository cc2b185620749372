package optimize

import (
	"slices"

	"github.com/virtual-store/virtual-store/router/plan"
)

// PruneKeyOnlyFetches removes entity fetches that ask only for what their
// representations already send (the planner makes them when a fetch exists
// just to hold the key for fetches under it). Their children move up to their
// parent, and fetches that waited for them wait for what they waited for.
func PruneKeyOnlyFetches(p *plan.Plan) {
	for {
		var victim, parent *plan.Fetch
		walk(p, func(f, par *plan.Fetch) {
			// Only for a single concrete type: for an interface, even
			// __typename is news (the real type of an interface object).
			if victim == nil && par != nil && f.Entity && len(f.Types) == 1 && f.RepTypename == "" && subset(f.Selection, f.Representation) {
				victim, parent = f, par
			}
		})
		if victim == nil {
			return
		}
		i := slices.Index(parent.Children, victim)
		parent.Children = slices.Concat(parent.Children[:i], victim.Children, parent.Children[i+1:])
		waitFor := append([]int{parent.ID}, victim.After...)
		walk(p, func(f, _ *plan.Fetch) {
			if j := slices.Index(f.After, victim.ID); j >= 0 {
				f.After = slices.Delete(f.After, j, j+1)
				for _, id := range waitFor {
					if id != f.ID && !slices.Contains(f.After, id) {
						f.After = append(f.After, id)
					}
				}
			}
		})
		for _, c := range victim.Children {
			for _, id := range victim.After {
				if !slices.Contains(c.After, id) {
					c.After = append(c.After, id)
				}
			}
		}
	}
}

// subset reports whether every selection of a is in b (by response key and
// field name, recursively).
func subset(a, b []*plan.Selection) bool {
	for _, s := range a {
		i := slices.IndexFunc(b, func(x *plan.Selection) bool {
			return x.Name == s.Name && x.ResponseKey == s.ResponseKey && x.TypeCond == s.TypeCond
		})
		if i < 0 || !subset(s.Children, b[i].Children) {
			return false
		}
	}
	return true
}
