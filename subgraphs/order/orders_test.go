package order_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
)

const orderByID = `query($id: ID!) { order(id: $id) {
	id user { id } status paymentStatus currency subtotal { amount currency } total { amount currency }
	lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } }
	shippingAddress { fullName city country line2 } trackingNumber failureReason
	history { from to paymentStatus actor note } createdAt updatedAt
} }`

func TestOrderByIDIsItsCustomersAndTheAdmins(t *testing.T) {
	o := paidOrder(t, 2)
	annID, ann, mug, id := o.customerID, o.customer, o.product, o.id
	_, bob := customer()
	_, boss := admin()

	r := ann.Do(t, orderByID, map[string]any{"id": id})
	wantNoErrors(t, "own order", r)
	got := r.Dig("order")
	for _, want := range []struct {
		path []any
		v    any
	}{
		{[]any{"user", "id"}, annID}, {[]any{"status"}, "PAID"}, {[]any{"paymentStatus"}, "CAPTURED"},
		{[]any{"subtotal", "amount"}, 2500.0}, {[]any{"total", "currency"}, "EUR"},
		{[]any{"lines", 0, "product", "id"}, mug}, {[]any{"lines", 0, "quantity"}, 2.0},
		{[]any{"lines", 0, "unitPrice", "amount"}, 1250.0}, {[]any{"lines", 0, "lineTotal", "amount"}, 2500.0},
		{[]any{"shippingAddress", "country"}, "DE"}, {[]any{"shippingAddress", "line2"}, ""},
		{[]any{"trackingNumber"}, nil}, {[]any{"failureReason"}, nil},
		{[]any{"history", 0, "from"}, nil}, {[]any{"history", 0, "to"}, "PENDING"}, {[]any{"history", 0, "actor"}, "customer:" + annID},
		{[]any{"history", 2, "from"}, "AWAITING_PAYMENT"}, {[]any{"history", 2, "to"}, "PAID"}, {[]any{"history", 2, "actor"}, "system:checkout"},
	} {
		if v := gqltest.Dig(got, want.path...); v != want.v {
			t.Errorf("order %v = %v, want %v", want.path, v, want.v)
		}
	}
	if r = boss.Do(t, orderByID, map[string]any{"id": id}); r.Dig("order", "id") != id {
		t.Errorf("an admin reads any order: %s", r.Raw)
	}
	// Someone else's order is as good as unknown.
	for name, r := range map[string]gqltest.Response{
		"another customer's": bob.Do(t, orderByID, map[string]any{"id": id}),
		"unknown":            ann.Do(t, orderByID, map[string]any{"id": uuid.NewString()}),
	} {
		if len(r.Errors) > 0 || r.Data == nil || r.Dig("order") != nil {
			t.Errorf("%s order: %s, want null without errors", name, r.Raw)
		}
	}
	wantCodes(t, "anonymous", router.Do(t, orderByID, map[string]any{"id": id}), "UNAUTHENTICATED")
	wantCodes(t, "an id that is no id", ann.Do(t, orderByID, map[string]any{"id": "42"}), "BAD_USER_INPUT")
}

const entities = `query($reps: [_Any!]!) { _entities(representations: $reps) {
	... on Order { id status lines { quantity } }
	... on User { id orders(first: 5) { totalCount edges { node { id total { amount } } } } }
} }`

func TestEntities(t *testing.T) {
	o := paidOrder(t, 1)
	annID, ann, id := o.customerID, o.customer, o.id
	_, bob := customer()
	_, boss := admin()
	orderRep := func(id string) map[string]any { return map[string]any{"__typename": "Order", "id": id} }

	// A batch of orders: visible ones resolve, others are null in place.
	reps := []any{orderRep(id), orderRep(uuid.NewString()), orderRep("not-an-id"), orderRep(id)}
	r := ann.Do(t, entities, map[string]any{"reps": reps})
	wantNoErrors(t, "own orders", r)
	if r.Dig("_entities", 0, "id") != id || r.Dig("_entities", 0, "lines", 0, "quantity") != 1.0 ||
		r.Dig("_entities", 1) != nil || r.Dig("_entities", 2) != nil || r.Dig("_entities", 3, "id") != id {
		t.Errorf("_entities of Orders as their customer: %s", r.Raw)
	}
	if r = bob.Do(t, entities, map[string]any{"reps": reps[:1]}); len(r.Errors) > 0 || r.Dig("_entities", 0) != nil {
		t.Errorf("_entities of another's Order: %s, want null", r.Raw)
	}
	if r = boss.Do(t, entities, map[string]any{"reps": reps[:1]}); r.Dig("_entities", 0, "status") != "PAID" {
		t.Errorf("_entities of an Order as an admin: %s", r.Raw)
	}

	// User.orders, the order subgraph's part of a user.
	userRep := []any{map[string]any{"__typename": "User", "id": annID}}
	for name, c := range map[string]gqltest.Client{"the customer": ann, "an admin": boss} {
		r = c.Do(t, entities, map[string]any{"reps": userRep})
		wantNoErrors(t, name, r)
		if r.Dig("_entities", 0, "orders", "totalCount") != 1.0 || r.Dig("_entities", 0, "orders", "edges", 0, "node", "id") != id ||
			r.Dig("_entities", 0, "orders", "edges", 0, "node", "total", "amount") != 1250.0 {
			t.Errorf("User.orders for %s: %s", name, r.Raw)
		}
	}
	wantCodes(t, "User.orders for another customer", bob.Do(t, entities, map[string]any{"reps": userRep}), "FORBIDDEN")
	wantCodes(t, "User.orders for nobody", router.Do(t, entities, map[string]any{"reps": userRep}), "UNAUTHENTICATED")
}

const adminOrders = `query($first: Int, $after: String, $status: OrderStatus) { orders(first: $first, after: $after, status: $status) {
	totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
	edges { cursor node { id status user { id } lines { quantity } history { to } } }
} }`

const userOrders = `query($reps: [_Any!]!, $first: Int, $after: String) { _entities(representations: $reps) {
	... on User { orders(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id status } } } }
} }`

// page is one page of a listing: its order ids and page state.
type page struct {
	ids                  []string
	statuses             []any
	total                float64
	hasNext, hasPrevious bool
	endCursor            any
}

func readPage(r gqltest.Response, path ...any) page {
	c := r.Dig(path...)
	total, _ := gqltest.Dig(c, "totalCount").(float64)
	p := page{total: total, endCursor: gqltest.Dig(c, "pageInfo", "endCursor"),
		hasNext: gqltest.Dig(c, "pageInfo", "hasNextPage") == true, hasPrevious: gqltest.Dig(c, "pageInfo", "hasPreviousPage") == true}
	edges, _ := gqltest.Dig(c, "edges").([]any)
	for _, e := range edges {
		p.ids = append(p.ids, fmt.Sprint(gqltest.Dig(e, "node", "id")))
		p.statuses = append(p.statuses, gqltest.Dig(e, "node", "status"))
	}
	return p
}

func TestListingsFilterAndPage(t *testing.T) {
	carlID, carl := customer()
	_, boss := admin()
	mug := newProduct(t, 20, eur(1250))
	var paid, failed []string // newest last
	for _, token := range []string{"tok_visa", "tok_chargeDeclined", "tok_visa", "tok_chargeDeclined", "tok_visa"} {
		id, status := buy(t, carl, mug, 1, token)
		if status == "PAID" {
			paid = append(paid, id)
		} else {
			failed = append(failed, id)
		}
	}
	if len(paid) != 3 || len(failed) != 2 {
		t.Fatalf("%d paid and %d failed orders, want 3 and 2", len(paid), len(failed))
	}

	// The customer's own listing, newest first, two at a time.
	reps := []any{map[string]any{"__typename": "User", "id": carlID}}
	var seen []string
	var after any
	for i, want := range []struct{ n, next, prev bool }{{true, true, false}, {true, true, true}, {false, false, true}} {
		r := carl.Do(t, userOrders, map[string]any{"reps": reps, "first": 2, "after": after})
		wantNoErrors(t, "user orders", r)
		p := readPage(r, "_entities", 0, "orders")
		if p.total != 5 || p.hasNext != want.next || p.hasPrevious != want.prev || (want.n && len(p.ids) != 2) || (!want.n && len(p.ids) != 1) {
			t.Fatalf("page %d: %+v", i, p)
		}
		seen, after = append(seen, p.ids...), p.endCursor
	}
	all := append(append([]string{}, paid...), failed...)
	slices.Sort(all)
	if got := slices.Sorted(slices.Values(seen)); !slices.Equal(got, all) {
		t.Errorf("pages held %v, want every order of the customer once: %v", seen, all)
	}
	if last := seen[len(seen)-1]; last != paid[0] {
		t.Errorf("the last order listed is %s, want the first placed (%s): newest first", last, paid[0])
	}

	// The admins' listing of one status: page through it all, one at a time.
	wantCodes(t, "a customer lists every order", carl.Do(t, adminOrders, nil), "FORBIDDEN")
	wantCodes(t, "nobody lists every order", router.Do(t, adminOrders, nil), "UNAUTHENTICATED")
	first := readPage(boss.Do(t, adminOrders, map[string]any{"status": "PAYMENT_FAILED", "first": 1}), "orders")
	var listed []string
	after = nil
	for range int(first.total) + 1 {
		r := boss.Do(t, adminOrders, map[string]any{"status": "PAYMENT_FAILED", "first": 1, "after": after})
		wantNoErrors(t, "admin orders", r)
		p := readPage(r, "orders")
		for _, s := range p.statuses {
			if s != "PAYMENT_FAILED" {
				t.Fatalf("status filter let %v through", s)
			}
		}
		listed, after = append(listed, p.ids...), p.endCursor
		if !p.hasNext {
			break
		}
	}
	if float64(len(listed)) != first.total || !slices.Contains(listed, failed[0]) || !slices.Contains(listed, failed[1]) ||
		slices.Index(listed, failed[1]) > slices.Index(listed, failed[0]) {
		t.Errorf("paging PAYMENT_FAILED orders gave %v (total %v), want every one once, %s before %s", listed, first.total, failed[1], failed[0])
	}
	if p := readPage(boss.Do(t, adminOrders, map[string]any{"first": 100}), "orders"); p.total < 5 || !slices.Contains(p.ids, paid[2]) {
		t.Errorf("every order: total %v, want at least this test's 5", p.total)
	}

	for name, vars := range map[string]map[string]any{
		"a page too large": {"first": 101}, "a negative page": {"first": -1}, "a cursor not ours": {"after": "bm90LWEtY3Vyc29y"},
	} {
		wantCodes(t, name, boss.Do(t, adminOrders, vars), "BAD_USER_INPUT")
	}
	wantCodes(t, "a status that is none", boss.Do(t, adminOrders, map[string]any{"status": "LOST"}), "GRAPHQL_VALIDATION_FAILED")
}

// TestAPageLoadsItsLinesAndHistoryTogether: a page of orders with their
// lines and history costs one query for all lines and one for all history.
func TestAPageLoadsItsLinesAndHistoryTogether(t *testing.T) {
	daveID, dave := customer()
	mug := newProduct(t, 20, eur(1250))
	for range 4 {
		buy(t, dave, mug, 1, "tok_visa")
	}
	count := func() (lines, history float64) {
		s := metricstest.Gather(t, orderReg)
		return s.Sum("db_query_duration_seconds_count", "query", "OrderLinesForOrders"), s.Sum("db_query_duration_seconds_count", "query", "HistoryForOrders")
	}
	lines0, history0 := count()
	r := dave.Do(t, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { orders { edges { node { lines { quantity } history { to } } } } } } }`,
		map[string]any{"reps": []any{map[string]any{"__typename": "User", "id": daveID}}})
	wantNoErrors(t, "page", r)
	if n := len(r.Dig("_entities", 0, "orders", "edges").([]any)); n != 4 {
		t.Fatalf("%d orders, want 4", n)
	}
	if lines, history := count(); lines-lines0 != 1 || history-history0 != 1 {
		t.Errorf("a page of 4 orders ran %v line and %v history queries, want 1 and 1", lines-lines0, history-history0)
	}
}

func TestAdminFulfilsAnOrder(t *testing.T) {
	o := paidOrder(t, 1)
	annID, ann, id := o.customerID, o.customer, o.id
	bossID, boss := admin()
	change := func(c gqltest.Client, mutation string, vars map[string]any) gqltest.Response {
		t.Helper()
		if vars == nil {
			vars = map[string]any{}
		}
		vars["id"] = id
		return c.Do(t, mutation, vars)
	}
	const start = `mutation($id: ID!) { startFulfillment(id: $id) { order { status } userErrors { code } } }`
	const ship = `mutation($id: ID!, $tn: String!) { markShipped(id: $id, trackingNumber: $tn) { order { status trackingNumber } userErrors { code field } } }`
	const deliver = `mutation($id: ID!) { markDelivered(id: $id) { order { status } userErrors { code } } }`
	const cancel = `mutation($id: ID!) { cancelOrder(id: $id, reason: "changed my mind") { order { status } userErrors { code } } }`

	// Customers do not fulfil orders, not even their own.
	wantCodes(t, "a customer ships", change(ann, ship, map[string]any{"tn": "X"}), "FORBIDDEN")
	wantCodes(t, "nobody ships", change(router, ship, map[string]any{"tn": "X"}), "UNAUTHENTICATED")

	if r := change(boss, deliver, nil); fmt.Sprint(r.UserErrorCodes("markDelivered")) != "[CONFLICT]" || r.Dig("markDelivered", "order") != nil {
		t.Errorf("deliver a paid order: %s", r.Raw)
	}
	if r := change(boss, start, nil); r.Dig("startFulfillment", "order", "status") != "FULFILLING" {
		t.Fatalf("start fulfilment: %s", r.Raw)
	}
	if r := change(boss, ship, map[string]any{"tn": "  "}); fmt.Sprint(r.UserErrorCodes("markShipped")) != "[INVALID_INPUT]" {
		t.Errorf("ship without a tracking number: %s", r.Raw)
	}
	r := change(boss, ship, map[string]any{"tn": " TRK-1 "})
	if r.Dig("markShipped", "order", "status") != "SHIPPED" || r.Dig("markShipped", "order", "trackingNumber") != "TRK-1" {
		t.Fatalf("ship: %s", r.Raw)
	}
	if r := change(ann, cancel, nil); fmt.Sprint(r.UserErrorCodes("cancelOrder")) != "[CONFLICT]" {
		t.Errorf("cancel a shipped order: %s", r.Raw)
	}
	if r := change(boss, deliver, nil); r.Dig("markDelivered", "order", "status") != "DELIVERED" {
		t.Fatalf("deliver: %s", r.Raw)
	}
	if r := boss.Do(t, ship, map[string]any{"id": uuid.NewString(), "tn": "X"}); fmt.Sprint(r.UserErrorCodes("markShipped")) != "[NOT_FOUND]" {
		t.Errorf("ship an unknown order: %s", r.Raw)
	}

	r = ann.Do(t, orderByID, map[string]any{"id": id})
	var trail []string
	for _, h := range r.Dig("order", "history").([]any) {
		trail = append(trail, fmt.Sprintf("%v by %v", gqltest.Dig(h, "to"), gqltest.Dig(h, "actor")))
	}
	want := []string{"PENDING by customer:" + annID, "AWAITING_PAYMENT by system:checkout", "PAID by system:checkout",
		"FULFILLING by admin:" + bossID, "SHIPPED by admin:" + bossID, "DELIVERED by admin:" + bossID}
	if strings.Join(trail, ", ") != strings.Join(want, ", ") {
		t.Errorf("history %v\nwant %v", trail, want)
	}
}

func TestCustomersCancelTheirOwnOrders(t *testing.T) {
	o := paidOrder(t, 1)
	ann, id := o.customer, o.id
	_, bob := customer()
	const cancel = `mutation($id: ID!) { cancelOrder(id: $id, reason: "changed my mind") { order { status paymentStatus failureReason } userErrors { code } } }`
	if r := bob.Do(t, cancel, map[string]any{"id": id}); fmt.Sprint(r.UserErrorCodes("cancelOrder")) != "[NOT_FOUND]" {
		t.Errorf("cancel another's order: %s", r.Raw)
	}
	r := ann.Do(t, cancel, map[string]any{"id": id})
	wantNoErrors(t, "cancel", r)
	// Paid, so refunded by the saga before the answer.
	if r.Dig("cancelOrder", "order", "status") != "REFUNDED" || r.Dig("cancelOrder", "order", "paymentStatus") != "REFUNDED" ||
		r.Dig("cancelOrder", "order", "failureReason") != "CANCELLED_BY_CUSTOMER" {
		t.Errorf("cancel own paid order: %s", r.Raw)
	}
}
