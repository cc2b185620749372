package optimize

import (
	"slices"
	"testing"

	"github.com/virtual-store/virtual-store/router/plan"
)

func TestMergeSameFetches(t *testing.T) {
	key := sel("__typename", "upc")
	entity := func(id int, path ...string) *plan.Fetch {
		return &plan.Fetch{ID: id, Graph: "products", Entity: true, Path: path, Types: []string{"Product"},
			Representation: key, Selection: sel("name"), Operation: "query{_entities{...on Product{name}}}"}
	}
	shallow := entity(2, "top")
	deep := entity(3, "users", "reviews", "product")
	underDeep := &plan.Fetch{ID: 5, Graph: "inventory", Entity: true, Path: []string{"users", "reviews", "product"}, Types: []string{"Product"},
		Representation: key, Selection: sel("stock"), Operation: "query{stock}", After: []int{3}}
	deep.Children = []*plan.Fetch{underDeep}
	reviews := &plan.Fetch{ID: 4, Graph: "reviews", Entity: true, Path: []string{"users"}, Types: []string{"User"},
		Representation: sel("__typename", "id"), Selection: sel("reviews"), Operation: "query{reviews}", Children: []*plan.Fetch{deep}}
	// Same operation, but it waits for shallow: merging would make it wait for itself.
	dependent := entity(6, "later")
	dependent.After = []int{2}
	root := &plan.Fetch{ID: 1, Selection: sel("top", "users"), Children: []*plan.Fetch{shallow, reviews, dependent}}
	p := &plan.Plan{Roots: []*plan.Fetch{root}}

	MergeSameFetches(p)

	if len(shallow.MorePaths) != 1 || !slices.Equal(shallow.MorePaths[0], deep.Path) {
		t.Fatalf("merged paths %v, want the deep path", shallow.MorePaths)
	}
	if len(reviews.Children) != 0 || !slices.Contains(shallow.After, reviews.ID) {
		t.Fatalf("the merged fetch must leave reviews and wait for it: children %v, after %v", reviews.Children, shallow.After)
	}
	if !slices.Contains(shallow.Children, underDeep) || slices.Contains(underDeep.After, 3) || !slices.Contains(underDeep.After, 2) {
		t.Fatalf("the fetch under the merged one: after %v", underDeep.After)
	}
	if !slices.Contains(root.Children, dependent) || len(dependent.MorePaths) != 0 {
		t.Fatal("a fetch that waits for another was merged with it")
	}
}

func TestMergeSameFetchesLeavesMutationsAlone(t *testing.T) {
	a := &plan.Fetch{ID: 2, Graph: "g", Entity: true, Path: []string{"a"}, Types: []string{"T"}, Operation: "q"}
	b := &plan.Fetch{ID: 4, Graph: "g", Entity: true, Path: []string{"b"}, Types: []string{"T"}, Operation: "q"}
	p := &plan.Plan{Sequential: true, Roots: []*plan.Fetch{
		{ID: 1, Children: []*plan.Fetch{a}}, {ID: 3, Children: []*plan.Fetch{b}},
	}}
	MergeSameFetches(p)
	if len(a.MorePaths) != 0 || len(p.Roots[1].Children) != 1 {
		t.Fatal("fetches under different mutation roots were merged")
	}
}
