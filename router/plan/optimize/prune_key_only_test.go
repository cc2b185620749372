package optimize

import (
	"testing"

	"github.com/virtual-store/virtual-store/router/plan"
)

func sel(names ...string) []*plan.Selection {
	out := make([]*plan.Selection, len(names))
	for i, n := range names {
		out[i] = &plan.Selection{ResponseKey: n, Name: n}
	}
	return out
}

func TestPruneKeyOnlyFetches(t *testing.T) {
	key := sel("__typename", "id")
	one := []string{"User"}
	grandchild := &plan.Fetch{Types: one, ID: 3, Entity: true, Representation: key, Selection: sel("username"), After: []int{4}}
	keyOnly := &plan.Fetch{Types: one, ID: 2, Entity: true, Representation: key, Selection: sel("id", "__typename"), Children: []*plan.Fetch{grandchild}, After: []int{5}}
	waiter := &plan.Fetch{Types: one, ID: 6, Entity: true, Representation: key, Selection: sel("email"), After: []int{2}}
	useful := &plan.Fetch{Types: one, ID: 4, Entity: true, Representation: key, Selection: sel("name")}
	root := &plan.Fetch{ID: 1, Selection: sel("users"), Children: []*plan.Fetch{keyOnly, useful, waiter}}
	p := &plan.Plan{Roots: []*plan.Fetch{root}}

	PruneKeyOnlyFetches(p)

	ids := []int{}
	for _, c := range root.Children {
		ids = append(ids, c.ID)
	}
	if len(ids) != 3 || ids[0] != 3 || ids[1] != 4 || ids[2] != 6 {
		t.Fatalf("root children %v, want the grandchild moved up in place of the key-only fetch: [3 4 6]", ids)
	}
	if len(grandchild.After) != 2 || grandchild.After[1] != 5 {
		t.Fatalf("moved child waits for %v, want its own deps plus the pruned fetch's [4 5]", grandchild.After)
	}
	if len(waiter.After) != 2 || waiter.After[0] != 1 || waiter.After[1] != 5 {
		t.Fatalf("waiter waits for %v, want the pruned fetch's parent and deps [1 5]", waiter.After)
	}
	// A fetch that asks for something new stays.
	if useful.Selection[0].Name != "name" || len(root.Children) != 3 {
		t.Fatal("a useful fetch was pruned")
	}

	// For an interface, __typename is what the fetch is for: it stays.
	iface := &plan.Fetch{ID: 8, Entity: true, Types: []string{"Admin", "User", "Account"}, Representation: key, Selection: sel("__typename")}
	root2 := &plan.Fetch{ID: 7, Children: []*plan.Fetch{iface}}
	PruneKeyOnlyFetches(&plan.Plan{Roots: []*plan.Fetch{root2}})
	if len(root2.Children) != 1 {
		t.Fatal("the fetch of an interface object's real type was pruned")
	}
}
