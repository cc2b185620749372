// Package paymentgw is a mock card processor in the style of Stripe, for
// checkout to talk to over HTTP: payments and refunds with required
// idempotency keys, test card tokens with fixed outcomes, and injectable
// latency, failures and lost replies for chaos testing. Its ledger lives in
// its own PostgreSQL database, so a restart forgets nothing.
//
// Every payment and refund belongs to a merchant, the caller that made it
// (its mTLS identity, e.g. spiffe://virtual-store/order): idempotency keys
// are unique per merchant, and a merchant never sees or refunds another
// merchant's payments — to it they do not exist.
package paymentgw

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/paymentgw/store"
)

// Test card tokens and their outcomes, named like Stripe's.
var cards = map[string]outcome{
	"tok_visa":                  {status: "succeeded", http: http.StatusCreated},
	"tok_mastercard":            {status: "succeeded", http: http.StatusCreated},
	"tok_amex":                  {status: "succeeded", http: http.StatusCreated},
	"tok_chargeDeclined":        {status: "failed", http: http.StatusPaymentRequired, code: "card_declined", message: "Your card was declined."},
	"tok_insufficientFunds":     {status: "failed", http: http.StatusPaymentRequired, code: "insufficient_funds", message: "Your card has insufficient funds."},
	"tok_chargeDeclinedExpired": {status: "failed", http: http.StatusPaymentRequired, code: "expired_card", message: "Your card has expired."},
	"tok_processingError":       {status: "failed", http: http.StatusInternalServerError, code: "processing_error", message: "An error occurred while processing your card."},
}

type outcome struct {
	status, code, message string
	http                  int
}

// Payment is a charge attempt and its outcome.
type Payment struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Source         string    `json:"source"`
	Reference      string    `json:"reference"`
	Status         string    `json:"status"` // succeeded or failed
	FailureCode    string    `json:"failureCode,omitempty"`
	FailureMessage string    `json:"failureMessage,omitempty"`
	RefundedAmount int64     `json:"refundedAmount"`
	CreatedAt      time.Time `json:"createdAt"`
	httpStatus     int
}

// Refund gives (part of) a payment back.
type Refund struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	PaymentID string    `json:"payment"`
	Amount    int64     `json:"amount"`
	CreatedAt time.Time `json:"createdAt"`
}

// PaymentRequest is the body of POST /v1/payments.
type PaymentRequest struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Source    string `json:"source"`
	Reference string `json:"reference"`
}

// RefundRequest is the body of POST /v1/payments/{id}/refunds; Amount 0 refunds the rest.
type RefundRequest struct {
	Amount int64 `json:"amount,omitempty"`
}

// Error is a refusal that records nothing; the client may fix and retry.
type Error struct {
	HTTPStatus int    `json:"-"`
	Type       string `json:"type"` // invalid_request_error, idempotency_error, api_error
	Code       string `json:"code"`
	Message    string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(code, msg string) *Error {
	return &Error{HTTPStatus: http.StatusBadRequest, Type: "invalid_request_error", Code: code, Message: msg}
}

// Gateway is the processor over its ledger.
type Gateway struct {
	pool *pgxpool.Pool
	q    *store.Queries
	// Metrics counts new payments and refunds; nil counts nothing. Set it before use.
	Metrics *Metrics
}

// New returns a Gateway.
func New(pool *pgxpool.Pool) *Gateway { return &Gateway{pool: pool, q: store.New(pool)} }

// CreatePayment charges a card once per merchant and idempotency key: a
// repeat with the same body returns the first outcome (with its HTTP status);
// a repeat with another body is refused. Another merchant's use of the same
// key is unrelated.
func (g *Gateway) CreatePayment(ctx context.Context, merchant, key string, req PaymentRequest) (Payment, error) {
	if err := checkMerchant(merchant); err != nil {
		return Payment{}, err
	}
	if err := checkKey(key); err != nil {
		return Payment{}, err
	}
	switch {
	case req.Amount <= 0 || req.Amount > 100_000_000_00:
		return Payment{}, invalid("amount_invalid", "amount must be a positive integer in minor units")
	case !money.ValidCurrency(req.Currency):
		return Payment{}, invalid("currency_invalid", "currency must be an ISO 4217 code")
	case req.Reference == "" || len(req.Reference) > 255:
		return Payment{}, invalid("reference_invalid", "reference must be 1-255 characters")
	}
	o, ok := cards[req.Source]
	if !ok {
		return Payment{}, invalid("token_invalid", fmt.Sprintf("no such card token %q", req.Source))
	}
	hash := requestHash(req)
	row, err := g.q.InsertPayment(ctx, store.InsertPaymentParams{
		ID: newID("pay_"), Merchant: merchant, IdempotencyKey: key, RequestHash: hash, Amount: req.Amount, Currency: req.Currency,
		Source: req.Source, Reference: req.Reference, Status: o.status, FailureCode: o.code, FailureMessage: o.message, HttpStatus: int32(o.http),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		if row, err = g.q.PaymentByKey(ctx, store.PaymentByKeyParams{Merchant: merchant, IdempotencyKey: key}); err != nil {
			return Payment{}, fmt.Errorf("load payment by key: %w", err)
		}
		if row.RequestHash != hash {
			return Payment{}, &Error{HTTPStatus: http.StatusConflict, Type: "idempotency_error", Code: "idempotency_key_reused",
				Message: "this idempotency key was used with a different request"}
		}
		return paymentOf(row), nil
	}
	if err != nil {
		return Payment{}, fmt.Errorf("record payment: %w", err)
	}
	g.Metrics.payment(row.Status)
	return paymentOf(row), nil
}

// PaymentByKey finds the outcome of the merchant's request whose reply was lost.
func (g *Gateway) PaymentByKey(ctx context.Context, merchant, key string) (Payment, error) {
	if err := checkMerchant(merchant); err != nil {
		return Payment{}, err
	}
	return g.find(g.q.PaymentByKey(ctx, store.PaymentByKeyParams{Merchant: merchant, IdempotencyKey: key}))
}

// PaymentByID returns one of the merchant's payments; another merchant's is
// missing, exactly like an unknown id.
func (g *Gateway) PaymentByID(ctx context.Context, merchant, id string) (Payment, error) {
	if err := checkMerchant(merchant); err != nil {
		return Payment{}, err
	}
	return g.find(g.q.PaymentByID(ctx, store.PaymentByIDParams{Merchant: merchant, ID: id}))
}

func (g *Gateway) find(row store.Payment, err error) (Payment, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, errNoSuchPayment()
	}
	if err != nil {
		return Payment{}, fmt.Errorf("load payment: %w", err)
	}
	return paymentOf(row), nil
}

// CreateRefund refunds amount (0 = everything not yet refunded) of one of
// the merchant's succeeded payments, once per merchant and idempotency key.
func (g *Gateway) CreateRefund(ctx context.Context, merchant, paymentID, key string, req RefundRequest) (Refund, error) {
	if err := checkMerchant(merchant); err != nil {
		return Refund{}, err
	}
	if err := checkKey(key); err != nil {
		return Refund{}, err
	}
	if req.Amount < 0 {
		return Refund{}, invalid("amount_invalid", "amount must not be negative")
	}
	hash := requestHash(struct {
		Payment string
		RefundRequest
	}{paymentID, req})
	var (
		out     Refund
		created bool
	)
	err := postgres.InTx(ctx, g.pool, func(tx pgx.Tx) error {
		q := g.q.WithTx(tx)
		if existing, err := q.RefundByKey(ctx, store.RefundByKeyParams{Merchant: merchant, IdempotencyKey: key}); err == nil {
			if existing.RequestHash != hash {
				return &Error{HTTPStatus: http.StatusConflict, Type: "idempotency_error", Code: "idempotency_key_reused",
					Message: "this idempotency key was used with a different request"}
			}
			out = refundOf(existing)
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		p, err := q.LockPayment(ctx, store.LockPaymentParams{Merchant: merchant, ID: paymentID})
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoSuchPayment()
		}
		if err != nil {
			return err
		}
		left := p.Amount - p.RefundedAmount
		amount := req.Amount
		if amount == 0 {
			amount = left
		}
		switch {
		case p.Status != "succeeded":
			return invalid("charge_not_refundable", "only succeeded payments can be refunded")
		case left == 0:
			return invalid("charge_already_refunded", "this payment has been refunded in full")
		case amount > left:
			return invalid("amount_too_large", fmt.Sprintf("at most %d can still be refunded", left))
		}
		row, err := q.InsertRefund(ctx, store.InsertRefundParams{ID: newID("re_"), Merchant: merchant, PaymentID: p.ID, IdempotencyKey: key, RequestHash: hash, Amount: amount})
		if errors.Is(err, pgx.ErrNoRows) {
			// A concurrent request with this key won; retrying reads its result.
			return &Error{HTTPStatus: http.StatusConflict, Type: "idempotency_error", Code: "request_in_progress", Message: "a request with this key is being processed; retry"}
		}
		if err != nil {
			return err
		}
		if err := q.AddRefunded(ctx, store.AddRefundedParams{Merchant: merchant, ID: p.ID, Amount: amount}); err != nil {
			return err
		}
		out, created = refundOf(row), true
		return nil
	})
	if err == nil && created {
		g.Metrics.refund()
	}
	return out, err
}

// Totals is what the ledger holds, for reconciliation.
type Totals struct {
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Captured  int64 `json:"captured"`
	Refunded  int64 `json:"refunded"`
}

// Totals sums the merchant's share of the ledger: a merchant reconciles its
// own orders against its own payments (and sees no one else's volumes).
func (g *Gateway) Totals(ctx context.Context, merchant string) (Totals, error) {
	if err := checkMerchant(merchant); err != nil {
		return Totals{}, err
	}
	r, err := g.q.PaymentTotals(ctx, merchant)
	return Totals{Succeeded: r.Succeeded, Failed: r.Failed, Captured: r.Captured, Refunded: r.Refunded}, err
}

// maxMerchant bounds a merchant name like the ledger's CHECK (a SPIFFE ID is
// at most 2048 bytes).
const maxMerchant = 2048

// checkMerchant refuses a missing merchant. The HTTP API answers 401 before
// getting here, so an empty one is a bug in the caller, never a query that
// would file rows under "".
func checkMerchant(merchant string) error {
	if merchant == "" || len(merchant) > maxMerchant {
		return fmt.Errorf("paymentgw: merchant must be 1-%d bytes, got %d", maxMerchant, len(merchant))
	}
	return nil
}

func errNoSuchPayment() *Error {
	return &Error{HTTPStatus: http.StatusNotFound, Type: "invalid_request_error", Code: "resource_missing", Message: "no such payment"}
}

func checkKey(key string) error {
	if key == "" || len(key) > 255 {
		return invalid("idempotency_key_missing", "an Idempotency-Key header of 1-255 characters is required")
	}
	return nil
}

func requestHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func paymentOf(r store.Payment) Payment {
	return Payment{ID: r.ID, Object: "payment", Amount: r.Amount, Currency: r.Currency, Source: r.Source, Reference: r.Reference,
		Status: r.Status, FailureCode: r.FailureCode, FailureMessage: r.FailureMessage, RefundedAmount: r.RefundedAmount,
		CreatedAt: r.CreatedAt, httpStatus: int(r.HttpStatus)}
}

func refundOf(r store.Refund) Refund {
	return Refund{ID: r.ID, Object: "refund", PaymentID: r.PaymentID, Amount: r.Amount, CreatedAt: r.CreatedAt}
}
