package product_test

import (
	"fmt"
	"testing"

	"github.com/virtual-store/virtual-store/internal/auth"
)

// pageIDs returns the ids of the first n products by name.
func pageIDs(t *testing.T, n int) []any {
	t.Helper()
	r := gql(t, "", `query($n: Int) { products(first: $n, sort: NAME) { edges { node { id } } } }`, map[string]any{"n": n})
	var ids []any
	for _, e := range dig(r.Data, "products", "edges").([]any) {
		ids = append(ids, dig(e, "node", "id"))
	}
	if len(ids) != n {
		t.Fatalf("%d products, want %d: %+v", len(ids), n, r.Errors)
	}
	return ids
}

// priceHistory is admin only, here as at the router (@requiresScopes):
// it tells who changed prices. Anyone else gets null and an error at the
// field, and the rest of the product.
func TestPriceHistoryIsAdminOnly(t *testing.T) {
	id := pageIDs(t, 1)[0]
	q := `query($id: ID!) { product(id: $id) { name priceHistory { newPrice { amount } changedBy } } }`
	for who, want := range map[string]string{"": "UNAUTHENTICATED", as("u1", auth.RoleCustomer): "FORBIDDEN"} {
		r := gql(t, who, q, map[string]any{"id": id})
		if got := r.codes(); len(got) != 1 || got[0] != want || dig(r.Data, "product", "name") == nil ||
			dig(r.Data, "product", "priceHistory") != nil || len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "priceHistory" {
			t.Errorf("caller %q: %v %+v, data %v; want %s at priceHistory and the name", who, got, r.Errors, r.Data, want)
		}
	}
	r := gql(t, admin, q, map[string]any{"id": id})
	hist, _ := dig(r.Data, "product", "priceHistory").([]any)
	if len(r.Errors) > 0 || len(hist) == 0 || dig(hist, 0, "changedBy") == "" {
		t.Fatalf("admin: %+v %+v", r.Data, r.Errors)
	}
}

// The price history of a page or an entity batch costs one SQL query, not
// one per product, and each product still gets its own latest changes.
func TestPriceHistoryOfManyProductsIsOneQuery(t *testing.T) {
	// A product of its own with four prices: 1000 at creation, then three changes.
	r := gql(t, admin, `mutation { createProduct(input: {sku: "PH-BATCH-1", name: "History", prices: [{amount: 1000, currency: "EUR"}]}) { product { id } } }`, nil)
	own := dig(r.Data, "createProduct", "product", "id")
	if own == nil {
		t.Fatalf("create product: %+v", r.Errors)
	}
	defer gql(t, admin, `mutation($id: ID!) { archiveProduct(id: $id) { product { id } } }`, map[string]any{"id": own}) // out of the others' listings
	setPrice := `mutation($id: ID!, $a: Int!) { setPrice(input: {productId: $id, price: {amount: $a, currency: "EUR"}}) { userErrors { code } } }`
	for _, a := range []int{1100, 1200, 1300} {
		if r := gql(t, admin, setPrice, map[string]any{"id": own, "a": a}); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	ids := append([]any{own}, pageIDs(t, 24)...)
	reps := make([]any, len(ids))
	for i, id := range ids {
		reps[i] = map[string]any{"__typename": "Product", "id": id}
	}
	entities := `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id
		priceHistory(currency: "EUR", first: 2) { currency oldPrice { amount } newPrice { amount } } } } }`
	before := queries.Load()
	r = gql(t, admin, entities, map[string]any{"r": reps})
	if used := queries.Load() - before; used != 2 || len(r.Errors) > 0 {
		t.Fatalf("%d products with their price history took %d SQL queries, want 2 (products, history); errors %+v", len(ids), used, r.Errors)
	}
	ents := r.Data["_entities"].([]any)
	first := dig(ents, 0, "priceHistory").([]any)
	if len(first) != 2 || dig(first, 0, "newPrice", "amount") != 1300.0 || dig(first, 0, "oldPrice", "amount") != 1200.0 ||
		dig(first, 1, "newPrice", "amount") != 1200.0 {
		t.Errorf("the first product's latest two changes: %v", first)
	}
	for i, e := range ents[1:] {
		if h := dig(e, "priceHistory").([]any); len(h) > 2 {
			t.Errorf("product %d: %d changes, want at most 2", i+1, len(h))
		}
	}

	// A page of search results: one query more than the page alone, and one
	// per distinct set of arguments.
	page := `{ products(first: 25, sort: NAME) { edges { node { id %s } } } }`
	count := func(fields string) int64 {
		before := queries.Load()
		if r := gql(t, admin, fmt.Sprintf(page, fields), nil); len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", fields, r.Errors)
		}
		return queries.Load() - before
	}
	alone := count("")
	if n := count("priceHistory { changedAt } again: priceHistory { changedBy }") - alone; n != 1 {
		t.Errorf("a page's price history took %d queries, want 1", n)
	}
	if n := count(`priceHistory(first: 1) { changedAt } usd: priceHistory(currency: "USD") { changedAt }`) - alone; n != 2 {
		t.Errorf("two different price histories of a page took %d queries, want 2", n)
	}
}
