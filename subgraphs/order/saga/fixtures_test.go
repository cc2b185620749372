package saga_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/paymentgw"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
)

var skuSeq atomic.Int64

// newProduct creates a product with stock and a EUR price in the product database.
func newProduct(t *testing.T, stock int, eur int64) uuid.UUID {
	t.Helper()
	p, err := catalog.New(productPool).CreateProduct(context.Background(), catalog.NewProduct{
		SKU: fmt.Sprintf("SAGA-%d-%d", time.Now().UnixNano(), skuSeq.Add(1)), Name: "Saga test product",
		Prices: []money.Money{{Amount: eur, Currency: "EUR"}}, InitialStock: stock,
	}, "test")
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p.ID
}

func stockOf(t *testing.T, product uuid.UUID) (onHand, reserved int) {
	t.Helper()
	if err := productPool.QueryRow(context.Background(), "SELECT on_hand, reserved FROM stock WHERE product_id = $1", product).Scan(&onHand, &reserved); err != nil {
		t.Fatal(err)
	}
	return onHand, reserved
}

// placeOrder records an order the way checkout does (the cart already
// turned into lines and cleared), without running its saga.
func placeOrder(t *testing.T, product uuid.UUID, quantity int32) store.Order {
	t.Helper()
	ctx := context.Background()
	var o store.Order
	err := postgres.InTx(ctx, orderPool, func(tx pgx.Tx) error {
		q := store.New(tx)
		id := uuid.New()
		if _, err := q.InsertOrder(ctx, store.InsertOrderParams{ID: id, UserID: "user-" + uuid.NewString(), IdempotencyKey: uuid.NewString(),
			Currency: "EUR", ShippingAddress: []byte(`{"name":"Ada","line1":"1 Test Street","city":"Berlin","postalCode":"10115","country":"DE"}`),
			PaymentToken: "tok_visa"}); err != nil {
			return err
		}
		if err := q.InsertOrderLine(ctx, store.InsertOrderLineParams{OrderID: id, ProductID: product, Quantity: quantity}); err != nil {
			return err
		}
		var err error
		if o, err = q.OrderByID(ctx, id); err != nil {
			return err
		}
		return saga.RecordCreated(ctx, q, &o, "customer:"+o.UserID)
	})
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	return o
}

func chargeKey(id uuid.UUID) string { return "order-" + id.String() + "-charge" }

func orderByID(t *testing.T, id uuid.UUID) store.Order {
	t.Helper()
	o, err := store.New(orderPool).OrderByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// finish runs the order's saga to its end, waiting through retry delays.
func (e env) finish(t *testing.T, id uuid.UUID) store.Order {
	t.Helper()
	return finish(t, e.engine, id)
}

// finish runs the order's saga with engine to its end, waiting through retry delays.
func finish(t *testing.T, engine *saga.Engine, id uuid.UUID) store.Order {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := engine.Advance(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	o := orderByID(t, id)
	if saga.Step(o.SagaStep) != saga.StepDone {
		t.Fatalf("saga not done: step %s, error %q", o.SagaStep, o.SagaError)
	}
	return o
}

// firstAttemptFails runs the order until its charge has failed once with the
// outcome unknown (the gateway in mode), so the next attempt looks the
// payment up by key first.
func (e env) firstAttemptFails(t *testing.T, id uuid.UUID, mode int32) {
	t.Helper()
	setGateway(t, mode)
	if err := e.engine.Advance(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	gwSwitch.mode.Store(normal)
	if o := orderByID(t, id); saga.Step(o.SagaStep) != saga.StepCharge || o.SagaAttempts != 1 || o.Status != "AWAITING_PAYMENT" {
		t.Fatalf("after a failed charge: step %s, attempts %d, status %s", o.SagaStep, o.SagaAttempts, o.Status)
	}
}

// plant records a payment under the order service's merchant (or another).
func plant(t *testing.T, merchant, key string, amount int64, currency, reference string) paymentgw.Payment {
	t.Helper()
	p, err := gw.CreatePayment(context.Background(), merchant, key, paymentgw.PaymentRequest{Amount: amount, Currency: currency, Source: "tok_visa", Reference: reference})
	if err != nil || p.Status != "succeeded" {
		t.Fatalf("plant payment: %+v %v", p, err)
	}
	return p
}

// wantFailedSafely checks an order failed for reason without taking a
// payment for its own, with its cart restored and its stock released.
func wantFailedSafely(t *testing.T, e env, o store.Order, reason, kind string, product uuid.UUID, quantity int32, stock int) {
	t.Helper()
	if o.Status != "PAYMENT_FAILED" || o.PaymentStatus != "FAILED" || o.FailureReason != reason || o.PaymentID != "" {
		t.Errorf("order: status %s, payment %s, reason %q, payment id %q; want PAYMENT_FAILED, FAILED, %s, none",
			o.Status, o.PaymentStatus, o.FailureReason, o.PaymentID, reason)
	}
	if inCart := cartQuantity(t, o.UserID, product); inCart != quantity {
		t.Errorf("cart holds %d, want the order's %d restored", inCart, quantity)
	}
	if onHand, reserved := stockOf(t, product); onHand != stock || reserved != 0 {
		t.Errorf("stock on hand %d reserved %d, want %d and 0 (released)", onHand, reserved, stock)
	}
	if got := e.mismatches(t, kind); got != 1 {
		t.Errorf("order_payment_mismatches_total{kind=%q} = %v, want 1", kind, got)
	}
	if logs := errorLogs(e.log, o.ID); len(logs) != 1 {
		t.Errorf("%d error logs about the order, want 1: %v", len(logs), logs)
	}
	if h := history(t, o.ID); h != "PENDING,AWAITING_PAYMENT,PAYMENT_FAILED" {
		t.Errorf("history %v", h)
	}
}

// cartQuantity is how many of product the user's cart holds.
func cartQuantity(t *testing.T, userID string, product uuid.UUID) int32 {
	t.Helper()
	var n int32
	err := orderPool.QueryRow(context.Background(), "SELECT quantity FROM cart_lines WHERE user_id = $1 AND product_id = $2", userID, product).Scan(&n)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	return n
}

// history is the statuses an order went through, comma-separated.
func history(t *testing.T, id uuid.UUID) string {
	t.Helper()
	rows, err := orderPool.Query(context.Background(), "SELECT to_status FROM order_status_history WHERE order_id = $1 ORDER BY id", id)
	if err != nil {
		t.Fatal(err)
	}
	statuses, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(statuses, ",")
}
