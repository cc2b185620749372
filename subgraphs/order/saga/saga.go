// Package saga runs checkout as a saga persisted in the order row: reserve
// stock → charge the card → commit the stock, with compensations (release
// the stock, refund the charge, restock) when a step fails for good. Each
// step runs under the order's row lock and records its outcome in the same
// transaction; every external call is idempotent (keyed by the order id), so
// a step interrupted at any moment — even by kill -9 — is simply run again by
// the worker, and no order is lost, oversold or charged twice.
package saga

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Step is the next thing the saga of an order has to do.
type Step string

// Saga steps.
const (
	StepReserve     Step = "RESERVE"
	StepCharge      Step = "CHARGE"
	StepCommit      Step = "COMMIT"
	StepRelease     Step = "RELEASE"
	StepRefund      Step = "REFUND"
	StepReturnStock Step = "RETURN_STOCK"
	StepDone        Step = "DONE"
)

// Inventory is what the saga needs of the product service.
type Inventory interface {
	Reserve(ctx context.Context, orderID, currency string, lines []productapi.Line) (productapi.Reservation, error)
	Commit(ctx context.Context, orderID string) error
	Release(ctx context.Context, orderID string) error
	Return(ctx context.Context, orderID string) error
}

// Payments is what the saga needs of the payment gateway.
type Payments interface {
	Charge(ctx context.Context, key string, amount int64, currency, source, reference string) (paymentapi.Payment, error)
	PaymentByKey(ctx context.Context, key string) (paymentapi.Payment, error)
	Refund(ctx context.Context, paymentID, key string) error
}

// Engine runs sagas.
type Engine struct {
	pool       *pgxpool.Pool
	q          *store.Queries
	inv        Inventory
	pay        Payments
	log        *slog.Logger
	maxBackoff time.Duration
	// mismatches counts gateway answers that are not about what the saga
	// asked for; nil until CountMismatches.
	mismatches *prometheus.CounterVec
	// Metrics is told each checkout's result; nil counts nothing. Set it
	// before the engine runs.
	Metrics Metrics
}

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

// New returns an Engine.
func New(pool *pgxpool.Pool, inv Inventory, pay Payments, log *slog.Logger) *Engine {
	return &Engine{pool: pool, q: store.New(pool), inv: inv, pay: pay, log: log, maxBackoff: 30 * time.Second}
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

// SystemActor names the saga in the status history.
const SystemActor = "system:checkout"

// Advance runs the due steps of one order until its saga is done, a step has
// to wait for a retry, or another worker holds the order. With wait, it
// instead sleeps through retry delays and busy locks until ctx ends (the
// checkout mutation uses this to answer with a final status when it can).
func (e *Engine) Advance(ctx context.Context, id uuid.UUID, wait bool) error {
	for {
		o, ran, err := e.step(ctx, id)
		if err != nil {
			return err
		}
		if o != nil && Step(o.SagaStep) == StepDone {
			return nil
		}
		if ran {
			continue
		}
		if !wait {
			return nil
		}
		delay := 25 * time.Millisecond
		if o != nil {
			delay = max(time.Until(o.SagaNextAt), delay)
		}
		select {
		case <-ctx.Done():
			return nil // the worker carries on; the caller reports the current status
		case <-time.After(delay):
		}
	}
}

// step runs the order's current step if it is due and unlocked. It returns the
// order as read (nil if locked elsewhere) and whether a step ran to an outcome.
func (e *Engine) step(ctx context.Context, id uuid.UUID) (*store.Order, bool, error) {
	var (
		order *store.Order
		ran   bool
		did   Step // the step that ran
	)
	err := postgres.InTx(ctx, e.pool, func(tx pgx.Tx) error {
		q := e.q.WithTx(tx)
		o, err := q.LockOrder(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // locked by another worker (or no such order)
		}
		if err != nil {
			return fmt.Errorf("lock order: %w", err)
		}
		order = &o
		if Step(o.SagaStep) == StepDone || o.SagaNextAt.After(time.Now()) {
			return nil
		}
		did = Step(o.SagaStep)
		if err := e.run(ctx, q, &o); err != nil {
			next := time.Now().Add(e.backoff(int(o.SagaAttempts)))
			e.log.WarnContext(ctx, "checkout step will be retried", "order_id", o.ID, "step", o.SagaStep, "attempt", o.SagaAttempts+1, "retry_at", next, "err", err)
			o.SagaNextAt = next
			return q.ScheduleRetry(ctx, store.ScheduleRetryParams{ID: o.ID, NextAt: next, Error: truncate(err.Error(), 500)})
		}
		ran = true
		return nil
	})
	if err == nil && ran {
		e.countCheckout(did, order)
	}
	return order, ran, err
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

func (e *Engine) backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 10)
	d = min(d, e.maxBackoff)
	return d - time.Duration(rand.Int64N(int64(d)/5+1)) // up to 20% jitter, so retries spread out
}

// run performs o's step. It writes only on a definitive outcome; an error
// means "try again later" and leaves the order as it was.
func (e *Engine) run(ctx context.Context, q *store.Queries, o *store.Order) error {
	switch Step(o.SagaStep) {
	case StepReserve:
		return e.reserve(ctx, q, o)
	case StepCharge:
		if err := e.charge(ctx, q, o); err != nil {
			return err
		}
		// The charge has its final outcome (charge writes nothing else): the
		// card token is of no more use, so it is not kept.
		if err := q.ForgetPaymentToken(ctx, o.ID); err != nil {
			return fmt.Errorf("forget the payment token: %w", err)
		}
		o.PaymentToken = ""
		return nil
	case StepCommit:
		return e.commit(ctx, q, o)
	case StepRelease:
		if err := e.inv.Release(ctx, o.ID.String()); err != nil {
			if _, rejected := productapi.IsRejected(err); !rejected {
				return err
			}
			e.log.ErrorContext(ctx, "release refused", "order_id", o.ID, "err", err)
		}
		return setStep(ctx, q, o, StepDone)
	case StepRefund:
		key := chargeKey(o.ID) + "-refund"
		if err := e.pay.Refund(ctx, o.PaymentID, key); err != nil {
			var conflict *paymentapi.KeyConflictError
			if errors.As(err, &conflict) {
				// Retrying this key cannot help, but the money still has to go
				// back and there is no safe way on without a human: the step
				// stays due (with capped backoff, the error in saga_error) and
				// every attempt says so loudly.
				e.log.ErrorContext(ctx, "refund key holds another request at the payment gateway; the refund needs an operator",
					"order_id", o.ID, "payment_id", o.PaymentID, "key", key, "err", err)
				e.countMismatch(MismatchRefundKey)
			}
			return err
		}
		if err := ChangeStatus(ctx, q, o, lifecycle.Refunded, lifecycle.PaymentRefunded, SystemActor, "payment refunded", nil); err != nil {
			return err
		}
		if o.StockCommitted {
			return setStep(ctx, q, o, StepReturnStock)
		}
		return setStep(ctx, q, o, StepRelease)
	case StepReturnStock:
		if err := e.inv.Return(ctx, o.ID.String()); err != nil {
			if _, rejected := productapi.IsRejected(err); !rejected {
				return err
			}
			e.log.ErrorContext(ctx, "restock refused", "order_id", o.ID, "err", err)
		}
		return setStep(ctx, q, o, StepDone)
	}
	return fmt.Errorf("unknown saga step %q", o.SagaStep)
}

func (e *Engine) reserve(ctx context.Context, q *store.Queries, o *store.Order) error {
	lines, err := q.OrderLines(ctx, o.ID)
	if err != nil {
		return err
	}
	req := make([]productapi.Line, len(lines))
	for i, l := range lines {
		req[i] = productapi.Line{ProductID: l.ProductID, Quantity: int(l.Quantity)}
	}
	res, err := e.inv.Reserve(ctx, o.ID.String(), o.Currency, req)
	if rej, ok := productapi.IsRejected(err); ok {
		// Out of stock, or a product vanished: the order cannot go ahead.
		// Releasing still runs, to leave a tombstone against a late reserve.
		return failCheckout(ctx, q, o, lifecycle.Cancelled, lifecycle.PaymentNone, rej.Message, func(p *store.SetStatusParams) {
			p.FailureReason = failureReason(rej.Code)
		})
	}
	if err != nil {
		return err
	}
	var subtotal int64
	for _, l := range res.Lines {
		if err := q.SetLinePrice(ctx, store.SetLinePriceParams{OrderID: o.ID, ProductID: l.ProductID, UnitAmount: pgtype.Int8{Int64: l.UnitPrice.Amount, Valid: true}}); err != nil {
			return err
		}
		subtotal += l.UnitPrice.Amount * int64(l.Quantity)
	}
	// Shipping is free and prices include tax, so the total is the subtotal.
	if err := q.SetTotals(ctx, store.SetTotalsParams{ID: o.ID, Subtotal: subtotal, Total: subtotal}); err != nil {
		return err
	}
	o.Total = subtotal
	if err := ChangeStatus(ctx, q, o, lifecycle.AwaitingPayment, lifecycle.PaymentPending, SystemActor, "stock reserved", nil); err != nil {
		return err
	}
	return setStep(ctx, q, o, StepCharge)
}

func chargeKey(id uuid.UUID) string { return "order-" + id.String() + "-charge" }

// charge takes the order's total from its card, once: every attempt uses
// the order's key, and a retry first looks up what an earlier attempt did.
// It acts only on a payment that is the order's — its amount, currency and
// reference are what the order asked for — and fails the order safely on
// anything else: a payment the gateway found under the order's key or
// answered the charge with that is not the order's, or a 409 saying the key
// holds another request. The order then is PAYMENT_FAILED with the cart
// restored and the stock released, and no foreign payment id is recorded.
func (e *Engine) charge(ctx context.Context, q *store.Queries, o *store.Order) error {
	if o.Total == 0 {
		// Nothing to charge (free items): the order is paid as it is.
		if err := ChangeStatus(ctx, q, o, lifecycle.Paid, lifecycle.PaymentNone, SystemActor, "nothing to charge", nil); err != nil {
			return err
		}
		return setStep(ctx, q, o, StepCommit)
	}
	key := chargeKey(o.ID)
	var (
		p   paymentapi.Payment
		err error
	)
	if o.SagaAttempts > 0 {
		// An earlier attempt may have been processed with its reply lost.
		p, err = e.pay.PaymentByKey(ctx, key)
	}
	if o.SagaAttempts == 0 || errors.Is(err, paymentapi.ErrNotFound) {
		p, err = e.pay.Charge(ctx, key, o.Total, o.Currency, o.PaymentToken, o.ID.String())
	}
	var conflict *paymentapi.KeyConflictError
	if errors.As(err, &conflict) {
		// Another request sits under the key derived from this order: what
		// it was is unknown, and this order can never be charged under it.
		e.log.ErrorContext(ctx, "payment gateway holds another request under the order's charge key; failing the order",
			"order_id", o.ID, "key", key, "expected_amount", o.Total, "expected_currency", o.Currency,
			"expected_reference", o.ID.String(), "err", err)
		if err := failCheckout(ctx, q, o, lifecycle.PaymentFailed, lifecycle.PaymentError, "the payment gateway holds another request under this order's payment key", func(s *store.SetStatusParams) {
			s.FailureReason = "PAYMENT_KEY_CONFLICT"
		}); err != nil {
			return err
		}
		e.countMismatch(MismatchChargeKey)
		return nil
	}
	var refused *paymentapi.RefusedError
	if errors.As(err, &refused) {
		// Refused unprocessed (e.g. an unknown card token): no money moved,
		// and asking again cannot help.
		return failCheckout(ctx, q, o, lifecycle.PaymentFailed, lifecycle.PaymentError, refused.Message, func(s *store.SetStatusParams) {
			s.FailureReason = "PAYMENT_REFUSED"
		})
	}
	if err != nil {
		return err
	}
	if !isOrdersPayment(o, p) {
		e.log.ErrorContext(ctx, "payment gateway answered with a payment that is not the order's; failing the order",
			"order_id", o.ID, "key", key, "payment_id", p.ID, "payment_status", p.Status,
			"expected_amount", o.Total, "found_amount", p.Amount,
			"expected_currency", o.Currency, "found_currency", p.Currency,
			"expected_reference", o.ID.String(), "found_reference", p.Reference)
		// PaymentError: whatever happened at the gateway, this order's charge
		// failed for good, and the foreign payment's id is not recorded.
		if err := failCheckout(ctx, q, o, lifecycle.PaymentFailed, lifecycle.PaymentError, "the payment gateway answered with a payment that does not match this order", func(s *store.SetStatusParams) {
			s.FailureReason = "PAYMENT_MISMATCH"
		}); err != nil {
			return err
		}
		e.countMismatch(MismatchPayment)
		return nil
	}
	if p.Succeeded() {
		if err := ChangeStatus(ctx, q, o, lifecycle.Paid, lifecycle.PaymentCaptured, SystemActor, "payment captured", func(s *store.SetStatusParams) {
			s.PaymentID = p.ID
		}); err != nil {
			return err
		}
		return setStep(ctx, q, o, StepCommit)
	}
	ps := lifecycle.PaymentDeclined
	if p.FailureCode == "processing_error" {
		ps = lifecycle.PaymentError
	}
	return failCheckout(ctx, q, o, lifecycle.PaymentFailed, ps, p.FailureMessage, func(s *store.SetStatusParams) {
		s.PaymentID, s.FailureReason = p.ID, failureReason(p.FailureCode)
	})
}

// isOrdersPayment reports whether p is the payment o asked for: its amount,
// currency and reference (the order id) are the order's.
func isOrdersPayment(o *store.Order, p paymentapi.Payment) bool {
	return p.Amount == o.Total && p.Currency == o.Currency && p.Reference == o.ID.String()
}

// failCheckout ends a checkout that cannot succeed: the order takes its
// final status, the customer's cart is restored, and the reservation (or a
// tombstone against a late one) is released next.
func failCheckout(ctx context.Context, q *store.Queries, o *store.Order, to lifecycle.Status, pay lifecycle.PaymentStatus, note string, mutate func(*store.SetStatusParams)) error {
	if err := ChangeStatus(ctx, q, o, to, pay, SystemActor, note, mutate); err != nil {
		return err
	}
	if err := restoreCart(ctx, q, o); err != nil {
		return err
	}
	return setStep(ctx, q, o, StepRelease)
}

func (e *Engine) commit(ctx context.Context, q *store.Queries, o *store.Order) error {
	err := e.inv.Commit(ctx, o.ID.String())
	if rej, ok := productapi.IsRejected(err); ok {
		// The reservation expired while the payment took too long: the stock
		// is gone, so the money goes back.
		if err := ChangeStatus(ctx, q, o, lifecycle.Cancelled, lifecycle.PaymentCaptured, SystemActor, "stock reservation lapsed: "+rej.Message, func(s *store.SetStatusParams) {
			s.FailureReason = "RESERVATION_LAPSED"
		}); err != nil {
			return err
		}
		return setStep(ctx, q, o, StepRefund)
	}
	if err != nil {
		return err
	}
	if err := q.SetStatus(ctx, statusParams(o, func(s *store.SetStatusParams) { s.StockCommitted = true })); err != nil {
		return err
	}
	o.StockCommitted = true
	return setStep(ctx, q, o, StepDone)
}

// Event is the payload of an order.status_changed outbox event (and NOTIFY).
type Event struct {
	EventID       int64     `json:"eventId,omitempty"`
	OrderID       uuid.UUID `json:"orderId"`
	UserID        string    `json:"userId"`
	From          string    `json:"from,omitempty"`
	To            string    `json:"to"`
	PaymentStatus string    `json:"paymentStatus"`
	Actor         string    `json:"actor"`
	Note          string    `json:"note,omitempty"`
	At            time.Time `json:"at"`
}

// TopicStatusChanged is the outbox topic of status changes.
const TopicStatusChanged = "order.status_changed"

// ChangeStatus moves o to a new status (checked by the state machine) and
// payment status, records the history entry and the outbox event, and
// notifies listeners on commit. mutate may set more columns.
func ChangeStatus(ctx context.Context, q *store.Queries, o *store.Order, to lifecycle.Status, pay lifecycle.PaymentStatus, actor, note string, mutate func(*store.SetStatusParams)) error {
	from := lifecycle.Status(o.Status)
	if from != to {
		if err := lifecycle.Check(from, to); err != nil {
			return err
		}
	}
	p := statusParams(o, mutate)
	p.Status, p.PaymentStatus = string(to), string(pay)
	if err := q.SetStatus(ctx, p); err != nil {
		return fmt.Errorf("set status: %w", err)
	}
	o.Status, o.PaymentStatus, o.FailureReason, o.TrackingNumber, o.PaymentID, o.StockCommitted =
		p.Status, p.PaymentStatus, p.FailureReason, p.TrackingNumber, p.PaymentID, p.StockCommitted
	return record(ctx, q, o, string(from), actor, note)
}

// record writes the history entry and the outbox event of o's current status.
func record(ctx context.Context, q *store.Queries, o *store.Order, from, actor, note string) error {
	var fromText pgtype.Text
	if from != "" {
		fromText = pgtype.Text{String: from, Valid: true}
	}
	if err := q.InsertHistory(ctx, store.InsertHistoryParams{OrderID: o.ID, FromStatus: fromText, ToStatus: o.Status,
		PaymentStatus: o.PaymentStatus, Actor: actor, Note: truncate(note, 500)}); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	ev := Event{OrderID: o.ID, UserID: o.UserID, From: from, To: o.Status, PaymentStatus: o.PaymentStatus, Actor: actor, Note: note, At: time.Now().UTC()}
	payload, _ := json.Marshal(ev)
	id, err := q.InsertEvent(ctx, store.InsertEventParams{Topic: TopicStatusChanged, AggregateID: o.ID, Payload: payload})
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	ev.EventID = id
	payload, _ = json.Marshal(ev)
	if err := q.Notify(ctx, string(payload)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

func statusParams(o *store.Order, mutate func(*store.SetStatusParams)) store.SetStatusParams {
	p := store.SetStatusParams{ID: o.ID, Status: o.Status, PaymentStatus: o.PaymentStatus, FailureReason: o.FailureReason,
		TrackingNumber: o.TrackingNumber, PaymentID: o.PaymentID, StockCommitted: o.StockCommitted}
	if mutate != nil {
		mutate(&p)
	}
	return p
}

func setStep(ctx context.Context, q *store.Queries, o *store.Order, s Step) error {
	if err := q.SetSagaStep(ctx, store.SetSagaStepParams{ID: o.ID, SagaStep: string(s)}); err != nil {
		return fmt.Errorf("set saga step: %w", err)
	}
	o.SagaStep = string(s)
	return nil
}

// SetStep is setStep for callers outside the saga (a cancellation starts the refund).
func SetStep(ctx context.Context, q *store.Queries, o *store.Order, s Step) error {
	return setStep(ctx, q, o, s)
}

// restoreCart puts a failed order's lines back into the customer's cart, so
// trying again (another card, fewer items) is one click.
func restoreCart(ctx context.Context, q *store.Queries, o *store.Order) error {
	lines, err := q.OrderLines(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := q.AddCartLine(ctx, store.AddCartLineParams{UserID: o.UserID, ProductID: l.ProductID, Quantity: min(l.Quantity, 100)}); err != nil {
			return fmt.Errorf("restore cart: %w", err)
		}
	}
	return nil
}

// failureReason turns an upstream code into the order's stable failure reason.
func failureReason(code string) string {
	switch code {
	case "INSUFFICIENT_STOCK":
		return "OUT_OF_STOCK"
	case "PRODUCT_NOT_FOUND", "PRODUCT_UNAVAILABLE":
		return "PRODUCT_UNAVAILABLE"
	case "card_declined", "expired_card":
		return "CARD_DECLINED"
	case "insufficient_funds":
		return "INSUFFICIENT_FUNDS"
	case "processing_error":
		return "PAYMENT_PROCESSING_ERROR"
	case "":
		return ""
	}
	return "REJECTED"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// RecordCreated writes the history entry and event of a new order.
func RecordCreated(ctx context.Context, q *store.Queries, o *store.Order, actor string) error {
	return record(ctx, q, o, "", actor, "order placed")
}
