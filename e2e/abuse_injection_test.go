package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// injections are SQL and NoSQL operator strings: every text input must
// store them verbatim or refuse them, never interpret them.
var injections = []string{
	`{"$gt": ""}`,
	`'; DROP TABLE users; --`,
	`{"$where": "sleep(1000)"}`,
	`' OR '1'='1' --`,
	`{"$ne": null, "$regex": ".*"}`,
}

// abuseInjection drives every text input reachable through the router
// with the injection strings.
func abuseInjection(t *testing.T, s *storefront) {
	adminTok := s.login(t, e2eAdminEmail, e2eAdminPassword)
	adm := caller{router: s.router, addr: "198.51.100.20", token: adminTok}
	anon := caller{router: s.router, addr: "198.51.100.21"}

	// Innocent products a match-everything operator would list.
	var innocent []string
	for _, name := range []string{"Plain desk lamp", "Quiet kettle"} {
		r := adm.ok(t, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"sku": "PLAIN-" + strings.ToUpper(uuid.NewString()[:8]), "name": name, "initialStock": 50,
				"prices": []any{map[string]any{"amount": 1000, "currency": "EUR"}}}})
		innocent = append(innocent, r.Dig("createProduct", "product", "id").(string))
	}
	// Operators as JSON objects where the schema wants a string are the
	// router's to refuse: they never reach a subgraph's database driver.
	for _, op := range []any{map[string]any{"$gt": ""}, map[string]any{"$ne": nil}, []any{"$where", "1"}} {
		for _, q := range []struct {
			who   caller
			query string
			vars  map[string]any
		}{
			{anon, `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`, map[string]any{"in": map[string]any{"email": op, "password": op}}},
			{anon, `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`, map[string]any{"in": map[string]any{"email": e2eAdminEmail, "password": op}}},
			{anon, `query($s: String) { product(sku: $s) { id } }`, map[string]any{"s": op}},
			{anon, `query($f: ProductFilter) { products(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"query": op}}},
			{adm, `query($id: ID!) { user(id: $id) { id email } }`, map[string]any{"id": op}},
			{adm, `mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { userErrors { code } } }`, map[string]any{"id": op}},
		} {
			r := q.who.gql(t, q.query, q.vars)
			if r.Status != http.StatusOK || r.code() != "BAD_USER_INPUT" || r.hasData() {
				t.Errorf("%v as a string in %s: %s, want BAD_USER_INPUT from the router", op, strings.Join(strings.Fields(q.query), " "), r)
			}
		}
	}

	for i, p := range injections {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			injectInto(t, s, p, i, adm, anon, innocent)
		})
	}

	// Everything still stands: the users' store (an admin signs in), the
	// catalog and the orders.
	s.login(t, e2eAdminEmail, e2eAdminPassword)
	for _, table := range []string{"products", "categories", "stock_movements"} {
		var n int64
		if err := s.productDB.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s after the injections: %d rows, %v", table, n, err)
		}
	}
	var n int64
	if err := s.orderDB.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n); err != nil || n == 0 {
		t.Errorf("orders after the injections: %d rows, %v", n, err)
	}
}

// clientErrors are what an input may be refused with: a GraphQL error of
// the client's input, or a userError.
var clientErrors = map[string]bool{"BAD_USER_INPUT": true, "GRAPHQL_VALIDATION_FAILED": true}

// refusedInput asserts r refused a text input as the client's error: a
// userError with one of codes in the payload at field, or a client-error
// code, never an internal error.
func refusedInput(t *testing.T, what string, r reply, field string, codes ...string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: %s", what, r)
		return
	}
	for _, c := range r.UserErrorCodes(field) {
		for _, want := range codes {
			if c == want {
				return
			}
		}
	}
	if len(r.Errors) > 0 && clientErrors[r.code()] {
		return
	}
	t.Errorf("%s: %s, want a userError %v or a client error", what, r, codes)
}

// verbatim asserts a stored text came back exactly as sent.
func verbatim(t *testing.T, what string, got any, sent string) {
	t.Helper()
	if got != sent {
		t.Errorf("%s: stored %q, sent %q", what, got, sent)
	}
}

func injectInto(t *testing.T, s *storefront, p string, i int, adm, anon caller, innocent []string) {
	addr := "198.51.100." + strconv.Itoa(30+i)
	anon.addr = addr

	// Accounts: as an email it is no address; as a name and a password it
	// is kept exactly (signing in needs the exact password).
	r := anon.gql(t, `mutation($in: RegisterInput!) { register(input: $in) { accessToken userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": p, "password": "a long password", "name": "Mallory"}})
	refusedInput(t, "register email", r, "register", "INVALID_EMAIL")
	if r.Dig("register", "accessToken") != nil {
		t.Errorf("register with email %q signed in: %s", p, r)
	}
	email := fmt.Sprintf("inject-%d-%s@example.com", i, uuid.NewString()[:8])
	password := "pw " + p + " pw"
	r = anon.ok(t, `mutation($in: RegisterInput!) { register(input: $in) { user { name } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": password, "name": p}})
	verbatim(t, "register name", r.Dig("register", "user", "name"), p)
	login := `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`
	// (Not against the admin's email: five failures would lock it out.)
	for _, in := range []map[string]any{{"email": p, "password": p}, {"email": email, "password": p}} {
		r = anon.gql(t, login, map[string]any{"in": in})
		refusedInput(t, fmt.Sprintf("login %v", in), r, "login", "INVALID_CREDENTIALS")
		if r.Dig("login", "accessToken") != nil {
			t.Fatalf("login %v signed in", in)
		}
	}
	r = anon.ok(t, `mutation($in: LoginInput!) { login(input: $in) { accessToken refreshToken } }`, map[string]any{"in": map[string]any{"email": email, "password": password}})
	tok, _ := r.Dig("login", "accessToken").(string)
	refresh, _ := r.Dig("login", "refreshToken").(string)
	if tok == "" || refresh == "" {
		t.Fatalf("login with the exact password: %s", r)
	}
	me := caller{router: s.router, addr: addr, token: "Bearer " + tok}

	// Profile and address book.
	r = me.ok(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { name } userErrors { code } } }`, map[string]any{"in": map[string]any{"name": p + " 2"}})
	verbatim(t, "profile name", r.Dig("updateProfile", "user", "name"), p+" 2")
	r = me.gql(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { phone } userErrors { code } } }`, map[string]any{"in": map[string]any{"phone": p}})
	refusedInput(t, "profile phone", r, "updateProfile", "INVALID_INPUT")
	address := map[string]any{"label": p, "fullName": p, "line1": p, "line2": p, "city": p, "postalCode": "10115", "region": p, "country": "DE"}
	me.ok(t, `mutation($in: AddressInput!) { addAddress(input: $in) { userErrors { code } } }`, map[string]any{"in": address})
	r = me.ok(t, `{ me { name addresses { label fullName line1 line2 city region postalCode country } } }`, nil)
	verbatim(t, "me name", r.Dig("me", "name"), p+" 2")
	addrs, _ := r.Dig("me", "addresses").([]any)
	if len(addrs) != 1 {
		t.Fatalf("addresses: %s", r)
	}
	for _, f := range []string{"label", "fullName", "line1", "line2", "city", "region"} {
		verbatim(t, "address "+f, gqltest.Dig(addrs[0], f), p)
	}
	for _, f := range []string{"postalCode", "country", "phone"} {
		bad := map[string]any{}
		for k, v := range address {
			bad[k] = v
		}
		bad[f] = p
		r = me.gql(t, `mutation($in: AddressInput!) { addAddress(input: $in) { user { addresses { postalCode country phone } } userErrors { code } } }`, map[string]any{"in": bad})
		if us, _ := r.Dig("addAddress", "user", "addresses").([]any); len(r.UserErrorCodes("addAddress")) == 0 && len(us) > 1 && gqltest.Dig(us[len(us)-1], f) == p {
			continue // kept verbatim
		}
		refusedInput(t, "address "+f, r, "addAddress", "INVALID_INPUT")
	}
	r = me.gql(t, `mutation($in: ChangePasswordInput!) { changePassword(input: $in) { userErrors { code } } }`, map[string]any{"in": map[string]any{"currentPassword": p, "newPassword": "another long password"}})
	refusedInput(t, "change password", r, "changePassword", "INVALID_CREDENTIALS")
	r = anon.gql(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken userErrors { code } } }`, map[string]any{"t": p})
	refusedInput(t, "refresh token", r, "refreshToken", "INVALID_TOKEN")
	// Signing out an unknown token is no error (the token is unusable
	// either way); it must not sign out anyone else.
	anon.ok(t, `mutation($t: String!) { logout(refreshToken: $t) { ok } }`, map[string]any{"t": p})
	r = anon.ok(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken userErrors { code } } }`, map[string]any{"t": refresh})
	if tok, _ := r.Dig("refreshToken", "accessToken").(string); tok == "" {
		t.Errorf("logout with %q signed out another session: %s", p, r)
	}
	r = adm.gql(t, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": p})
	if r.Dig("user") != nil || len(r.Errors) > 0 && !clientErrors[r.code()] {
		t.Errorf("user(id: %q): %s", p, r)
	}
	r = adm.gql(t, `mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { user { id } userErrors { code } } }`, map[string]any{"id": p})
	refusedInput(t, "grantRole userId", r, "grantRole", "NOT_FOUND")

	// Catalog: as a product's texts it is kept; as a search it finds that
	// product and nothing else; as a key it finds nothing.
	sku := fmt.Sprintf("INJ-%d-%s", i, strings.ToUpper(uuid.NewString()[:6]))
	r = adm.ok(t, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id name description attributes { name value } images { altText } } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"sku": sku, "name": p, "description": p, "initialStock": 20,
			"attributes": []any{map[string]any{"name": p, "value": p}}, "images": []any{map[string]any{"url": "https://img.example/a.png", "altText": p}},
			"prices": []any{map[string]any{"amount": 500, "currency": "EUR"}}}})
	product, _ := r.Dig("createProduct", "product", "id").(string)
	if product == "" {
		t.Fatalf("create a product named %q: %s", p, r)
	}
	r = anon.ok(t, `query($id: ID) { product(id: $id) { name description attributes { name value } images { altText } } }`, map[string]any{"id": product})
	verbatim(t, "product name", r.Dig("product", "name"), p)
	verbatim(t, "product description", r.Dig("product", "description"), p)
	attrs, _ := r.Dig("product", "attributes").([]any)
	images, _ := r.Dig("product", "images").([]any)
	if len(attrs) != 1 || len(images) != 1 {
		t.Fatalf("product: %s", r)
	}
	verbatim(t, "attribute name", gqltest.Dig(attrs[0], "name"), p)
	verbatim(t, "attribute value", gqltest.Dig(attrs[0], "value"), p)
	verbatim(t, "image alt text", gqltest.Dig(images[0], "altText"), p)
	r = anon.ok(t, `query($q: String) { products(first: 100, filter: {query: $q}) { totalCount edges { node { id name } } } }`, map[string]any{"q": p})
	edges, _ := r.Dig("products", "edges").([]any)
	for _, e := range edges {
		for _, id := range innocent {
			if gqltest.Dig(e, "node", "id") == id {
				t.Errorf("searching %q lists the unrelated %v", p, gqltest.Dig(e, "node", "name"))
			}
		}
	}
	r = adm.gql(t, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"sku": p, "name": "x", "prices": []any{map[string]any{"amount": 1, "currency": "EUR"}}}})
	refusedInput(t, "product sku", r, "createProduct", "INVALID_INPUT")
	r = adm.gql(t, `mutation($in: SetPriceInput!) { setPrice(input: $in) { userErrors { code } } }`,
		map[string]any{"in": map[string]any{"productId": product, "price": map[string]any{"amount": 1, "currency": p}}})
	refusedInput(t, "price currency", r, "setPrice", "INVALID_CURRENCY")
	r = adm.ok(t, `mutation($in: AdjustStockInput!) { adjustStock(input: $in) { product { availableQuantity } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"productId": product, "delta": 5, "reason": p}})
	if r.Dig("adjustStock", "product", "availableQuantity") != 25.0 {
		t.Errorf("adjust stock with reason %q: %s", p, r)
	}
	var reason string
	if err := s.productDB.QueryRow(context.Background(), "SELECT reason FROM stock_movements WHERE product_id = $1 ORDER BY created_at DESC LIMIT 1", product).Scan(&reason); err != nil {
		t.Fatal(err)
	}
	verbatim(t, "stock movement reason", reason, p)
	slug := fmt.Sprintf("inj-%d-%s", i, uuid.NewString()[:6])
	adm.ok(t, `mutation($in: CreateCategoryInput!) { createCategory(input: $in) { category { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"slug": slug, "name": p, "description": p}})
	r = anon.ok(t, `query($s: String) { category(slug: $s) { name description } }`, map[string]any{"s": slug})
	verbatim(t, "category name", r.Dig("category", "name"), p)
	verbatim(t, "category description", r.Dig("category", "description"), p)
	r = adm.gql(t, `mutation($in: CreateCategoryInput!) { createCategory(input: $in) { category { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"slug": p, "name": "x"}})
	refusedInput(t, "category slug", r, "createCategory", "INVALID_INPUT")
	for _, q := range []struct {
		name, query string
		vars        map[string]any
		path        []any
	}{
		{"product by sku", `query($v: String) { product(sku: $v) { id } }`, map[string]any{"v": p}, []any{"product"}},
		{"category by slug", `query($v: String) { category(slug: $v) { id } }`, map[string]any{"v": p}, []any{"category"}},
		{"price in currency", `query($id: ID, $v: String) { product(id: $id) { price(currency: $v) { amount } } }`, map[string]any{"id": product, "v": p}, []any{"product", "price"}},
	} {
		r = anon.ok(t, q.query, q.vars)
		if r.Dig(q.path...) != nil {
			t.Errorf("%s %q found %s", q.name, p, r)
		}
	}
	for _, q := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"product by id", `query($v: ID) { product(id: $v) { id } }`, map[string]any{"v": p}},
		{"category by id", `query($v: ID) { category(id: $v) { id } }`, map[string]any{"v": p}},
		{"listing cursor", `query($v: String) { products(after: $v) { totalCount } }`, map[string]any{"v": p}},
		{"listing currency", `query($v: String) { products(currency: $v) { totalCount } }`, map[string]any{"v": p}},
		{"order by id", `query($v: ID!) { order(id: $v) { id } }`, map[string]any{"v": p}},
		{"cart currency", `query($v: String) { cart(currency: $v) { itemCount } }`, map[string]any{"v": p}},
		{"cart product id", `mutation($v: ID!) { addToCart(input: {productId: $v}) { userErrors { code } } }`, map[string]any{"v": p}},
	} {
		who := anon
		if strings.Contains(q.name, "order") || strings.Contains(q.name, "cart") {
			who = me
		}
		r = who.gql(t, q.query, q.vars)
		if len(r.Errors) == 0 || !clientErrors[r.code()] {
			t.Errorf("%s %q: %s, want BAD_USER_INPUT", q.name, p, r)
		}
	}
	// Money formatted in a made-up locale is still the amount.
	r = anon.ok(t, `query($id: ID, $l: String) { product(id: $id) { price { formatted(locale: $l) } } }`, map[string]any{"id": product, "l": p})
	if f, _ := r.Dig("product", "price", "formatted").(string); !strings.Contains(f, "5") {
		t.Errorf("formatted in locale %q: %s", p, r)
	}

	// Cart and orders: the shipping address is kept, an unknown card token
	// and currency are refused, a reason and a tracking number are kept.
	r = me.gql(t, `mutation($p: ID!, $c: String) { addToCart(input: {productId: $p, currency: $c}) { userErrors { code } } }`, map[string]any{"p": product, "c": p})
	refusedInput(t, "cart currency", r, "addToCart", "INVALID_INPUT", "INVALID_CURRENCY")
	ship := map[string]any{"fullName": p, "line1": p, "line2": p, "city": p, "postalCode": "10115", "region": p, "country": "DE", "phone": ""}
	checkout := func(key, token string) reply {
		me.ok(t, `mutation($p: ID!) { addToCart(input: {productId: $p, quantity: 1}) { userErrors { code } } }`, map[string]any{"p": product})
		return me.ok(t, `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status shippingAddress { fullName line1 line2 city region } } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"idempotencyKey": key, "paymentToken": token, "shippingAddress": ship}})
	}
	r = checkout(p, "tok_visa")
	order, _ := r.Dig("checkout", "order", "id").(string)
	if r.Dig("checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout with idempotency key %q: %s", p, r)
	}
	for _, f := range []string{"fullName", "line1", "line2", "city", "region"} {
		verbatim(t, "shipping "+f, r.Dig("checkout", "order", "shippingAddress", f), p)
	}
	var key string
	if err := s.orderDB.QueryRow(context.Background(), "SELECT idempotency_key FROM orders WHERE id = $1", order).Scan(&key); err != nil {
		t.Fatal(err)
	}
	verbatim(t, "idempotency key", key, p)
	if r := checkout(p, "tok_visa"); r.Dig("checkout", "order", "id") != order {
		t.Errorf("the same idempotency key %q again: %s, want order %s", p, r, order)
	}
	r = checkout(uuid.NewString(), p)
	if r.Dig("checkout", "order", "status") != "PAYMENT_FAILED" {
		t.Errorf("checkout with card token %q: %s, want PAYMENT_FAILED", p, r)
	}
	me.ok(t, `mutation { clearCart { cart { itemCount } } }`, nil)
	r = me.ok(t, `mutation($id: ID!, $why: String) { cancelOrder(id: $id, reason: $why) { order { status history { note } } userErrors { code } } }`, map[string]any{"id": order, "why": p})
	history, _ := r.Dig("cancelOrder", "order", "history").([]any)
	if !slices.ContainsFunc(history, func(h any) bool { return gqltest.Dig(h, "note") == p }) {
		t.Errorf("cancel with reason %q: %s, want the reason in the history", p, r)
	}
	r = checkout(uuid.NewString(), "tok_visa")
	shipped, _ := r.Dig("checkout", "order", "id").(string)
	adm.ok(t, `mutation($id: ID!) { startFulfillment(id: $id) { userErrors { code } } }`, map[string]any{"id": shipped})
	r = adm.ok(t, `mutation($id: ID!, $n: String!) { markShipped(id: $id, trackingNumber: $n) { order { trackingNumber } userErrors { code } } }`, map[string]any{"id": shipped, "n": p})
	verbatim(t, "tracking number", r.Dig("markShipped", "order", "trackingNumber"), p)
}
