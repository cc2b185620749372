package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func msList(vals ...int) []time.Duration {
	out := make([]time.Duration, len(vals))
	for i, v := range vals {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func oneTo(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

// Nearest rank: the smallest value that at least p of the values do not exceed.
func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one value is every percentile", msList(7), 0.01, 7 * time.Millisecond},
		{"one value p99", msList(7), 0.99, 7 * time.Millisecond},
		{"1..100 p50", oneTo(100), 0.50, 50 * time.Millisecond},
		{"1..100 p95", oneTo(100), 0.95, 95 * time.Millisecond},
		{"1..100 p99", oneTo(100), 0.99, 99 * time.Millisecond},
		{"1..100 p100 is the max", oneTo(100), 1, 100 * time.Millisecond},
		{"1..10 p50", oneTo(10), 0.50, 5 * time.Millisecond},
		{"1..10 p95 rounds up to the max", oneTo(10), 0.95, 10 * time.Millisecond},
		{"1..1000 p99", oneTo(1000), 0.99, 990 * time.Millisecond},
		{"two values p50 is the lower", msList(1, 9), 0.5, time.Millisecond},
		{"two values p51 is the upper", msList(1, 9), 0.51, 9 * time.Millisecond},
		{"a slow tail shows at p99 only", append(msList(make([]int, 98)...), msList(500, 900)...), 0.99, 500 * time.Millisecond},
		{"p0 is the min", msList(3, 4, 5), 0, 3 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := percentile(c.sorted, c.p); got != c.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", c.sorted, c.p, got, c.want)
			}
		})
	}
}

// The summary: a row per operation (sorted by name) with its count, errors
// and percentiles, the total over all requests, the outcomes, the first few
// distinct error messages; the same as a table and as JSON.
func TestSummary(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st := newStats(start)
	for _, d := range oneTo(100) {
		st.record("BrowseProducts", d, nil)
	}
	st.record("Checkout", 200*time.Millisecond, nil)
	st.record("Checkout", 400*time.Millisecond, errors.New("HTTP 429 RATE_LIMITED: too many requests"))
	st.record("Checkout", 300*time.Millisecond, errors.New("HTTP 429 RATE_LIMITED: too many requests"))
	st.fail("Checkout", errors.New("checkout with tok_visa ended PAYMENT_FAILED (payment DECLINED)"))
	for i := range 5 {
		st.record("Login", 50*time.Millisecond, errors.New("boom "+string(rune('a'+i))))
	}
	st.outcome("Checkout tok_visa PAID")
	st.outcome("Checkout tok_visa PAID")
	st.outcome("AddToCart INSUFFICIENT_STOCK")

	sum := st.summary(start.Add(10*time.Second), "closed", 42)
	want := []row{
		{"BrowseProducts", 100, 0, 50, 95, 99, 100},
		{"Checkout", 3, 3, 300, 400, 400, 400},
		{"Login", 5, 5, 50, 50, 50, 50},
	}
	if len(sum.Operations) != len(want) {
		t.Fatalf("operations: %+v", sum.Operations)
	}
	for i, w := range want {
		if sum.Operations[i] != w {
			t.Errorf("row %d = %+v, want %+v", i, sum.Operations[i], w)
		}
	}
	// total: 1..49, six 50s, 51..100, 200, 300, 400 (ranks 54, 103, 107).
	if tot := sum.Total; tot != (row{"total", 108, 8, 50, 98, 300, 400}) {
		t.Errorf("total = %+v", tot)
	}
	if sum.Requests != 108 || sum.Errors != 8 || sum.ErrorRate != 0.074 || sum.RPS != 10.8 || sum.DurationS != 10 || sum.Scenarios != 42 {
		t.Errorf("summary = %+v", sum)
	}
	if got := sum.ErrorSamples["Login"]; len(got) != maxErrorSamples {
		t.Errorf("Login error samples: %v (want the first %d)", got, maxErrorSamples)
	}
	if got := sum.ErrorSamples["Checkout"]; len(got) != 2 {
		t.Errorf("Checkout error samples (distinct): %v", got)
	}

	var b strings.Builder
	sum.writeTable(&b)
	wantTable := `operation         count  errors        p50        p95        p99        max
BrowseProducts      100       0     50.0ms     95.0ms     99.0ms      100ms
Checkout              3       3      300ms      400ms      400ms      400ms
Login                 5       5     50.0ms     50.0ms     50.0ms     50.0ms
---------------------------------------------------------------------------
total               108       8     50.0ms     98.0ms      300ms      400ms

42 scenarios, 108 requests in 10.0s (10.8 req/s, closed model), 8 errors (7.4%)
outcomes: AddToCart INSUFFICIENT_STOCK 1, Checkout tok_visa PAID 2
errors:
  Checkout: HTTP 429 RATE_LIMITED: too many requests
  Checkout: checkout with tok_visa ended PAYMENT_FAILED (payment DECLINED)
  Login: boom a
  Login: boom b
  Login: boom c
`
	if b.String() != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), wantTable)
	}

	raw, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	ops := back["operations"].([]any)
	first := ops[0].(map[string]any)
	if first["operation"] != "BrowseProducts" || first["p99_ms"] != 99.0 || first["count"] != 100.0 || back["error_rate"] != 0.074 {
		t.Errorf("JSON: %s", raw)
	}
}

// The progress line: requests and errors so far, the last second's rate,
// p50 and p99 over everything so far.
func TestProgressLine(t *testing.T) {
	start := time.Now()
	st := newStats(start)
	for _, d := range oneTo(200) {
		st.record("Me", d, nil)
	}
	st.record("Me", time.Second, errors.New("x"))
	got := st.progress(start.Add(3 * time.Second)).line(67)
	want := "    3s     67.0 req/s      201 requests      1 errors (0.5%)  p50 101ms  p99 199ms"
	if got != want {
		t.Errorf("progress line\n got %q\nwant %q", got, want)
	}
}
