package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/virtual-store/virtual-store/internal/sse"
)

// client posts GraphQL operations to the router and records each request's
// latency and outcome in stats (nil: not recorded, for the set-up calls).
type client struct {
	url   string
	http  *http.Client
	stats *stats
}

func newClient(url string, timeout time.Duration, conns int, st *stats) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	return &client{url: url, http: &http.Client{Transport: tr, Timeout: timeout}, stats: st}
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// requestError is a request that failed: transport, HTTP status or GraphQL errors.
type requestError struct {
	Status int    // HTTP status; 0 for a transport error
	Code   string // extensions.code of the first GraphQL error, if any
	Msg    string
}

func (e *requestError) Error() string {
	switch {
	case e.Status == 0:
		return e.Msg
	case e.Code != "" && e.Status != http.StatusOK:
		return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg)
	case e.Code != "":
		return e.Code + ": " + e.Msg
	default:
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Msg)
	}
}

// code is the GraphQL error code of err, if it is a requestError.
func code(err error) string {
	var re *requestError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

// call sends op with vars (as the bearer of token, if set) and decodes the
// response's data into out. Any GraphQL error fails the call: the shoppers
// only ask what they may. A request cut short by ctx (the run ending) is not
// recorded.
func (c *client) call(ctx context.Context, op operation, vars map[string]any, token string, out any) error {
	d, err := c.send(ctx, op, vars, token, out)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.stats.record(op.Name, d, err)
	return err
}

// refused sends op expecting the store to refuse it with a GraphQL error
// of one of codes (a client's mistake, see the mistakes scenario): such an
// answer is an outcome ("<op> refused <code>"), not an error; any other
// answer is an error. It returns the code.
func (c *client) refused(ctx context.Context, op operation, vars map[string]any, token string, codes ...string) (string, error) {
	d, err := c.send(ctx, op, vars, token, nil)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	got := code(err)
	switch {
	case err != nil && slices.Contains(codes, got):
		c.stats.record(op.Name, d, nil)
		c.stats.outcome(op.Name + " refused " + got)
		return got, nil
	case err == nil:
		err = fmt.Errorf("answered, where %s was expected", strings.Join(codes, " or "))
	}
	c.stats.record(op.Name, d, err)
	return got, err
}

// send posts op and decodes the answer's data into out; it returns how long
// the request took.
func (c *client) send(ctx context.Context, op operation, vars map[string]any, token string, out any) (time.Duration, error) {
	body, err := json.Marshal(map[string]any{"query": op.Doc, "operationName": op.Name, "variables": vars})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	err = c.roundTrip(req, out)
	return time.Since(start), err
}

// first subscribes to op over SSE, decodes the first event's data into
// out and ends the subscription; it records the time to that event.
func (c *client) first(ctx context.Context, op operation, vars map[string]any, token string, out any) error {
	body, err := json.Marshal(map[string]any{"query": op.Doc, "operationName": op.Name, "variables": vars})
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", sse.ContentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	err = c.firstEvent(req, out)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.stats.record(op.Name, time.Since(start), err)
	return err
}

func (c *client) firstEvent(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return &requestError{Msg: shorten(err.Error())}
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), sse.ContentType) {
		return c.decode(resp, out) // refused before the stream started
	}
	ev, err := sse.NewReader(resp.Body, 1<<20).Next()
	if err != nil {
		return &requestError{Status: resp.StatusCode, Msg: "reading the event stream: " + err.Error()}
	}
	return decodeAnswer(resp.StatusCode, ev.Data, out)
}

func (c *client) roundTrip(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return &requestError{Msg: shorten(err.Error())}
	}
	defer resp.Body.Close()
	return c.decode(resp, out)
}

// decode reads a GraphQL answer from resp.
func (c *client) decode(resp *http.Response, out any) error {
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return &requestError{Status: resp.StatusCode, Msg: "reading the response: " + err.Error()}
	}
	return decodeAnswer(resp.StatusCode, raw, out)
}

// decodeAnswer decodes a GraphQL answer's data into out; errors, a status
// other than 200 or no GraphQL at all are a requestError.
func decodeAnswer(status int, raw []byte, out any) error {
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return &requestError{Status: status, Msg: "not a GraphQL response: " + shorten(string(raw))}
	}
	if len(r.Errors) > 0 {
		return &requestError{Status: status, Code: r.Errors[0].Extensions.Code, Msg: shorten(r.Errors[0].Message)}
	}
	if status != http.StatusOK {
		return &requestError{Status: status, Msg: shorten(string(raw))}
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return &requestError{Status: status, Msg: "unexpected data: " + err.Error()}
		}
	}
	return nil
}

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// userError is an entry of a payload's userErrors.
type userError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// checkUserErrors accepts a payload's userErrors when their code is one of
// expected (counted as an outcome of op, not an error) and fails op
// otherwise. It returns the first code ("" for none) and the failure.
func (c *client) checkUserErrors(op operation, errs []userError, expected ...string) (string, error) {
	if len(errs) == 0 {
		return "", nil
	}
	for _, want := range expected {
		if errs[0].Code == want {
			c.stats.outcome(op.Name + " " + want)
			return want, nil
		}
	}
	err := fmt.Errorf("userError %s: %s", errs[0].Code, errs[0].Message)
	c.stats.fail(op.Name, err)
	return errs[0].Code, err
}
