package saga

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Checkout outcomes, the outcome label of checkouts_total and
// checkout_duration_seconds: the order's status when its checkout ended.
const (
	CheckoutPaid          = "paid"           // PAID, stock committed
	CheckoutPaymentFailed = "payment_failed" // PAYMENT_FAILED: declined, refused, or a payment not the order's
	CheckoutCancelled     = "cancelled"      // CANCELLED: out of stock, a product gone, or the reservation lapsed during payment
)

// Metrics is told the result of each order's checkout, once per order:
// after the step that decided it (the commit, or a reserve or charge that
// failed the order) has committed.
type Metrics interface {
	// Checkout: the checkout ended with outcome, took after the order was placed.
	Checkout(outcome string, took time.Duration)
	// PaymentDeclined: it ended PAYMENT_FAILED for reason, the order's failureReason.
	PaymentDeclined(reason string)
}

// Kinds of untrusted gateway answers, the kind label of
// order_payment_mismatches_total.
const (
	// MismatchPayment: a payment found under the order's key (or returned
	// by the charge) with another amount, currency or reference.
	MismatchPayment = "payment_mismatch"
	// MismatchChargeKey: the gateway holds another request under the
	// order's charge key (409 idempotency_key_reused).
	MismatchChargeKey = "charge_key_conflict"
	// MismatchRefundKey: the same, for the order's refund key.
	MismatchRefundKey = "refund_key_conflict"
)

// CountMismatches registers order_payment_mismatches_total{kind} with reg
// and counts into it from then on. Call it once, before the engine runs.
// Any increase deserves a human's look: see the error logs of the same
// moment for the order, and what was expected and found.
func (e *Engine) CountMismatches(reg prometheus.Registerer) error {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "order_payment_mismatches_total",
		Help: "Payment gateway answers checkout did not trust, by kind: a payment that is not the order's (payment_mismatch), or another request under the order's charge or refund idempotency key (charge_key_conflict, refund_key_conflict).",
	}, []string{"kind"})
	for _, kind := range []string{MismatchPayment, MismatchChargeKey, MismatchRefundKey} {
		c.WithLabelValues(kind) // export zeros, so rate() and alerts work from the start
	}
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("register order_payment_mismatches_total: %w", err)
	}
	e.mismatches = c
	return nil
}

func (e *Engine) countMismatch(kind string) {
	if e.mismatches != nil {
		e.mismatches.WithLabelValues(kind).Inc()
	}
}

// countCheckout counts o's checkout result if step, which just ran and
// committed, decided it: the commit (PAID; CANCELLED when the reservation
// lapsed), or a reserve or charge that failed the order. Any later step
// (release, refund, restock) is compensation, not a checkout result.
func (e *Engine) countCheckout(step Step, o *store.Order) {
	if e.Metrics == nil {
		return
	}
	status := lifecycle.Status(o.Status)
	switch {
	case step == StepCommit:
	case (step == StepReserve || step == StepCharge) && (status == lifecycle.Cancelled || status == lifecycle.PaymentFailed):
	default:
		return
	}
	e.Metrics.Checkout(strings.ToLower(string(status)), max(time.Since(o.CreatedAt), 0))
	if status == lifecycle.PaymentFailed {
		e.Metrics.PaymentDeclined(cmp.Or(o.FailureReason, "UNKNOWN"))
	}
}
