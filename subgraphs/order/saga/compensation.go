package saga

import (
	"context"
	"errors"
	"fmt"

	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Compensation: what undoes a checkout that cannot succeed, or an order
// cancelled after it was paid. The stock is released (or returned once
// committed), the money refunded, the customer's cart restored.

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

// release gives the reserved stock back (or leaves a tombstone against a
// late reservation). A refusal is logged and ends the saga: there is
// nothing to give back.
func (e *Engine) release(ctx context.Context, q *store.Queries, o *store.Order) error {
	return e.giveBackStock(ctx, q, o, e.inv.Release, "release refused")
}

// returnStock restocks what a refunded order had committed.
func (e *Engine) returnStock(ctx context.Context, q *store.Queries, o *store.Order) error {
	return e.giveBackStock(ctx, q, o, e.inv.Return, "restock refused")
}

// giveBackStock calls the product service to give the order's stock back
// and ends the saga; a refusal is logged as refused, anything else retried.
func (e *Engine) giveBackStock(ctx context.Context, q *store.Queries, o *store.Order, call func(ctx context.Context, orderID string) error, refused string) error {
	if err := call(ctx, o.ID.String()); err != nil {
		if _, rejected := productapi.IsRejected(err); !rejected {
			return err
		}
		e.log.ErrorContext(ctx, refused, "order_id", o.ID, "err", err)
	}
	return setStep(ctx, q, o, StepDone)
}

// refund gives a cancelled paid order's money back, then its stock: returned
// if it was committed, released if it was only reserved.
func (e *Engine) refund(ctx context.Context, q *store.Queries, o *store.Order) error {
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
}
