package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/virtual-store/virtual-store/internal/clientip"
)

// trustedDocuments are the bodies of the persisted-documents manifest by
// operation name. The storefront server sends its operations exactly as
// listed there, so a router that safelists the manifest runs them.
type trustedDocuments map[string]string

// bffOperations are the operations the /auth routes send (web/src/graphql/bff.graphql).
var bffOperations = []string{"StorefrontLogin", "StorefrontRegister", "StorefrontRefresh", "StorefrontLogout"}

var operationName = regexp.MustCompile(`(?:^|\s)(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)`)

// parseTrustedDocuments reads the manifest ({"sha256:<hex>": "<document>"})
// and checks that it has every operation the server sends.
func parseTrustedDocuments(manifest []byte) (trustedDocuments, error) {
	var byHash map[string]string
	if err := json.Unmarshal(manifest, &byHash); err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	docs := trustedDocuments{}
	for _, body := range byHash {
		if m := operationName.FindStringSubmatch(body); m != nil {
			docs[m[1]] = body
		}
	}
	for _, name := range bffOperations {
		if docs[name] == "" {
			return nil, fmt.Errorf("trusted documents: no operation %s (run make web-generate)", name)
		}
	}
	return docs, nil
}

// routerClient sends the /auth routes' operations to the router.
type routerClient struct {
	url     string
	http    *http.Client
	docs    trustedDocuments
	clients *clientip.Resolver
}

// routerError is a failed call: the router unreachable, refusing (429,
// 5xx), or answering with GraphQL errors and no data.
type routerError struct {
	Status     int    // the status to answer the browser with
	Message    string // safe to show
	RetryAfter string
	Err        error // for the log
}

func (e *routerError) Error() string { return fmt.Sprintf("%s: %v", e.Message, e.Err) }

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// do runs operation op with vars for the browser's request r (whose client
// address the router is told) and decodes data into out.
func (c *routerClient) do(ctx context.Context, r *http.Request, op string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"operationName": op, "query": c.docs[op], "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if a := c.clients.Of(r); a.IsValid() {
		req.Header.Set("X-Forwarded-For", a.String())
	}
	if ua := r.Header.Get("User-Agent"); ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &routerError{Status: http.StatusBadGateway, Message: "the store cannot be reached right now", Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &routerError{Status: http.StatusBadGateway, Message: "the store cannot be reached right now", Err: err}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return &routerError{Status: http.StatusTooManyRequests, Message: "too many attempts; try again shortly",
			RetryAfter: resp.Header.Get("Retry-After"), Err: errors.New("rate limited by the router")}
	}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || resp.StatusCode >= 500 {
		return &routerError{Status: http.StatusBadGateway, Message: "the store cannot answer right now",
			Err: fmt.Errorf("router answered %d: %.200s", resp.StatusCode, raw)}
	}
	if len(answer.Errors) > 0 && (len(answer.Data) == 0 || string(answer.Data) == "null") {
		first := answer.Errors[0]
		if slices.ContainsFunc(answer.Errors, func(e gqlError) bool { return e.Extensions.Code == "RATE_LIMITED" }) {
			return &routerError{Status: http.StatusTooManyRequests, Message: "too many attempts; try again shortly", Err: errors.New(first.Message)}
		}
		return &routerError{Status: http.StatusBadGateway, Message: "the store refused the request",
			Err: fmt.Errorf("%s (%s)", first.Message, first.Extensions.Code)}
	}
	if err := json.Unmarshal(answer.Data, out); err != nil {
		return &routerError{Status: http.StatusBadGateway, Message: "the store answered unexpectedly", Err: err}
	}
	return nil
}

func newRouterClient(url string, timeout time.Duration, docs trustedDocuments, ips *clientip.Resolver) *routerClient {
	return &routerClient{url: url, http: &http.Client{Timeout: timeout}, docs: docs, clients: ips}
}
