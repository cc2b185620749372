package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// call runs an operation against the order service and fails the test on
// any GraphQL error.
func (s *shop) call(t *testing.T, ident, query string, vars map[string]any) gqltest.Response {
	t.Helper()
	r, err := gql(s.order.url(), ident, query, vars)
	if err != nil {
		t.Fatalf("%s: %v", strings.Fields(query)[0], err)
	}
	return r
}

func TestCartAndCheckoutErrors(t *testing.T) {
	s := newShop(t)
	product := s.newProduct(t, 5, 1999)
	ann := identity("ann", "CUSTOMER")

	if _, err := gql(s.order.url(), "", `{ cart { itemCount } }`, nil); err == nil || !strings.Contains(err.Error(), "UNAUTHENTICATED") {
		t.Fatalf("anonymous cart: %v", err)
	}
	data := s.call(t, ann, `mutation { checkout(input: {idempotencyKey: "k", paymentToken: "tok_visa", shippingAddress: {fullName: "A", line1: "B", city: "C", postalCode: "1", country: "DE"}}) { order { id } userErrors { code } } }`, nil)
	if got := data.UserErrorCodes("checkout"); len(got) != 1 || got[0] != "CART_EMPTY" {
		t.Fatalf("empty cart: %v", got)
	}
	add := `mutation($p: ID!, $q: Int) { addToCart(input: {productId: $p, quantity: $q}) { cart { itemCount subtotal { amount } lines { quantity available unitPrice { amount } lineTotal { amount } product { id } } } userErrors { code field } } }`
	data = s.call(t, ann, add, map[string]any{"p": product, "q": 2})
	if data.Dig("addToCart", "cart", "itemCount") != 2.0 || data.Dig("addToCart", "cart", "subtotal", "amount") != 3998.0 {
		t.Fatalf("add: %v", data)
	}
	data = s.call(t, ann, add, map[string]any{"p": product, "q": 1})
	if data.Dig("addToCart", "cart", "itemCount") != 3.0 {
		t.Fatalf("add again adds up: %v", data)
	}
	if got := s.call(t, ann, add, map[string]any{"p": uuid.NewString(), "q": 1}).UserErrorCodes("addToCart"); len(got) != 1 || got[0] != "NOT_FOUND" {
		t.Fatalf("unknown product: %v", got)
	}
	if got := s.call(t, ann, add, map[string]any{"p": product, "q": 0}).UserErrorCodes("addToCart"); len(got) != 1 || got[0] != "INVALID_INPUT" {
		t.Fatalf("zero quantity: %v", got)
	}
	if _, err := gql(s.order.url(), ann, add, map[string]any{"p": "not-a-uuid", "q": 1}); err == nil || !strings.Contains(err.Error(), "BAD_USER_INPUT") {
		t.Fatalf("malformed id: %v", err)
	}
	data = s.call(t, ann, `mutation($p: ID!) { updateCartLine(input: {productId: $p, quantity: 1}) { cart { itemCount } userErrors { code } } }`, map[string]any{"p": product})
	if data.Dig("updateCartLine", "cart", "itemCount") != 1.0 {
		t.Fatalf("update line: %v", data)
	}

	bad := s.call(t, ann, checkoutMutation, map[string]any{"in": map[string]any{"idempotencyKey": "", "paymentToken": "", "currency": "EURO",
		"shippingAddress": map[string]any{"fullName": "", "line1": "x", "city": "x", "postalCode": "x", "country": "ZZ"}}})
	if got := bad.UserErrorCodes("checkout"); len(got) != 5 {
		t.Fatalf("invalid checkout input: %v, want 5 userErrors", got)
	}

	// A declined card: the order exists as PAYMENT_FAILED and the cart is back.
	data, err := s.checkout("ann", "tok_chargeDeclined", uuid.NewString())
	if err != nil || data.Dig("checkout", "order", "status") != "PAYMENT_FAILED" || data.UserErrorCodes("checkout")[0] != "PAYMENT_DECLINED" {
		t.Fatalf("declined: %v %v", data, err)
	}
	data = s.call(t, ann, `{ cart { itemCount } }`, nil)
	if data.Dig("cart", "itemCount") != 1.0 {
		t.Fatalf("cart not restored after a decline: %v", data)
	}
	data = s.call(t, ann, `mutation { removeFromCart(productId: "`+product+`") { cart { itemCount } } }`, nil)
	if data.Dig("removeFromCart", "cart", "itemCount") != 0.0 {
		t.Fatalf("remove: %v", data)
	}
	// A card token the gateway does not know: refused, not retried forever.
	s.call(t, ann, add, map[string]any{"p": product, "q": 1})
	data, err = s.checkout("ann", "tok_bogus", uuid.NewString())
	if err != nil || data.Dig("checkout", "order", "status") != "PAYMENT_FAILED" || data.Dig("checkout", "order", "paymentStatus") != "FAILED" {
		t.Fatalf("unknown card token: %v %v", data, err)
	}
	s.call(t, ann, `mutation { clearCart { cart { itemCount } } }`, nil)

	// More than the stock: CANCELLED with INSUFFICIENT_STOCK.
	s.call(t, ann, add, map[string]any{"p": product, "q": 6})
	data, err = s.checkout("ann", "tok_visa", uuid.NewString())
	if err != nil || data.Dig("checkout", "order", "status") != "CANCELLED" || data.UserErrorCodes("checkout")[0] != "INSUFFICIENT_STOCK" {
		t.Fatalf("too many: %v %v", data, err)
	}
	s.settle(t, 10*time.Second)
	s.checkInvariants(t, product, 5)
}

const orderFields = `order { id status paymentStatus trackingNumber failureReason history { from to actor } } userErrors { code message }`

func TestOrderLifecycleAndPrivacy(t *testing.T) {
	s := newShop(t)
	product := s.newProduct(t, 10, 500)
	bob := identity("bob", "CUSTOMER")
	eve := identity("eve", "CUSTOMER")

	place := func() string {
		data, err := s.buy("bob", product, 2, "tok_visa", uuid.NewString())
		if err != nil || data.Dig("checkout", "order", "status") != "PAID" {
			t.Fatalf("checkout: %v %v", data, err)
		}
		return data.Dig("checkout", "order", "id").(string)
	}
	first := place()

	// Privacy: Eve sees neither the order nor Bob's order list.
	if data := s.call(t, eve, `query($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": first}); data.Dig("order") != nil {
		t.Fatalf("eve sees bob's order: %v", data)
	}
	entities := `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { totalCount edges { node { id total { amount } } } } } } }`
	if _, err := gql(s.order.url(), eve, entities, map[string]any{"r": []any{map[string]any{"__typename": "User", "id": "bob"}}}); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Fatalf("eve lists bob's orders: %v", err)
	}
	data := s.call(t, bob, entities, map[string]any{"r": []any{map[string]any{"__typename": "User", "id": "bob"}}})
	if data.Dig("_entities", 0, "orders", "totalCount") != 1.0 {
		t.Fatalf("bob's orders: %v", data)
	}

	// Admin-only steps.
	ship := `mutation($id: ID!) { markShipped(id: $id, trackingNumber: "1Z999") { ` + orderFields + ` } }`
	if _, err := gql(s.order.url(), bob, ship, map[string]any{"id": first}); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Fatalf("customer ships: %v", err)
	}
	deliver := `mutation($id: ID!) { markDelivered(id: $id) { ` + orderFields + ` } }`
	if got := s.call(t, admin, deliver, map[string]any{"id": first}).UserErrorCodes("markDelivered"); len(got) != 1 || got[0] != "CONFLICT" {
		t.Fatalf("deliver before shipping: %v", got)
	}
	s.call(t, admin, `mutation($id: ID!) { startFulfillment(id: $id) { `+orderFields+` } }`, map[string]any{"id": first})
	data = s.call(t, admin, ship, map[string]any{"id": first})
	if data.Dig("markShipped", "order", "status") != "SHIPPED" || data.Dig("markShipped", "order", "trackingNumber") != "1Z999" {
		t.Fatalf("ship: %v", data)
	}
	cancel := `mutation($id: ID!) { cancelOrder(id: $id, reason: "changed my mind") { ` + orderFields + ` } }`
	if got := s.call(t, bob, cancel, map[string]any{"id": first}).UserErrorCodes("cancelOrder"); len(got) != 1 || got[0] != "CONFLICT" {
		t.Fatalf("cancel after shipping: %v", got)
	}
	data = s.call(t, admin, deliver, map[string]any{"id": first})
	hist := data.Dig("markDelivered", "order", "history").([]any)
	if data.Dig("markDelivered", "order", "status") != "DELIVERED" || len(hist) != 6 || gqltest.Dig(hist[5], "actor") != "admin:e2e-admin" {
		t.Fatalf("deliver: %v", data)
	}

	// A paid order cancelled by its customer is refunded and restocked.
	second := place()
	if got := s.call(t, eve, cancel, map[string]any{"id": second}).UserErrorCodes("cancelOrder"); len(got) != 1 || got[0] != "NOT_FOUND" {
		t.Fatalf("eve cancels bob's order: %v", got)
	}
	data = s.call(t, bob, cancel, map[string]any{"id": second})
	if data.Dig("cancelOrder", "order", "status") != "REFUNDED" || data.Dig("cancelOrder", "order", "paymentStatus") != "REFUNDED" {
		t.Fatalf("cancel: %v", data)
	}
	s.settle(t, 10*time.Second)
	var onHand, reserved int
	if err := s.productDB.QueryRow(context.Background(), "SELECT on_hand, reserved FROM stock WHERE product_id = $1", uuid.MustParse(product)).Scan(&onHand, &reserved); err != nil || onHand != 8 || reserved != 0 {
		t.Fatalf("stock %d/%d (%v), want 8 on hand: the delivered order's 2 units gone, the cancelled order's back", onHand, reserved, err)
	}
	var refunded int64
	if err := s.gatewayDB.QueryRow(context.Background(), "SELECT refunded_amount FROM payments WHERE reference = $1", second).Scan(&refunded); err != nil || refunded != 1000 {
		t.Fatalf("refunded %d (%v), want 1000", refunded, err)
	}

	data = s.call(t, admin, `{ orders(first: 1, status: REFUNDED) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, nil)
	if data.Dig("orders", "totalCount") != 1.0 {
		t.Fatalf("admin list: %v", data)
	}
	// A page of orders with their lines (loaded for the page at once).
	data = s.call(t, admin, `{ orders(first: 10) { edges { node { id lines { quantity product { id } } } } } }`, nil)
	edges := data.Dig("orders", "edges").([]any)
	if len(edges) != 2 {
		t.Fatalf("admin list of all orders: %v", data)
	}
	for _, e := range edges {
		lines := gqltest.Dig(e, "node", "lines").([]any)
		if len(lines) != 1 || gqltest.Dig(lines[0], "quantity") != 2.0 || gqltest.Dig(lines[0], "product", "id") != product {
			t.Fatalf("lines of %v: %v", gqltest.Dig(e, "node", "id"), lines)
		}
	}
	if _, err := gql(s.order.url(), bob, `{ orders { totalCount } }`, nil); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Fatalf("customer lists all orders: %v", err)
	}
}

func TestStatusChangesAreInTheOutboxAndNotified(t *testing.T) {
	s := newShop(t)
	product := s.newProduct(t, 3, 100)
	conn, err := pgx.Connect(context.Background(), s.orderDB.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "LISTEN order_events"); err != nil {
		t.Fatal(err)
	}
	data, err := s.buy("carol", product, 1, "tok_visa", uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	id := data.Dig("checkout", "order", "id").(string)
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for len(got) < 3 {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("notifications so far %v: %v", got, err)
		}
		var ev struct {
			EventID int64  `json:"eventId"`
			OrderID string `json:"orderId"`
			To      string `json:"to"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil || ev.OrderID != id || ev.EventID == 0 {
			t.Fatalf("notification %s: %v", n.Payload, err)
		}
		got = append(got, ev.To)
	}
	if strings.Join(got, ",") != "PENDING,AWAITING_PAYMENT,PAID" {
		t.Fatalf("notified %v", got)
	}
	var events int
	if err := s.orderDB.QueryRow(context.Background(), "SELECT count(*) FROM outbox WHERE aggregate_id = $1 AND topic = 'order.status_changed'", uuid.MustParse(id)).Scan(&events); err != nil || events != 3 {
		t.Fatalf("outbox has %d events (%v), want 3", events, err)
	}
}

func TestFreeOrderNeedsNoCharge(t *testing.T) {
	s := newShop(t)
	free := s.newProduct(t, 3, 0)
	data, err := s.buy("gift", free, 1, "tok_visa", uuid.NewString())
	if err != nil || data.Dig("checkout", "order", "status") != "PAID" || data.Dig("checkout", "order", "paymentStatus") != "NONE" {
		t.Fatalf("free order: %v %v", data, err)
	}
	s.settle(t, 10*time.Second)
	o := s.checkInvariants(t, free, 3)
	if o.charges != 0 || o.onHand != 2 {
		t.Fatalf("outcome %+v: want no charge and the unit gone", o)
	}
}
