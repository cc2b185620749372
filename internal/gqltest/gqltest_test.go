package gqltest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// seen is one request as the test server got it.
type seen struct {
	method, path, rawQuery string
	header                 http.Header
	body                   []byte
	chunked                bool
}

// server answers every request with status and body, and hands the request
// it got to the test.
func server(t *testing.T, status int, contentType, body string) (*httptest.Server, <-chan seen) {
	t.Helper()
	got := make(chan seen, 8) // more than any test sends
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header, b, len(r.TransferEncoding) > 0}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

const answer = `{"data":{"createProduct":{"product":null,"userErrors":[{"code":"ALREADY_EXISTS"},{"field":["sku"]}]},
	"list":[{"id":"a"},{"id":"b"}]},
	"errors":[{"message":"no","path":["list",1,"secret"],"extensions":{"code":"FORBIDDEN"}},{"message":"bare"}]}`

func TestDoSendsTheOperationAndReadsTheAnswer(t *testing.T) {
	srv, got := server(t, http.StatusOK, "application/graphql-response+json", answer)
	c := gqltest.Client{URL: srv.URL + "/graphql"}.With("X-Identity", "statement")
	r := c.Do(t, `mutation($in: In!) { createProduct(input: $in) { id } }`, map[string]any{"in": map[string]any{"sku": "A-1"}})

	req := <-got
	if req.method != http.MethodPost || req.path != "/graphql" || req.header.Get("Content-Type") != "application/json" || req.header.Get("X-Identity") != "statement" {
		t.Errorf("request: %s %s, Content-Type %q, X-Identity %q", req.method, req.path, req.header.Get("Content-Type"), req.header.Get("X-Identity"))
	}
	var body map[string]any
	if err := json.Unmarshal(req.body, &body); err != nil || body["query"] != `mutation($in: In!) { createProduct(input: $in) { id } }` ||
		gqltest.Dig(body, "variables", "in", "sku") != "A-1" {
		t.Errorf("body %s (%v)", req.body, err)
	}

	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/graphql-response+json" || string(r.Raw) != answer {
		t.Errorf("status %d, Content-Type %q, raw %s", r.Status, r.Header.Get("Content-Type"), r.Raw)
	}
	if got := r.Codes(); !reflect.DeepEqual(got, []string{"FORBIDDEN", ""}) {
		t.Errorf("Codes() = %q, want FORBIDDEN and the bare error's empty code", got)
	}
	if e := r.Errors[0]; e.Message != "no" || !reflect.DeepEqual(e.Path, []any{"list", 1.0, "secret"}) {
		t.Errorf("first error: %+v", e)
	}
	if got := r.UserErrorCodes("createProduct"); !reflect.DeepEqual(got, []string{"ALREADY_EXISTS", ""}) {
		t.Errorf("UserErrorCodes = %q", got)
	}
	if got := r.UserErrorCodes("list"); got != nil {
		t.Errorf("UserErrorCodes of a field without userErrors = %q, want none", got)
	}
	if r.Dig("list", 1, "id") != "b" || r.Dig("createProduct", "product") != nil || r.Dig("list", 2) != nil {
		t.Errorf("Dig: %v %v %v", r.Dig("list", 1, "id"), r.Dig("createProduct", "product"), r.Dig("list", 2))
	}
}

func TestAnOperationWithoutVariablesSendsNone(t *testing.T) {
	srv, got := server(t, http.StatusOK, "application/json", `{"data":{"a":1}}`)
	gqltest.Client{URL: srv.URL}.Do(t, `{ a }`, nil)
	if req := <-got; string(req.body) != `{"query":"{ a }"}` {
		t.Errorf("body %s", req.body)
	}
}

// Clients derived from one base (an anonymous caller, then a customer and
// an admin) must never share a header map.
func TestWithCopiesTheHeaders(t *testing.T) {
	var zero gqltest.Client
	base := zero.With("A", "1")
	if zero.Header != nil {
		t.Errorf("With changed the zero client: %v", zero.Header)
	}
	x, y := base.With("B", "2"), base.With("B", "3")
	if base.Header.Get("B") != "" || x.Header.Get("B") != "2" || y.Header.Get("B") != "3" || x.Header.Get("A") != "1" {
		t.Errorf("base %v, x %v, y %v", base.Header, x.Header, y.Header)
	}
	if z := x.With("b", "4"); z.Header.Get("B") != "4" || len(z.Header["B"]) != 1 {
		t.Errorf("With of a header the client sends: %v, want it replaced", z.Header)
	}
}

// A body the test wrote goes as it is, unless the client's headers say
// otherwise; a request the test built keeps its method and URL.
func TestPostRawAndSend(t *testing.T) {
	srv, got := server(t, http.StatusBadRequest, "application/json", `{"errors":[{"message":"bad","extensions":{"code":"BAD_REQUEST"}}]}`)
	c := gqltest.Client{URL: srv.URL + "/graphql"}
	body := `{"query": {"not": "a string"}}`
	r := c.DoRaw(t, io.MultiReader(strings.NewReader(body))) // no length: sent chunked
	if req := <-got; string(req.body) != body || !req.chunked || req.header.Get("Content-Type") != "application/json" {
		t.Errorf("request body %s, chunked %v, Content-Type %q", req.body, req.chunked, req.header.Get("Content-Type"))
	}
	if r.Status != http.StatusBadRequest || !reflect.DeepEqual(r.Codes(), []string{"BAD_REQUEST"}) || r.Data != nil {
		t.Errorf("answer: %d %q %v", r.Status, r.Codes(), r.Data)
	}

	if _, err := c.With("Content-Type", "text/plain").PostRaw(context.Background(), strings.NewReader("{ a }")); err != nil {
		t.Fatal(err)
	}
	if req := <-got; req.header.Get("Content-Type") != "text/plain" {
		t.Errorf("Content-Type %q, want the client's", req.header.Get("Content-Type"))
	}

	get, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?query=%7B+a+%7D", nil)
	get.Header.Set("Accept", "application/json")
	if _, err := c.With("Authorization", "Bearer t").Send(get); err != nil {
		t.Fatal(err)
	}
	if req := <-got; req.method != http.MethodGet || req.rawQuery != "query=%7B+a+%7D" || req.header.Get("Authorization") != "Bearer t" || req.header.Get("Accept") != "application/json" {
		t.Errorf("sent %s ?%s, headers %v", req.method, req.rawQuery, req.header)
	}
}

// An answer that is no GraphQL response is an error that still carries
// what came back; a failed request is an error with nothing.
func TestAnswersThatAreNotGraphQL(t *testing.T) {
	srv, _ := server(t, http.StatusRequestHeaderFieldsTooLarge, "text/plain", "431 Request Header Fields Too Large")
	r, err := gqltest.Client{URL: srv.URL}.Post(context.Background(), `{ a }`, nil)
	if !errors.Is(err, gqltest.ErrNotGraphQL) || r.Status != http.StatusRequestHeaderFieldsTooLarge || string(r.Raw) != "431 Request Header Fields Too Large" {
		t.Errorf("plain text: %v, status %d, raw %q", err, r.Status, r.Raw)
	}
	if got := r.String(); got != "431 431 Request Header Fields Too Large" {
		t.Errorf("String() = %q, want the status and the body", got)
	}
	if got := (gqltest.Response{Status: 200, Raw: []byte(strings.Repeat("x", 401))}).String(); got != "200 "+strings.Repeat("x", 400)+"…" {
		t.Errorf("String() of a long body = %q, want it cut at 400 bytes", got)
	}

	srv.Close()
	r, err = gqltest.Client{URL: srv.URL}.Post(context.Background(), `{ a }`, nil)
	if err == nil || errors.Is(err, gqltest.ErrNotGraphQL) || r.Status != 0 {
		t.Errorf("closed server: %v, status %d", err, r.Status)
	}
}

// fatals records a test's failure instead of ending it.
type fatals struct {
	testing.TB
	msgs []string
}

func (f *fatals) Helper()                   {}
func (f *fatals) Fatal(args ...any)         { f.msgs = append(f.msgs, fmt.Sprint(args...)) }
func (f *fatals) Fatalf(s string, a ...any) { f.msgs = append(f.msgs, fmt.Sprintf(s, a...)) }

func TestDoFailsTheTestWithoutAnAnswer(t *testing.T) {
	srv, _ := server(t, http.StatusNotFound, "text/plain", "404 page not found")
	f := &fatals{TB: t}
	gqltest.Client{URL: srv.URL}.Do(f, "{\n  me { id }\n}", nil)
	gqltest.Client{URL: srv.URL}.DoRaw(f, strings.NewReader(`{}`))
	if len(f.msgs) != 2 || !strings.HasPrefix(f.msgs[0], "{ me { id } }: ") || !strings.Contains(f.msgs[0], "404 page not found") || !strings.Contains(f.msgs[1], "status 404") {
		t.Errorf("failures: %q, want both, naming the query and the answer", f.msgs)
	}
}

// digSeeds drive the table and FuzzDig: a JSON value, a path ("." between
// steps, a number is an index) and the JSON of what Dig finds ("null":
// nothing).
var digSeeds = []struct{ doc, path, want string }{
	{`{"a":{"b":[10,{"c":"x"}]}}`, "a.b.1.c", `"x"`},
	{`{"a":{"b":[10,{"c":"x"}]}}`, "a.b.0", `10`},
	{`{"a":{"b":[10,{"c":"x"}]}}`, "", `{"a":{"b":[10,{"c":"x"}]}}`},
	{`{"a":{"b":[10,{"c":"x"}]}}`, "a.b.2", `null`},
	{`{"a":{"b":[10,{"c":"x"}]}}`, "a.b.-1", `null`},
	{`{"a":{"b":[10,{"c":"x"}]}}`, "a.b.c", `null`},
	{`{"a":{"b":[10,{"c":"x"}]}}`, "a.0", `null`},
	{`{"a":"s"}`, "a.b", `null`},
	{`[1,[2,3]]`, "1.1", `3`},
	{`null`, "a", `null`},
	{`{"0":"key"}`, "0", `null`}, // an index never reads an object's key
}

// path parses a seed's path.
func path(s string) []any {
	var out []any
	for step := range strings.SplitSeq(s, ".") {
		if step == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(step, "%d", &n); err == nil && fmt.Sprint(n) == step {
			out = append(out, n)
		} else {
			out = append(out, step)
		}
	}
	return out
}

func TestDig(t *testing.T) {
	for _, s := range digSeeds {
		var v any
		if err := json.Unmarshal([]byte(s.doc), &v); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(gqltest.Dig(v, path(s.path)...))
		if string(got) != s.want {
			t.Errorf("Dig(%s, %s) = %s, want %s", s.doc, s.path, got, s.want)
		}
	}
	if got := gqltest.Dig(map[string]any{"a": 1}, 1.5); got != nil {
		t.Errorf("a step that is neither key nor index found %v", got)
	}
}

// Dig never panics, and walking a path in two parts finds what walking it
// at once does.
func FuzzDig(f *testing.F) {
	for _, s := range digSeeds {
		f.Add(s.doc, s.path, uint8(1))
	}
	f.Fuzz(func(t *testing.T, doc, p string, cut uint8) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		steps := path(p)
		i := int(cut) % (len(steps) + 1)
		whole, _ := json.Marshal(gqltest.Dig(v, steps...))
		parts, _ := json.Marshal(gqltest.Dig(gqltest.Dig(v, steps[:i]...), steps[i:]...))
		if string(whole) != string(parts) {
			t.Fatalf("Dig(%s, %s) = %s, but in two parts at %d: %s", doc, p, whole, i, parts)
		}
	})
}

// bodySeeds drive the table and FuzzDecode: an answer's body, and whether
// it is a GraphQL response.
var bodySeeds = []struct {
	body    string
	graphQL bool
}{
	{`{"data":{"a":1}}`, true},
	{`{"data":null,"errors":[{"message":"x"}]}`, true},
	{`{"errors":[]}`, true},
	{`{"data":{}}` + "\n", true},
	{`{}`, false},
	{`{"error":{"code":"token_invalid"}}`, false},
	{`{"data":[1]}`, false},
	{`{"errors":{"message":"x"}}`, false},
	{`{"errors":[{"extensions":[1]}]}`, false},
	{`{"data":{"a":1}} {"data":{}}`, false},
	{`<html>`, false},
	{``, false},
}

func TestDecode(t *testing.T) {
	for _, s := range bodySeeds {
		checkDecode(t, s.body, &s.graphQL)
	}
}

// FuzzDecode: whatever comes back, Post never panics, always reports the
// status and raw body, and decodes exactly when encoding/json reads an
// object with "data" or "errors" of the right types.
func FuzzDecode(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add(s.body)
	}
	f.Fuzz(func(t *testing.T, body string) { checkDecode(t, body, nil) })
}

func checkDecode(t *testing.T, body string, want *bool) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	r, err := gqltest.Client{URL: srv.URL}.Post(context.Background(), `{ a }`, nil)
	if r.Status != http.StatusTeapot || string(r.Raw) != body {
		t.Fatalf("%q: status %d, raw %q", body, r.Status, r.Raw)
	}
	// The oracle: encoding/json reads the body into the types a GraphQL
	// response has, and it has one of the two keys (matched as
	// encoding/json matches them, ignoring case).
	var shape struct {
		Data   *map[string]any  `json:"data"`
		Errors *[]gqltest.Error `json:"errors"`
	}
	readable := json.Unmarshal([]byte(body), &shape) == nil
	var keys map[string]json.RawMessage
	_ = json.Unmarshal([]byte(body), &keys)
	var hasData, hasErrors bool
	for k := range keys {
		hasData = hasData || strings.EqualFold(k, "data")
		hasErrors = hasErrors || strings.EqualFold(k, "errors")
	}
	graphQL := readable && (hasData || hasErrors)
	if want != nil && graphQL != *want {
		t.Fatalf("%q: the test's oracle says GraphQL %v, the seed %v", body, graphQL, *want)
	}
	if graphQL != (err == nil) || !graphQL && !errors.Is(err, gqltest.ErrNotGraphQL) {
		t.Fatalf("%q: error %v, want a GraphQL response: %v", body, err, graphQL)
	}
	if !graphQL && (r.Data != nil || r.Errors != nil) {
		t.Fatalf("%q: refused, yet data %v, errors %v", body, r.Data, r.Errors)
	}
}

func TestLogBufferTakesWritesFromManyGoroutines(t *testing.T) {
	var logs gqltest.LogBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = io.WriteString(&logs, "line\n")
				_ = logs.String() // a test reading while the service writes
			}
		})
	}
	wg.Wait()
	if n := strings.Count(logs.String(), "line\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	gqltest.Quiet().Error("dropped") // and a quiet logger takes anything
}
