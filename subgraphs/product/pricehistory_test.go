package product_test

import (
	"fmt"
	"testing"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// pageIDs returns the ids of the first n products by name.
func pageIDs(t *testing.T, n int) []any {
	t.Helper()
	r := anon.Do(t, `query($n: Int) { products(first: $n, sort: NAME) { edges { node { id } } } }`, map[string]any{"n": n})
	var ids []any
	for _, e := range r.Dig("products", "edges").([]any) {
		ids = append(ids, gqltest.Dig(e, "node", "id"))
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
	for who, c := range map[string]struct {
		client gqltest.Client
		want   string
	}{"anonymous": {anon, "UNAUTHENTICATED"}, "customer": {as("u1", auth.RoleCustomer), "FORBIDDEN"}} {
		want := c.want
		r := c.client.Do(t, q, map[string]any{"id": id})
		if got := r.Codes(); len(got) != 1 || got[0] != want || r.Dig("product", "name") == nil ||
			r.Dig("product", "priceHistory") != nil || len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "priceHistory" {
			t.Errorf("%s: %v %+v, data %v; want %s at priceHistory and the name", who, got, r.Errors, r.Data, want)
		}
	}
	r := admin.Do(t, q, map[string]any{"id": id})
	hist, _ := r.Dig("product", "priceHistory").([]any)
	if len(r.Errors) > 0 || len(hist) == 0 || gqltest.Dig(hist, 0, "changedBy") == "" {
		t.Fatalf("admin: %+v %+v", r.Data, r.Errors)
	}
}

// The price history of a page or an entity batch costs one SQL query, not
// one per product, and each product still gets its own latest changes.
func TestPriceHistoryOfManyProductsIsOneQuery(t *testing.T) {
	// A product of its own with four prices: 1000 at creation, then three changes.
	r := admin.Do(t, `mutation { createProduct(input: {sku: "PH-BATCH-1", name: "History", prices: [{amount: 1000, currency: "EUR"}]}) { product { id } } }`, nil)
	own := r.Dig("createProduct", "product", "id")
	if own == nil {
		t.Fatalf("create product: %+v", r.Errors)
	}
	defer admin.Do(t, `mutation($id: ID!) { archiveProduct(id: $id) { product { id } } }`, map[string]any{"id": own}) // out of the others' listings
	setPrice := `mutation($id: ID!, $a: Int!) { setPrice(input: {productId: $id, price: {amount: $a, currency: "EUR"}}) { userErrors { code } } }`
	for _, a := range []int{1100, 1200, 1300} {
		if r := admin.Do(t, setPrice, map[string]any{"id": own, "a": a}); len(r.Errors) > 0 {
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
	r = admin.Do(t, entities, map[string]any{"r": reps})
	if used := queries.Load() - before; used != 2 || len(r.Errors) > 0 {
		t.Fatalf("%d products with their price history took %d SQL queries, want 2 (products, history); errors %+v", len(ids), used, r.Errors)
	}
	ents := r.Data["_entities"].([]any)
	first := gqltest.Dig(ents, 0, "priceHistory").([]any)
	if len(first) != 2 || gqltest.Dig(first, 0, "newPrice", "amount") != 1300.0 || gqltest.Dig(first, 0, "oldPrice", "amount") != 1200.0 ||
		gqltest.Dig(first, 1, "newPrice", "amount") != 1200.0 {
		t.Errorf("the first product's latest two changes: %v", first)
	}
	for i, e := range ents[1:] {
		if h := gqltest.Dig(e, "priceHistory").([]any); len(h) > 2 {
			t.Errorf("product %d: %d changes, want at most 2", i+1, len(h))
		}
	}

	// A page of search results: one query more than the page alone, and one
	// per distinct set of arguments.
	page := `{ products(first: 25, sort: NAME) { edges { node { id %s } } } }`
	count := func(fields string) int64 {
		before := queries.Load()
		if r := admin.Do(t, fmt.Sprintf(page, fields), nil); len(r.Errors) > 0 {
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
