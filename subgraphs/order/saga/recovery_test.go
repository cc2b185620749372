package saga_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// The saga on the order database with fake services (fakes_test.go): each
// test makes one service fail in one way at one moment and checks that the
// order ends where it must, with every effect made exactly once.

const unitPrice = 2500

func newFakes(stock int) (*saga.Engine, *fakeInventory, *fakePayments) {
	inv, pay := newFakeInventory(stock, unitPrice), newFakePayments()
	return saga.New(orderPool, inv, pay, quiet), inv, pay
}

// wantStock checks the fake inventory's stock and how often each of its
// operations took effect.
func wantStock(t *testing.T, inv *fakeInventory, available, sold int, effects map[string]int) {
	t.Helper()
	gotAvailable, held, gotSold, gotEffects := inv.state()
	if gotAvailable != available || held != 0 || gotSold != sold {
		t.Errorf("stock: %d available, %d held, %d sold; want %d, 0, %d", gotAvailable, held, gotSold, available, sold)
	}
	for _, op := range []string{"reserve", "commit", "release", "return"} {
		if gotEffects[op] != effects[op] {
			t.Errorf("%s took effect %d times, want %d", op, gotEffects[op], effects[op])
		}
	}
}

// wantPaid checks a checkout that ended well: one payment, the stock sold.
func wantPaid(t *testing.T, o store.Order, pay *fakePayments) {
	t.Helper()
	if lifecycle.Status(o.Status) != lifecycle.Paid || lifecycle.PaymentStatus(o.PaymentStatus) != lifecycle.PaymentCaptured ||
		o.PaymentID != "pay_1" || o.Total != 2*unitPrice || !o.StockCommitted || o.PaymentToken != "" {
		t.Errorf("order %s/%s, payment %q, total %d, committed %v, token %q; want PAID/CAPTURED, pay_1, %d, true, forgotten",
			o.Status, o.PaymentStatus, o.PaymentID, o.Total, o.StockCommitted, o.PaymentToken, 2*unitPrice)
	}
	if made, refunded := pay.payments(); made != 1 || refunded != 0 {
		t.Errorf("%d payments, %d refunded; want 1, 0", made, refunded)
	}
}

func TestDeclineReleasesTheStockAndRestoresTheCart(t *testing.T) {
	engine, inv, pay := newFakes(10)
	pay.declineCode = "card_declined"
	product := uuid.New()
	o := finish(t, engine, placeOrder(t, product, 3).ID)

	if lifecycle.Status(o.Status) != lifecycle.PaymentFailed || lifecycle.PaymentStatus(o.PaymentStatus) != lifecycle.PaymentDeclined ||
		o.FailureReason != lifecycle.ReasonCardDeclined || o.PaymentID != "pay_1" || o.PaymentToken != "" {
		t.Errorf("order %s/%s, reason %q, payment %q, token %q; want PAYMENT_FAILED/DECLINED, CARD_DECLINED, pay_1, forgotten",
			o.Status, o.PaymentStatus, o.FailureReason, o.PaymentID, o.PaymentToken)
	}
	wantStock(t, inv, 10, 0, map[string]int{"reserve": 1, "release": 1})
	if n := inv.count("commit"); n != 0 {
		t.Errorf("commit called %d times for a declined order", n)
	}
	if n := cartQuantity(t, o.UserID, product); n != 3 {
		t.Errorf("cart holds %d, want the order's 3 restored", n)
	}
	if h := history(t, o.ID); h != "PENDING,AWAITING_PAYMENT,PAYMENT_FAILED" {
		t.Errorf("history %s", h)
	}
}

func TestGatewayTimeoutThenRecovery(t *testing.T) {
	for _, tt := range []struct {
		name    string
		lost    bool // the first charge went through, its reply was lost
		charges int
	}{
		{name: "charge not processed", charges: 2},
		{name: "reply lost", lost: true, charges: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			engine, inv, pay := newFakes(10)
			pay.on("charge", outcome{err: errUnavailable, effect: tt.lost})
			o := placeOrder(t, uuid.New(), 2)
			if err := engine.Advance(context.Background(), o.ID, false); err != nil {
				t.Fatal(err)
			}
			// The charge is due again later, with its token kept for it.
			o = orderByID(t, o.ID)
			if saga.Step(o.SagaStep) != saga.StepCharge || o.SagaAttempts != 1 || !strings.Contains(o.SagaError, "unavailable") ||
				lifecycle.Status(o.Status) != lifecycle.AwaitingPayment || o.PaymentToken == "" {
				t.Fatalf("after the timeout: step %s, attempts %d, error %q, status %s, token %q; want CHARGE, 1, unavailable, AWAITING_PAYMENT, kept",
					o.SagaStep, o.SagaAttempts, o.SagaError, o.Status, o.PaymentToken)
			}

			o = finish(t, engine, o.ID)
			wantPaid(t, o, pay)
			// The retry asked what became of the first charge before charging.
			if lookups, charges := pay.count("lookup"), pay.count("charge"); lookups != 1 || charges != tt.charges {
				t.Errorf("%d lookups, %d charges; want 1, %d", lookups, charges, tt.charges)
			}
			wantStock(t, inv, 8, 2, map[string]int{"reserve": 1, "commit": 1})
		})
	}
}

func TestInventoryFailureBeforeCharge(t *testing.T) {
	t.Run("out of stock", func(t *testing.T) {
		engine, inv, pay := newFakes(1)
		product := uuid.New()
		o := finish(t, engine, placeOrder(t, product, 2).ID)
		if lifecycle.Status(o.Status) != lifecycle.Cancelled || lifecycle.PaymentStatus(o.PaymentStatus) != lifecycle.PaymentNone ||
			o.FailureReason != lifecycle.ReasonOutOfStock || o.PaymentID != "" {
			t.Errorf("order %s/%s, reason %q, payment %q; want CANCELLED/NONE, OUT_OF_STOCK, none", o.Status, o.PaymentStatus, o.FailureReason, o.PaymentID)
		}
		if n := pay.count("charge") + pay.count("lookup"); n != 0 {
			t.Errorf("%d payment requests for an order that could not be reserved", n)
		}
		// The release still runs: a tombstone against a late reservation.
		if n := inv.count("release"); n != 1 {
			t.Errorf("release called %d times, want 1", n)
		}
		wantStock(t, inv, 1, 0, nil)
		if n := cartQuantity(t, o.UserID, product); n != 2 {
			t.Errorf("cart holds %d, want the order's 2 restored", n)
		}
		if h := history(t, o.ID); h != "PENDING,CANCELLED" {
			t.Errorf("history %s", h)
		}
	})
	t.Run("product service down", func(t *testing.T) {
		engine, inv, pay := newFakes(10)
		inv.on("reserve", outcome{err: errUnavailable}, outcome{err: errUnavailable})
		o := placeOrder(t, uuid.New(), 2)
		for range 2 {
			if err := engine.Advance(context.Background(), o.ID, false); err != nil {
				t.Fatal(err)
			}
			forceDue(t, o.ID)
		}
		if o = orderByID(t, o.ID); saga.Step(o.SagaStep) != saga.StepReserve || o.SagaAttempts != 2 || pay.count("charge") != 0 {
			t.Fatalf("step %s, attempts %d, %d charges; want RESERVE, 2, none before the stock is held", o.SagaStep, o.SagaAttempts, pay.count("charge"))
		}
		wantPaid(t, finish(t, engine, o.ID), pay)
		wantStock(t, inv, 8, 2, map[string]int{"reserve": 1, "commit": 1})
	})
	t.Run("product gone", func(t *testing.T) {
		engine, inv, pay := newFakes(10)
		inv.on("reserve", outcome{err: &productapi.RejectedError{Code: "PRODUCT_NOT_FOUND", Message: "no such product"}})
		o := finish(t, engine, placeOrder(t, uuid.New(), 1).ID)
		if lifecycle.Status(o.Status) != lifecycle.Cancelled || o.FailureReason != lifecycle.ReasonProductUnavailable || pay.count("charge") != 0 {
			t.Errorf("order %s, reason %q, %d charges; want CANCELLED, PRODUCT_UNAVAILABLE, none", o.Status, o.FailureReason, pay.count("charge"))
		}
	})
}

// TestRerunAfterCrashMidStep stops the order service in the middle of each
// step, after the other service acted and before the step's transaction
// committed (as kill -9 would), and restarts it: the step runs again, and
// every effect happened once.
func TestRerunAfterCrashMidStep(t *testing.T) {
	for _, tt := range []struct {
		op      string // the call after which the service dies
		step    saga.Step
		decline bool
	}{
		{op: "reserve", step: saga.StepReserve},
		{op: "charge", step: saga.StepCharge},
		{op: "commit", step: saga.StepCommit},
		{op: "release", step: saga.StepRelease, decline: true},
	} {
		t.Run(tt.op, func(t *testing.T) {
			engine, inv, pay := newFakes(10)
			if tt.decline {
				pay.declineCode = "card_declined"
			}
			ctx, crash := context.WithCancel(context.Background())
			defer crash()
			dying := outcome{effect: true, crash: crash}
			if tt.op == "charge" {
				pay.on(tt.op, dying)
			} else {
				inv.on(tt.op, dying)
			}
			product := uuid.New()
			o := placeOrder(t, product, 2)
			if err := engine.Advance(ctx, o.ID, true); err == nil {
				t.Fatal("the crashed step reported success")
			}
			if o = orderByID(t, o.ID); saga.Step(o.SagaStep) != tt.step || o.SagaAttempts != 0 {
				t.Fatalf("after the crash: step %s, attempts %d; want %s, 0 (nothing of the step recorded)", o.SagaStep, o.SagaAttempts, tt.step)
			}

			// A new process over the same services resumes the order.
			restarted := saga.New(orderPool, inv, pay, quiet)
			o = finish(t, restarted, o.ID)
			if n := inv.count(tt.op) + pay.count(tt.op); n != 2 { // each op is one fake's
				t.Errorf("%s called %d times, want 2 (once more after the restart)", tt.op, n)
			}
			if tt.decline {
				if lifecycle.Status(o.Status) != lifecycle.PaymentFailed {
					t.Errorf("order %s, want PAYMENT_FAILED", o.Status)
				}
				wantStock(t, inv, 10, 0, map[string]int{"reserve": 1, "release": 1})
				if n := cartQuantity(t, o.UserID, product); n != 2 {
					t.Errorf("cart holds %d, want the order's 2 restored once", n)
				}
				return
			}
			wantPaid(t, o, pay)
			wantStock(t, inv, 8, 2, map[string]int{"reserve": 1, "commit": 1})
		})
	}
}

// forceDue makes the order's retry due now, instead of after its backoff.
func forceDue(t *testing.T, id uuid.UUID) {
	t.Helper()
	if _, err := orderPool.Exec(context.Background(), "UPDATE orders SET saga_next_at = now() WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
}
