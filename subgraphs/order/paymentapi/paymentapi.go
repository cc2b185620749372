// Package paymentapi is the order service's client for the payment gateway.
package paymentapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/virtual-store/virtual-store/internal/jsonhttp"
)

// Client calls the payment gateway.
type Client struct {
	c *jsonhttp.Client
	// Metrics times every request; nil times nothing. Set it before use.
	Metrics Metrics
}

// Operations, the operation label of payment_request_duration_seconds.
const (
	OpCharge = "charge"
	OpLookup = "lookup" // PaymentByKey
	OpRefund = "refund"
)

// Outcomes of a request, the outcome label of payment_request_duration_seconds.
const (
	OutcomeOK          = "ok"          // answered: a charge succeeded, a lookup found a payment or none, a refund went through
	OutcomeDeclined    = "declined"    // a charge answered with a failed payment (declined card, processing error)
	OutcomeRefused     = "refused"     // refused unprocessed or for good (an unknown token, a 409 key conflict, a refund refused)
	OutcomeUnavailable = "unavailable" // no definitive answer (timeout, lost reply, 5xx, 429): the outcome is unknown
)

// Metrics is told how long each request to the gateway took and how it ended.
type Metrics interface {
	PaymentRequest(operation, outcome string, took time.Duration)
}

// observe records one request that ended with p and err.
func (c *Client) observe(op string, start time.Time, p *Payment, err error) {
	if c.Metrics == nil {
		return
	}
	outcome := OutcomeOK
	switch {
	case errors.Is(err, jsonhttp.ErrUnavailable):
		outcome = OutcomeUnavailable
	case err != nil && !errors.Is(err, ErrNotFound):
		outcome = OutcomeRefused
	case p != nil && p.ID != "" && !p.Succeeded():
		outcome = OutcomeDeclined
	}
	c.Metrics.PaymentRequest(op, outcome, time.Since(start))
}

// New returns a client for the gateway at baseURL (e.g.
// https://localhost:4010). tlsConfig presents the order service's
// certificate, whose identity is the merchant its payments are filed under;
// apiKey, if set, is sent as a Bearer token.
func New(baseURL, apiKey string, tlsConfig *tls.Config) *Client {
	return &Client{c: jsonhttp.New(baseURL+"/v1", apiKey, 5*time.Second, tlsConfig)}
}

// Payment is a charge's outcome.
type Payment struct {
	ID             string `json:"id"`
	Status         string `json:"status"` // succeeded or failed
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	Reference      string `json:"reference"`
	FailureCode    string `json:"failureCode"`
	FailureMessage string `json:"failureMessage"`
	RefundedAmount int64  `json:"refundedAmount"`
}

// Succeeded reports whether the money was taken.
func (p Payment) Succeeded() bool { return p.Status == "succeeded" }

// ErrNotFound is returned by PaymentByKey when no request with the key was processed.
var ErrNotFound = errors.New("no payment with this idempotency key")

// RefusedError is a request the gateway refused without processing it
// (an unknown card token, an invalid amount): retrying cannot succeed.
type RefusedError struct {
	Status  int
	Code    string
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("gateway refused the request (%d): %s: %s", e.Status, e.Code, e.Message)
}

// KeyConflictError is the gateway's 409 idempotency_key_reused: it holds a
// different request under this idempotency key. That is a definitive
// refusal, neither the outcome of our request nor worth retrying — the same
// key will conflict forever — and it means someone else's request sits
// under a key we derived for ourselves, which deserves a human's look.
type KeyConflictError struct {
	Message string
}

func (e *KeyConflictError) Error() string {
	return "gateway holds a different request under this idempotency key: " + e.Message
}

// Codes of the gateway's 409 answers.
const (
	codeKeyReused  = "idempotency_key_reused" // another request under this key: definitive
	codeInProgress = "request_in_progress"    // a concurrent request with this key: retry
)

// Charge asks for amount once per key. A decline is not an error: it is a
// Payment with status failed. Errors wrapping jsonhttp.ErrUnavailable leave
// the outcome unknown: retry with the same key, or look it up. A
// *KeyConflictError means the key holds another request; a *RefusedError,
// that the request was refused unprocessed. The returned payment is what the
// gateway says: callers check it is the one they asked for.
func (c *Client) Charge(ctx context.Context, key string, amount int64, currency, source, reference string) (p Payment, err error) {
	defer func(start time.Time) { c.observe(OpCharge, start, &p, err) }(time.Now())
	resp, err := c.c.Do(ctx, http.MethodPost, "/payments", http.Header{"Idempotency-Key": {key}},
		map[string]any{"amount": amount, "currency": currency, "source": source, "reference": reference})
	if err != nil {
		return Payment{}, err
	}
	return decodePayment(resp)
}

// PaymentByKey looks up the outcome of an earlier Charge with key.
func (c *Client) PaymentByKey(ctx context.Context, key string) (p Payment, err error) {
	// A lookup is an answer whatever the payment's status: never "declined".
	defer func(start time.Time) { c.observe(OpLookup, start, nil, err) }(time.Now())
	resp, err := c.c.Do(ctx, http.MethodGet, "/payments/by-idempotency-key/"+url.PathEscape(key), nil, nil)
	if err != nil {
		return Payment{}, err
	}
	if resp.Status == http.StatusNotFound {
		return Payment{}, ErrNotFound
	}
	return decodePayment(resp)
}

// Refund gives the rest of a payment back, once per key.
func (c *Client) Refund(ctx context.Context, paymentID, key string) (err error) {
	defer func(start time.Time) { c.observe(OpRefund, start, nil, err) }(time.Now())
	resp, err := c.c.Do(ctx, http.MethodPost, "/payments/"+url.PathEscape(paymentID)+"/refunds", http.Header{"Idempotency-Key": {key}}, nil)
	if err != nil {
		return err
	}
	if resp.Status == http.StatusCreated || resp.Status == http.StatusOK {
		return nil
	}
	body := decodeError(resp)
	if body.Code == "charge_already_refunded" {
		return nil // refunded by an earlier attempt under another key: the goal holds
	}
	if resp.Status == http.StatusConflict && body.Code == codeKeyReused {
		// Not retryable: this key holds another request and always will.
		return &KeyConflictError{Message: body.Message}
	}
	if resp.Status >= 500 || body.Code == codeInProgress {
		return fmt.Errorf("%w: refund answered %d %s", jsonhttp.ErrUnavailable, resp.Status, body.Code)
	}
	return fmt.Errorf("refund refused (%d): %s: %s", resp.Status, body.Code, body.Message)
}

// decodePayment reads a payment object; any answer that carries one (201,
// 402 for declines, 500 for recorded processing errors) is definitive — but
// a 409 never is, whatever its body holds.
func decodePayment(resp jsonhttp.Response) (Payment, error) {
	if resp.Status == http.StatusConflict {
		body := decodeError(resp)
		if body.Code == codeKeyReused {
			return Payment{}, &KeyConflictError{Message: body.Message}
		}
		// request_in_progress (a concurrent request with the same key) and
		// anything else the gateway may mean by 409: retry.
		return Payment{}, fmt.Errorf("%w: gateway answered %d %s", jsonhttp.ErrUnavailable, resp.Status, body.Code)
	}
	var p Payment
	if err := resp.Decode(&p); err == nil && p.ID != "" {
		return p, nil
	}
	if resp.Status >= 500 || resp.Status == http.StatusTooManyRequests {
		return Payment{}, fmt.Errorf("%w: gateway answered %d", jsonhttp.ErrUnavailable, resp.Status)
	}
	body := decodeError(resp)
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		// The gateway refused *us* (a rotated merchant key, a certificate
		// it does not accept), not the card: an earlier attempt may have
		// been charged, so the order must wait for the fix, never fail.
		return Payment{}, fmt.Errorf("%w: gateway refused the order service (%d %s): check ORDER_PAYMENT_API_KEY and the certificates", jsonhttp.ErrUnavailable, resp.Status, body.Code)
	}
	return Payment{}, &RefusedError{Status: resp.Status, Code: body.Code, Message: body.Message}
}

// apiError is the gateway's error object, {"error": {...}}.
type apiError struct{ Code, Message string }

func decodeError(resp jsonhttp.Response) apiError {
	var body struct {
		Error apiError `json:"error"`
	}
	_ = resp.Decode(&body)
	return body.Error
}
