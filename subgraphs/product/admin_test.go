package product_test

import (
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// Administering the catalog: categories, products, prices and stock.

const productFields = `product { id sku name active availableQuantity price { amount formatted } stock { onHand reserved available } }
	userErrors { code field message }`

func TestAdminProductLifecycle(t *testing.T) {
	r := admin.Do(t, `mutation { createCategory(input: {slug: "test-gear", name: "Test Gear"}) { category { id slug } userErrors { code } } }`, nil)
	catID := r.Dig("createCategory", "category", "id")
	if catID == nil {
		t.Fatalf("create category: %+v %+v", r.Data, r.Errors)
	}
	r = admin.Do(t, `mutation { createCategory(input: {slug: "test-gear", name: "Again"}) { category { id } userErrors { code field } } }`, nil)
	if code := r.Dig("createCategory", "userErrors", 0, "code"); code != "ALREADY_EXISTS" {
		t.Fatalf("duplicate slug: %v", r.Data)
	}

	create := `mutation($in: CreateProductInput!) { createProduct(input: $in) { ` + productFields + ` } }`
	in := map[string]any{"sku": "tst-100", "name": " Test Widget ", "categoryId": catID, "initialStock": 7,
		"prices": []any{map[string]any{"amount": 1999, "currency": "EUR"}},
		"images": []any{map[string]any{"url": "https://example.com/w.jpg"}}}
	r = admin.Do(t, create, map[string]any{"in": in})
	p := r.Dig("createProduct", "product")
	if p == nil || gqltest.Dig(p, "sku") != "TST-100" || gqltest.Dig(p, "name") != "Test Widget" || gqltest.Dig(p, "price", "formatted") != "€19.99" || gqltest.Dig(p, "stock", "onHand") != 7.0 {
		t.Fatalf("create product: %+v %+v", r.Data, r.Errors)
	}
	id := gqltest.Dig(p, "id")

	r = admin.Do(t, create, map[string]any{"in": in})
	if r.Dig("createProduct", "userErrors", 0, "code") != "ALREADY_EXISTS" || r.Dig("createProduct", "product") != nil {
		t.Fatalf("duplicate SKU: %+v", r.Data)
	}
	bad := map[string]any{"sku": "no spaces", "name": "", "initialStock": -1,
		"prices": []any{map[string]any{"amount": -5, "currency": "EURO"}},
		"images": []any{map[string]any{"url": "javascript:alert(1)"}}}
	r = admin.Do(t, create, map[string]any{"in": bad})
	codes := map[string]bool{}
	for _, ue := range r.Dig("createProduct", "userErrors").([]any) {
		codes[gqltest.Dig(ue, "code").(string)+":"+strings.Join(toStrings(gqltest.Dig(ue, "field")), ".")] = true
	}
	for _, want := range []string{"INVALID_INPUT:input.sku", "INVALID_INPUT:input.name", "INVALID_INPUT:input.initialStock",
		"INVALID_CURRENCY:input.prices.0.currency", "INVALID_INPUT:input.prices.0.amount", "INVALID_INPUT:input.images.0.url"} {
		if !codes[want] {
			t.Errorf("invalid product: missing userError %s (got %v)", want, codes)
		}
	}

	r = admin.Do(t, `mutation($id: ID!) { setPrice(input: {productId: $id, price: {amount: 2499, currency: "EUR"}}) { product { price { amount } priceHistory { oldPrice { amount } newPrice { amount } changedBy } } userErrors { code } } }`, map[string]any{"id": id})
	hist := r.Dig("setPrice", "product", "priceHistory").([]any)
	if r.Dig("setPrice", "product", "price", "amount") != 2499.0 || len(hist) != 2 || gqltest.Dig(hist, 0, "oldPrice", "amount") != 1999.0 || gqltest.Dig(hist, 0, "changedBy") != "admin-1" {
		t.Fatalf("set price: %+v %+v", r.Data, r.Errors)
	}

	adjust := `mutation($id: ID!, $d: Int!) { adjustStock(input: {productId: $id, delta: $d, reason: "count"}) { ` + productFields + ` } }`
	r = admin.Do(t, adjust, map[string]any{"id": id, "d": -8})
	if r.Dig("adjustStock", "userErrors", 0, "code") != "STOCK_BELOW_RESERVED" {
		t.Fatalf("adjust below zero: %+v %+v", r.Data, r.Errors)
	}
	r = admin.Do(t, adjust, map[string]any{"id": id, "d": 3})
	if r.Dig("adjustStock", "product", "availableQuantity") != 10.0 {
		t.Fatalf("adjust +3: %+v %+v", r.Data, r.Errors)
	}

	r = admin.Do(t, `mutation($id: ID!) { updateProduct(input: {id: $id, description: "Now with more widget.", attributes: [{name: "colour", value: "red"}]}) { product { description attributes { name value } } userErrors { code } } }`, map[string]any{"id": id})
	if r.Dig("updateProduct", "product", "attributes", 0, "value") != "red" {
		t.Fatalf("update: %+v %+v", r.Data, r.Errors)
	}

	r = admin.Do(t, `mutation($id: ID!) { archiveProduct(id: $id) { product { active } } }`, map[string]any{"id": id})
	if r.Dig("archiveProduct", "product", "active") != false {
		t.Fatalf("archive: %+v %+v", r.Data, r.Errors)
	}
	lookup := `query($id: ID!) { product(id: $id) { sku } }`
	if got := anon.Do(t, lookup, map[string]any{"id": id}); got.Dig("product") != nil {
		t.Errorf("archived product visible to anonymous: %v", got.Data)
	}
	if got := admin.Do(t, lookup, map[string]any{"id": id}); got.Dig("product", "sku") != "TST-100" {
		t.Errorf("archived product hidden from admin: %v", got.Data)
	}
	listing := `query($q: String, $arch: Boolean) { products(filter: {query: $q, includeArchived: $arch}) { totalCount } }`
	if got := anon.Do(t, listing, map[string]any{"q": "TST-100"}); got.Dig("products", "totalCount") != 0.0 {
		t.Errorf("archived product listed: %v", got.Data)
	}
	if got := admin.Do(t, listing, map[string]any{"q": "TST-100", "arch": true}); got.Dig("products", "totalCount") != 1.0 {
		t.Errorf("admin listing with archived: %v %v", got.Data, got.Errors)
	}
	if got := anon.Do(t, listing, map[string]any{"q": "TST-100", "arch": true}).Codes(); len(got) != 1 || got[0] != "UNAUTHENTICATED" {
		t.Errorf("anonymous asking for archived: %v", got)
	}
	r = admin.Do(t, `mutation { updateProduct(input: {id: "6c0e2c4a-4b44-4d4f-9e7c-2d7a1f9e8a11", name: "Ghost"}) { product { id } userErrors { code } } }`, nil)
	if r.Dig("updateProduct", "userErrors", 0, "code") != "NOT_FOUND" {
		t.Errorf("update unknown: %+v", r.Data)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// SKUs are stored upper case; a lookup in any case finds the product.
