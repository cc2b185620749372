// Package productapi is the order service's client for the product service's
// internal reservation API. The order service shares no code with the product
// service; this package mirrors the JSON it speaks.
package productapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/jsonhttp"
	"github.com/virtual-store/virtual-store/internal/money"
)

// Client calls the product service.
type Client struct{ c *jsonhttp.Client }

// New returns a client for the product service at baseURL (e.g.
// https://localhost:4002), presenting the order service's certificate.
func New(baseURL string, tlsConfig *tls.Config) *Client {
	return &Client{c: jsonhttp.New(baseURL+"/internal/v1", "", 5*time.Second, tlsConfig)}
}

// Line is a quantity of a product.
type Line struct {
	ProductID uuid.UUID `json:"productId"`
	Quantity  int       `json:"quantity"`
}

// Reservation is stock held for an order, with the unit prices captured.
type Reservation struct {
	OrderID string `json:"orderId"`
	Status  string `json:"status"`
	Lines   []struct {
		ProductID uuid.UUID   `json:"productId"`
		Quantity  int         `json:"quantity"`
		UnitPrice money.Money `json:"unitPrice"`
	} `json:"lines"`
}

// RejectedError is a definitive refusal (out of stock, unknown product,
// conflicting state): retrying the same request cannot succeed.
type RejectedError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *RejectedError) Error() string {
	return "product service refused: " + e.Code + ": " + e.Message
}

// Reserve holds stock for an order (idempotent by order id).
func (c *Client) Reserve(ctx context.Context, orderID, currency string, lines []Line) (Reservation, error) {
	var res Reservation
	err := c.call(ctx, "/reservations", map[string]any{"orderId": orderID, "currency": currency, "lines": lines}, &res)
	return res, err
}

// Commit turns the reservation into a sale (idempotent).
func (c *Client) Commit(ctx context.Context, orderID string) error {
	return c.call(ctx, "/reservations/"+url.PathEscape(orderID)+"/commit", nil, nil)
}

// Release gives the stock back (idempotent; leaves a tombstone if nothing was reserved).
func (c *Client) Release(ctx context.Context, orderID string) error {
	return c.call(ctx, "/reservations/"+url.PathEscape(orderID)+"/release", nil, nil)
}

// Return restocks a committed reservation (idempotent).
func (c *Client) Return(ctx context.Context, orderID string) error {
	return c.call(ctx, "/reservations/"+url.PathEscape(orderID)+"/return", nil, nil)
}

// Quote is a product's current price and availability.
type Quote struct {
	ProductID uuid.UUID    `json:"productId"`
	Active    bool         `json:"active"`
	Available int          `json:"available"`
	UnitPrice *money.Money `json:"unitPrice"`
}

// Quote prices products in currency; unknown products are missing from the answer.
func (c *Client) Quote(ctx context.Context, currency string, ids []uuid.UUID) (map[uuid.UUID]Quote, error) {
	var out struct {
		Quotes []Quote `json:"quotes"`
	}
	if err := c.call(ctx, "/quotes", map[string]any{"currency": currency, "productIds": ids}, &out); err != nil {
		return nil, err
	}
	m := make(map[uuid.UUID]Quote, len(out.Quotes))
	for _, q := range out.Quotes {
		m[q.ProductID] = q
	}
	return m, nil
}

func (c *Client) call(ctx context.Context, path string, in, out any) error {
	resp, err := c.c.Do(ctx, http.MethodPost, path, nil, in)
	if err != nil {
		return err
	}
	switch {
	case resp.Status == http.StatusOK || resp.Status == http.StatusCreated:
		if out == nil {
			return nil
		}
		return resp.Decode(out)
	case resp.Status == http.StatusConflict || resp.Status == http.StatusUnprocessableEntity || resp.Status == http.StatusNotFound:
		var body struct {
			Error RejectedError `json:"error"`
		}
		if err := resp.Decode(&body); err != nil {
			return err
		}
		return &body.Error
	case resp.Status >= 500:
		return fmt.Errorf("%w: product service answered %d", jsonhttp.ErrUnavailable, resp.Status)
	}
	return fmt.Errorf("product service answered %d: %s", resp.Status, resp.Body)
}

// IsRejected reports whether err is a definitive refusal, and which.
func IsRejected(err error) (*RejectedError, bool) {
	var r *RejectedError
	ok := errors.As(err, &r)
	return r, ok
}
