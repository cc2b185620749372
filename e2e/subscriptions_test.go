package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// The live order status: a federated subscription. The router subscribes to
// the order subgraph (GraphQL over SSE, mutual TLS in production) and, for
// each event, fetches the product names from the product subgraph before
// pushing it to the client over graphql-ws or SSE.

const watchOrder = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status paymentStatus lines { quantity product { name } } } }`

// buyer is a new customer with a PAID order of a new product, through the router.
type buyer struct {
	token, refresh, orderID, productName string
}

func (s *storefront) paidOrder(t *testing.T, admin string) buyer {
	t.Helper()
	api := s.router.url()
	b := buyer{productName: "Live lamp " + uuid.NewString()[:6]}
	data, err := gql(api, admin, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"sku": "LIVE-" + uuid.NewString()[:8], "name": b.productName, "initialStock": 5,
			"prices": []any{map[string]any{"amount": 1500, "currency": "EUR"}}}})
	productID, _ := data.Dig("createProduct", "product", "id").(string)
	if err != nil || productID == "" {
		t.Fatalf("createProduct: %v %v", data, err)
	}
	email := "live-" + uuid.NewString()[:8] + "@example.com"
	if data, err := gql(api, "", `mutation($in: RegisterInput!) { register(input: $in) { user { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": "correct horse battery", "name": "Lia"}}); err != nil || data.Dig("register", "user", "id") == nil {
		t.Fatalf("register: %v %v", data, err)
	}
	data, err = gql(api, "", `mutation { login(input: {email: "`+email+`", password: "correct horse battery"}) { accessToken refreshToken } }`, nil)
	access, _ := data.Dig("login", "accessToken").(string)
	b.refresh, _ = data.Dig("login", "refreshToken").(string)
	if err != nil || access == "" {
		t.Fatalf("login: %v %v", data, err)
	}
	b.token = "Bearer " + access
	if _, err := gql(api, b.token, `mutation($p: ID!) { addToCart(input: {productId: $p, quantity: 1}) { cart { itemCount } } }`, map[string]any{"p": productID}); err != nil {
		t.Fatal(err)
	}
	data, err = gql(api, b.token, checkoutMutation, map[string]any{"in": map[string]any{
		"idempotencyKey": uuid.NewString(), "paymentToken": "tok_visa",
		"shippingAddress": map[string]any{"fullName": "Lia", "line1": "Road 3", "city": "Berlin", "postalCode": "10115", "country": "DE"},
	}})
	if err != nil || data.Dig("checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout: %v %v", data, err)
	}
	b.orderID = data.Dig("checkout", "order", "id").(string)
	return b
}

// next is one of a subscription's results, with its transport.
type next func() (gqltest.Response, error)

// watchOverBoth subscribes to the order as the bearer of token over
// graphql-ws and over SSE; both end with the test.
func watchOverBoth(t *testing.T, ctx context.Context, api, token string, vars map[string]any) (map[string]next, *gqltest.WS) {
	t.Helper()
	ws, err := gqltest.DialWS(ctx, api+"/graphql", map[string]any{"Authorization": token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ws.Close)
	op, err := ws.Subscribe("1", watchOrder, vars)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := gqltest.Client{URL: api + "/graphql", Header: http.Header{"Authorization": {token}}}.Subscribe(ctx, watchOrder, vars)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stream.Close)
	return map[string]next{"graphql-ws": op.Next, "SSE": stream.Next}, ws
}

// TestOrderStatusChangesLiveOverWebSocketAndSSE: both transports see the
// order PAID, then each change an admin makes, once and in order, with the
// product's name from the other subgraph, and the stream ends at DELIVERED.
func TestOrderStatusChangesLiveOverWebSocketAndSSE(t *testing.T) {
	s := newStorefront(t)
	api := s.router.url()
	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	b := s.paidOrder(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vars := map[string]any{"id": b.orderID}

	transports, _ := watchOverBoth(t, ctx, api, b.token, vars)

	want := func(status, payment string) {
		t.Helper()
		for name, next := range transports {
			r, err := next()
			if err != nil {
				t.Fatalf("%s: waiting for %s: %v", name, status, err)
			}
			o := r.Dig("orderStatusChanged")
			lines, _ := gqltest.Dig(o, "lines").([]any)
			if len(r.Errors) > 0 || gqltest.Dig(o, "id") != b.orderID || gqltest.Dig(o, "status") != status ||
				gqltest.Dig(o, "paymentStatus") != payment || len(lines) != 1 || gqltest.Dig(lines[0], "product", "name") != b.productName {
				t.Fatalf("%s: %s, want %s (payment %s) with the product's name %q", name, r.Raw, status, payment, b.productName)
			}
		}
	}
	want("PAID", "CAPTURED")
	for _, step := range []struct{ mutation, status string }{
		{`mutation($id: ID!) { startFulfillment(id: $id) { order { status } } }`, "FULFILLING"},
		{`mutation($id: ID!) { markShipped(id: $id, trackingNumber: "LIVE-1") { order { status } } }`, "SHIPPED"},
		{`mutation($id: ID!) { markDelivered(id: $id) { order { status } } }`, "DELIVERED"},
	} {
		if data, err := gql(api, admin, step.mutation, vars); err != nil {
			t.Fatalf("%s: %v %v", step.status, data, err)
		}
		want(step.status, "CAPTURED")
	}
	for name, next := range transports {
		if r, err := next(); !errors.Is(err, io.EOF) {
			t.Errorf("%s after DELIVERED: %s %v, want the end of the stream", name, r.Raw, err)
		}
	}
}

// Only the order's customer (and admins) may watch it: anyone else learns
// nothing, and a subscription without credentials or with a bad token is
// refused at the router.
func TestOrderStatusSubscriptionsAreTheOwners(t *testing.T) {
	s := newStorefront(t)
	api := s.router.url()
	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	b := s.paidOrder(t, admin)
	other := s.paidOrder(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vars := map[string]any{"id": b.orderID}

	first := func(header http.Header) gqltest.Response {
		t.Helper()
		st, err := gqltest.Client{URL: api + "/graphql", Header: header}.Subscribe(ctx, watchOrder, vars)
		var refused *gqltest.NotAStream
		if errors.As(err, &refused) {
			return refused.Response()
		}
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		r, err := st.Next()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := first(http.Header{"Authorization": {admin}}); r.Dig("orderStatusChanged", "status") != "PAID" {
		t.Errorf("the admin watches: %s", r.Raw)
	}
	for _, tc := range []struct {
		who    string
		header http.Header
		code   string
	}{
		{"another customer", http.Header{"Authorization": {other.token}}, "NOT_FOUND"},
		{"nobody signed in", nil, "UNAUTHORIZED"},
		{"a forged token", http.Header{"Authorization": {"Bearer eyJhbGciOiJub25lIn0.e30."}}, "UNAUTHENTICATED"},
	} {
		r := first(tc.header)
		if codes := r.Codes(); len(codes) == 0 || codes[0] != tc.code || r.Dig("orderStatusChanged", "status") != nil {
			t.Errorf("%s: %s, want %s", tc.who, r.Raw, tc.code)
		}
	}

	// Over graphql-ws, a bad token is refused at connection_init.
	if _, err := gqltest.DialWS(ctx, api+"/graphql", map[string]any{"Authorization": "Bearer not.a.token"}, nil); err == nil {
		t.Error("connection_init with a bad token acknowledged")
	}
	// Another customer's subscription on a good connection errors.
	ws, err := gqltest.DialWS(ctx, api+"/graphql", map[string]any{"Authorization": other.token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	op, err := ws.Subscribe("x", watchOrder, vars)
	if err != nil {
		t.Fatal(err)
	}
	r, err := op.Next()
	if err != nil || len(r.Codes()) == 0 || r.Codes()[0] != "NOT_FOUND" {
		t.Errorf("another customer over graphql-ws: %s %v", r.Raw, err)
	}
}

// Signing out ends the session's live subscriptions within a heartbeat:
// the WebSocket closes with 4403, the SSE stream says why and completes.
func TestSignOutEndsLiveSubscriptions(t *testing.T) {
	s := newStorefront(t, "ROUTER_REVOKED_SESSIONS_POLL=200ms", "ROUTER_SUBSCRIPTIONS_HEARTBEAT=500ms")
	api := s.router.url()
	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	b := s.paidOrder(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vars := map[string]any{"id": b.orderID}
	transports, ws := watchOverBoth(t, ctx, api, b.token, vars)
	for name, next := range transports {
		if r, err := next(); err != nil || r.Dig("orderStatusChanged", "status") != "PAID" {
			t.Fatalf("%s: %s %v", name, r.Raw, err)
		}
	}
	if _, err := gql(api, "", `mutation($t: String!) { logout(refreshToken: $t) { ok } }`, map[string]any{"t": b.refresh}); err != nil {
		t.Fatal(err)
	}
	if _, err := transports["graphql-ws"](); err == nil || ws.CloseStatus != 4403 {
		t.Errorf("graphql-ws after signing out: %v (close %d), want 4403", err, ws.CloseStatus)
	}
	r, err := transports["SSE"]()
	if err != nil || fmt.Sprint(r.Codes()) != "[UNAUTHENTICATED]" {
		t.Errorf("SSE after signing out: %s %v, want UNAUTHENTICATED", r.Raw, err)
	}
	if _, err := transports["SSE"](); !errors.Is(err, io.EOF) {
		t.Errorf("SSE after the sign-out event: %v, want complete", err)
	}
}

// TestAThousandSubscriptionsOnOneRouter: one router holds 1,000 live
// subscriptions (40 graphql-ws connections of 25), every one gets the next
// change with the product's name, and the router's memory stays bounded.
// It prints what the router and the order service hold.
func TestAThousandSubscriptionsOnOneRouter(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 subscriptions: not in -short")
	}
	const conns, perConn = 40, 25
	// One address opens all 1,000: the per-client and rate limits would
	// refuse most of them, as they should. The order service's pool stays
	// small: each change is read once per watcher, and the tests of other
	// packages share the PostgreSQL server's 100 connections.
	s := newStorefrontWith(t, extraEnv{router: []string{"ROUTER_SUBSCRIPTIONS_PER_CLIENT=2000", "ROUTER_RATE_LIMIT=false"},
		order: []string{"ORDER_DB_MAX_CONNS=8"}})
	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	b := s.paidOrder(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before, orderBefore := s.router.usage(t), s.order.usage(t)

	var ops []*gqltest.Operation
	for c := range conns {
		ws, err := gqltest.DialWS(ctx, s.router.url()+"/graphql", map[string]any{"Authorization": b.token}, nil)
		if err != nil {
			t.Fatalf("connection %d: %v", c, err)
		}
		defer ws.Close()
		for i := range perConn {
			op, err := ws.Subscribe(fmt.Sprint(i), watchOrder, map[string]any{"id": b.orderID})
			if err != nil {
				t.Fatal(err)
			}
			ops = append(ops, op)
		}
	}
	expect := func(status string) {
		t.Helper()
		for i, op := range ops {
			r, err := op.Next()
			lines, _ := r.Dig("orderStatusChanged", "lines").([]any)
			if err != nil || r.Dig("orderStatusChanged", "status") != status || len(lines) != 1 || gqltest.Dig(lines[0], "product", "name") != b.productName {
				t.Fatalf("subscription %d: %.300s %v, want %s", i, r.Raw, err, status)
			}
		}
	}
	expect("PAID")
	open, orderOpen := s.router.usage(t), s.order.usage(t)
	start := time.Now()
	if _, err := gql(s.router.url(), admin, `mutation($id: ID!) { startFulfillment(id: $id) { order { status } } }`, map[string]any{"id": b.orderID}); err != nil {
		t.Fatal(err)
	}
	expect("FULFILLING")
	fanOut := time.Since(start)
	after := s.router.usage(t)
	t.Logf("1,000 subscriptions: router RSS %d MB idle → %d MB open (%.1f kB each), peak %d MB, %v CPU to open them; order service RSS %d → %d MB; one change reached all 1,000 in %v",
		before.rss>>20, open.rss>>20, float64(open.rss-before.rss)/1000/1024, after.peak>>20, open.cpu-before.cpu, orderBefore.rss>>20, orderOpen.rss>>20, fanOut.Round(time.Millisecond))
	if after.peak > 400<<20 {
		t.Errorf("router peak RSS %d MB with 1,000 subscriptions; want it bounded under 400 MB", after.peak>>20)
	}
}
