package e2e

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestShoppingThroughTheRouter drives product and order through the router,
// which composes the supergraph from the running subgraphs at start.
func TestShoppingThroughTheRouter(t *testing.T) {
	s := newShop(t)
	product := s.newProduct(t, 4, 1250)
	router := start(t, "router", "ROUTER_SUBGRAPHS=product="+s.product.url()+"/graphql,order="+s.order.url()+"/graphql")
	dana := identity("dana", "CUSTOMER")

	data, err := gql(router.url(), dana, `mutation($p: ID!) { addToCart(input: {productId: $p, quantity: 2}) {
		cart { itemCount subtotal { formatted } lines { quantity product { name availableQuantity } } } userErrors { code } } }`, map[string]any{"p": product})
	if err != nil {
		t.Fatal(err)
	}
	line := dig(data, "addToCart", "cart", "lines").([]any)[0]
	if dig(line, "product", "name") != "E2E widget" || dig(line, "product", "availableQuantity") != 4.0 || dig(data, "addToCart", "cart", "subtotal", "formatted") != "€25.00" {
		t.Fatalf("cart through the router: %v", data)
	}

	data, err = gql(router.url(), dana, checkoutMutation, map[string]any{"in": map[string]any{
		"idempotencyKey": uuid.NewString(), "paymentToken": "tok_visa",
		"shippingAddress": map[string]any{"fullName": "Dana", "line1": "Road 2", "city": "Berlin", "postalCode": "10115", "country": "DE"},
	}})
	if err != nil || dig(data, "checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout through the router: %v %v", data, err)
	}
	id := dig(data, "checkout", "order", "id").(string)

	data, err = gql(router.url(), dana, `query($id: ID!) { order(id: $id) { status total { formatted }
		lines { quantity unitPrice { amount } product { sku name availableQuantity } } } }`, map[string]any{"id": id})
	if err != nil {
		t.Fatal(err)
	}
	line = dig(data, "order", "lines").([]any)[0]
	if dig(data, "order", "total", "formatted") != "€25.00" || !strings.HasPrefix(dig(line, "product", "sku").(string), "E2E-") || dig(line, "product", "availableQuantity") != 2.0 {
		t.Fatalf("order through the router: %v", data)
	}

	// Introspection and errors come from the router itself.
	data, err = gql(router.url(), "", `{ __type(name: "Order") { name } }`, nil)
	if err != nil || dig(data, "__type", "name") != "Order" {
		t.Fatalf("introspection: %v %v", data, err)
	}
	if _, err := gql(router.url(), "", `{ nope }`, nil); err == nil || !strings.Contains(err.Error(), "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("validation: %v", err)
	}
}
