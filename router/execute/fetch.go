package execute

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"
)

// Transport sends subgraph requests.
type Transport struct {
	Client *http.Client
	// Streams carries subscriptions (nil: Client). Over TLS it speaks
	// HTTP/2, so a thousand subscriptions share a few connections instead
	// of holding one each.
	Streams *http.Client
	// MaxResponseBytes caps a subgraph response.
	MaxResponseBytes int64
	// Header adds headers to every subgraph request (e.g. the router's
	// identity statement, addressed to the subgraph at url).
	Header func(ctx context.Context, url string, h http.Header)
	// Caller names who is asking, as far as it decides a subgraph's answer;
	// identical in-flight queries are shared only within one caller (nil:
	// everyone is the same caller).
	Caller func(ctx context.Context) string
	// Timeout bounds one subgraph request; SetTimeouts overrides it per
	// subgraph URL. A round trip shared by identical queries ends when it
	// does, or when every caller waiting on it has left.
	Timeout  time.Duration
	timeouts atomic.Pointer[map[string]time.Duration]
	// Observe, when set, is told of every subgraph round trip: the URL, how
	// long it took, and its outcome ("ok", "graphql_error" when the subgraph
	// answered with errors, "transport_error" when it did not answer GraphQL).
	Observe func(url string, d time.Duration, outcome string)
	// inflight deduplicates identical concurrent query requests (never
	// mutations): one subgraph round trip serves them all.
	inflight sharedCalls
}

// SetTimeouts sets per-URL timeouts (replacing earlier ones) while requests
// are in flight, as a new supergraph brings new subgraph URLs.
func (t *Transport) SetTimeouts(byURL map[string]time.Duration) { t.timeouts.Store(&byURL) }

// NewTransport returns a transport with a tuned keep-alive pool and timeout;
// tlsConfig (the router's identity) is used for https:// subgraphs.
func NewTransport(timeout time.Duration, tlsConfig *tls.Config) *Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tlsConfig.Clone() // net/http may add ALPN protocols to it: never share one
	t.ForceAttemptHTTP2 = false           // HTTP/1.1 keep-alive pools beat one multiplexed connection here (measured: scripts/bench-overhead.sh)
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	streams := t.Clone()
	streams.ForceAttemptHTTP2 = true
	streams.TLSClientConfig = tlsConfig.Clone()
	// A stream may be silent for long; pings find a connection that died
	// without a word (a subgraph's node gone), so its subscriptions end.
	streams.HTTP2 = &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second}
	return &Transport{Client: &http.Client{Transport: t}, Streams: &http.Client{Transport: streams}, Timeout: timeout, MaxResponseBytes: 64 << 20}
}

type subgraphResponse struct {
	Data   map[string]any  `json:"data"`
	Errors []subgraphError `json:"errors"`
	raw    []byte
}

type subgraphError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// post sends one GraphQL request; identical concurrent queries (same URL,
// document, variables and forwarded headers) share one round trip.
func (t *Transport) post(ctx context.Context, url, query string, vars map[string]any, mutation bool) (*subgraphResponse, error) {
	body := requestBody(query, vars)
	if mutation {
		return t.send(ctx, url, body, false)
	}
	key := url + "\x00" + string(body) + "\x00" + t.callerKey(ctx)
	resp, shared, err := t.inflight.do(ctx, key, func(ctx context.Context) (*subgraphResponse, error) {
		return t.send(ctx, url, body, true)
	})
	if err != nil || !shared {
		return resp, err
	}
	// Every waiter copies: the original stays unmerged, so copies made
	// while another waiter merges read nothing that changes.
	return resp.clone(), nil
}

// requestBody is a GraphQL request's JSON body.
func requestBody(query string, vars map[string]any) []byte {
	body := make([]byte, 0, len(query)+256)
	body = append(body, `{"query":`...)
	body = appendString(body, query)
	body = append(body, `,"variables":`...)
	body = appendValue(body, vars)
	return append(body, '}')
}

func (t *Transport) callerKey(ctx context.Context) string {
	if t.Caller == nil {
		return ""
	}
	return t.Caller(ctx)
}

// Subgraph answers the executor cannot use.
var (
	errResponseTooLarge = errors.New("subgraph response too large")
	errNotGraphQL       = errors.New("subgraph response is not GraphQL JSON")
)

// retryBackoff is the pause before the one retry of a query whose
// subgraph could not be reached (restarting, a connection reset).
const retryBackoff = 100 * time.Millisecond

func (t *Transport) send(ctx context.Context, url string, body []byte, idempotent bool) (*subgraphResponse, error) {
	resp, err := t.observed(ctx, url, body, idempotent)
	if err == nil || !idempotent || !unreachable(err) || ctx.Err() != nil {
		return resp, err
	}
	select {
	case <-time.After(retryBackoff):
	case <-ctx.Done():
		return nil, err
	}
	return t.observed(ctx, url, body, idempotent)
}

// unreachable reports errors where the subgraph never processed the
// request: refused or reset connections, a connection closed before any
// response. Timeouts are not retried (the subgraph may be working on it).
func unreachable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (t *Transport) observed(ctx context.Context, url string, body []byte, idempotent bool) (*subgraphResponse, error) {
	if t.Observe == nil {
		return t.roundTrip(ctx, url, body, idempotent)
	}
	start := time.Now()
	resp, err := t.roundTrip(ctx, url, body, idempotent)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "transport_error"
	case len(resp.Errors) > 0:
		outcome = "graphql_error"
	}
	t.Observe(url, time.Since(start), outcome)
	return resp, err
}

func (t *Transport) roundTrip(ctx context.Context, url string, body []byte, idempotent bool) (*subgraphResponse, error) {
	timeout := t.Timeout
	if m := t.timeouts.Load(); m != nil {
		if d, ok := (*m)[url]; ok {
			timeout = d
		}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if idempotent {
		// Marks a query POST as safe to resend on a stale keep-alive
		// connection (net/http checks for the key; a nil value sends nothing).
		req.Header["Idempotency-Key"] = nil
	}
	if t.Header != nil {
		t.Header(ctx, url, req.Header)
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
		return nil, fmt.Errorf("%w: more than %d bytes", errResponseTooLarge, t.MaxResponseBytes)
	}
	out, err := decodeResponse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: subgraph answered %d: %v", errNotGraphQL, resp.StatusCode, err)
	}
	return out, nil
}

// clone makes a private copy for one waiter: the executor merges into the
// maps it gets, so waiters of a shared round trip must not share them.
// Copying the tree is cheaper than decoding the bytes again.
func (r *subgraphResponse) clone() *subgraphResponse {
	out := &subgraphResponse{Errors: r.Errors, raw: r.raw}
	if r.Data != nil {
		out.Data = deepCopy(r.Data).(map[string]any)
	}
	return out
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v // strings, numbers, booleans, nil: immutable
}
