package saga

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// The forward steps of checkout: reserve the stock, charge the card, commit
// the stock. Each writes only on a definitive outcome; an error means "try
// again later" and leaves the order as it was.

// reserve holds the order's stock at the prices of the moment, which become
// the order's; missing stock or a product gone cancels the order.
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

// charge runs the charge step. Once the charge has its final outcome
// (chargeCard writes nothing else), the card token is of no more use, so it
// is not kept.
func (e *Engine) charge(ctx context.Context, q *store.Queries, o *store.Order) error {
	if err := e.chargeCard(ctx, q, o); err != nil {
		return err
	}
	if err := q.ForgetPaymentToken(ctx, o.ID); err != nil {
		return fmt.Errorf("forget the payment token: %w", err)
	}
	o.PaymentToken = ""
	return nil
}

// chargeCard takes the order's total from its card, once: every attempt uses
// the order's key, and a retry first looks up what an earlier attempt did.
// It acts only on a payment that is the order's — its amount, currency and
// reference are what the order asked for — and fails the order safely on
// anything else: a payment the gateway found under the order's key or
// answered the charge with that is not the order's, or a 409 saying the key
// holds another request. The order then is PAYMENT_FAILED with the cart
// restored and the stock released, and no foreign payment id is recorded.
func (e *Engine) chargeCard(ctx context.Context, q *store.Queries, o *store.Order) error {
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
			s.FailureReason = lifecycle.ReasonPaymentKeyConflict
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
			s.FailureReason = lifecycle.ReasonPaymentRefused
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
			s.FailureReason = lifecycle.ReasonPaymentMismatch
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

// commit turns the reservation into a sale; a reservation that lapsed
// while the payment took too long cancels the order and refunds it.
func (e *Engine) commit(ctx context.Context, q *store.Queries, o *store.Order) error {
	err := e.inv.Commit(ctx, o.ID.String())
	if rej, ok := productapi.IsRejected(err); ok {
		// The reservation expired while the payment took too long: the stock
		// is gone, so the money goes back.
		if err := ChangeStatus(ctx, q, o, lifecycle.Cancelled, lifecycle.PaymentCaptured, SystemActor, "stock reservation lapsed: "+rej.Message, func(s *store.SetStatusParams) {
			s.FailureReason = lifecycle.ReasonReservationLapsed
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

// failureReason turns an upstream code into the order's stable failure reason.
func failureReason(code string) string {
	switch code {
	case "INSUFFICIENT_STOCK":
		return lifecycle.ReasonOutOfStock
	case "PRODUCT_NOT_FOUND", "PRODUCT_UNAVAILABLE":
		return lifecycle.ReasonProductUnavailable
	case "card_declined", "expired_card":
		return lifecycle.ReasonCardDeclined
	case "insufficient_funds":
		return lifecycle.ReasonInsufficientFunds
	case "processing_error":
		return lifecycle.ReasonProcessingError
	case "":
		return ""
	}
	return lifecycle.ReasonRejected
}
