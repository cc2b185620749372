package compose

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// accessRules merges @authenticated and @requiresScopes of one element
// across subgraphs the way Apollo composition does: authenticated if any
// subgraph says so, and scopes that satisfy every subgraph's requirement
// (each subgraph's list is OR of AND-sets; merging ANDs them, i.e. the
// pairwise unions of their sets).
type accessRules struct {
	authenticated bool
	scopes        [][]string
}

func (a *accessRules) add(ds ast.DirectiveList) {
	if hasDirective(ds, "authenticated") {
		a.authenticated = true
	}
	d := ds.ForName("requiresScopes")
	if d == nil {
		d = ds.ForName("federation__requiresScopes")
	}
	if d == nil {
		return
	}
	arg := d.Arguments.ForName("scopes")
	if arg == nil || arg.Value == nil {
		return
	}
	var sets [][]string
	for _, or := range arg.Value.Children {
		var set []string
		for _, s := range or.Value.Children {
			if !slices.Contains(set, s.Value.Raw) {
				set = append(set, s.Value.Raw)
			}
		}
		slices.Sort(set)
		sets = append(sets, set)
	}
	if a.scopes == nil {
		a.scopes = sets
		return
	}
	var merged [][]string
	for _, x := range a.scopes {
		for _, y := range sets {
			u := append(append([]string(nil), x...), y...)
			slices.Sort(u)
			u = slices.Compact(u)
			if !slices.ContainsFunc(merged, func(m []string) bool { return slices.Equal(m, u) }) {
				merged = append(merged, u)
			}
		}
	}
	a.scopes = merged
}

func (a *accessRules) write(b *strings.Builder, sep string) {
	if a.authenticated {
		b.WriteString(sep + "@authenticated")
		sep = " "
	}
	if a.scopes != nil {
		var ors []string
		for _, set := range a.scopes {
			q := make([]string, len(set))
			for i, s := range set {
				q[i] = strconv.Quote(s)
			}
			ors = append(ors, "["+strings.Join(q, ", ")+"]")
		}
		b.WriteString(sep + "@requiresScopes(scopes: [" + strings.Join(ors, ", ") + "])")
	}
}
