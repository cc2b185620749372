package optimize

import (
	"slices"
	"strings"

	"github.com/virtual-store/virtual-store/router/plan"
)

// MergeSameFetches merges entity fetches that send the same operation to the
// same subgraph for the same types from different paths (the same entity
// reached along several paths of one query): one request instead of several,
// and an object found at several paths is sent once. The merged fetch waits
// for everything either waited for; fetches under either move under it.
// Two fetches are merged only when neither waits, even indirectly, for the
// other, so no wait can become circular. Mutation plans are left alone: their
// roots run in order, and merging across roots could reorder them.
func MergeSameFetches(p *plan.Plan) {
	if p.Sequential {
		return
	}
	for {
		a, b, bParent := findMergeable(p)
		if a == nil {
			return
		}
		merge(p, a, b, bParent)
	}
}

// findMergeable returns two fetches to merge (a has the lower ID) and b's parent.
func findMergeable(p *plan.Plan) (a, b, bParent *plan.Fetch) {
	type entry struct{ f, parent *plan.Fetch }
	byKey := map[string][]entry{}
	var order []string
	walk(p, func(f, parent *plan.Fetch) {
		if !f.Entity || parent == nil {
			return
		}
		k := mergeKey(f)
		if _, seen := byKey[k]; !seen {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], entry{f, parent})
	})
	deps := dependencies(p)
	for _, k := range order {
		group := byKey[k]
		for i := range group {
			for j := i + 1; j < len(group); j++ {
				x, y := group[i], group[j]
				if reaches(deps, x.f.ID, y.f.ID) || reaches(deps, y.f.ID, x.f.ID) {
					continue
				}
				if x.f.ID > y.f.ID {
					x, y = y, x
				}
				return x.f, y.f, y.parent
			}
		}
	}
	return nil, nil, nil
}

// mergeKey is equal for fetches that would send the same request.
func mergeKey(f *plan.Fetch) string {
	var b strings.Builder
	b.WriteString(f.Graph + "\x00" + f.Operation + "\x00" + strings.Join(f.Types, ",") + "\x00" + f.RepTypename + "\x00")
	writeSelections(&b, f.Representation)
	return b.String()
}

func writeSelections(b *strings.Builder, sels []*plan.Selection) {
	for _, s := range sels {
		b.WriteString(s.TypeCond + ":" + s.ResponseKey + ":" + s.Name + "{")
		writeSelections(b, s.Children)
		b.WriteString("}")
	}
}

// dependencies maps each fetch to those it waits for: its parent and After.
func dependencies(p *plan.Plan) map[int][]int {
	deps := map[int][]int{}
	walk(p, func(f, parent *plan.Fetch) {
		deps[f.ID] = append(deps[f.ID], f.After...)
		if parent != nil {
			deps[f.ID] = append(deps[f.ID], parent.ID)
		}
	})
	return deps
}

// reaches reports whether fetch from waits, directly or not, for fetch to.
func reaches(deps map[int][]int, from, to int) bool {
	seen := map[int]bool{}
	var visit func(id int) bool
	visit = func(id int) bool {
		if id == to {
			return true
		}
		if seen[id] {
			return false
		}
		seen[id] = true
		return slices.ContainsFunc(deps[id], visit)
	}
	return slices.ContainsFunc(deps[from], visit)
}

// merge folds b into a.
func merge(p *plan.Plan, a, b, bParent *plan.Fetch) {
	for _, path := range append([][]string{b.Path}, b.MorePaths...) {
		if !slices.Equal(path, a.Path) && !slices.ContainsFunc(a.MorePaths, func(q []string) bool { return slices.Equal(q, path) }) {
			a.MorePaths = append(a.MorePaths, path)
		}
	}
	for _, id := range append([]int{bParent.ID}, b.After...) {
		if id != a.ID && !slices.Contains(a.After, id) {
			a.After = append(a.After, id)
		}
	}
	a.Children = append(a.Children, b.Children...)
	bParent.Children = slices.DeleteFunc(bParent.Children, func(f *plan.Fetch) bool { return f == b })
	walk(p, func(f, _ *plan.Fetch) {
		if i := slices.Index(f.After, b.ID); i >= 0 {
			f.After = slices.Delete(f.After, i, i+1)
			if f != a && !slices.Contains(f.After, a.ID) {
				f.After = append(f.After, a.ID)
			}
		}
	})
}
