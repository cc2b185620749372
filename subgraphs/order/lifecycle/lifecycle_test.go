package lifecycle

import (
	"errors"
	"testing"
)

func TestTransitions(t *testing.T) {
	all := []Status{Pending, AwaitingPayment, Paid, Fulfilling, Shipped, Delivered, Cancelled, PaymentFailed, Refunded}
	allowed := map[[2]Status]bool{
		{Pending, AwaitingPayment}: true, {Pending, Cancelled}: true,
		{AwaitingPayment, Paid}: true, {AwaitingPayment, PaymentFailed}: true, {AwaitingPayment, Cancelled}: true,
		{Paid, Fulfilling}: true, {Paid, Shipped}: true, {Paid, Cancelled}: true,
		{Fulfilling, Shipped}: true, {Fulfilling, Cancelled}: true,
		{Shipped, Delivered}:  true,
		{Cancelled, Refunded}: true,
	}
	for _, from := range all {
		for _, to := range all {
			err := Check(from, to)
			if allowed[[2]Status{from, to}] != (err == nil) {
				t.Errorf("%s -> %s: err = %v", from, to, err)
			}
			var te *TransitionError
			if err != nil && !errors.As(err, &te) {
				t.Errorf("%s -> %s: error of type %T", from, to, err)
			}
		}
	}
	for _, s := range []Status{Delivered, PaymentFailed, Refunded} {
		if !Terminal(s) {
			t.Errorf("%s is not terminal", s)
		}
	}
	if Terminal(Cancelled) || Terminal(Paid) {
		t.Error("CANCELLED and PAID are not terminal")
	}
	if CustomerCancellable(Shipped) || !CustomerCancellable(Paid) || CustomerCancellable(AwaitingPayment) {
		t.Error("CustomerCancellable is wrong")
	}
}
