package plan

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// What an entity fetch must wait for besides its parent: the fetches that
// fetch its key or @requires fields. They are found by what planning those
// fields changed under the parent (a snapshot before, changedIDs after) and
// by which fetches already select them (providersOf).

// childSnapshot remembers f's descendants and their selections, to find the
// fetches that planning some fields added to (a dependent fetch must follow them).
type childSnapshot struct {
	children int
	sizes    map[*Fetch]int
}

func snapshot(f *Fetch) childSnapshot {
	s := childSnapshot{children: len(f.Children), sizes: map[*Fetch]int{}}
	eachDescendant(f, func(c *Fetch) { s.sizes[c] = selectionSize(c.Selection) })
	return s
}

// changedIDs lists the descendants of f that are new or whose selection grew.
func (s childSnapshot) changedIDs(f *Fetch) []int {
	var out []int
	eachDescendant(f, func(c *Fetch) {
		if size, seen := s.sizes[c]; !seen || size != selectionSize(c.Selection) {
			out = append(out, c.ID)
		}
	})
	return out
}

func eachDescendant(f *Fetch, visit func(*Fetch)) {
	for _, c := range f.Children {
		visit(c)
		eachDescendant(c, visit)
	}
}

func selectionSize(sels []*Selection) int {
	n := len(sels)
	for _, s := range sels {
		n += selectionSize(s.Children)
	}
	return n
}

// providersOf returns the descendants of f that fetch any field of
// required at path (nested fields at their own paths): the fetches an entity
// fetch must wait for when its key or @requires fields come from them.
func providersOf(f *Fetch, path []string, required ast.SelectionSet) []*Fetch {
	var out []*Fetch
	at := strings.Join(path, ".")
	for _, r := range required {
		rf, ok := r.(*ast.Field)
		if !ok {
			continue
		}
		eachDescendant(f, func(c *Fetch) {
			if strings.Join(c.Path, ".") == at && hasField(c.Selection, rf.Name) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		})
		if len(rf.SelectionSet) > 0 {
			for _, c := range providersOf(f, appendPath(path, rf.Name), rf.SelectionSet) {
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

func hasField(sels []*Selection, name string) bool {
	for _, s := range sels {
		if s.Name == name || s.Name == "" && hasField(s.Children, name) {
			return true
		}
	}
	return false
}

// leadsTo reports whether f or a descendant has one of the ids.
func leadsTo(f *Fetch, ids []int) bool {
	if slices.Contains(ids, f.ID) {
		return true
	}
	for _, c := range f.Children {
		if leadsTo(c, ids) {
			return true
		}
	}
	return false
}
