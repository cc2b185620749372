package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"
)

// The cart, checkout and cancelling an order.

// addToCart puts n products that are in stock (as far as the shopper knows)
// into the cart; a product sold out since is an outcome, not an error. It
// returns the products added.
func (sh *shop) addToCart(ctx context.Context, a *account, n int) ([]string, error) {
	var added []string
	for range n {
		p, ok := sh.catalog.pick(true)
		if !ok || slices.Contains(added, p.ID) {
			continue
		}
		var out struct{ AddToCart cartPayload }
		if err := sh.c.call(ctx, opAddToCart, addToCartVars(p.ID, 1+mrand.IntN(2), sh.currency), a.token, &out); err != nil {
			return added, err
		}
		c, err := sh.c.checkUserErrors(opAddToCart, out.AddToCart.UserErrors, "INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE")
		if err != nil {
			return added, err
		}
		if c == "INSUFFICIENT_STOCK" {
			sh.catalog.setAvailable(p.ID, 0)
			continue
		}
		if c == "" {
			added = append(added, p.ID)
		}
	}
	return added, nil
}

// cart: add two products, change a quantity, remove one, look at the cart
// (and leave: carts are abandoned too).
func (sh *shop) cart(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	added, err := sh.addToCart(ctx, a, 2)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		var out struct{ UpdateCartLine cartPayload }
		if err := sh.c.call(ctx, opUpdateCartLine, updateCartLineVars(added[0], 1+mrand.IntN(3)), a.token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opUpdateCartLine, out.UpdateCartLine.UserErrors, "INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE"); err != nil {
			return err
		}
	}
	if len(added) > 1 && mrand.IntN(4) == 0 {
		// Start over: empty the cart.
		var out struct{ ClearCart cartPayload }
		if err := sh.c.call(ctx, opClearCart, nil, a.token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opClearCart, out.ClearCart.UserErrors); err != nil {
			return err
		}
	} else if len(added) > 1 {
		var out struct{ RemoveFromCart cartPayload }
		if err := sh.c.call(ctx, opRemoveFromCart, removeFromCartVars(added[1]), a.token, &out); err != nil {
			return err
		}
		if _, err := sh.c.checkUserErrors(opRemoveFromCart, out.RemoveFromCart.UserErrors); err != nil {
			return err
		}
	}
	return sh.c.call(ctx, opCart, cartVars(sh.currency), a.token, nil)
}

// card is the payment token of a checkout: mostly one that works, 8%
// declined, 6% without funds, and one checkout in 50 (the 5th, the 55th,
// ...: even a short run has one) a processor error (the gateway answers 500).
func (sh *shop) card() string {
	if sh.turns.checkout.Add(1)%50 == 5 {
		return cardProcessing
	}
	switch n := mrand.IntN(100); {
	case n < 8:
		return cardDeclined
	case n < 14:
		return cardNoFunds
	default:
		return cardOK
	}
}

// checkout: review the cart (keeping at most three lines), add a product or
// two, pay with a card from the mix, wait for the order to settle.
func (sh *shop) checkout(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	_, err = sh.buy(ctx, a, sh.card())
	return err
}

// buy checks out a's cart (after trimming and filling it) with the card and
// returns the order once it is no longer being paid (nil if none was made).
func (sh *shop) buy(ctx context.Context, a *account, card string) (*order, error) {
	var view struct {
		Cart *struct {
			Lines []struct{ Product struct{ ID string } }
		}
	}
	if err := sh.c.call(ctx, opCart, cartVars(sh.currency), a.token, &view); err != nil {
		return nil, err
	}
	if view.Cart != nil {
		for _, l := range view.Cart.Lines[min(3, len(view.Cart.Lines)):] {
			var out struct{ RemoveFromCart cartPayload }
			if err := sh.c.call(ctx, opRemoveFromCart, removeFromCartVars(l.Product.ID), a.token, &out); err != nil {
				return nil, err
			}
		}
	}
	added, err := sh.addToCart(ctx, a, 1+mrand.IntN(2))
	if err != nil {
		return nil, err
	}
	if len(added) == 0 && (view.Cart == nil || len(view.Cart.Lines) == 0) {
		sh.c.stats.outcome("Checkout skipped: nothing in stock")
		return nil, nil
	}
	var out struct{ Checkout orderPayload }
	if err := sh.c.call(ctx, opCheckout, checkoutVars(newKey(), card, sh.currency), a.token, &out); err != nil {
		return nil, err
	}
	expected := []string{"INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE"}
	if card != cardOK {
		expected = append(expected, "PAYMENT_DECLINED")
	}
	if _, err := sh.c.checkUserErrors(opCheckout, out.Checkout.UserErrors, expected...); err != nil {
		return nil, err
	}
	o := out.Checkout.Order
	if o == nil {
		err := errors.New("checkout answered no order and no userError")
		sh.c.stats.fail(opCheckout.Name, err)
		return nil, err
	}
	// Checkout answers after ORDER_CHECKOUT_WAIT even if the saga still runs.
	for deadline := time.Now().Add(20 * time.Second); (o.Status == "PENDING" || o.Status == "AWAITING_PAYMENT") && time.Now().Before(deadline) && !sh.stopping.Load(); {
		time.Sleep(500 * time.Millisecond)
		var st struct{ Order *order }
		if err := sh.c.call(ctx, opOrderStatus, orderVars(o.ID), a.token, &st); err != nil {
			return nil, err
		}
		if st.Order != nil {
			o = st.Order
		}
	}
	sh.c.stats.outcome(fmt.Sprintf("Checkout %s %s", card, o.Status))
	if o.Status == "PAID" && card != cardOK || o.Status == "PAYMENT_FAILED" && card == cardOK {
		err := fmt.Errorf("checkout with %s ended %s (payment %s)", card, o.Status, o.PaymentStatus)
		sh.c.stats.fail(opCheckout.Name, err)
		return o, err
	}
	return o, nil
}

// cancel: a customer cancels a paid order (buying one first if they have
// none); the payment is refunded.
func (sh *shop) cancel(ctx context.Context) error {
	a, err := sh.customer(ctx)
	if err != nil {
		return err
	}
	defer sh.accounts.put(a)
	mine, err := sh.myOrders(ctx, a)
	if err != nil {
		return err
	}
	var target *order
	for i := range mine {
		if mine[i].Status == "PAID" {
			target = &mine[i]
			break
		}
	}
	if target == nil {
		if target, err = sh.buy(ctx, a, cardOK); err != nil || target == nil || target.Status != "PAID" {
			return err
		}
	}
	var out struct{ CancelOrder orderPayload }
	if err := sh.c.call(ctx, opCancelOrder, cancelVars(target.ID, "changed my mind (loadgen)"), a.token, &out); err != nil {
		return err
	}
	if c, err := sh.c.checkUserErrors(opCancelOrder, out.CancelOrder.UserErrors, "CONFLICT"); err != nil || c != "" {
		return err
	}
	if out.CancelOrder.Order != nil {
		sh.c.stats.outcome("CancelOrder " + out.CancelOrder.Order.Status)
	}
	return nil
}

// newKey is a fresh checkout idempotency key.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "loadgen-" + hex.EncodeToString(b)
}
