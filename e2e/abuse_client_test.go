package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
)

// reply is the router's answer to one request, and how long it took.
type reply struct {
	gqltest.Response
	took time.Duration
}

// code is the first error's extensions.code ("" without errors).
func (r reply) code() string {
	if codes := r.Codes(); len(codes) > 0 {
		return codes[0]
	}
	return ""
}

// hasData tells whether "data" is present and not null.
func (r reply) hasData() bool { return r.Data != nil }

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

// client is GraphQL at c's router as c: its address as the trusted proxy's
// X-Forwarded-For, and its token.
func (c caller) client() gqltest.Client {
	g := gqltest.Client{URL: c.router.url() + "/graphql", HTTP: abuseClient}.With("X-Forwarded-For", c.addr)
	if c.token != "" {
		g = g.With("Authorization", c.token)
	}
	return g
}

// send times one exchange of c's. An answer that is no GraphQL response
// (net/http's own refusals, such as 431) is still the router's answer: its
// status tells.
func (c caller) send(t *testing.T, what string, exchange func(gqltest.Client) (gqltest.Response, error)) reply {
	t.Helper()
	start := time.Now()
	r, err := exchange(c.client())
	took := time.Since(start)
	if err != nil && !errors.Is(err, gqltest.ErrNotGraphQL) {
		t.Fatalf("%s: %v", what, err)
	}
	return reply{Response: r, took: took}
}

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
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.send(t, method+" "+path, func(g gqltest.Client) (gqltest.Response, error) { return g.Send(req) })
}

// gql posts an operation as JSON.
func (c caller) gql(t *testing.T, query string, vars map[string]any) reply {
	t.Helper()
	return c.send(t, "POST /graphql", func(g gqltest.Client) (gqltest.Response, error) {
		return g.Post(context.Background(), query, vars)
	})
}

// ok runs an operation that must answer without errors.
func (c caller) ok(t *testing.T, query string, vars map[string]any) reply {
	t.Helper()
	r := c.gql(t, query, vars)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || !r.hasData() {
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
	t.Logf("%-55s %s → %d %-26s %7.1f ms, router CPU %4d ms", h.name, size(len(body)), r.Status, r.code(), float64(r.took.Microseconds())/1000, cpu.Milliseconds())
	if r.Status != h.status || r.code() != h.code && (h.alt == "" || r.code() != h.alt) || r.hasData() {
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
