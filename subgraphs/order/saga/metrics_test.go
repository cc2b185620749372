package saga_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/subgraphs/order/orders"
)

// withToken makes a placed order pay with another test card.
func withToken(t *testing.T, id uuid.UUID, token string) {
	t.Helper()
	if _, err := orderPool.Exec(context.Background(), "UPDATE orders SET payment_token = $1 WHERE id = $2", token, id); err != nil {
		t.Fatal(err)
	}
}

// want checks series (name, label pairs) of the env's registry against values.
func (e env) want(t *testing.T, values map[string]float64, series map[string][]string) {
	t.Helper()
	s := metricstest.Gather(t, e.reg)
	for key, labels := range series {
		if got := s.Sum(labels[0], labels[1:]...); got != values[key] {
			t.Errorf("%v = %v, want %v", labels, got, values[key])
		}
	}
}

var (
	checkouts = func(outcome string) []string { return []string{"checkouts_total", "outcome", outcome} }
	took      = func(outcome string) []string { return []string{"checkout_duration_seconds_count", "outcome", outcome} }
	declines  = func(reason string) []string { return []string{"payment_declines_total", "reason", reason} }
	requests  = func(op, outcome string) []string {
		return []string{"payment_request_duration_seconds_count", "operation", op, "outcome", outcome}
	}
)

func TestPaidCheckoutIsCountedOnce(t *testing.T) {
	e := newEnv(t)
	o := placeOrder(t, newProduct(t, 10, 2500), 1)
	if o = e.finish(t, o.ID); o.Status != "PAID" {
		t.Fatalf("order %s, want PAID", o.Status)
	}
	// Asking again after the end changes nothing.
	if err := e.engine.Advance(context.Background(), o.ID, false); err != nil {
		t.Fatal(err)
	}
	series := map[string][]string{"paid": checkouts("paid"), "paid took": took("paid"), "failed": checkouts("payment_failed"),
		"cancelled": checkouts("cancelled"), "charge ok": requests("charge", "ok"), "declined": declines("CARD_DECLINED")}
	e.want(t, map[string]float64{"paid": 1, "paid took": 1, "charge ok": 1}, series)

	// Cancelling the paid order refunds it: a payment request, not another checkout.
	if _, err := e.orders.Cancel(context.Background(), o.ID, orders.Actor{UserID: "test", Admin: true}, "test"); err != nil {
		t.Fatal(err)
	}
	series["refund ok"] = requests("refund", "ok")
	e.want(t, map[string]float64{"paid": 1, "paid took": 1, "charge ok": 1, "refund ok": 1}, series)
}

func TestFailedCheckoutsAreCountedWithTheirReason(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	for _, token := range []string{"tok_chargeDeclined", "tok_insufficientFunds", "tok_no_such_card"} {
		o := placeOrder(t, product, 1)
		withToken(t, o.ID, token)
		if o = e.finish(t, o.ID); o.Status != "PAYMENT_FAILED" {
			t.Fatalf("%s: order %s, want PAYMENT_FAILED", token, o.Status)
		}
	}
	// Out of stock: cancelled before any payment.
	if o := e.finish(t, placeOrder(t, newProduct(t, 1, 2500), 2).ID); o.Status != "CANCELLED" {
		t.Fatalf("order %s, want CANCELLED", o.Status)
	}
	e.want(t, map[string]float64{
		"failed": 3, "failed took": 3, "cancelled": 1, "cancelled took": 1,
		"card": 1, "funds": 1, "refused": 1,
		"charge declined": 2, "charge refused": 1,
	}, map[string][]string{
		"failed": checkouts("payment_failed"), "failed took": took("payment_failed"),
		"cancelled": checkouts("cancelled"), "cancelled took": took("cancelled"), "paid": checkouts("paid"),
		"card": declines("CARD_DECLINED"), "funds": declines("INSUFFICIENT_FUNDS"), "refused": declines("PAYMENT_REFUSED"),
		"processing":      declines("PAYMENT_PROCESSING_ERROR"),
		"charge declined": requests("charge", "declined"), "charge refused": requests("charge", "refused"),
		"charge ok": requests("charge", "ok"),
	})
}

func TestPaymentRequestsWithoutAnAnswerAreUnavailable(t *testing.T) {
	e := newEnv(t)
	o := placeOrder(t, newProduct(t, 10, 2500), 1)
	e.firstAttemptFails(t, o.ID, failing) // 503: nothing recorded
	if o = e.finish(t, o.ID); o.Status != "PAID" {
		t.Fatalf("order %s, want PAID", o.Status)
	}
	// The retry looked the key up (not found: an answer) and charged anew.
	e.want(t, map[string]float64{"unavailable": 1, "lookup": 1, "charge": 1, "paid": 1}, map[string][]string{
		"unavailable": requests("charge", "unavailable"), "lookup": requests("lookup", "ok"),
		"charge": requests("charge", "ok"), "paid": checkouts("paid"), "failed": checkouts("payment_failed"),
	})
}
