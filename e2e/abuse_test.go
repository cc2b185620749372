package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/subgraphs/user/tokens"
)

// The abuse suite: hostile requests against the real router binary over
// HTTP. Each must be refused with its stable code and a fitting status,
// quickly and within bounded CPU and memory, and nothing it carries may
// reach a subgraph or be written. Two routers serve the same subgraphs: the
// store's (default configuration) and a second line with the byte and token
// limits lifted and introspection off, to prove the checks behind them hold
// on their own.

const (
	// hostileDeadline bounds the answer to one hostile request; each is
	// refused in milliseconds, so this is generous on a loaded 2-core machine.
	hostileDeadline = 5 * time.Second
	// hostileCPU bounds the router CPU one hostile request may cost: parsing
	// the largest documents takes tens of milliseconds; expanding a fragment
	// bomb or validating it would take minutes.
	hostileCPU = 2 * time.Second
	// maxRouterRSS bounds each router's peak resident memory over the suite
	// (it idles at ~50 MB, see README).
	maxRouterRSS = 300 << 20
	// readHeaderTimeout and readTimeout are the services' http.Server
	// timeouts (internal/service): for the headers, and for the whole request.
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
)

// reply is the router's answer to one request.
type reply struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
	data   map[string]any
	errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	hasData bool // "data" is present and not null
}

// code is the first error's extensions.code ("" without errors).
func (r reply) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	c, _ := r.errors[0].Extensions["code"].(string)
	return c
}

func (r reply) String() string {
	b := r.body
	if len(b) > 400 {
		b = append(b[:400:400], "…"...)
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

// userErrors are the codes of a mutation payload's userErrors.
func (r reply) userErrors(field string) []string {
	var out []string
	ues, _ := dig(r.data, field, "userErrors").([]any)
	for _, ue := range ues {
		c, _ := dig(ue, "code").(string)
		out = append(out, c)
	}
	return out
}

// caller is one client of a router. The test runs on loopback, a trusted
// proxy of the router, so X-Forwarded-For names the client: each part of
// the suite is its own client with its own rate limit bucket, as separate
// attackers would be.
type caller struct {
	router *proc
	addr   string
	token  string // "Bearer …" or ""
}

// abuseClient never waits long: a hung router fails the test, not the run.
var abuseClient = &http.Client{Timeout: 60 * time.Second}

// do sends a request with more headers as name, value pairs.
func (c caller) do(t *testing.T, method, path, contentType string, body []byte, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, c.router.url()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Forwarded-For", c.addr)
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := abuseClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	r.body, err = io.ReadAll(resp.Body)
	r.took = time.Since(start)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(r.body, &out) == nil {
		_ = json.Unmarshal(out.Errors, &r.errors)
		r.hasData = len(out.Data) > 0 && string(out.Data) != "null"
		_ = json.Unmarshal(out.Data, &r.data)
	}
	return r
}

// gql posts an operation as JSON.
func (c caller) gql(t *testing.T, query string, vars map[string]any) reply {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return c.do(t, http.MethodPost, "/graphql", "application/json", body)
}

// ok runs an operation that must answer without errors.
func (c caller) ok(t *testing.T, query string, vars map[string]any) reply {
	t.Helper()
	r := c.gql(t, query, vars)
	if r.status != http.StatusOK || len(r.errors) > 0 || !r.hasData {
		t.Fatalf("%s: %s", strings.Join(strings.Fields(query), " "), r)
	}
	return r
}

// world is what hostile requests must leave alone: the rows of every
// database the router reaches, and the subgraph requests the routers made
// (every write to the user service's database is one of those).
type world struct {
	rows    map[string]int64
	fetches float64
}

func (s *storefront) world(t *testing.T, routers ...*proc) world {
	t.Helper()
	w := world{rows: map[string]int64{}}
	for _, db := range []struct {
		name   string
		pool   *pgxpool.Pool
		tables []string
	}{
		{"product", s.productDB, []string{"products", "categories", "product_prices", "price_changes", "stock_movements", "reservations"}},
		{"order", s.orderDB, []string{"cart_lines", "orders", "order_status_history", "outbox"}},
		{"gateway", s.gatewayDB, []string{"payments", "refunds"}},
	} {
		for _, table := range db.tables {
			var n int64
			if err := db.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Fatalf("count %s.%s: %v", db.name, table, err)
			}
			w.rows[db.name+"."+table] = n
		}
	}
	for _, r := range routers {
		w.fetches += metricstest.Scrape(t, r.adminURL()+"/metrics").Sum("router_subgraph_fetch_duration_seconds_count")
	}
	return w
}

func (w world) same(o world) string {
	var diffs []string
	for k, v := range w.rows {
		if o.rows[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: %d rows, now %d", k, v, o.rows[k]))
		}
	}
	if w.fetches != o.fetches {
		diffs = append(diffs, fmt.Sprintf("subgraph fetches: %v, now %v", w.fetches, o.fetches))
	}
	return strings.Join(diffs, "; ")
}

// hostile is one hostile request and the refusal it must get.
type hostile struct {
	name   string
	to     *proc  // the router (default: the store's)
	method string // default POST
	ctype  string // default application/json
	accept string
	query  string        // a document, posted as {"query": …}
	body   func() []byte // or the whole body
	status int
	code   string // extensions.code of the first error; "" for net/http's own refusals
	alt    string // another code that is as right (a refusal that may come earlier)
}

// refuse sends h and asserts its refusal, its time and the router's CPU.
func refuse(t *testing.T, c caller, h hostile) {
	t.Helper()
	if h.to != nil {
		c.router = h.to
	}
	method, ctype := h.method, h.ctype
	if method == "" {
		method = http.MethodPost
	}
	if ctype == "" {
		ctype = "application/json"
	}
	var body []byte
	switch {
	case h.body != nil:
		body = h.body()
	case h.query != "":
		body, _ = json.Marshal(map[string]string{"query": h.query})
	}
	var header []string
	if h.accept != "" {
		header = []string{"Accept", h.accept}
	}
	before := c.router.usage(t)
	r := c.do(t, method, "/graphql", ctype, body, header...)
	cpu := c.router.usage(t).cpu - before.cpu
	t.Logf("%-55s %s → %d %-26s %7.1f ms, router CPU %4d ms", h.name, size(len(body)), r.status, r.code(), float64(r.took.Microseconds())/1000, cpu.Milliseconds())
	if r.status != h.status || r.code() != h.code && (h.alt == "" || r.code() != h.alt) || r.hasData {
		t.Errorf("%s: answered %s, want %d with code %q and no data", h.name, r, h.status, h.code)
	}
	if r.took > hostileDeadline {
		t.Errorf("%s: answered in %s, want within %s", h.name, r.took, hostileDeadline)
	}
	if cpu > hostileCPU {
		t.Errorf("%s: cost the router %s of CPU, want at most %s", h.name, cpu, hostileCPU)
	}
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%5.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%5.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%6d B", n)
}

// nested is open, n times, then inner, then close, n times.
func nested(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// aliases selects field n times, each under its own alias.
func aliases(field string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s ", i, field)
	}
	return b.String()
}

// fragmentBomb defines levels fragments on typ, each spreading the next
// one width times, the last selecting leaf: width^levels fields once
// expanded, in a document of a few hundred bytes.
func fragmentBomb(typ, leaf string, levels, width int) string {
	var b strings.Builder
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on %s { %s}\n", i, typ, strings.Repeat(fmt.Sprintf("...F%d ", i+1), width))
	}
	fmt.Fprintf(&b, "fragment F%d on %s { %s }\n", levels, typ, leaf)
	return b.String()
}

// jsonBody marshals v (a test's own fixed value).
func jsonBody(v any) func() []byte {
	return func() []byte {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return b
	}
}

func raw(s string) func() []byte { return func() []byte { return []byte(s) } }

func TestAbuse(t *testing.T) {
	if imageTag != "" {
		t.Skip("measures the router process, which is a container under E2E_IMAGES")
	}
	keys := t.TempDir() // the user service's development signing key lands here
	s := newStorefrontWith(t, extraEnv{user: []string{"USER_DATA_DIR=" + keys}})
	lifted := start(t, "router",
		"ROUTER_SUBGRAPHS=user="+s.user.url()+"/graphql,product="+s.product.url()+"/graphql,order="+s.order.url()+"/graphql",
		"ROUTER_JWKS_URL="+s.user.url()+"/.well-known/jwks.json", "ROUTER_JWT_ISSUERS="+e2eIssuer,
		"ROUTER_MAX_TOKENS=0", "ROUTER_MAX_DOCUMENT_BYTES=0", "ROUTER_MAX_BODY_BYTES="+strconv.Itoa(32<<20),
		"ROUTER_INTROSPECTION=false", "ROUTER_PLAYGROUND=false")
	routers := []*proc{s.router, lifted}
	for _, r := range routers {
		// Warm up: a supergraph, a plan and a subgraph connection each.
		(caller{router: r, addr: "198.51.100.2"}).ok(t, `{ categories { name } }`, nil)
	}
	baseline := map[*proc]usage{s.router: s.router.usage(t), lifted: lifted.usage(t)}
	calm := s.world(t, routers...)

	t.Run("documents", func(t *testing.T) {
		c := caller{router: s.router, addr: "198.51.100.10"}
		for _, h := range []hostile{
			{name: "depth 10,000", query: nested("{a", "", "}", 10_000), status: 200, code: "MAX_TOKENS_EXCEEDED"},
			{name: "depth 10,000 (graphql-response+json)", query: nested("{a", "", "}", 10_000), accept: "application/graphql-response+json", status: 400, code: "MAX_TOKENS_EXCEEDED"},
			{name: "depth 10,000 spaced out", query: nested("{ a ", "", "}", 10_000), status: 200, code: "DOCUMENT_TOO_LARGE"},
			// With the byte and token limits lifted, the parser stops at
			// 1,000 levels of nesting and the depth limit below that.
			{name: "depth 10,000, byte and token limits lifted", to: lifted, query: nested("{ a ", "", "}", 10_000), status: 200, code: "GRAPHQL_PARSE_FAILED"},
			{name: "depth 990, lifted", to: lifted, query: nested("{ a ", "", "}", 990), status: 200, code: "MAX_DEPTH_EXCEEDED"},
			{name: "depth 13", query: nested("{ a ", "", "}", 13), status: 200, code: "MAX_DEPTH_EXCEEDED"},
			{name: "100,000 aliases", query: "{ " + aliases("__typename", 100_000) + "}", status: 200, code: "DOCUMENT_TOO_LARGE"},
			{name: "100,000 root aliases, lifted", to: lifted, query: "{ " + aliases("__typename", 100_000) + "}", status: 200, code: "MAX_ROOT_FIELDS_EXCEEDED"},
			{name: "100,000 aliases in one field, lifted", to: lifted, query: "{ me { " + aliases("name", 100_000) + "} }", status: 200, code: "COST_LIMIT_EXCEEDED"},
			{name: "31 aliases", query: "{ me { " + aliases("name", 31) + "} }", status: 200, code: "MAX_ALIASES_EXCEEDED"},
			{name: "2 MB document", query: "{ __typename }\n#" + strings.Repeat("x", 2_000_000), status: 200, code: "DOCUMENT_TOO_LARGE"},
			{name: "2 MiB body", query: "{ __typename }\n#" + strings.Repeat("x", 2<<20), status: 413, code: "REQUEST_TOO_LARGE"},
			{name: "fragment cycle", query: `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "fragment spreading itself", query: `{ me { ...U } } fragment U on User { name ...U }`, status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "fragment cycle of 600", query: fragmentCycle(600), status: 200, code: "MAX_TOKENS_EXCEEDED"},
			{name: "fragment bomb 2^40", query: "{ me { ...F0 } }\n" + fragmentBomb("User", "name", 40, 2), status: 200, code: "COST_LIMIT_EXCEEDED"},
			{name: "fragment bomb 10^10", query: "{ me { ...F0 } }\n" + fragmentBomb("User", "name", 10, 10), status: 200, code: "COST_LIMIT_EXCEEDED"},
			{name: "fragment bomb 2^40, lifted", to: lifted, query: "{ me { ...F0 } }\n" + fragmentBomb("User", "name", 40, 2), status: 200, code: "COST_LIMIT_EXCEEDED"},
			{name: "fragment bomb of root fields 2^40", query: "{ ...F0 }\n" + fragmentBomb("Query", "__typename", 40, 2), status: 200, code: "MAX_ROOT_FIELDS_EXCEEDED"},
			{name: "introspection nested past its depth", query: `{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`, status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "list argument nested 10,000 deep", query: "{ products(first: " + nested("[", "1", "]", 10_000) + ") { totalCount } }", status: 200, code: "MAX_TOKENS_EXCEEDED"},
			{name: "list argument nested 10,000 deep, lifted", to: lifted, query: "{ products(first: " + nested("[", "1", "]", 10_000) + ") { totalCount } }", status: 200, code: "GRAPHQL_PARSE_FAILED"},
			{name: "list argument nested 990 deep, lifted", to: lifted, query: "{ products(first: " + nested("[", "1", "]", 990) + ") { totalCount } }", status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "input object list nested 990 deep, lifted", to: lifted, query: `{ products(filter: {query: ` + nested("[", `"x"`, "]", 990) + `}) { totalCount } }`, status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
		} {
			refuse(t, c, h)
		}
	})

	// Validation walks every fragment again from each fragment that
	// reaches it, so its work grows with the square of the fragments, and
	// only the token limit bounds their number: lifted, 100 kB of chained
	// fragments cost seconds of CPU and a gigabyte. The shape check could
	// refuse such documents first (COST_LIMIT_EXCEEDED).
	t.Run("validation cost", func(t *testing.T) {
		c := caller{router: s.router, addr: "198.51.100.15"}
		for _, h := range []hostile{
			{name: "fragment cycle of 330 (under the token limit)", query: fragmentCycle(330), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
			{name: "fragment chain of 330 (under the token limit)", query: fragmentChain(330), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
			{name: "fragment cycle of 2,500, lifted", to: lifted, query: fragmentCycle(2500), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
			{name: "fragment chain of 3,000, lifted", to: lifted, query: fragmentChain(3000), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
		} {
			refuse(t, c, h)
		}
	})

	t.Run("bodies", func(t *testing.T) {
		c := caller{router: s.router, addr: "198.51.100.11"}
		filter := `query($f: ProductFilter) { products(filter: $f) { totalCount } }`
		bigVars := func(n int) map[string]any {
			return map[string]any{"blob": strings.Repeat("v", n)}
		}
		batch := make([]map[string]string, 10_000)
		for i := range batch {
			batch[i] = map[string]string{"query": `{ categories { name } }`}
		}
		for _, h := range []hostile{
			{name: "variables nested 10,000 deep", body: raw(`{"query":` + strconv.Quote(filter) + `,"variables":{"f":{"query":` + nested("[", `"x"`, "]", 10_000) + `}}}`), status: 400, code: "BAD_REQUEST"},
			{name: "variables nested 5,000 deep", body: raw(`{"query":` + strconv.Quote(filter) + `,"variables":{"f":{"query":` + nested("[", `"x"`, "]", 5_000) + `}}}`), status: 200, code: "BAD_USER_INPUT"},
			{name: "10 MB of variables", body: jsonBody(map[string]any{"query": `{ __typename }`, "variables": bigVars(10 << 20)}), status: 413, code: "REQUEST_TOO_LARGE"},
			{name: "10 MB of variables in an input object, lifted", to: lifted, body: jsonBody(map[string]any{"query": filter, "variables": map[string]any{"f": bigVars(10 << 20)}}), status: 200, code: "BAD_USER_INPUT"},
			{name: "batch of 2 operations", body: raw(`[{"query":"{ __typename }"},{"query":"{ categories { name } }"}]`), status: 400, code: "BAD_REQUEST"},
			{name: "batch of 10,000 operations", body: jsonBody(batch), status: 400, code: "BAD_REQUEST"},
			{name: "truncated JSON", body: raw(`{"query":"{ __typename }"`), status: 400, code: "BAD_REQUEST"},
			{name: "query is a number", body: raw(`{"query":42}`), status: 400, code: "BAD_REQUEST"},
			{name: "query is an object", body: raw(`{"query":{"$gt":""}}`), status: 400, code: "BAD_REQUEST"},
			{name: "variables is a string", body: raw(`{"query":"{ __typename }","variables":"{}"}`), status: 400, code: "BAD_REQUEST"},
			{name: "variables is an array", body: raw(`{"query":"{ __typename }","variables":[1]}`), status: 400, code: "BAD_REQUEST"},
			{name: "extensions nested 100,000 deep", body: raw(`{"query":"{ __typename }","extensions":` + nested(`{"a":`, "1", "}", 100_000) + `}`), status: 400, code: "BAD_REQUEST"},
			{name: "persistedQuery is a string", body: raw(`{"query":"{ __typename }","extensions":{"persistedQuery":"x"}}`), status: 400, code: "BAD_REQUEST"},
			{name: "empty body", body: raw(``), status: 400, code: "BAD_REQUEST"},
			{name: "empty object", body: raw(`{}`), status: 400, code: "BAD_REQUEST"},
			{name: "a GraphQL document as the JSON body", body: raw(`{ __typename }`), status: 400, code: "BAD_REQUEST"},
			{name: "NUL bytes", body: raw(strings.Repeat("\x00", 1000)), status: 400, code: "BAD_REQUEST"},
			{name: "Int variable 1e999999", body: raw(`{"query":"query($n: Int) { products(first: $n) { totalCount } }","variables":{"n":1e999999}}`), status: 200, code: "BAD_USER_INPUT"},
			{name: "Int variable past 64 bits", body: raw(`{"query":"query($n: Int) { products(first: $n) { totalCount } }","variables":{"n":99999999999999999999}}`), status: 200, code: "BAD_USER_INPUT"},
			{name: "operationName not in the document", body: raw(`{"query":"query A { __typename }","operationName":"B"}`), status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "two anonymous operations", query: `{ __typename } { categories { name } }`, status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "Content-Type text/plain", ctype: "text/plain", query: `{ __typename }`, status: 415, code: "BAD_REQUEST"},
			{name: "Content-Type form", ctype: "application/x-www-form-urlencoded", body: raw(`query=%7B__typename%7D`), status: 415, code: "BAD_REQUEST"},
			{name: "Content-Type multipart", ctype: "multipart/form-data; boundary=x", body: raw("--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{ __typename }\r\n--x--\r\n"), status: 415, code: "BAD_REQUEST"},
			{name: "Content-Type application/graphql", ctype: "application/graphql", body: raw(`{ __typename }`), status: 415, code: "BAD_REQUEST"},
			{name: "Content-Type application/xml", ctype: "application/xml", body: raw(`<query>{ __typename }</query>`), status: 415, code: "BAD_REQUEST"},
			{name: "PUT", method: http.MethodPut, query: `{ __typename }`, status: 405, code: "BAD_REQUEST"},
			{name: "DELETE", method: http.MethodDelete, status: 405, code: "BAD_REQUEST"},
		} {
			refuse(t, c, h)
		}

		// A mutation over GET (a link or an <img> a browser follows).
		get := url.Values{"query": {`mutation { logout(refreshToken: "x") { ok } }`}}.Encode()
		r := c.do(t, http.MethodGet, "/graphql?"+get, "", nil)
		if r.status != http.StatusOK || r.code() != "BAD_REQUEST" || r.hasData {
			t.Errorf("mutation over GET: %s, want BAD_REQUEST and no data", r)
		}
		// Two JSON values in one body: the first is the request; what
		// follows is never run (the router reads one value).
		r = c.do(t, http.MethodPost, "/graphql", "application/json",
			[]byte(`{"query":"{ __typename }"} {"query":"mutation { logout(refreshToken: \"x\") { ok } }"}`))
		if r.status != http.StatusOK || dig(r.data, "__typename") != "Query" || dig(r.data, "logout") != nil {
			t.Errorf("two JSON values: %s, want only the first one answered", r)
		}
	})

	t.Run("introspection off", func(t *testing.T) {
		c := caller{router: lifted, addr: "198.51.100.12"}
		for _, h := range []hostile{
			{name: "__schema", query: `{ __schema { types { name } } }`, status: 200, code: "INTROSPECTION_DISABLED"},
			{name: "__type", query: `{ __type(name: "Order") { fields { name } } }`, status: 200, code: "INTROSPECTION_DISABLED"},
			{name: "__schema aliased", query: `{ s: __schema { queryType { name } } }`, status: 200, code: "INTROSPECTION_DISABLED"},
			{name: "__schema in a fragment", query: `{ ...I } fragment I on Query { __schema { queryType { name } } }`, status: 200, code: "INTROSPECTION_DISABLED"},
			{name: "__type in an inline fragment", query: `{ ... on Query { __type(name: "User") { name } } }`, status: 200, code: "INTROSPECTION_DISABLED"},
			{name: "__schema beside a real field", query: `{ categories { name } __schema { queryType { name } } }`, status: 200, code: "INTROSPECTION_DISABLED"},
		} {
			refuse(t, c, h)
		}
		get := url.Values{"query": {`{ __schema { queryType { name } } }`}}.Encode()
		if r := c.do(t, http.MethodGet, "/graphql?"+get, "", nil); r.status != http.StatusOK || r.code() != "INTROSPECTION_DISABLED" || r.hasData {
			t.Errorf("__schema over GET: %s", r)
		}
		// __typename is not introspection; the store's own router
		// (introspection on) answers the same query.
		if r := c.ok(t, `{ __typename }`, nil); dig(r.data, "__typename") != "Query" {
			t.Errorf("__typename: %s", r)
		}
		if r := (caller{router: s.router, addr: c.addr}).ok(t, `{ __type(name: "Order") { name } }`, nil); dig(r.data, "__type", "name") != "Order" {
			t.Errorf("introspection on the default router: %s", r)
		}
	})

	if diff := calm.same(s.world(t, routers...)); diff != "" {
		t.Errorf("hostile requests changed the store: %s", diff)
	}

	t.Run("tokens", func(t *testing.T) { abuseTokens(t, s, keys) })

	t.Run("slow clients", func(t *testing.T) { abuseSlowClients(t, s) })
	t.Run("injection", func(t *testing.T) { abuseInjection(t, s) })

	for _, r := range routers {
		end := r.usage(t)
		name := "store router"
		if r == lifted {
			name = "lifted router"
		}
		t.Logf("%s: peak RSS %.1f MB (now %.1f MB), CPU %.2f s during the suite", name, float64(end.peak)/(1<<20), float64(end.rss)/(1<<20), (end.cpu - baseline[r].cpu).Seconds())
		if end.peak > maxRouterRSS {
			t.Errorf("%s: peak RSS %.1f MB, want under %d MB", name, float64(end.peak)/(1<<20), maxRouterRSS>>20)
		}
	}
}

// fragmentCycle is a query spreading F0, where F0 spreads F1 … and the
// last spreads F0 again.
func fragmentCycle(n int) string {
	var b strings.Builder
	b.WriteString("{ me { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on User { name ...F%d }\n", i, (i+1)%n)
	}
	return b.String()
}

// fragmentChain is a query spreading F0, where F0 spreads F1 … and the
// last selects a field User does not have (so that it is refused).
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("{ me { ...F0 } }\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "fragment F%d on User { name ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on User { nope }\n", n-1)
	return b.String()
}

// jwtParts signs header and claims as a compact JWS with sign (nil: no
// signature, as alg none has).
func jwtParts(header, claims map[string]any, sign func(input []byte) []byte) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	if sign == nil {
		return input + "."
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func eddsa(key ed25519.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte { return ed25519.Sign(key, input) }
}

// abuseTokens sends forged and broken JWTs carrying an administrator's
// claims with an admin mutation: each must be refused with 401 and nothing
// created, while the same claims correctly signed are served.
func abuseTokens(t *testing.T, s *storefront, keys string) {
	c := caller{router: s.router, addr: "198.51.100.13"}
	// The user service's signing key, as a thief with disk access has it.
	pemBytes, err := os.ReadFile(filepath.Join(keys, "signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := parsed.(ed25519.PrivateKey)
	pub := key.Public().(ed25519.PublicKey)
	ks, err := tokens.LoadKeys(tokens.KeyConfig{DevDir: keys})
	if err != nil {
		t.Fatal(err)
	}
	kid := ks.KeyID()
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pubPEM, _ := x509.MarshalPKIXPublicKey(pub)
	jwksResp, err := routerClient.Get(s.user.url() + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := io.ReadAll(jwksResp.Body)
	jwksResp.Body.Close()

	now := time.Now()
	admin := func(change func(h, c map[string]any)) (map[string]any, map[string]any) {
		h := map[string]any{"alg": "EdDSA", "kid": kid, "typ": "JWT"}
		c := map[string]any{"iss": e2eIssuer, "aud": []string{"virtual-store"}, "sub": "forged-" + uuid.NewString()[:8],
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": uuid.NewString(),
			"roles": []string{"CUSTOMER", "ADMIN"}, "scope": "catalog:write inventory:write orders:admin users:admin"}
		if change != nil {
			change(h, c)
		}
		return h, c
	}
	signed := func(change func(h, c map[string]any), sign func([]byte) []byte) string {
		h, c := admin(change)
		return jwtParts(h, c, sign)
	}
	// A customer's real token, tampered with to claim the admin role.
	email := "tamper-" + uuid.NewString()[:8] + "@example.com"
	caller{router: s.router, addr: c.addr}.ok(t, `mutation($in: RegisterInput!) { register(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": "a long password", "name": "Tamper"}})
	customer := s.login(t, email, "a long password")
	if r := (caller{router: s.router, addr: c.addr, token: customer}).ok(t, `{ me { email } }`, nil); dig(r.data, "me", "email") != email {
		t.Fatalf("the customer's own token: %s", r)
	}
	parts := strings.Split(strings.TrimPrefix(customer, "Bearer "), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["roles"], claims["scope"] = []string{"CUSTOMER", "ADMIN"}, "catalog:write"
	tamperedPayload, _ := json.Marshal(claims)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	badSignature := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)

	cases := []struct{ name, header string }{
		{"alg none", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "none" }, nil)},
		{"alg none, empty kid", "Bearer " + signed(func(h, _ map[string]any) { h["alg"], h["kid"] = "none", "" }, nil)},
		{"HS256 keyed with the raw public key", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" }, hs256(pub))},
		{"HS256 keyed with the JWK x", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" }, hs256([]byte(base64.RawURLEncoding.EncodeToString(pub))))},
		{"HS256 keyed with the JWKS document", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" }, hs256(jwks))},
		{"HS256 keyed with the public key PEM", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" },
			hs256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})))},
		{"ES256 header over an EdDSA signature", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "ES256" }, eddsa(key))},
		{"expired an hour ago", "Bearer " + signed(func(_, c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}, eddsa(key))},
		{"not valid for another hour", "Bearer " + signed(func(_, c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }, eddsa(key))},
		{"no expiry", "Bearer " + signed(func(_, c map[string]any) { delete(c, "exp") }, eddsa(key))},
		{"no subject", "Bearer " + signed(func(_, c map[string]any) { delete(c, "sub") }, eddsa(key))},
		{"another issuer", "Bearer " + signed(func(_, c map[string]any) { c["iss"] = "http://evil.example" }, eddsa(key))},
		{"no issuer", "Bearer " + signed(func(_, c map[string]any) { delete(c, "iss") }, eddsa(key))},
		{"another audience", "Bearer " + signed(func(_, c map[string]any) { c["aud"] = []string{"another-store"} }, eddsa(key))},
		{"unknown kid", "Bearer " + signed(func(h, _ map[string]any) { h["kid"] = "unknown-" + uuid.NewString() }, eddsa(otherKey))},
		{"kid with a path", "Bearer " + signed(func(h, _ map[string]any) { h["kid"] = "../../../../etc/passwd" }, eddsa(key))},
		{"no kid", "Bearer " + signed(func(h, _ map[string]any) { delete(h, "kid") }, eddsa(key))},
		{"the store's kid, another key's signature", "Bearer " + signed(nil, eddsa(otherKey))},
		{"another key embedded in the header (jwk)", "Bearer " + signed(func(h, _ map[string]any) {
			h["jwk"] = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(otherKey.Public().(ed25519.PublicKey))}
		}, eddsa(otherKey))},
		{"a customer's token, payload tampered", "Bearer " + tampered},
		{"a customer's token, signature flipped", "Bearer " + badSignature},
		{"a customer's token, signature cut", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"16 kB token", "Bearer " + signed(func(h, _ map[string]any) { h["pad"] = strings.Repeat("x", 16<<10) }, eddsa(otherKey))},
		{"garbage", "Bearer not.a.jwt"},
		{"Basic credentials", "Basic YWRtaW5AZTJlLnRlc3Q6ZTJlLWFkbWluLXBhc3N3b3Jk"},
	}
	products := func() int64 {
		var n int64
		if err := s.productDB.QueryRow(context.Background(), "SELECT count(*) FROM products").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	calm := s.world(t, s.router)
	create := `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code } } }`
	vars := func() map[string]any {
		return map[string]any{"in": map[string]any{"sku": "FORGED-" + strings.ToUpper(uuid.NewString()[:8]), "name": "Forged", "prices": []any{map[string]any{"amount": 1, "currency": "EUR"}}}}
	}
	for _, tc := range cases {
		body, _ := json.Marshal(map[string]any{"query": create, "variables": vars()})
		before := s.router.usage(t)
		r := c.do(t, http.MethodPost, "/graphql", "application/json", body, "Authorization", tc.header)
		cpu := s.router.usage(t).cpu - before.cpu
		t.Logf("%-45s → %d %s %6.1f ms, router CPU %d ms", tc.name, r.status, r.code(), float64(r.took.Microseconds())/1000, cpu.Milliseconds())
		if r.status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" || r.hasData || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %s (WWW-Authenticate %q), want 401 UNAUTHENTICATED", tc.name, r, r.header.Get("WWW-Authenticate"))
		}
		if r.took > hostileDeadline || cpu > hostileCPU {
			t.Errorf("%s: %s and %s of router CPU", tc.name, r.took, cpu)
		}
	}
	// Headers past the server's limit never reach the router's code.
	r := c.do(t, http.MethodPost, "/graphql", "application/json", []byte(`{"query":"{ __typename }"}`), "Authorization", "Bearer "+strings.Repeat("x", 2<<20))
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 2 MB Authorization header: %s, want 431", r)
	}
	if diff := calm.same(s.world(t, s.router)); diff != "" {
		t.Fatalf("requests with forged tokens changed the store: %s", diff)
	}
	before := products()
	// The same claims, correctly signed, are an administrator: the
	// refusals above are the router's checks, not a broken test token.
	good := caller{router: s.router, addr: c.addr, token: "Bearer " + signed(nil, eddsa(key))}
	if r := good.ok(t, create, vars()); dig(r.data, "createProduct", "product", "id") == nil {
		t.Fatalf("the correctly signed token: %s", r)
	}
	if n := products(); n != before+1 {
		t.Fatalf("the correctly signed token created %d products, want 1", n-before)
	}
}

// abuseSlowClients opens connections that trickle a request a byte at a
// time and never finish it, some in the headers, some in the body: the
// router must hang up on each within its read-header or read timeout, and
// answer everyone else meanwhile.
func abuseSlowClients(t *testing.T, s *storefront) {
	const perKind = 32
	addr := strings.TrimPrefix(s.router.url(), "http://")
	type closed struct {
		body  bool // trickled the body (else the headers)
		after time.Duration
		got   string // what the router sent before hanging up
	}
	results := make(chan closed, 2*perKind)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	opened := time.Now()
	headers := "POST /graphql HTTP/1.1\r\nHost: router\r\nContent-Type: application/json\r\n"
	for i := range 2 * perKind {
		body := i%2 == 1
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		trickle := headers + "X-Slow: " + strings.Repeat("s", 1000)
		if body {
			if _, err := io.WriteString(conn, headers+"Content-Length: 100000\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			trickle = `{"query":"` + strings.Repeat(" ", 1000)
		}
		wg.Add(1)
		go func() { // trickle, until the router hangs up
			defer wg.Done()
			for i := 0; i < len(trickle); i++ {
				if _, err := conn.Write([]byte{trickle[i]}); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
		go func() { // read until the router hangs up
			start := time.Now()
			got, _ := io.ReadAll(bufio.NewReader(conn))
			results <- closed{body: body, after: time.Since(start), got: string(got)}
		}()
	}
	// Others are served while every slow connection is open.
	c := caller{router: s.router, addr: "198.51.100.14"}
	served := 0
	for time.Since(opened) < readHeaderTimeout/2 {
		r := c.ok(t, `{ categories { name } }`, nil)
		if r.took > hostileDeadline {
			t.Errorf("a normal request beside %d slow clients took %s", 2*perKind, r.took)
		}
		served++
		time.Sleep(100 * time.Millisecond)
	}
	deadline := time.After(2*readTimeout + 5*time.Second)
	var longest [2]time.Duration
	for i := range 2 * perKind {
		select {
		case cl := <-results:
			limit, kind := readHeaderTimeout, 0
			if cl.body {
				limit, kind = readTimeout, 1
			}
			longest[kind] = max(longest[kind], cl.after)
			// Hung up on in time, with nothing or a client error.
			if cl.after > 2*limit || cl.got != "" && !strings.HasPrefix(cl.got, "HTTP/1.1 4") {
				t.Errorf("slow client (body %v): hung up on after %s (limit %s), having got %q", cl.body, cl.after, limit, cl.got)
			}
		case <-deadline:
			t.Fatalf("%d of %d slow clients still connected %s after they opened (read-header timeout %s, read timeout %s)",
				2*perKind-i, 2*perKind, time.Since(opened).Round(time.Second), readHeaderTimeout, readTimeout)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d clients trickling headers hung up on after at most %s, %d trickling bodies after at most %s; %d requests of others served meanwhile",
		perKind, longest[0].Round(time.Millisecond), perKind, longest[1].Round(time.Millisecond), served)
	if r := c.ok(t, `{ categories { name } }`, nil); r.took > hostileDeadline {
		t.Errorf("after the slow clients: %s", r.took)
	}
}

// injections are SQL and NoSQL operator strings: every text input must
// store them verbatim or refuse them, never interpret them.
var injections = []string{
	`{"$gt": ""}`,
	`'; DROP TABLE users; --`,
	`{"$where": "sleep(1000)"}`,
	`' OR '1'='1' --`,
	`{"$ne": null, "$regex": ".*"}`,
}

// abuseInjection drives every text input reachable through the router
// with the injection strings.
func abuseInjection(t *testing.T, s *storefront) {
	adminTok := s.login(t, e2eAdminEmail, e2eAdminPassword)
	adm := caller{router: s.router, addr: "198.51.100.20", token: adminTok}
	anon := caller{router: s.router, addr: "198.51.100.21"}

	// Innocent products a match-everything operator would list.
	var innocent []string
	for _, name := range []string{"Plain desk lamp", "Quiet kettle"} {
		r := adm.ok(t, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"sku": "PLAIN-" + strings.ToUpper(uuid.NewString()[:8]), "name": name, "initialStock": 50,
				"prices": []any{map[string]any{"amount": 1000, "currency": "EUR"}}}})
		innocent = append(innocent, dig(r.data, "createProduct", "product", "id").(string))
	}
	// Operators as JSON objects where the schema wants a string are the
	// router's to refuse: they never reach a subgraph's database driver.
	for _, op := range []any{map[string]any{"$gt": ""}, map[string]any{"$ne": nil}, []any{"$where", "1"}} {
		for _, q := range []struct {
			who   caller
			query string
			vars  map[string]any
		}{
			{anon, `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`, map[string]any{"in": map[string]any{"email": op, "password": op}}},
			{anon, `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`, map[string]any{"in": map[string]any{"email": e2eAdminEmail, "password": op}}},
			{anon, `query($s: String) { product(sku: $s) { id } }`, map[string]any{"s": op}},
			{anon, `query($f: ProductFilter) { products(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"query": op}}},
			{adm, `query($id: ID!) { user(id: $id) { id email } }`, map[string]any{"id": op}},
			{adm, `mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { userErrors { code } } }`, map[string]any{"id": op}},
		} {
			r := q.who.gql(t, q.query, q.vars)
			if r.status != http.StatusOK || r.code() != "BAD_USER_INPUT" || r.hasData {
				t.Errorf("%v as a string in %s: %s, want BAD_USER_INPUT from the router", op, strings.Join(strings.Fields(q.query), " "), r)
			}
		}
	}

	for i, p := range injections {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			injectInto(t, s, p, i, adm, anon, innocent)
		})
	}

	// Everything still stands: the users' store (an admin signs in), the
	// catalog and the orders.
	s.login(t, e2eAdminEmail, e2eAdminPassword)
	for _, table := range []string{"products", "categories", "stock_movements"} {
		var n int64
		if err := s.productDB.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s after the injections: %d rows, %v", table, n, err)
		}
	}
	var n int64
	if err := s.orderDB.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n); err != nil || n == 0 {
		t.Errorf("orders after the injections: %d rows, %v", n, err)
	}
}

// clientErrors are what an input may be refused with: a GraphQL error of
// the client's input, or a userError.
var clientErrors = map[string]bool{"BAD_USER_INPUT": true, "GRAPHQL_VALIDATION_FAILED": true}

// refusedInput asserts r refused a text input as the client's error: a
// userError with one of codes in the payload at field, or a client-error
// code, never an internal error.
func refusedInput(t *testing.T, what string, r reply, field string, codes ...string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Errorf("%s: %s", what, r)
		return
	}
	for _, c := range r.userErrors(field) {
		for _, want := range codes {
			if c == want {
				return
			}
		}
	}
	if len(r.errors) > 0 && clientErrors[r.code()] {
		return
	}
	t.Errorf("%s: %s, want a userError %v or a client error", what, r, codes)
}

// verbatim asserts a stored text came back exactly as sent.
func verbatim(t *testing.T, what string, got any, sent string) {
	t.Helper()
	if got != sent {
		t.Errorf("%s: stored %q, sent %q", what, got, sent)
	}
}

func injectInto(t *testing.T, s *storefront, p string, i int, adm, anon caller, innocent []string) {
	addr := "198.51.100." + strconv.Itoa(30+i)
	anon.addr = addr

	// Accounts: as an email it is no address; as a name and a password it
	// is kept exactly (signing in needs the exact password).
	r := anon.gql(t, `mutation($in: RegisterInput!) { register(input: $in) { accessToken userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": p, "password": "a long password", "name": "Mallory"}})
	refusedInput(t, "register email", r, "register", "INVALID_EMAIL")
	if dig(r.data, "register", "accessToken") != nil {
		t.Errorf("register with email %q signed in: %s", p, r)
	}
	email := fmt.Sprintf("inject-%d-%s@example.com", i, uuid.NewString()[:8])
	password := "pw " + p + " pw"
	r = anon.ok(t, `mutation($in: RegisterInput!) { register(input: $in) { user { name } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": password, "name": p}})
	verbatim(t, "register name", dig(r.data, "register", "user", "name"), p)
	login := `mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }`
	// (Not against the admin's email: five failures would lock it out.)
	for _, in := range []map[string]any{{"email": p, "password": p}, {"email": email, "password": p}} {
		r = anon.gql(t, login, map[string]any{"in": in})
		refusedInput(t, fmt.Sprintf("login %v", in), r, "login", "INVALID_CREDENTIALS")
		if dig(r.data, "login", "accessToken") != nil {
			t.Fatalf("login %v signed in", in)
		}
	}
	r = anon.ok(t, `mutation($in: LoginInput!) { login(input: $in) { accessToken refreshToken } }`, map[string]any{"in": map[string]any{"email": email, "password": password}})
	tok, _ := dig(r.data, "login", "accessToken").(string)
	refresh, _ := dig(r.data, "login", "refreshToken").(string)
	if tok == "" || refresh == "" {
		t.Fatalf("login with the exact password: %s", r)
	}
	me := caller{router: s.router, addr: addr, token: "Bearer " + tok}

	// Profile and address book.
	r = me.ok(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { name } userErrors { code } } }`, map[string]any{"in": map[string]any{"name": p + " 2"}})
	verbatim(t, "profile name", dig(r.data, "updateProfile", "user", "name"), p+" 2")
	r = me.gql(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { phone } userErrors { code } } }`, map[string]any{"in": map[string]any{"phone": p}})
	refusedInput(t, "profile phone", r, "updateProfile", "INVALID_INPUT")
	address := map[string]any{"label": p, "fullName": p, "line1": p, "line2": p, "city": p, "postalCode": "10115", "region": p, "country": "DE"}
	me.ok(t, `mutation($in: AddressInput!) { addAddress(input: $in) { userErrors { code } } }`, map[string]any{"in": address})
	r = me.ok(t, `{ me { name addresses { label fullName line1 line2 city region postalCode country } } }`, nil)
	verbatim(t, "me name", dig(r.data, "me", "name"), p+" 2")
	addrs, _ := dig(r.data, "me", "addresses").([]any)
	if len(addrs) != 1 {
		t.Fatalf("addresses: %s", r)
	}
	for _, f := range []string{"label", "fullName", "line1", "line2", "city", "region"} {
		verbatim(t, "address "+f, dig(addrs[0], f), p)
	}
	for _, f := range []string{"postalCode", "country", "phone"} {
		bad := map[string]any{}
		for k, v := range address {
			bad[k] = v
		}
		bad[f] = p
		r = me.gql(t, `mutation($in: AddressInput!) { addAddress(input: $in) { user { addresses { postalCode country phone } } userErrors { code } } }`, map[string]any{"in": bad})
		if us, _ := dig(r.data, "addAddress", "user", "addresses").([]any); len(r.userErrors("addAddress")) == 0 && len(us) > 1 && dig(us[len(us)-1], f) == p {
			continue // kept verbatim
		}
		refusedInput(t, "address "+f, r, "addAddress", "INVALID_INPUT")
	}
	r = me.gql(t, `mutation($in: ChangePasswordInput!) { changePassword(input: $in) { userErrors { code } } }`, map[string]any{"in": map[string]any{"currentPassword": p, "newPassword": "another long password"}})
	refusedInput(t, "change password", r, "changePassword", "INVALID_CREDENTIALS")
	r = anon.gql(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken userErrors { code } } }`, map[string]any{"t": p})
	refusedInput(t, "refresh token", r, "refreshToken", "INVALID_TOKEN")
	// Signing out an unknown token is no error (the token is unusable
	// either way); it must not sign out anyone else.
	anon.ok(t, `mutation($t: String!) { logout(refreshToken: $t) { ok } }`, map[string]any{"t": p})
	r = anon.ok(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken userErrors { code } } }`, map[string]any{"t": refresh})
	if tok, _ := dig(r.data, "refreshToken", "accessToken").(string); tok == "" {
		t.Errorf("logout with %q signed out another session: %s", p, r)
	}
	r = adm.gql(t, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": p})
	if dig(r.data, "user") != nil || len(r.errors) > 0 && !clientErrors[r.code()] {
		t.Errorf("user(id: %q): %s", p, r)
	}
	r = adm.gql(t, `mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { user { id } userErrors { code } } }`, map[string]any{"id": p})
	refusedInput(t, "grantRole userId", r, "grantRole", "NOT_FOUND")

	// Catalog: as a product's texts it is kept; as a search it finds that
	// product and nothing else; as a key it finds nothing.
	sku := fmt.Sprintf("INJ-%d-%s", i, strings.ToUpper(uuid.NewString()[:6]))
	r = adm.ok(t, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id name description attributes { name value } images { altText } } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"sku": sku, "name": p, "description": p, "initialStock": 20,
			"attributes": []any{map[string]any{"name": p, "value": p}}, "images": []any{map[string]any{"url": "https://img.example/a.png", "altText": p}},
			"prices": []any{map[string]any{"amount": 500, "currency": "EUR"}}}})
	product, _ := dig(r.data, "createProduct", "product", "id").(string)
	if product == "" {
		t.Fatalf("create a product named %q: %s", p, r)
	}
	r = anon.ok(t, `query($id: ID) { product(id: $id) { name description attributes { name value } images { altText } } }`, map[string]any{"id": product})
	verbatim(t, "product name", dig(r.data, "product", "name"), p)
	verbatim(t, "product description", dig(r.data, "product", "description"), p)
	attrs, _ := dig(r.data, "product", "attributes").([]any)
	images, _ := dig(r.data, "product", "images").([]any)
	if len(attrs) != 1 || len(images) != 1 {
		t.Fatalf("product: %s", r)
	}
	verbatim(t, "attribute name", dig(attrs[0], "name"), p)
	verbatim(t, "attribute value", dig(attrs[0], "value"), p)
	verbatim(t, "image alt text", dig(images[0], "altText"), p)
	r = anon.ok(t, `query($q: String) { products(first: 100, filter: {query: $q}) { totalCount edges { node { id name } } } }`, map[string]any{"q": p})
	edges, _ := dig(r.data, "products", "edges").([]any)
	for _, e := range edges {
		for _, id := range innocent {
			if dig(e, "node", "id") == id {
				t.Errorf("searching %q lists the unrelated %v", p, dig(e, "node", "name"))
			}
		}
	}
	r = adm.gql(t, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"sku": p, "name": "x", "prices": []any{map[string]any{"amount": 1, "currency": "EUR"}}}})
	refusedInput(t, "product sku", r, "createProduct", "INVALID_INPUT")
	r = adm.gql(t, `mutation($in: SetPriceInput!) { setPrice(input: $in) { userErrors { code } } }`,
		map[string]any{"in": map[string]any{"productId": product, "price": map[string]any{"amount": 1, "currency": p}}})
	refusedInput(t, "price currency", r, "setPrice", "INVALID_CURRENCY")
	r = adm.ok(t, `mutation($in: AdjustStockInput!) { adjustStock(input: $in) { product { availableQuantity } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"productId": product, "delta": 5, "reason": p}})
	if dig(r.data, "adjustStock", "product", "availableQuantity") != 25.0 {
		t.Errorf("adjust stock with reason %q: %s", p, r)
	}
	var reason string
	if err := s.productDB.QueryRow(context.Background(), "SELECT reason FROM stock_movements WHERE product_id = $1 ORDER BY created_at DESC LIMIT 1", product).Scan(&reason); err != nil {
		t.Fatal(err)
	}
	verbatim(t, "stock movement reason", reason, p)
	slug := fmt.Sprintf("inj-%d-%s", i, uuid.NewString()[:6])
	adm.ok(t, `mutation($in: CreateCategoryInput!) { createCategory(input: $in) { category { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"slug": slug, "name": p, "description": p}})
	r = anon.ok(t, `query($s: String) { category(slug: $s) { name description } }`, map[string]any{"s": slug})
	verbatim(t, "category name", dig(r.data, "category", "name"), p)
	verbatim(t, "category description", dig(r.data, "category", "description"), p)
	r = adm.gql(t, `mutation($in: CreateCategoryInput!) { createCategory(input: $in) { category { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"slug": p, "name": "x"}})
	refusedInput(t, "category slug", r, "createCategory", "INVALID_INPUT")
	for _, q := range []struct {
		name, query string
		vars        map[string]any
		path        []string
	}{
		{"product by sku", `query($v: String) { product(sku: $v) { id } }`, map[string]any{"v": p}, []string{"product"}},
		{"category by slug", `query($v: String) { category(slug: $v) { id } }`, map[string]any{"v": p}, []string{"category"}},
		{"price in currency", `query($id: ID, $v: String) { product(id: $id) { price(currency: $v) { amount } } }`, map[string]any{"id": product, "v": p}, []string{"product", "price"}},
	} {
		r = anon.ok(t, q.query, q.vars)
		if dig(r.data, q.path...) != nil {
			t.Errorf("%s %q found %s", q.name, p, r)
		}
	}
	for _, q := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"product by id", `query($v: ID) { product(id: $v) { id } }`, map[string]any{"v": p}},
		{"category by id", `query($v: ID) { category(id: $v) { id } }`, map[string]any{"v": p}},
		{"listing cursor", `query($v: String) { products(after: $v) { totalCount } }`, map[string]any{"v": p}},
		{"listing currency", `query($v: String) { products(currency: $v) { totalCount } }`, map[string]any{"v": p}},
		{"order by id", `query($v: ID!) { order(id: $v) { id } }`, map[string]any{"v": p}},
		{"cart currency", `query($v: String) { cart(currency: $v) { itemCount } }`, map[string]any{"v": p}},
		{"cart product id", `mutation($v: ID!) { addToCart(input: {productId: $v}) { userErrors { code } } }`, map[string]any{"v": p}},
	} {
		who := anon
		if strings.Contains(q.name, "order") || strings.Contains(q.name, "cart") {
			who = me
		}
		r = who.gql(t, q.query, q.vars)
		if len(r.errors) == 0 || !clientErrors[r.code()] {
			t.Errorf("%s %q: %s, want BAD_USER_INPUT", q.name, p, r)
		}
	}
	// Money formatted in a made-up locale is still the amount.
	r = anon.ok(t, `query($id: ID, $l: String) { product(id: $id) { price { formatted(locale: $l) } } }`, map[string]any{"id": product, "l": p})
	if f, _ := dig(r.data, "product", "price", "formatted").(string); !strings.Contains(f, "5") {
		t.Errorf("formatted in locale %q: %s", p, r)
	}

	// Cart and orders: the shipping address is kept, an unknown card token
	// and currency are refused, a reason and a tracking number are kept.
	r = me.gql(t, `mutation($p: ID!, $c: String) { addToCart(input: {productId: $p, currency: $c}) { userErrors { code } } }`, map[string]any{"p": product, "c": p})
	refusedInput(t, "cart currency", r, "addToCart", "INVALID_INPUT", "INVALID_CURRENCY")
	ship := map[string]any{"fullName": p, "line1": p, "line2": p, "city": p, "postalCode": "10115", "region": p, "country": "DE", "phone": ""}
	checkout := func(key, token string) reply {
		me.ok(t, `mutation($p: ID!) { addToCart(input: {productId: $p, quantity: 1}) { userErrors { code } } }`, map[string]any{"p": product})
		return me.ok(t, `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status shippingAddress { fullName line1 line2 city region } } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"idempotencyKey": key, "paymentToken": token, "shippingAddress": ship}})
	}
	r = checkout(p, "tok_visa")
	order, _ := dig(r.data, "checkout", "order", "id").(string)
	if dig(r.data, "checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout with idempotency key %q: %s", p, r)
	}
	for _, f := range []string{"fullName", "line1", "line2", "city", "region"} {
		verbatim(t, "shipping "+f, dig(r.data, "checkout", "order", "shippingAddress", f), p)
	}
	var key string
	if err := s.orderDB.QueryRow(context.Background(), "SELECT idempotency_key FROM orders WHERE id = $1", order).Scan(&key); err != nil {
		t.Fatal(err)
	}
	verbatim(t, "idempotency key", key, p)
	if r := checkout(p, "tok_visa"); dig(r.data, "checkout", "order", "id") != order {
		t.Errorf("the same idempotency key %q again: %s, want order %s", p, r, order)
	}
	r = checkout(uuid.NewString(), p)
	if dig(r.data, "checkout", "order", "status") != "PAYMENT_FAILED" {
		t.Errorf("checkout with card token %q: %s, want PAYMENT_FAILED", p, r)
	}
	me.ok(t, `mutation { clearCart { cart { itemCount } } }`, nil)
	r = me.ok(t, `mutation($id: ID!, $why: String) { cancelOrder(id: $id, reason: $why) { order { status history { note } } userErrors { code } } }`, map[string]any{"id": order, "why": p})
	history, _ := dig(r.data, "cancelOrder", "order", "history").([]any)
	if !slices.ContainsFunc(history, func(h any) bool { return dig(h, "note") == p }) {
		t.Errorf("cancel with reason %q: %s, want the reason in the history", p, r)
	}
	r = checkout(uuid.NewString(), "tok_visa")
	shipped, _ := dig(r.data, "checkout", "order", "id").(string)
	adm.ok(t, `mutation($id: ID!) { startFulfillment(id: $id) { userErrors { code } } }`, map[string]any{"id": shipped})
	r = adm.ok(t, `mutation($id: ID!, $n: String!) { markShipped(id: $id, trackingNumber: $n) { order { trackingNumber } userErrors { code } } }`, map[string]any{"id": shipped, "n": p})
	verbatim(t, "tracking number", dig(r.data, "markShipped", "order", "trackingNumber"), p)
}
