package product_test

import (
	"context"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// Reading the catalog: entity batches, search and paging, lookups.

func TestEntitiesResolveInOneQuery(t *testing.T) {
	r := anon.Do(t, `{ products(first: 25, sort: NAME) { edges { node { id } } } }`, nil)
	var reps []map[string]any
	for _, e := range r.Dig("products", "edges").([]any) {
		reps = append(reps, map[string]any{"__typename": "Product", "id": gqltest.Dig(e, "node", "id")})
	}
	reps = append(reps, map[string]any{"__typename": "Product", "id": "00000000-0000-0000-0000-000000000000"})
	before := queries.Load()
	r = anon.Do(t, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku price { amount } inStock } } }`, map[string]any{"r": reps})
	if used := queries.Load() - before; used != 1 {
		t.Fatalf("%d representations took %d SQL queries, want 1", len(reps), used)
	}
	ents := r.Data["_entities"].([]any)
	if len(ents) != 26 || ents[25] != nil || gqltest.Dig(ents, 0, "id") != reps[0]["id"] {
		t.Fatalf("entities = %d, last %v; want 26 in order with null for the unknown id", len(ents), ents[25])
	}
}

func TestSearchPagesThroughEveryProductInOrder(t *testing.T) {
	var total int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM products p JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = 'USD' WHERE p.active").Scan(&total); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []string{"NAME", "NEWEST", "PRICE_ASC", "PRICE_DESC", "RELEVANCE"} {
		t.Run(sort, func(t *testing.T) {
			seen := map[string]bool{}
			var after any
			var prev map[string]any
			for page := 0; ; page++ {
				r := anon.Do(t, `query($after: String, $sort: ProductSort) {
					products(first: 9, after: $after, sort: $sort, currency: "USD") {
						totalCount pageInfo { hasNextPage endCursor }
						edges { cursor node { id name createdAt price(currency: "USD") { amount } } } } }`,
					map[string]any{"after": after, "sort": sort})
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				conn := r.Data["products"].(map[string]any)
				if int(conn["totalCount"].(float64)) != total {
					t.Fatalf("totalCount = %v, want %d", conn["totalCount"], total)
				}
				for _, e := range conn["edges"].([]any) {
					n := gqltest.Dig(e, "node").(map[string]any)
					id := n["id"].(string)
					if seen[id] {
						t.Fatalf("page %d repeats %s", page, id)
					}
					seen[id] = true
					if prev != nil && !inOrder(sort, prev, n) {
						t.Fatalf("%v before %v breaks %s order", prev, n, sort)
					}
					prev = n
				}
				if !gqltest.Dig(conn, "pageInfo", "hasNextPage").(bool) {
					break
				}
				after = gqltest.Dig(conn, "pageInfo", "endCursor")
			}
			if len(seen) != total {
				t.Fatalf("paged through %d products, want %d", len(seen), total)
			}
		})
	}
}

func inOrder(sort string, a, b map[string]any) bool {
	price := func(n map[string]any) float64 { return gqltest.Dig(n, "price", "amount").(float64) }
	switch sort {
	case "NAME":
		return a["name"].(string) <= b["name"].(string)
	case "NEWEST", "RELEVANCE": // without a query, relevance is newest first
		return a["createdAt"].(string) >= b["createdAt"].(string)
	case "PRICE_ASC":
		return price(a) <= price(b)
	case "PRICE_DESC":
		return price(a) >= price(b)
	}
	return false
}

func TestSearchFilters(t *testing.T) {
	count := func(filter map[string]any) (int, []string) {
		r := anon.Do(t, `query($f: ProductFilter) { products(first: 100, filter: $f) { totalCount edges { node { sku } } } }`, map[string]any{"f": filter})
		if len(r.Errors) > 0 {
			t.Fatalf("filter %v: %+v", filter, r.Errors)
		}
		var skus []string
		for _, e := range r.Dig("products", "edges").([]any) {
			skus = append(skus, gqltest.Dig(e, "node", "sku").(string))
		}
		return int(r.Dig("products", "totalCount").(float64)), skus
	}
	if n, skus := count(map[string]any{"query": "wireless headphones"}); n < 1 || skus[0] != "AUD-HP-100" {
		t.Errorf("text search: %d %v, want the Aurora headphones first", n, skus)
	}
	if n, _ := count(map[string]any{"query": "zzzxqv"}); n != 0 {
		t.Errorf("nonsense query matched %d", n)
	}
	r := anon.Do(t, `{ category(slug: "electronics") { id children { slug } } }`, nil)
	elec := r.Dig("category", "id")
	if n, _ := count(map[string]any{"categoryId": elec}); n != 20 {
		t.Errorf("electronics with subcategories = %d, want 20", n)
	}
	if n, skus := count(map[string]any{"minPrice": 40000, "maxPrice": 50000}); n != 1 || skus[0] != "HOM-CF-100" {
		t.Errorf("price 400-500 EUR = %v, want the espresso machine", skus)
	}
	all, _ := count(nil)
	inStock, skus := count(map[string]any{"inStock": true})
	if inStock != all-1 || strings.Contains(strings.Join(skus, ","), "BOK-PH-800") {
		t.Errorf("in stock = %d of %d, want all but the sold-out book", inStock, all)
	}
}

func TestSearchRejectsBadArguments(t *testing.T) {
	r := anon.Do(t, `{ products(first: 2, sort: NAME) { pageInfo { endCursor } } }`, nil)
	cursor := r.Dig("products", "pageInfo", "endCursor")
	cases := map[string]struct {
		query string
		vars  map[string]any
	}{
		"cursor of another sort": {`query($c: String) { products(after: $c, sort: PRICE_ASC) { totalCount } }`, map[string]any{"c": cursor}},
		"garbage cursor":         {`{ products(after: "!!") { totalCount } }`, nil},
		"page too large":         {`{ products(first: 1000) { totalCount } }`, nil},
		"negative page":          {`{ products(first: -1) { totalCount } }`, nil},
		"unknown currency":       {`{ products(currency: "XXQ") { totalCount } }`, nil},
		"both id and sku":        {`{ product(id: "6c0e2c4a-4b44-4d4f-9e7c-2d7a1f9e8a11", sku: "X") { id } }`, nil},
		"malformed id":           {`{ product(id: "42") { id } }`, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := anon.Do(t, c.query, c.vars)
			if got := r.Codes(); len(got) != 1 || got[0] != "BAD_USER_INPUT" {
				t.Fatalf("codes = %v (%+v), want BAD_USER_INPUT", got, r.Errors)
			}
		})
	}
}

func TestProductBySKUIgnoresCase(t *testing.T) {
	for _, sku := range []string{"AUD-HP-100", "aud-hp-100", " Aud-Hp-100 "} {
		r := anon.Do(t, `query($s: String) { product(sku: $s) { sku } }`, map[string]any{"s": sku})
		if got := r.Dig("product", "sku"); got != "AUD-HP-100" {
			t.Errorf("product(sku: %q) = %v, want AUD-HP-100", sku, got)
		}
	}
}
