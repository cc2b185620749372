// Package lifecycle is the order state machine: the statuses an order and its
// payment can be in and the only transitions between them. Every status
// change in the order service goes through Check.
package lifecycle

import (
	"fmt"
	"slices"
)

// Status of an order.
type Status string

// Order statuses.
const (
	Pending         Status = "PENDING"          // created; stock being reserved
	AwaitingPayment Status = "AWAITING_PAYMENT" // stock held; card being charged
	Paid            Status = "PAID"
	Fulfilling      Status = "FULFILLING"
	Shipped         Status = "SHIPPED"
	Delivered       Status = "DELIVERED"
	Cancelled       Status = "CANCELLED"
	PaymentFailed   Status = "PAYMENT_FAILED"
	Refunded        Status = "REFUNDED"
)

// PaymentStatus of an order.
type PaymentStatus string

// Payment statuses.
const (
	PaymentNone     PaymentStatus = "NONE"     // no charge attempted
	PaymentPending  PaymentStatus = "PENDING"  // charge requested, outcome not yet known
	PaymentCaptured PaymentStatus = "CAPTURED" // money taken
	PaymentDeclined PaymentStatus = "DECLINED" // the card was refused
	PaymentError    PaymentStatus = "FAILED"   // the processor failed for good
	PaymentRefunded PaymentStatus = "REFUNDED"
)

// transitions lists, for each status, the statuses it may move to.
var transitions = map[Status][]Status{
	Pending:         {AwaitingPayment, Cancelled},
	AwaitingPayment: {Paid, PaymentFailed, Cancelled},
	Paid:            {Fulfilling, Shipped, Cancelled},
	Fulfilling:      {Shipped, Cancelled},
	Shipped:         {Delivered},
	Cancelled:       {Refunded}, // a cancelled paid order, once its refund went through
}

// Check returns an error unless an order may move from one status to another.
func Check(from, to Status) error {
	if !slices.Contains(transitions[from], to) {
		return &TransitionError{From: from, To: to}
	}
	return nil
}

// TransitionError is a refused status change.
type TransitionError struct{ From, To Status }

func (e *TransitionError) Error() string {
	return fmt.Sprintf("an order that is %s cannot become %s", e.From, e.To)
}

// Terminal reports whether no further status change is possible.
func Terminal(s Status) bool { return len(transitions[s]) == 0 }

// CustomerCancellable reports whether the customer may still cancel: until
// the order ships, once no checkout step is in flight.
func CustomerCancellable(s Status) bool { return s == Paid || s == Fulfilling }

// Failure reasons: why an order failed or was cancelled (its failureReason),
// stable words clients may act on.
const (
	ReasonOutOfStock          = "OUT_OF_STOCK"             // the stock could not be reserved
	ReasonProductUnavailable  = "PRODUCT_UNAVAILABLE"      // a product is gone or not for sale
	ReasonCardDeclined        = "CARD_DECLINED"            // declined or expired card
	ReasonInsufficientFunds   = "INSUFFICIENT_FUNDS"       // the card's account could not pay
	ReasonProcessingError     = "PAYMENT_PROCESSING_ERROR" // the processor failed for good
	ReasonRejected            = "REJECTED"                 // any other refusal upstream
	ReasonPaymentRefused      = "PAYMENT_REFUSED"          // refused unprocessed (e.g. an unknown card token)
	ReasonPaymentKeyConflict  = "PAYMENT_KEY_CONFLICT"     // the gateway holds another request under the order's key
	ReasonPaymentMismatch     = "PAYMENT_MISMATCH"         // the gateway answered with a payment not the order's
	ReasonReservationLapsed   = "RESERVATION_LAPSED"       // the stock reservation expired during payment
	ReasonCancelledByCustomer = "CANCELLED_BY_CUSTOMER"
	ReasonCancelledByAdmin    = "CANCELLED_BY_ADMIN"
)
