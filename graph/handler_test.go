package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/graph/internal/graphtest"
)

func serve(t *testing.T) (*httptest.Server, *prometheus.Registry, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	es := graphtest.NewExecutableSchema(graphtest.Config{Resolvers: graphtest.Resolver{}})
	h := graph.NewHandler(es, graph.HandlerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registry: reg, ComplexityLimit: 50})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, reg, &logs
}

type response struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func post(t *testing.T, url, query string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return r
}

func TestErrorCodes(t *testing.T) {
	srv, _, logs := serve(t)
	tests := []struct {
		query, code, message string
	}{
		{`{ forbidden }`, graph.ErrCodeForbidden, "not allowed: test"},
		{`{ broken }`, graph.ErrCodeInternal, "internal server error"},
		{`{ panics }`, graph.ErrCodeInternal, "internal server error"},
		{`{ price(amount: 1, currency: "NOPE") { amount } }`, graph.ErrCodeBadUserInput, `unknown currency "NOPE"`},
		{`{ price(amount: "x", currency: "EUR") { amount } }`, "GRAPHQL_VALIDATION_FAILED", ""},
		{`{ nope }`, "GRAPHQL_VALIDATION_FAILED", ""},
		{`{ price(amount: 1, currency: "EUR") { amount `, "GRAPHQL_PARSE_FAILED", ""},
	}
	for _, tt := range tests {
		r := post(t, srv.URL, tt.query)
		if len(r.Errors) != 1 {
			t.Errorf("%s: %d errors, want 1", tt.query, len(r.Errors))
			continue
		}
		if got := r.Errors[0].Extensions["code"]; got != tt.code {
			t.Errorf("%s: code %v, want %s", tt.query, got, tt.code)
		}
		if tt.message != "" && r.Errors[0].Message != tt.message {
			t.Errorf("%s: message %q, want %q", tt.query, r.Errors[0].Message, tt.message)
		}
	}
	if strings.Contains(logs.String(), "secret_table") == false || !strings.Contains(logs.String(), "boom") {
		t.Errorf("internal errors were not logged: %s", logs.String())
	}
}

func TestSharedTypes(t *testing.T) {
	srv, _, _ := serve(t)
	r := post(t, srv.URL, `{ price(amount: 1299, currency: "EUR") { amount currency formatted de: formatted(locale: "de") }
		page { hasNextPage hasPreviousPage startCursor endCursor } when }`)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	price := r.Data["price"].(map[string]any)
	if price["amount"] != 1299.0 || price["formatted"] != "€12.99" || price["de"] != "12,99\u00a0€" {
		t.Errorf("price = %v", price)
	}
	page := r.Data["page"].(map[string]any)
	if page["hasNextPage"] != true || page["startCursor"] == nil {
		t.Errorf("page = %v", page)
	}
	if r.Data["when"] != "2026-11-25T13:00:00Z" {
		t.Errorf("when = %v", r.Data["when"])
	}
	r = post(t, srv.URL, `mutation { validate(name: "") { ok userErrors { code field message } } }`)
	ue := r.Data["validate"].(map[string]any)["userErrors"].([]any)
	if len(ue) != 1 || ue[0].(map[string]any)["code"] != "INVALID_INPUT" {
		t.Errorf("userErrors = %v", ue)
	}
}

func TestComplexityLimit(t *testing.T) {
	srv, _, _ := serve(t)
	// Each occurrence of a field costs, merged or not.
	r := post(t, srv.URL, "{"+strings.Repeat(" forbidden", 60)+" }")
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeTooCostly {
		t.Fatalf("errors = %+v, want %s", r.Errors, graph.CodeTooCostly)
	}
}

func TestMetricsRecordResolversAndOperations(t *testing.T) {
	srv, reg, _ := serve(t)
	post(t, srv.URL, `query Prices { price(amount: 1, currency: "EUR") { amount } }`)
	post(t, srv.URL, `query Broken { broken }`)
	if n := testutil.CollectAndCount(reg, "graphql_resolver_duration_seconds"); n != 2 {
		t.Errorf("resolver series = %d, want Query.price and Query.broken", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP graphql_operations_total GraphQL operations executed, by operation type and name and outcome (ok or error).
# TYPE graphql_operations_total counter
graphql_operations_total{name="Broken",outcome="error",type="query"} 1
graphql_operations_total{name="Prices",outcome="ok",type="query"} 1
`), "graphql_operations_total"); err != nil {
		t.Error(err)
	}
}
