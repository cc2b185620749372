package product_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/sql/productdb"
	"github.com/virtual-store/virtual-store/subgraphs/product"
	"github.com/virtual-store/virtual-store/subgraphs/product/seed"
)

var (
	srv      *httptest.Server // the service port, mutual TLS
	adminSrv *httptest.Server // the admin port
	kit      *pkitest.Kit
	router   *http.Client // speaks as the router, the only caller of GraphQL
	pool     *pgxpool.Pool
	svc      *product.Service
	queries  atomic.Int64 // SQL statements run, counted by queryCounter
	quiet    = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// queryCounter counts every statement the pool runs.
type queryCounter struct{}

func (queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	queries.Add(1)
	return ctx
}
func (queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "product", func(url string) (func(), error) {
		ctx := context.Background()
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.ConnConfig.Tracer = queryCounter{}
		reg := service.NewRegistry()
		if err := postgres.Instrument(cfg, reg); err != nil { // as product.New does
			return nil, err
		}
		if pool, err = postgres.OpenConfig(ctx, cfg, productdb.Migrations(), quiet); err != nil {
			return nil, err
		}
		svc, err = product.NewWithPool(ctx, pool,
			product.Config{Seed: true, ReservationTTL: time.Minute, ComplexityLimit: 5000},
			service.Common{}, quiet, reg)
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "product-pki-")
		if err != nil {
			return nil, err
		}
		if kit, err = pkitest.Make(dir); err != nil {
			return nil, err
		}
		src, err := kit.Load(pki.Product)
		if err != nil {
			return nil, err
		}
		rs, err := kit.Load(pki.Router)
		if err != nil {
			return nil, err
		}
		router = pkitest.ClientOf(rs)
		srv = pkitest.Listen(src, svc.Handler)
		adminSrv = httptest.NewServer(svc.Admin)
		return func() { srv.Close(); adminSrv.Close(); pool.Close(); os.RemoveAll(dir) }, nil
	}))
}

type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// as returns the router's identity statement for a caller with the given roles.
func as(sub string, roles ...string) string { return pkitest.Says(pki.Product, sub, roles...) }

var admin = as("admin-1", auth.RoleAdmin)

func gql(t *testing.T, identity, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if identity != "" {
		req.Header.Set(auth.IdentityHeader, identity)
	}
	resp, err := router.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode response (status %d): %v", resp.StatusCode, err)
	}
	return out
}

// dig walks a decoded JSON value along keys and indices.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func TestSeedLoadsOnceAndNeverOverExistingData(t *testing.T) {
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM products").Scan(&n); err != nil || n < 60 {
		t.Fatalf("seeded %d products (%v), want at least 60", n, err)
	}
	created, err := seed.Load(context.Background(), pool, quiet)
	if err != nil || created != 0 {
		t.Fatalf("second load created %d (%v), want 0", created, err)
	}
	var currencies int
	if err := pool.QueryRow(context.Background(), "SELECT count(DISTINCT currency) FROM product_prices").Scan(&currencies); err != nil || currencies != 2 {
		t.Fatalf("seed currencies = %d (%v), want EUR and USD", currencies, err)
	}
}

func TestServiceSDLDeclaresProductEntity(t *testing.T) {
	r := gql(t, "", `{ _service { sdl } }`, nil)
	sdl, _ := dig(r.Data, "_service", "sdl").(string)
	for _, want := range []string{`type Product @key(fields: "id")`, "type Money @shareable", "specs.apollo.dev/federation/v2"} {
		if !strings.Contains(sdl, want) {
			t.Errorf("SDL lacks %q", want)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(adminSrv.URL + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	gql(t, "", `{ products(first: 2) { edges { node { category { name } } } } }`, nil)
	resp, err := http.Get(adminSrv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`graphql_resolver_duration_seconds_bucket{field="Product.category"`, `graphql_resolver_duration_seconds_bucket{field="Query.products"`, "graphql_operations_total", `http_requests_total{code="200",method="POST",route="/graphql"}`,
		`db_query_duration_seconds_bucket{outcome="ok",query="SearchProducts",system="postgresql"`, `db_pool_connections{state="max"}`, `db_pool_connections{state="in_use"}`, `db_pool_connections{state="idle"}`,
		"db_pool_acquire_wait_seconds_total ", "db_pool_acquires_total ", "reservations_active ", "stockouts_total ", "reservations_expired_total ",
		`inventory_restocks_total{kind="adjustment"}`, `inventory_restocks_total{kind="return"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestEntitiesResolveInOneQuery(t *testing.T) {
	r := gql(t, "", `{ products(first: 25, sort: NAME) { edges { node { id } } } }`, nil)
	var reps []map[string]any
	for _, e := range dig(r.Data, "products", "edges").([]any) {
		reps = append(reps, map[string]any{"__typename": "Product", "id": dig(e, "node", "id")})
	}
	reps = append(reps, map[string]any{"__typename": "Product", "id": "00000000-0000-0000-0000-000000000000"})
	before := queries.Load()
	r = gql(t, "", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku price { amount } inStock } } }`, map[string]any{"r": reps})
	if used := queries.Load() - before; used != 1 {
		t.Fatalf("%d representations took %d SQL queries, want 1", len(reps), used)
	}
	ents := r.Data["_entities"].([]any)
	if len(ents) != 26 || ents[25] != nil || dig(ents, 0, "id") != reps[0]["id"] {
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
				r := gql(t, "", `query($after: String, $sort: ProductSort) {
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
					n := dig(e, "node").(map[string]any)
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
				if !dig(conn, "pageInfo", "hasNextPage").(bool) {
					break
				}
				after = dig(conn, "pageInfo", "endCursor")
			}
			if len(seen) != total {
				t.Fatalf("paged through %d products, want %d", len(seen), total)
			}
		})
	}
}

func inOrder(sort string, a, b map[string]any) bool {
	price := func(n map[string]any) float64 { return dig(n, "price", "amount").(float64) }
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
		r := gql(t, "", `query($f: ProductFilter) { products(first: 100, filter: $f) { totalCount edges { node { sku } } } }`, map[string]any{"f": filter})
		if len(r.Errors) > 0 {
			t.Fatalf("filter %v: %+v", filter, r.Errors)
		}
		var skus []string
		for _, e := range dig(r.Data, "products", "edges").([]any) {
			skus = append(skus, dig(e, "node", "sku").(string))
		}
		return int(dig(r.Data, "products", "totalCount").(float64)), skus
	}
	if n, skus := count(map[string]any{"query": "wireless headphones"}); n < 1 || skus[0] != "AUD-HP-100" {
		t.Errorf("text search: %d %v, want the Aurora headphones first", n, skus)
	}
	if n, _ := count(map[string]any{"query": "zzzxqv"}); n != 0 {
		t.Errorf("nonsense query matched %d", n)
	}
	r := gql(t, "", `{ category(slug: "electronics") { id children { slug } } }`, nil)
	elec := dig(r.Data, "category", "id")
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
	r := gql(t, "", `{ products(first: 2, sort: NAME) { pageInfo { endCursor } } }`, nil)
	cursor := dig(r.Data, "products", "pageInfo", "endCursor")
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
			r := gql(t, "", c.query, c.vars)
			if got := r.codes(); len(got) != 1 || got[0] != "BAD_USER_INPUT" {
				t.Fatalf("codes = %v (%+v), want BAD_USER_INPUT", got, r.Errors)
			}
		})
	}
}

func TestAdminMutationsRequireAdmin(t *testing.T) {
	m := `mutation { createCategory(input: {slug: "x", name: "X"}) { category { id } } }`
	if got := gql(t, "", m, nil).codes(); len(got) != 1 || got[0] != "UNAUTHENTICATED" {
		t.Errorf("anonymous: %v", got)
	}
	if got := gql(t, as("u1", auth.RoleCustomer), m, nil).codes(); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Errorf("customer: %v", got)
	}
	r := gql(t, as("u1", auth.RoleCustomer), `{ products(first: 1) { edges { node { sku stock { onHand } } } } }`, nil)
	if got := r.codes(); len(got) != 1 || got[0] != "FORBIDDEN" || dig(r.Data, "products", "edges", 0, "node", "sku") == nil {
		t.Errorf("customer reading stock: %v, data %v; want FORBIDDEN at stock and the rest answered", got, r.Data)
	}
	// A statement meant for another subgraph is refused outright.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ categories { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.IdentityHeader, pkitest.Says(pki.Order, "x", auth.RoleAdmin))
	resp, err := router.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("statement for another subgraph: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

// The attack on main before mutual TLS: an identity header signed with the
// published default secret made anyone ADMIN. Now only the router's
// certificate may call GraphQL at all, and only the order service's the
// reservation API.
func TestOnlyTheirOneCallerReachesTheEndpoints(t *testing.T) {
	setPrice := `mutation { createProduct(input: {sku: "EVIL-1", name: "Evil", initialStock: 1000, prices: [{amount: 1, currency: "EUR"}]}) { product { id } } }`
	oldDefault := "eyJzdWIiOiJhdHRhY2tlciIsInJvbGVzIjpbIkFETUlOIl0sImV4cCI6OTk5OTk5OTk5OX0.eA" // the shape of a HMAC-signed header
	foreign := pkitest.New(t)
	reservation := `{"orderId":"made-up-order","currency":"EUR","lines":[{"productId":"00000000-0000-0000-0000-000000000001","quantity":1000}]}`
	callers := []struct {
		name            string
		client          *http.Client
		graphql, intern int // 0: the handshake fails
	}{
		{"router", router, http.StatusOK, http.StatusForbidden},
		{"order", kit.Client(t, pki.Order), http.StatusForbidden, http.StatusUnprocessableEntity /* reaches the API: unknown product */},
		{"payment gateway", kit.Client(t, pki.PaymentGW), http.StatusForbidden, http.StatusForbidden},
		{"user", kit.Client(t, pki.User), http.StatusForbidden, http.StatusForbidden},
		{"no certificate", kit.Plain(t), 0, 0},
		{"the router's name from another CA", foreign.Client(t, pki.Router), 0, 0},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			for _, ident := range []string{oldDefault, as("attacker", auth.RoleAdmin)} {
				body, _ := json.Marshal(map[string]any{"query": setPrice})
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(auth.IdentityHeader, ident)
				status := statusOf(t, c.client, req)
				want := c.graphql
				if c.graphql == http.StatusOK {
					want = http.StatusUnauthorized // the router's own certificate still cannot pass off a forgery...
					if ident != oldDefault {
						want = http.StatusOK // ...but its real statement is its word
					}
				}
				if status != want {
					t.Errorf("GraphQL with %.12s…: status %d, want %d", ident, status, want)
				}
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/internal/v1/reservations", strings.NewReader(reservation))
			if status := statusOf(t, c.client, req); status != c.intern {
				t.Errorf("reservation API: status %d, want %d", status, c.intern)
			}
		})
	}
	var evil int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM products WHERE sku = 'EVIL-1'").Scan(&evil); err != nil || evil != 1 {
		t.Fatalf("products created: %d (%v); want exactly the router's one", evil, err)
	}
}

// statusOf sends req and returns the status, or 0 when no HTTP exchange
// happened (the TLS handshake refused the client).
func statusOf(t *testing.T, c *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

const productFields = `product { id sku name active availableQuantity price { amount formatted } stock { onHand reserved available } }
	userErrors { code field message }`

func TestAdminProductLifecycle(t *testing.T) {
	r := gql(t, admin, `mutation { createCategory(input: {slug: "test-gear", name: "Test Gear"}) { category { id slug } userErrors { code } } }`, nil)
	catID := dig(r.Data, "createCategory", "category", "id")
	if catID == nil {
		t.Fatalf("create category: %+v %+v", r.Data, r.Errors)
	}
	r = gql(t, admin, `mutation { createCategory(input: {slug: "test-gear", name: "Again"}) { category { id } userErrors { code field } } }`, nil)
	if code := dig(r.Data, "createCategory", "userErrors", 0, "code"); code != "ALREADY_EXISTS" {
		t.Fatalf("duplicate slug: %v", r.Data)
	}

	create := `mutation($in: CreateProductInput!) { createProduct(input: $in) { ` + productFields + ` } }`
	in := map[string]any{"sku": "tst-100", "name": " Test Widget ", "categoryId": catID, "initialStock": 7,
		"prices": []any{map[string]any{"amount": 1999, "currency": "EUR"}},
		"images": []any{map[string]any{"url": "https://example.com/w.jpg"}}}
	r = gql(t, admin, create, map[string]any{"in": in})
	p := dig(r.Data, "createProduct", "product")
	if p == nil || dig(p, "sku") != "TST-100" || dig(p, "name") != "Test Widget" || dig(p, "price", "formatted") != "€19.99" || dig(p, "stock", "onHand") != 7.0 {
		t.Fatalf("create product: %+v %+v", r.Data, r.Errors)
	}
	id := dig(p, "id")

	r = gql(t, admin, create, map[string]any{"in": in})
	if dig(r.Data, "createProduct", "userErrors", 0, "code") != "ALREADY_EXISTS" || dig(r.Data, "createProduct", "product") != nil {
		t.Fatalf("duplicate SKU: %+v", r.Data)
	}
	bad := map[string]any{"sku": "no spaces", "name": "", "initialStock": -1,
		"prices": []any{map[string]any{"amount": -5, "currency": "EURO"}},
		"images": []any{map[string]any{"url": "javascript:alert(1)"}}}
	r = gql(t, admin, create, map[string]any{"in": bad})
	codes := map[string]bool{}
	for _, ue := range dig(r.Data, "createProduct", "userErrors").([]any) {
		codes[dig(ue, "code").(string)+":"+strings.Join(toStrings(dig(ue, "field")), ".")] = true
	}
	for _, want := range []string{"INVALID_INPUT:input.sku", "INVALID_INPUT:input.name", "INVALID_INPUT:input.initialStock",
		"INVALID_CURRENCY:input.prices.0.currency", "INVALID_INPUT:input.prices.0.amount", "INVALID_INPUT:input.images.0.url"} {
		if !codes[want] {
			t.Errorf("invalid product: missing userError %s (got %v)", want, codes)
		}
	}

	r = gql(t, admin, `mutation($id: ID!) { setPrice(input: {productId: $id, price: {amount: 2499, currency: "EUR"}}) { product { price { amount } priceHistory { oldPrice { amount } newPrice { amount } changedBy } } userErrors { code } } }`, map[string]any{"id": id})
	hist := dig(r.Data, "setPrice", "product", "priceHistory").([]any)
	if dig(r.Data, "setPrice", "product", "price", "amount") != 2499.0 || len(hist) != 2 || dig(hist, 0, "oldPrice", "amount") != 1999.0 || dig(hist, 0, "changedBy") != "admin-1" {
		t.Fatalf("set price: %+v %+v", r.Data, r.Errors)
	}

	adjust := `mutation($id: ID!, $d: Int!) { adjustStock(input: {productId: $id, delta: $d, reason: "count"}) { ` + productFields + ` } }`
	r = gql(t, admin, adjust, map[string]any{"id": id, "d": -8})
	if dig(r.Data, "adjustStock", "userErrors", 0, "code") != "STOCK_BELOW_RESERVED" {
		t.Fatalf("adjust below zero: %+v %+v", r.Data, r.Errors)
	}
	r = gql(t, admin, adjust, map[string]any{"id": id, "d": 3})
	if dig(r.Data, "adjustStock", "product", "availableQuantity") != 10.0 {
		t.Fatalf("adjust +3: %+v %+v", r.Data, r.Errors)
	}

	r = gql(t, admin, `mutation($id: ID!) { updateProduct(input: {id: $id, description: "Now with more widget.", attributes: [{name: "colour", value: "red"}]}) { product { description attributes { name value } } userErrors { code } } }`, map[string]any{"id": id})
	if dig(r.Data, "updateProduct", "product", "attributes", 0, "value") != "red" {
		t.Fatalf("update: %+v %+v", r.Data, r.Errors)
	}

	r = gql(t, admin, `mutation($id: ID!) { archiveProduct(id: $id) { product { active } } }`, map[string]any{"id": id})
	if dig(r.Data, "archiveProduct", "product", "active") != false {
		t.Fatalf("archive: %+v %+v", r.Data, r.Errors)
	}
	lookup := `query($id: ID!) { product(id: $id) { sku } }`
	if got := gql(t, "", lookup, map[string]any{"id": id}); dig(got.Data, "product") != nil {
		t.Errorf("archived product visible to anonymous: %v", got.Data)
	}
	if got := gql(t, admin, lookup, map[string]any{"id": id}); dig(got.Data, "product", "sku") != "TST-100" {
		t.Errorf("archived product hidden from admin: %v", got.Data)
	}
	listing := `query($q: String, $arch: Boolean) { products(filter: {query: $q, includeArchived: $arch}) { totalCount } }`
	if got := gql(t, "", listing, map[string]any{"q": "TST-100"}); dig(got.Data, "products", "totalCount") != 0.0 {
		t.Errorf("archived product listed: %v", got.Data)
	}
	if got := gql(t, admin, listing, map[string]any{"q": "TST-100", "arch": true}); dig(got.Data, "products", "totalCount") != 1.0 {
		t.Errorf("admin listing with archived: %v %v", got.Data, got.Errors)
	}
	if got := gql(t, "", listing, map[string]any{"q": "TST-100", "arch": true}).codes(); len(got) != 1 || got[0] != "UNAUTHENTICATED" {
		t.Errorf("anonymous asking for archived: %v", got)
	}
	r = gql(t, admin, `mutation { updateProduct(input: {id: "6c0e2c4a-4b44-4d4f-9e7c-2d7a1f9e8a11", name: "Ghost"}) { product { id } userErrors { code } } }`, nil)
	if dig(r.Data, "updateProduct", "userErrors", 0, "code") != "NOT_FOUND" {
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
func TestProductBySKUIgnoresCase(t *testing.T) {
	for _, sku := range []string{"AUD-HP-100", "aud-hp-100", " Aud-Hp-100 "} {
		r := gql(t, "", `query($s: String) { product(sku: $s) { sku } }`, map[string]any{"s": sku})
		if got := dig(r.Data, "product", "sku"); got != "AUD-HP-100" {
			t.Errorf("product(sku: %q) = %v, want AUD-HP-100", sku, got)
		}
	}
}
