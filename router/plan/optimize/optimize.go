// Package optimize rewrites query plans to do less work, one pass per file.
// Every pass keeps the plan's meaning: the same data, fetched in an order that
// still satisfies every dependency.
package optimize

import "github.com/virtual-store/virtual-store/router/plan"

// Pass rewrites a plan in place.
type Pass func(p *plan.Plan)

// Passes run in this order.
var Passes = []Pass{
	PruneKeyOnlyFetches,
	MergeSameFetches,
}

// Apply runs every pass over p.
func Apply(p *plan.Plan) {
	for _, pass := range Passes {
		pass(p)
	}
}

// walk visits every fetch with its parent (nil for roots).
func walk(p *plan.Plan, visit func(f, parent *plan.Fetch)) {
	var rec func(f, parent *plan.Fetch)
	rec = func(f, parent *plan.Fetch) {
		visit(f, parent)
		for _, c := range f.Children {
			rec(c, f)
		}
	}
	for _, r := range p.Roots {
		rec(r, nil)
	}
}
