package plan

import "fmt"

// checkAcyclic makes sure no fetch waits, through parents and After, on
// itself: the executor would wait forever. Such a plan is an error.
func checkAcyclic(fetches []*Fetch) error {
	deps := map[int][]int{}
	for _, f := range fetches {
		deps[f.ID] = append(deps[f.ID], f.After...)
		for _, c := range f.Children {
			deps[c.ID] = append(deps[c.ID], f.ID)
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[int]int{}
	var visit func(id int) bool
	visit = func(id int) bool {
		switch state[id] {
		case visiting:
			return false
		case done:
			return true
		}
		state[id] = visiting
		for _, d := range deps[id] {
			if !visit(d) {
				return false
			}
		}
		state[id] = done
		return true
	}
	for _, f := range fetches {
		if !visit(f.ID) {
			return fmt.Errorf("fetch %d (%s) would wait on itself", f.ID, f.Graph)
		}
	}
	return nil
}
