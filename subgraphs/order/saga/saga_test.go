package saga_test

import (
	"cmp"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/paymentgw"
	"github.com/virtual-store/virtual-store/subgraphs/order/orders"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
)

func TestLostReplyIsFoundAndTrusted(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 2)
	e.firstAttemptFails(t, o.ID, losing)
	p, err := gw.PaymentByKey(context.Background(), orderMerchant, chargeKey(o.ID))
	if err != nil {
		t.Fatalf("the lost reply's payment was not recorded: %v", err)
	}
	o = e.finish(t, o.ID)
	if o.Status != "PAID" || o.PaymentStatus != "CAPTURED" || o.PaymentID != p.ID || o.Total != 5000 || !o.StockCommitted {
		t.Fatalf("order %s/%s payment %q total %d committed %v; want PAID, CAPTURED, %s, 5000, true", o.Status, o.PaymentStatus, o.PaymentID, o.Total, o.StockCommitted, p.ID)
	}
	if onHand, reserved := stockOf(t, product); onHand != 8 || reserved != 0 {
		t.Fatalf("stock %d/%d, want 8/0", onHand, reserved)
	}
	if o.PaymentToken != "" {
		t.Fatalf("payment token %q kept after the charge, want it forgotten", o.PaymentToken)
	}
	var n int
	if err := gatewayPool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE reference = $1", o.ID.String()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d payments for the order (%v), want 1", n, err)
	}
	if got := e.mismatches(t, saga.MismatchPayment); got != 0 {
		t.Fatalf("mismatches %v, want 0", got)
	}
}

func TestPaymentFoundByKeyMustBeTheOrders(t *testing.T) {
	tests := []struct {
		name     string
		amount   int64 // 0: the order's
		currency string
		ref      string // "": the order's id
	}{
		{name: "amount", amount: 4999},
		{name: "currency", currency: "USD"},
		{name: "reference", ref: "order-" + uuid.NewString()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			product := newProduct(t, 10, 2500)
			o := placeOrder(t, product, 2)
			e.firstAttemptFails(t, o.ID, failing)
			amount, currency, ref := cmp.Or(tt.amount, 5000), cmp.Or(tt.currency, "EUR"), cmp.Or(tt.ref, o.ID.String())
			foreign := plant(t, orderMerchant, chargeKey(o.ID), amount, currency, ref)

			o = e.finish(t, o.ID)
			wantFailedSafely(t, e, o, "PAYMENT_MISMATCH", saga.MismatchPayment, product, 2, 10)
			if o.PaymentID == foreign.ID {
				t.Error("the foreign payment was recorded as the order's")
			}
			logs := errorLogs(e.log, o.ID)
			if len(logs) == 1 && (logs[0]["expected_amount"] != 5000.0 || logs[0]["found_amount"] != float64(amount) ||
				logs[0]["expected_currency"] != "EUR" || logs[0]["found_currency"] != currency ||
				logs[0]["expected_reference"] != o.ID.String() || logs[0]["found_reference"] != ref || logs[0]["payment_id"] != foreign.ID) {
				t.Errorf("mismatch log lacks what was expected and found: %v", logs[0])
			}
			// The saga did not charge anew: the planted payment is the only one under the key.
			var n int
			if err := gatewayPool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE merchant = $1 AND (reference = $2 OR idempotency_key = $3)",
				orderMerchant, o.ID.String(), chargeKey(o.ID)).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d payments for the order (%v), want only the planted one", n, err)
			}
		})
	}
}

func TestChargeKeyConflictFailsTheOrder(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 2)
	// Another request already sits under the key the order will use.
	foreign := plant(t, orderMerchant, chargeKey(o.ID), 100, "EUR", "someone-else")
	o = e.finish(t, o.ID)
	wantFailedSafely(t, e, o, "PAYMENT_KEY_CONFLICT", saga.MismatchChargeKey, product, 2, 10)
	if o.PaymentToken != "" {
		t.Fatalf("payment token %q kept after a failed charge, want it forgotten", o.PaymentToken)
	}
	if got := e.mismatches(t, saga.MismatchPayment); got != 0 {
		t.Errorf("payment mismatches %v, want 0 (it is a key conflict)", got)
	}
	if p, err := gw.PaymentByID(context.Background(), orderMerchant, foreign.ID); err != nil || p.RefundedAmount != 0 {
		t.Errorf("the foreign payment: %+v %v", p, err)
	}
}

func TestAnotherMerchantsKeyIsNoConcern(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 2)
	other := plant(t, "spiffe://virtual-store/other-shop", chargeKey(o.ID), 100, "EUR", "elsewhere")
	o = e.finish(t, o.ID)
	if o.Status != "PAID" || o.PaymentID == "" || o.PaymentID == other.ID {
		t.Fatalf("order %s, payment %q (the other merchant's is %s); want PAID with its own payment", o.Status, o.PaymentID, other.ID)
	}
	p, err := gw.PaymentByID(context.Background(), orderMerchant, o.PaymentID)
	if err != nil || p.Amount != 5000 || p.Reference != o.ID.String() {
		t.Fatalf("the order's payment: %+v %v", p, err)
	}
	if got := e.mismatches(t, saga.MismatchChargeKey) + e.mismatches(t, saga.MismatchPayment); got != 0 {
		t.Fatalf("mismatches %v, want 0", got)
	}
}

func TestRefundKeyConflictKeepsTheRefundDueLoudly(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 1)
	o = e.finish(t, o.ID)
	if o.Status != "PAID" {
		t.Fatalf("order %s, want PAID", o.Status)
	}
	// Another payment of the merchant was refunded under the key the
	// order's refund will use.
	refundKey := chargeKey(o.ID) + "-refund"
	otherPayment := plant(t, orderMerchant, uuid.NewString(), 300, "EUR", "elsewhere")
	if _, err := gw.CreateRefund(context.Background(), orderMerchant, otherPayment.ID, refundKey, paymentgw.RefundRequest{}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.orders.Cancel(context.Background(), o.ID, orders.Actor{UserID: "test", Admin: true}, "test"); err != nil {
		t.Fatal(err)
	}
	o = orderByID(t, o.ID)
	if o.Status != "CANCELLED" || saga.Step(o.SagaStep) != saga.StepRefund || !strings.Contains(o.SagaError, "idempotency key") {
		t.Fatalf("order %s, step %s, saga error %q; want CANCELLED, still REFUND, the conflict recorded", o.Status, o.SagaStep, o.SagaError)
	}
	if p, err := gw.PaymentByID(context.Background(), orderMerchant, o.PaymentID); err != nil || p.RefundedAmount != 0 {
		t.Fatalf("the order's payment: %+v %v", p, err)
	}
	if got := e.mismatches(t, saga.MismatchRefundKey); got < 1 {
		t.Fatalf("refund key conflicts counted %v, want at least 1", got)
	}
	if len(errorLogs(e.log, o.ID)) < 1 {
		t.Fatal("the refund key conflict was not logged at error level")
	}
}

func TestCountMismatchesRegistersOnce(t *testing.T) {
	e, reg := newEnv(t), prometheus.NewRegistry()
	if err := e.engine.CountMismatches(reg); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.CountMismatches(reg); err == nil {
		t.Fatal("registering twice with one registry must fail")
	}
	// All kinds are exported from the start, at zero.
	families, err := reg.Gather()
	if err != nil || len(families) != 1 || len(families[0].GetMetric()) != 3 {
		t.Fatalf("gathered %v, %v; want order_payment_mismatches_total with 3 kinds", families, err)
	}
}
