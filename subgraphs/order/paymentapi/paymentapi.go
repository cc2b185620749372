// Package paymentapi is the order service's client for the payment gateway.
package paymentapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/virtual-store/virtual-store/internal/jsonhttp"
)

// Client calls the payment gateway.
type Client struct{ c *jsonhttp.Client }

// New returns a client for the gateway at baseURL (e.g. http://localhost:4010).
func New(baseURL, apiKey string) *Client {
	return &Client{c: jsonhttp.New(baseURL+"/v1", apiKey, 5*time.Second)}
}

// Payment is a charge's outcome.
type Payment struct {
	ID             string `json:"id"`
	Status         string `json:"status"` // succeeded or failed
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
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

// Charge asks for amount once per key. A decline is not an error: it is a
// Payment with status failed. Errors wrapping jsonhttp.ErrUnavailable leave
// the outcome unknown: retry with the same key, or look it up.
func (c *Client) Charge(ctx context.Context, key string, amount int64, currency, source, reference string) (Payment, error) {
	resp, err := c.c.Do(ctx, http.MethodPost, "/payments", http.Header{"Idempotency-Key": {key}},
		map[string]any{"amount": amount, "currency": currency, "source": source, "reference": reference})
	if err != nil {
		return Payment{}, err
	}
	return decodePayment(resp)
}

// PaymentByKey looks up the outcome of an earlier Charge with key.
func (c *Client) PaymentByKey(ctx context.Context, key string) (Payment, error) {
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
func (c *Client) Refund(ctx context.Context, paymentID, key string) error {
	resp, err := c.c.Do(ctx, http.MethodPost, "/payments/"+url.PathEscape(paymentID)+"/refunds", http.Header{"Idempotency-Key": {key}}, nil)
	if err != nil {
		return err
	}
	if resp.Status == http.StatusCreated || resp.Status == http.StatusOK {
		return nil
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = resp.Decode(&body)
	if body.Error.Code == "charge_already_refunded" {
		return nil // refunded by an earlier attempt under another key: the goal holds
	}
	if resp.Status >= 500 || body.Error.Code == "request_in_progress" {
		return fmt.Errorf("%w: refund answered %d %s", jsonhttp.ErrUnavailable, resp.Status, body.Error.Code)
	}
	return fmt.Errorf("refund refused (%d): %s: %s", resp.Status, body.Error.Code, body.Error.Message)
}

// decodePayment reads a payment object; any answer that carries one (201,
// 402 for declines, 500 for recorded processing errors) is definitive.
func decodePayment(resp jsonhttp.Response) (Payment, error) {
	var p Payment
	if err := resp.Decode(&p); err == nil && p.ID != "" {
		return p, nil
	}
	if resp.Status >= 500 || resp.Status == http.StatusConflict || resp.Status == http.StatusTooManyRequests {
		// 409 is a concurrent request with the same key in progress: retry.
		return Payment{}, fmt.Errorf("%w: gateway answered %d", jsonhttp.ErrUnavailable, resp.Status)
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = resp.Decode(&body)
	return Payment{}, &RefusedError{Status: resp.Status, Code: body.Error.Code, Message: body.Error.Message}
}
