// Package gqltest is how a test talks to a GraphQL service over HTTP: a
// client carrying the headers the test chooses (an identity statement, a
// bearer token), the answer decoded into data, errors and their codes, and
// a walk into the data. Every package's tests and the end-to-end suite use
// it, so an answer is read the same way everywhere. Signing an identity
// statement is pkitest.Says's: a test passes its result in a header.
//
// It also holds what those tests do with logs: drop them (Quiet) or read
// them back (LogBuffer).
package gqltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Client posts GraphQL requests over HTTP the way a test needs them.
type Client struct {
	URL    string       // the GraphQL endpoint, e.g. srv.URL + "/graphql"
	HTTP   *http.Client // nil means http.DefaultClient
	Header http.Header  // sent with every request (identity statement, Authorization, ...)
}

// With is a copy of c that also sends key: value (replacing any value c
// sends for key). The copy has its own header map, so clients derived from
// one base never see each other's headers.
func (c Client) With(key, value string) Client {
	h := c.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(key, value)
	c.Header = h
	return c
}

// Do posts an operation and fails the test when no GraphQL answer comes
// back (the request failed, or the body is not a GraphQL response). GraphQL
// errors are the test's to assert: they are in the Response. The request
// is not tied to tb.Context, which ends before the test's cleanups: a
// cleanup may still undo what the test made. c.HTTP's timeout bounds it.
func (c Client) Do(tb testing.TB, query string, vars map[string]any) Response {
	tb.Helper()
	r, err := c.Post(context.Background(), query, vars)
	if err != nil {
		tb.Fatalf("%s: %v", oneLine(query), err)
	}
	return r
}

// DoRaw is Do for a body the test wrote itself: malformed JSON, a body too
// large, one sent chunked (an io.Reader of unknown length).
func (c Client) DoRaw(tb testing.TB, body io.Reader) Response {
	tb.Helper()
	r, err := c.PostRaw(context.Background(), body)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// Post is Do for callers that cannot fail a test from where they run
// (goroutines, helpers that return errors): the error says what Do would
// have failed with. On an answer that is not a GraphQL response, the
// Response still holds its Status, Header and Raw body; when no answer came
// at all (the connection or the TLS handshake failed), its Status is 0.
func (c Client) Post(ctx context.Context, query string, vars map[string]any) (Response, error) {
	body, err := json.Marshal(request{Query: query, Variables: vars})
	if err != nil {
		return Response{}, fmt.Errorf("encode the request: %w", err)
	}
	return c.PostRaw(ctx, bytes.NewReader(body))
}

// request is the GraphQL-over-HTTP request body. Without variables the key
// is left out, as clients do.
type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// PostRaw posts body as it is, as JSON unless c's headers name another
// Content-Type.
func (c Client) PostRaw(ctx context.Context, body io.Reader) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, body)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.Send(req)
}

// Send sends a request the test built itself (another method, a GET with
// the operation in the URL), with c's headers over its own, and reads the
// answer as Post does. c.URL is not used: req has its own.
func (c Client) Send(req *http.Request) (Response, error) {
	for k, vs := range c.Header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	r := Response{Status: resp.StatusCode, Header: resp.Header}
	if r.Raw, err = io.ReadAll(resp.Body); err != nil {
		return r, fmt.Errorf("read the answer (status %d): %w", r.Status, err)
	}
	return r, r.decode()
}

// Response is one answer: its HTTP status and headers, the body as sent,
// and the body decoded (numbers as float64, as encoding/json reads them).
type Response struct {
	Status int
	Header http.Header
	Data   map[string]any // nil when "data" is absent or null
	Errors []Error
	Raw    []byte
}

// Error is one entry of a response's "errors".
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// ErrNotGraphQL is what Post and Send report, wrapped, when the answer is
// no GraphQL response: not JSON, or an object with neither "data" nor
// "errors" (a proxy's or net/http's own refusal, an endpoint that is not
// GraphQL).
var ErrNotGraphQL = errors.New("not a GraphQL response")

func (r *Response) decode() error {
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	err := json.Unmarshal(r.Raw, &body)
	if err == nil && body.Data == nil && body.Errors == nil {
		err = errors.New(`neither "data" nor "errors"`)
	}
	if err == nil && body.Data != nil {
		err = json.Unmarshal(body.Data, &r.Data)
	}
	if err == nil && body.Errors != nil {
		err = json.Unmarshal(body.Errors, &r.Errors)
	}
	if err != nil {
		r.Data, r.Errors = nil, nil
		return fmt.Errorf("%w (status %d, %v): %.300s", ErrNotGraphQL, r.Status, err, r.Raw)
	}
	return nil
}

// String is the status and the body as it came (cut at 400 bytes): what a
// failure message shows of an answer.
func (r Response) String() string {
	if len(r.Raw) > 400 {
		return fmt.Sprintf("%d %s…", r.Status, r.Raw[:400])
	}
	return fmt.Sprintf("%d %s", r.Status, r.Raw)
}

// Codes are the extensions.code of each error, in order ("" for an error
// without one).
func (r Response) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// Dig is Dig(r.Data, path...).
func (r Response) Dig(path ...any) any { return Dig(r.Data, path...) }

// UserErrorCodes are the codes of the payload's userErrors at path (a
// mutation's field, e.g. "createProduct"), in order; nil when it has none.
func (r Response) UserErrorCodes(path ...any) []string {
	ues, _ := Dig(r.Data, append(path[:len(path):len(path)], "userErrors")...).([]any)
	var out []string
	for _, ue := range ues {
		c, _ := Dig(ue, "code").(string)
		out = append(out, c)
	}
	return out
}

// Dig walks a decoded JSON value: a string steps into an object, an int
// into an array. It is nil where the path leaves the value (a missing key,
// an index out of range, a step into a scalar), so a test can compare the
// result without checking every level.
func Dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k < 0 || k >= len(s) {
				return nil
			}
			v = s[k]
		default:
			return nil
		}
	}
	return v
}

// oneLine is a query for a failure message: on one line, cut at 200 bytes.
func oneLine(query string) string {
	q := strings.Join(strings.Fields(query), " ")
	if len(q) > 200 {
		q = q[:200] + "…"
	}
	return q
}
