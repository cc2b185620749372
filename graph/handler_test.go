package graph_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// serve serves the test schema with a complexity limit of 50, and returns
// a client of it, its metrics and its log.
func serve(t *testing.T) (gqltest.Client, *prometheus.Registry, *gqltest.LogBuffer) {
	t.Helper()
	var logs gqltest.LogBuffer
	reg := prometheus.NewRegistry()
	c := serveWith(t, graph.HandlerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registry: reg, ComplexityLimit: 50})
	return c, reg, &logs
}

func TestErrorCodes(t *testing.T) {
	c, _, logs := serve(t)
	tests := []struct {
		query, code, message string
	}{
		{`{ forbidden }`, errcode.Forbidden, "not allowed: test"},
		{`{ broken }`, errcode.Internal, "internal server error"},
		{`{ panics }`, errcode.Internal, "internal server error"},
		{`{ price(amount: 1, currency: "NOPE") { amount } }`, errcode.BadUserInput, `unknown currency "NOPE"`},
		{`{ price(amount: "x", currency: "EUR") { amount } }`, "GRAPHQL_VALIDATION_FAILED", ""},
		{`{ nope }`, "GRAPHQL_VALIDATION_FAILED", ""},
		{`{ price(amount: 1, currency: "EUR") { amount `, "GRAPHQL_PARSE_FAILED", ""},
	}
	for _, tt := range tests {
		r := c.Do(t, tt.query, nil)
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
	c, _, _ := serve(t)
	r := c.Do(t, `{ price(amount: 1299, currency: "EUR") { amount currency formatted de: formatted(locale: "de") }
		page { hasNextPage hasPreviousPage startCursor endCursor } when }`, nil)
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
	r = c.Do(t, `mutation { validate(name: "") { ok userErrors { code field message } } }`, nil)
	ue := r.Data["validate"].(map[string]any)["userErrors"].([]any)
	if len(ue) != 1 || ue[0].(map[string]any)["code"] != "INVALID_INPUT" {
		t.Errorf("userErrors = %v", ue)
	}
}

func TestComplexityLimit(t *testing.T) {
	c, _, _ := serve(t)
	// Each occurrence of a field costs, merged or not.
	r := c.Do(t, "{"+strings.Repeat(" forbidden", 60)+" }", nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooCostly {
		t.Fatalf("errors = %+v, want %s", r.Errors, errcode.TooCostly)
	}
}

func TestMetricsRecordResolversAndOperations(t *testing.T) {
	c, reg, _ := serve(t)
	c.Do(t, `query Prices { price(amount: 1, currency: "EUR") { amount } }`, nil)
	c.Do(t, `query Broken { broken }`, nil)
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
