package saga_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/jsonhttp"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
)

// Fakes of the saga's ports (saga.Inventory, saga.Payments), for tests
// that need a service to fail in one exact way at one exact moment. Like
// the real services they are idempotent: a reservation is the order's, a
// payment the key's, so a repeated call has the effect of one. Each call
// first takes the next scripted outcome of its operation, if any.

// outcome is a scripted answer to one call.
type outcome struct {
	err error
	// effect: the call takes effect before err is returned (the reply is
	// lost), or, with crash, before the order service "dies".
	effect bool
	// crash stops the order service in the middle of the step: the test's
	// context is cancelled, so the step's transaction never commits.
	crash context.CancelFunc
}

// script counts calls per operation and hands out their scripted outcomes.
type script struct {
	callsMu sync.Mutex
	calls   map[string]int
	plan    map[string][]outcome
}

// on scripts the next calls of op, in order; later calls behave normally.
func (s *script) on(op string, outcomes ...outcome) {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	if s.plan == nil {
		s.plan = map[string][]outcome{}
	}
	s.plan[op] = append(s.plan[op], outcomes...)
}

func (s *script) next(op string) outcome {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[op]++
	var o outcome
	if len(s.plan[op]) > 0 {
		o, s.plan[op] = s.plan[op][0], s.plan[op][1:]
	}
	return o
}

func (s *script) count(op string) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return s.calls[op]
}

// do runs a call: its scripted failure before any effect, or the effect
// and then the scripted error (a lost reply) or crash.
func (s *script) do(op string, effect func() error) error {
	o := s.next(op)
	if o.err != nil && !o.effect {
		return o.err
	}
	if err := effect(); err != nil {
		return err
	}
	if o.crash != nil {
		o.crash()
		return context.Canceled
	}
	return o.err
}

var errUnavailable = fmt.Errorf("%w: timeout", jsonhttp.ErrUnavailable)

// fakeInventory is one product's stock, sold at a fixed price.
type fakeInventory struct {
	script
	price int64

	mu        sync.Mutex
	available int
	held      map[string]int // reserved units by order id
	committed map[string]int // sold units by order id
	released  map[string]bool
	effects   map[string]int // reservations made, commits made, ...
}

func newFakeInventory(stock int, price int64) *fakeInventory {
	return &fakeInventory{price: price, available: stock, held: map[string]int{}, committed: map[string]int{},
		released: map[string]bool{}, effects: map[string]int{}}
}

func (f *fakeInventory) Reserve(_ context.Context, orderID, currency string, lines []productapi.Line) (productapi.Reservation, error) {
	res := productapi.Reservation{OrderID: orderID, Status: "RESERVED"}
	err := f.do("reserve", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.released[orderID] {
			return &productapi.RejectedError{Code: "CONFLICT", Message: "the reservation was released"}
		}
		n := 0
		for _, l := range lines {
			n += l.Quantity
		}
		if _, ok := f.held[orderID]; !ok {
			if n > f.available {
				return &productapi.RejectedError{Code: "INSUFFICIENT_STOCK", Message: "not enough stock"}
			}
			f.available -= n
			f.held[orderID] = n
			f.effects["reserve"]++
		}
		for _, l := range lines {
			res.Lines = append(res.Lines, struct {
				ProductID uuid.UUID   `json:"productId"`
				Quantity  int         `json:"quantity"`
				UnitPrice money.Money `json:"unitPrice"`
			}{l.ProductID, l.Quantity, money.Money{Amount: f.price, Currency: currency}})
		}
		return nil
	})
	return res, err
}

func (f *fakeInventory) Commit(_ context.Context, orderID string) error {
	return f.do("commit", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, done := f.committed[orderID]; done {
			return nil
		}
		n, ok := f.held[orderID]
		if !ok {
			return &productapi.RejectedError{Code: "CONFLICT", Message: "no reservation (it lapsed)"}
		}
		delete(f.held, orderID)
		f.committed[orderID] = n
		f.effects["commit"]++
		return nil
	})
}

func (f *fakeInventory) Release(_ context.Context, orderID string) error {
	return f.do("release", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if n, ok := f.held[orderID]; ok {
			f.available += n
			delete(f.held, orderID)
			f.effects["release"]++
		}
		f.released[orderID] = true // a tombstone against a late reserve
		return nil
	})
}

func (f *fakeInventory) Return(_ context.Context, orderID string) error {
	return f.do("return", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if n, ok := f.committed[orderID]; ok && n > 0 {
			f.available += n
			f.committed[orderID] = 0
			f.effects["return"]++
		}
		return nil
	})
}

// state is the stock left for sale, held and sold, and how often each
// operation took effect.
func (f *fakeInventory) state() (available, held, sold int, effects map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.held {
		held += n
	}
	for _, n := range f.committed {
		sold += n
	}
	effects = make(map[string]int, len(f.effects))
	for k, v := range f.effects {
		effects[k] = v
	}
	return f.available, held, sold, effects
}

// fakePayments is a gateway whose card charges succeed unless declineCode
// is set.
type fakePayments struct {
	script
	declineCode string

	mu       sync.Mutex
	byKey    map[string]paymentapi.Payment
	refunded map[string]string // payment id → refund key
}

func newFakePayments() *fakePayments {
	return &fakePayments{byKey: map[string]paymentapi.Payment{}, refunded: map[string]string{}}
}

func (f *fakePayments) Charge(_ context.Context, key string, amount int64, currency, _, reference string) (paymentapi.Payment, error) {
	var p paymentapi.Payment
	err := f.do("charge", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		p = f.byKey[key]
		if p.ID != "" {
			return nil // the same request again: the same payment
		}
		p = paymentapi.Payment{ID: fmt.Sprintf("pay_%d", len(f.byKey)+1), Status: "succeeded", Amount: amount, Currency: currency, Reference: reference}
		if f.declineCode != "" {
			p.Status, p.FailureCode, p.FailureMessage = "failed", f.declineCode, "Your card was declined."
		}
		f.byKey[key] = p
		return nil
	})
	return p, err
}

func (f *fakePayments) PaymentByKey(_ context.Context, key string) (paymentapi.Payment, error) {
	var p paymentapi.Payment
	err := f.do("lookup", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		var ok bool
		if p, ok = f.byKey[key]; !ok {
			return paymentapi.ErrNotFound
		}
		return nil
	})
	return p, err
}

func (f *fakePayments) Refund(_ context.Context, paymentID, key string) error {
	return f.do("refund", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.refunded[paymentID] = key
		return nil
	})
}

// payments returns how many payments were made, and how many refunded.
func (f *fakePayments) payments() (made, refunded int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.byKey), len(f.refunded)
}
