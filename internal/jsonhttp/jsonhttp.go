// Package jsonhttp is a small client for the JSON-over-HTTP APIs between
// services (the product reservation API, the payment gateway): mutual TLS,
// bounded timeouts, bounded bodies, bearer auth, and errors that say whether
// a retry can help.
package jsonhttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client calls one service.
type Client struct {
	BaseURL string
	Token   string // sent as a Bearer token when set
	HTTP    *http.Client
}

// New returns a client with a per-request timeout and a tuned keep-alive
// pool. tlsConfig (from pki.Source.ClientTLS) presents the caller's
// certificate to https:// services; keep-alive amortises the handshake.
func New(baseURL, token string, timeout time.Duration, tlsConfig *tls.Config) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.TLSClientConfig = tlsConfig.Clone() // net/http may add ALPN protocols to it: never share one
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: timeout, Transport: t}}
}

// Response is an answer with its status and raw body.
type Response struct {
	Status int
	Body   []byte
}

// Decode unmarshals the body into v.
func (r Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode response (status %d): %w", r.Status, err)
	}
	return nil
}

// ErrUnavailable wraps failures where the request may not have been
// processed or its answer was lost: network errors, timeouts, 502-504.
// Retrying (idempotently) is the right response.
var ErrUnavailable = errors.New("service unavailable")

const maxBody = 1 << 20

// Do sends in as JSON (if not nil) and returns the response. Transport
// failures and gateway-ish statuses come back wrapped in ErrUnavailable;
// any other status is returned for the caller to interpret.
func (c *Client) Do(ctx context.Context, method, path string, header http.Header, in any) (Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return Response{}, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return Response{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %s %s: %v", ErrUnavailable, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Response{}, fmt.Errorf("%w: read %s %s: %v", ErrUnavailable, method, path, err)
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return Response{Status: resp.StatusCode, Body: b}, fmt.Errorf("%w: %s %s answered %d", ErrUnavailable, method, path, resp.StatusCode)
	}
	return Response{Status: resp.StatusCode, Body: b}, nil
}
