package execute

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Transport sends subgraph requests.
type Transport struct {
	Client *http.Client
	// MaxResponseBytes caps a subgraph response.
	MaxResponseBytes int64
	// Header adds headers to every subgraph request (e.g. the signed identity).
	Header func(ctx context.Context, h http.Header)
}

// NewTransport returns a transport with a tuned keep-alive pool and timeout.
func NewTransport(timeout time.Duration) *Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &Transport{Client: &http.Client{Transport: t, Timeout: timeout}, MaxResponseBytes: 64 << 20}
}

type subgraphResponse struct {
	Data   map[string]any  `json:"data"`
	Errors []subgraphError `json:"errors"`
}

type subgraphError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// post sends one GraphQL request.
func (t *Transport) post(ctx context.Context, url, query string, vars map[string]any) (*subgraphResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if t.Header != nil {
		t.Header(ctx, req.Header)
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limited := io.LimitReader(resp.Body, t.MaxResponseBytes+1)
	raw, err := io.ReadAll(limited)
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > t.MaxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", t.MaxResponseBytes)
	}
	var out subgraphResponse
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("subgraph answered %d with a body that is not GraphQL JSON", resp.StatusCode)
	}
	return &out, nil
}
