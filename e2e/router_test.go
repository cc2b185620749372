package e2e

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// storefront is the whole store behind the router, as a storefront sees it.
type storefront struct {
	*shop
	user, router *proc
}

const (
	e2eIssuer        = "http://user.e2e"
	e2eAdminEmail    = "admin@e2e.test"
	e2eAdminPassword = "e2e-admin-password"
)

func newStorefront(t *testing.T, routerEnv ...string) *storefront {
	t.Helper()
	return newStorefrontWith(t, extraEnv{router: routerEnv})
}

func newStorefrontWith(t *testing.T, env extraEnv) *storefront {
	t.Helper()
	s := &storefront{shop: newShopWith(t, env)}
	s.user = start(t, "user", append([]string{"USER_DATA_DIR=" + t.TempDir(), "USER_JWT_ISSUER=" + e2eIssuer,
		"USER_ARGON2_MEMORY_KIB=8192", "USER_ARGON2_TIME=1", "USER_REGISTER_MAX_PER_IP=100000", // every shopper is 127.0.0.1
		"USER_BOOTSTRAP_ADMIN_EMAIL=" + e2eAdminEmail, "USER_BOOTSTRAP_ADMIN_PASSWORD=" + e2eAdminPassword}, env.user...)...)
	s.router = start(t, "router", append([]string{
		"ROUTER_SUBGRAPHS=user=" + s.user.url() + "/graphql,product=" + s.product.url() + "/graphql,order=" + s.order.url() + "/graphql",
		"ROUTER_JWKS_URL=" + s.user.url() + "/.well-known/jwks.json",
		"ROUTER_JWT_ISSUERS=" + e2eIssuer,
	}, env.router...)...)
	return s
}

// login signs in through the router and returns "Bearer <access token>".
func (s *storefront) login(t *testing.T, email, password string) string {
	t.Helper()
	data, err := gql(s.router.url(), "", `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": password}})
	tok, _ := data.Dig("login", "accessToken").(string)
	if err != nil || tok == "" {
		t.Fatalf("login %s: %v %v", email, data, err)
	}
	return "Bearer " + tok
}

// TestStorefrontJourneyThroughTheRouter is a customer's whole visit, every
// call through the router only: register, sign in, browse, fill the cart,
// check out, see the order PAID on their account.
func TestStorefrontJourneyThroughTheRouter(t *testing.T) {
	s := newStorefront(t)
	api := s.router.url()

	// The shop keeper stocks a product (admin scopes, through the router).
	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	sku := "E2E-" + uuid.NewString()[:8]
	data, err := gql(api, admin, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"sku": sku, "name": "Router lamp", "initialStock": 5,
			"prices": []any{map[string]any{"amount": 1999, "currency": "EUR"}}}})
	productID, _ := data.Dig("createProduct", "product", "id").(string)
	if err != nil || productID == "" {
		t.Fatalf("admin createProduct: %v %v", data, err)
	}

	// Register and sign in.
	email := "dana-" + uuid.NewString()[:8] + "@example.com"
	data, err = gql(api, "", `mutation($in: RegisterInput!) { register(input: $in) { user { id name } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": "correct horse battery", "name": "Dana"}})
	if err != nil || data.Dig("register", "user", "name") != "Dana" {
		t.Fatalf("register: %v %v", data, err)
	}
	dana := s.login(t, email, "correct horse battery")

	// Browse anonymously: the product is in the catalog.
	data, err = gql(api, "", `query($sku: String) { product(sku: $sku) { id name availableQuantity price(currency: "EUR") { formatted } } }`, map[string]any{"sku": sku})
	if err != nil || data.Dig("product", "id") != productID || data.Dig("product", "availableQuantity") != 5.0 {
		t.Fatalf("browse: %v %v", data, err)
	}

	// Anonymous cart writes are refused at the router; so is a forged identity.
	if _, err := gql(api, identity("dana", "CUSTOMER"), `mutation($p: ID!) { addToCart(input: {productId: $p}) { cart { itemCount } } }`, map[string]any{"p": productID}); err == nil || !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Fatalf("anonymous addToCart with a forged identity header: %v", err)
	}
	// A customer cannot do an admin's work.
	if _, err := gql(api, dana, `mutation { archiveProduct(id: "`+productID+`") { product { id } } }`, nil); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Fatalf("customer archiveProduct: %v", err)
	}

	// Fill the cart and check out.
	data, err = gql(api, dana, `mutation($p: ID!) { addToCart(input: {productId: $p, quantity: 2}) { cart { itemCount subtotal { formatted } lines { product { name } } } userErrors { code } } }`, map[string]any{"p": productID})
	if err != nil || data.Dig("addToCart", "cart", "itemCount") != 2.0 || data.Dig("addToCart", "cart", "subtotal", "formatted") != "€39.98" {
		t.Fatalf("addToCart: %v %v", data, err)
	}
	data, err = gql(api, dana, checkoutMutation, map[string]any{"in": map[string]any{
		"idempotencyKey": uuid.NewString(), "paymentToken": "tok_visa",
		"shippingAddress": map[string]any{"fullName": "Dana", "line1": "Road 2", "city": "Berlin", "postalCode": "10115", "country": "DE"},
	}})
	if err != nil || data.Dig("checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout: %v %v", data, err)
	}
	orderID := data.Dig("checkout", "order", "id").(string)

	// The order is on the customer's account (user and order subgraphs
	// joined by the router), with the product's current stock from product.
	data, err = gql(api, dana, `{ me { name orders { edges { node { id status total { formatted } lines { quantity product { name availableQuantity } } } } } } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	edges, _ := data.Dig("me", "orders", "edges").([]any)
	if len(edges) != 1 || gqltest.Dig(edges[0], "node", "id") != orderID || gqltest.Dig(edges[0], "node", "status") != "PAID" || gqltest.Dig(edges[0], "node", "total", "formatted") != "€39.98" {
		t.Fatalf("my orders: %v", data)
	}
	line := gqltest.Dig(edges[0], "node", "lines").([]any)[0]
	if gqltest.Dig(line, "product", "name") != "Router lamp" || gqltest.Dig(line, "product", "availableQuantity") != 3.0 {
		t.Fatalf("order line: %v", line)
	}

	// The shop keeper ships it; the customer may not, and sees it delivered.
	if _, err := gql(api, dana, `mutation($id: ID!) { markShipped(id: $id, trackingNumber: "X") { order { status } } }`, map[string]any{"id": orderID}); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Fatalf("customer markShipped: %v", err)
	}
	for _, step := range []string{
		`mutation($id: ID!) { startFulfillment(id: $id) { order { status } userErrors { code } } }`,
		`mutation($id: ID!) { markShipped(id: $id, trackingNumber: "DHL-1") { order { status } userErrors { code } } }`,
		`mutation($id: ID!) { markDelivered(id: $id) { order { status } userErrors { code } } }`,
	} {
		if data, err := gql(api, admin, step, map[string]any{"id": orderID}); err != nil {
			t.Fatalf("admin %s: %v %v", step, data, err)
		}
	}
	data, err = gql(api, dana, `query($id: ID!) { order(id: $id) { status trackingNumber history { to actor } } }`, map[string]any{"id": orderID})
	history, _ := data.Dig("order", "history").([]any)
	if err != nil || data.Dig("order", "status") != "DELIVERED" || data.Dig("order", "trackingNumber") != "DHL-1" ||
		len(history) == 0 || gqltest.Dig(history[len(history)-1], "to") != "DELIVERED" {
		t.Fatalf("delivered order: %v %v", data, err)
	}

	// Introspection and request errors come from the router itself.
	data, err = gql(api, "", `{ __type(name: "Order") { name } }`, nil)
	if err != nil || data.Dig("__type", "name") != "Order" {
		t.Fatalf("introspection: %v %v", data, err)
	}
	if _, err := gql(api, "", `{ nope }`, nil); err == nil || !strings.Contains(err.Error(), "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("validation: %v", err)
	}
}
