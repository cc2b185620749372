package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// shop is product + payment gateway + order, each a real process with its
// own fresh database.
type shop struct {
	product, gateway, order *proc
	productDB, gatewayDB    *pgxpool.Pool
	orderDB                 *pgxpool.Pool
}

func newShop(t *testing.T, gatewayEnv ...string) *shop {
	t.Helper()
	return newShopWith(t, extraEnv{gateway: gatewayEnv})
}

// extraEnv is configuration for some of the processes on top of the
// harness's (a later setting of a variable wins).
type extraEnv struct {
	product, gateway, order, user, router []string
}

func newShopWith(t *testing.T, env extraEnv) *shop {
	t.Helper()
	pURL, pDB := database(t)
	gURL, gDB := database(t)
	oURL, oDB := database(t)
	s := &shop{productDB: pDB, gatewayDB: gDB, orderDB: oDB}
	s.product = start(t, "product", append([]string{"PRODUCT_DATABASE_URL=" + pURL}, env.product...)...)
	s.gateway = start(t, "paymentgw", append([]string{"PAYMENTGW_DATABASE_URL=" + gURL, "PAYMENTGW_API_KEY=sk_test_e2e"}, env.gateway...)...)
	s.order = start(t, "order", append([]string{"ORDER_DATABASE_URL=" + oURL,
		"ORDER_PRODUCT_URL=" + s.product.url(),
		"ORDER_PAYMENT_URL=" + s.gateway.url(), "ORDER_PAYMENT_API_KEY=sk_test_e2e",
		"ORDER_WORKER_INTERVAL=200ms", "ORDER_DB_MAX_CONNS=60", "ORDER_CHECKOUT_WAIT=10s"}, env.order...)...)
	return s
}

var admin = identity("e2e-admin", "ADMIN")

// newProduct creates a product with stock through the product subgraph.
func (s *shop) newProduct(t *testing.T, stock int, eurCents int) string {
	t.Helper()
	data, err := gql(s.product.url(), admin, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"sku": "E2E-" + uuid.NewString()[:8], "name": "E2E widget", "initialStock": stock,
			"prices": []any{map[string]any{"amount": eurCents, "currency": "EUR"}}}})
	id, _ := data.Dig("createProduct", "product", "id").(string)
	if err != nil || id == "" {
		t.Fatalf("create product: %v %v", data, err)
	}
	return id
}

const checkoutMutation = `mutation($in: CheckoutInput!) { checkout(input: $in) {
	order { id status paymentStatus total { amount } } userErrors { code message } } }`

// buy puts quantity of product into user's cart and checks out with token.
// The checkout's reply may be lost (a killed service); the order's fate is
// judged from the databases afterwards.
func (s *shop) buy(user, product string, quantity int, token, key string) (gqltest.Response, error) {
	ident := identity(user, "CUSTOMER")
	if _, err := gql(s.order.url(), ident, `mutation($p: ID!, $q: Int) { addToCart(input: {productId: $p, quantity: $q}) { userErrors { code message } } }`,
		map[string]any{"p": product, "q": quantity}); err != nil {
		return gqltest.Response{}, fmt.Errorf("add to cart: %w", err)
	}
	return s.checkout(user, token, key)
}

func (s *shop) checkout(user, token, key string) (gqltest.Response, error) {
	return gql(s.order.url(), identity(user, "CUSTOMER"), checkoutMutation, map[string]any{"in": map[string]any{
		"idempotencyKey": key, "paymentToken": token,
		"shippingAddress": map[string]any{"fullName": "E2E Buyer", "line1": "Test St 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
	}})
}

// settle waits until no order has a checkout step left to run.
func (s *shop) settle(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var open int
		if err := s.orderDB.QueryRow(context.Background(), "SELECT count(*) FROM orders WHERE saga_step <> 'DONE'").Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d orders still unfinished after %s", open, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outcome is what the databases say after everything settled.
type outcome struct {
	byStatus   map[string]int
	paidUnits  int
	onHand     int
	reserved   int
	charges    int // succeeded payments at the gateway
	chargedSum int64
}

// checkInvariants asserts the promises of checkout and returns the outcome:
// every order in a terminal checkout state; exactly one succeeded charge per
// PAID order for its total and none for any other order; stock reduced by
// exactly the units of PAID orders, and nothing left reserved.
func (s *shop) checkInvariants(t *testing.T, product string, initialStock int) outcome {
	t.Helper()
	ctx := context.Background()
	o := outcome{byStatus: map[string]int{}}
	totals := map[string]int64{}
	rows, err := s.orderDB.Query(ctx, `SELECT o.id::text, o.status, o.total, coalesce(sum(l.quantity) FILTER (WHERE l.product_id = $1), 0)
		FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id`, uuid.MustParse(product))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, status string
		var total int64
		var units int
		if err := rows.Scan(&id, &status, &total, &units); err != nil {
			t.Fatal(err)
		}
		o.byStatus[status]++
		switch status {
		case "PAID":
			totals[id] = total
			o.paidUnits += units
		case "PAYMENT_FAILED", "CANCELLED":
		default:
			t.Errorf("order %s ended %s, not a terminal checkout state", id, status)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	charged := map[string]int64{}
	rows, err = s.gatewayDB.Query(ctx, "SELECT reference, amount, refunded_amount FROM payments WHERE status = 'succeeded'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		var amount, refunded int64
		if err := rows.Scan(&ref, &amount, &refunded); err != nil {
			t.Fatal(err)
		}
		if _, dup := charged[ref]; dup {
			t.Errorf("order %s was charged twice", ref)
		}
		charged[ref] = amount - refunded
		o.charges++
		o.chargedSum += amount - refunded
	}
	for id, total := range totals {
		if charged[id] != total {
			t.Errorf("PAID order %s: charged %d, total %d", id, charged[id], total)
		}
	}
	for ref, amount := range charged {
		if _, ok := totals[ref]; !ok && amount > 0 {
			t.Errorf("charge of %d for %s, which is not a PAID order", amount, ref)
		}
	}

	if err := s.productDB.QueryRow(ctx, "SELECT on_hand, reserved FROM stock WHERE product_id = $1", uuid.MustParse(product)).Scan(&o.onHand, &o.reserved); err != nil {
		t.Fatal(err)
	}
	if o.reserved != 0 || o.onHand != initialStock-o.paidUnits || o.onHand < 0 {
		t.Errorf("stock on hand %d reserved %d; want %d on hand (%d - %d paid units) and 0 reserved", o.onHand, o.reserved, initialStock-o.paidUnits, initialStock, o.paidUnits)
	}
	return o
}

func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	s := newShop(t)
	product := s.newProduct(t, 10, 2500)
	const buyers = 100
	var wg sync.WaitGroup
	errs := make(chan error, buyers)
	for i := range buyers {
		wg.Go(func() {
			if _, err := s.buy(fmt.Sprintf("buyer-%d", i), product, 1, "tok_visa", uuid.NewString()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("checkout: %v", err)
	}
	s.settle(t, 60*time.Second)
	o := s.checkInvariants(t, product, 10)
	if o.byStatus["PAID"] != 10 || o.byStatus["CANCELLED"] != buyers-10 || o.onHand != 0 || o.charges != 10 || o.chargedSum != 10*2500 {
		t.Fatalf("outcome %+v; want exactly 10 PAID, 90 CANCELLED, stock 0, 10 charges", o)
	}
}

func TestSameKeyTwiceConcurrentlyIsOneOrderAndOneCharge(t *testing.T) {
	s := newShop(t, "PAYMENTGW_LATENCY=50ms")
	product := s.newProduct(t, 5, 1000)
	ident := identity("twice", "CUSTOMER")
	if _, err := gql(s.order.url(), ident, `mutation($p: ID!) { addToCart(input: {productId: $p, quantity: 2}) { userErrors { code } } }`, map[string]any{"p": product}); err != nil {
		t.Fatal(err)
	}
	key := uuid.NewString()
	ids := make(chan string, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			data, err := s.checkout("twice", "tok_visa", key)
			if err != nil {
				t.Errorf("checkout: %v", err)
				return
			}
			id, _ := data.Dig("checkout", "order", "id").(string)
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Fatalf("one key gave %d orders: %v", len(seen), seen)
	}
	s.settle(t, 30*time.Second)
	o := s.checkInvariants(t, product, 5)
	if o.byStatus["PAID"] != 1 || o.charges != 1 || o.onHand != 3 {
		t.Fatalf("outcome %+v; want one PAID order, one charge, 3 units left", o)
	}
}

func TestCheckoutSurvivesAFlakyGateway(t *testing.T) {
	// 30% of gateway calls fail: half refused with 503, half processed with
	// the reply lost. Some buyers' cards are declined on top.
	s := newShop(t, "PAYMENTGW_FAILURE_RATE=0.15", "PAYMENTGW_TIMEOUT_RATE=0.15", "PAYMENTGW_LATENCY=2ms", "PAYMENTGW_LATENCY_JITTER=10ms")
	product := s.newProduct(t, 500, 1299)
	const buyers = 60
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			token := "tok_visa"
			if i%5 == 0 {
				token = "tok_chargeDeclined"
			}
			// Replies may be slow or lost; the databases tell the truth below.
			_, _ = s.buy(fmt.Sprintf("flaky-%d", i), product, 1+i%3, token, uuid.NewString())
		})
	}
	wg.Wait()
	s.settle(t, 90*time.Second)
	o := s.checkInvariants(t, product, 500)
	if o.byStatus["PAYMENT_FAILED"] != buyers/5 || o.byStatus["PAID"] != buyers-buyers/5 {
		t.Fatalf("outcome %+v; want %d PAYMENT_FAILED (declined cards) and the rest PAID", o, buyers/5)
	}
	if !strings.Contains(s.order.logText(), "checkout step will be retried") {
		t.Fatal("no checkout step was retried: the gateway's chaos did not reach the saga")
	}
	// Declined buyers got their carts back.
	var restored int
	if err := s.orderDB.QueryRow(context.Background(), "SELECT count(DISTINCT user_id) FROM cart_lines").Scan(&restored); err != nil || restored != buyers/5 {
		t.Fatalf("%d carts restored (%v), want %d", restored, err, buyers/5)
	}
}

func TestKill9OfOrderServiceMidCheckout(t *testing.T) {
	// A slow gateway keeps checkouts in flight when the order service dies.
	s := newShop(t, "PAYMENTGW_LATENCY=150ms", "PAYMENTGW_LATENCY_JITTER=100ms")
	product := s.newProduct(t, 40, 700)
	const buyers = 30
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			_, _ = s.buy(fmt.Sprintf("crash-%d", i), product, 1, "tok_visa", uuid.NewString())
		})
	}
	// Kill as soon as some orders exist and some are mid-saga.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		_ = s.orderDB.QueryRow(context.Background(), "SELECT count(*) FROM orders WHERE saga_step <> 'DONE'").Scan(&n)
		if n >= 15 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
	}
	s.order.kill9()
	wg.Wait() // the in-flight requests fail with the process gone
	var unfinished int
	_ = s.orderDB.QueryRow(context.Background(), "SELECT count(*) FROM orders WHERE saga_step <> 'DONE'").Scan(&unfinished)
	if unfinished == 0 {
		t.Fatal("no checkout was in flight when the order service was killed; the test proves nothing")
	}
	t.Logf("killed the order service with %d sagas unfinished", unfinished)
	s.order.restart()
	s.settle(t, 60*time.Second)
	o := s.checkInvariants(t, product, 40)
	if o.byStatus["PAID"] == 0 || o.byStatus["PAID"]+o.byStatus["PAYMENT_FAILED"]+o.byStatus["CANCELLED"] == 0 {
		t.Fatalf("outcome %+v", o)
	}
	t.Logf("after restart: %v, %d units paid, %d charges", o.byStatus, o.paidUnits, o.charges)
}

func TestKill9OfProductAndGatewayMidCheckout(t *testing.T) {
	s := newShop(t, "PAYMENTGW_LATENCY=100ms", "PAYMENTGW_LATENCY_JITTER=100ms")
	product := s.newProduct(t, 40, 900)
	const buyers = 30
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			_, _ = s.buy(fmt.Sprintf("chaos-%d", i), product, 1, "tok_visa", uuid.NewString())
		})
	}
	time.Sleep(150 * time.Millisecond)
	s.gateway.kill9()
	s.product.kill9()
	time.Sleep(500 * time.Millisecond) // the saga retries against dead services meanwhile
	s.product.restart()
	s.gateway.restart()
	wg.Wait()
	s.settle(t, 90*time.Second)
	o := s.checkInvariants(t, product, 40)
	t.Logf("after restarts: %v, %d units paid, %d charges", o.byStatus, o.paidUnits, o.charges)
}
