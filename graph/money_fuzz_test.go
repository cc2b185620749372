package graph_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bojanz/currency"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/graph/internal/graphtest"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/money"
)

// FuzzMoney sends an amount (raw JSON), a currency code and a locale as
// variables through a real gqlgen executor over the shared Money type, the
// path every subgraph's money input takes. Money must never be changed on
// the way: an answered amount is exactly the number sent (no rounding,
// truncation or overflow), an answered currency is valid and the one sent,
// a canonical int64 with a valid currency is always accepted, and the
// formatted amount parses back to the same amount in its locale. Anything
// else is a client error, never an internal one.
func FuzzMoney(f *testing.F) {
	seeds := []struct{ amount, code, locale string }{
		{`1299`, "EUR", ""}, {`1299`, "EUR", "de"}, {`500`, "JPY", "ja"}, {`-5`, "USD", "en"},
		{`0`, "KWD", "ar"}, {`123456789`, "INR", "hi-IN"}, {`9223372036854775807`, "CLF", "fr-CH"},
		{`-9223372036854775808`, "EUR", "xx-garbage"}, {`9223372036854775808`, "EUR", ""},
		{`12.5`, "EUR", ""}, {`1e3`, "EUR", ""}, {`"12"`, "EUR", ""}, {`"1e3"`, "EUR", ""}, {`12.0`, "EUR", ""},
		{`null`, "EUR", ""}, {`true`, "EUR", ""}, {`[1]`, "EUR", ""}, {`{"$gt":0}`, "EUR", ""},
		{`1`, "eur", ""}, {`1`, "EURO", ""}, {`1`, "", ""}, {`1`, "XXX", "en"}, {`1`, "EU\x00", ""},
	}
	for _, s := range seeds {
		f.Add(s.amount, s.code, s.locale)
	}
	es := graphtest.NewExecutableSchema(graphtest.Config{Resolvers: graphtest.Resolver{}})
	h := graph.NewHandler(es, graph.HandlerConfig{Logger: gqltest.Quiet(), Registry: prometheus.NewRegistry(), ComplexityLimit: 50})
	const query = `query($a: Int!, $c: String!, $l: String) { price(amount: $a, currency: $c) { amount currency formatted(locale: $l) } }`
	f.Fuzz(func(t *testing.T, amount, code, locale string) {
		if !json.Valid([]byte(amount)) {
			return
		}
		body, err := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"a": json.RawMessage(amount), "c": code, "l": locale}})
		if err != nil {
			return
		}
		// What the server reads (encoding/json replaces invalid UTF-8).
		var sent struct {
			Variables struct{ C, L string }
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatal(err)
		}
		code, locale = sent.Variables.C, sent.Variables.L

		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var resp struct {
			Data *struct {
				Price *struct {
					Amount    json.Number
					Currency  string
					Formatted string
				}
			}
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		dec := json.NewDecoder(rec.Body)
		dec.UseNumber()
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("undecodable response %d: %v", rec.Code, err)
		}
		want, canonical := exactInteger(amount)
		if resp.Data == nil || resp.Data.Price == nil {
			if len(resp.Errors) == 0 {
				t.Fatalf("no price and no error for %s %q", amount, code)
			}
			if c := resp.Errors[0].Extensions["code"]; c != errcode.BadUserInput && c != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("amount %s currency %q: error code %v (%s), want a client error", amount, code, c, resp.Errors[0].Message)
			}
			if canonical && want.IsInt64() && money.ValidCurrency(code) {
				t.Fatalf("valid money %s %q refused: %s", amount, code, resp.Errors[0].Message)
			}
			return
		}
		p := resp.Data.Price
		got, ok := new(big.Int).SetString(p.Amount.String(), 10)
		if want == nil || !ok || got.Cmp(want) != 0 {
			t.Fatalf("sent amount %s, answered %s", amount, p.Amount)
		}
		if p.Currency != code || !money.ValidCurrency(code) || len(code) != 3 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("sent currency %q, answered %q", code, p.Currency)
		}
		if !utf8.ValidString(p.Formatted) || p.Formatted == "" {
			t.Fatalf("%s %s formatted in locale %q as %q", p.Amount, code, locale, p.Formatted)
		}
		loc := currency.NewLocale(locale)
		if loc.Language == "" { // no locale: English
			loc = currency.NewLocale("en")
		}
		back, err := currency.NewFormatter(loc).Parse(p.Formatted, code)
		if n, ierr := back.Int64(); err != nil || ierr != nil || n != got.Int64() {
			t.Fatalf("%s %s formatted in %q as %q parses back to %v (%v %v)", p.Amount, code, locale, p.Formatted, back, err, ierr)
		}
	})
}

// exactInteger is the integer a JSON value denotes, if any: a number with
// no fraction or exponent (canonical), or a string of one (which GraphQL
// servers commonly coerce); nil for anything else.
func exactInteger(raw string) (n *big.Int, canonical bool) {
	var v any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil, false
	}
	switch v := v.(type) {
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return nil, false
		}
		n, ok := new(big.Int).SetString(string(v), 10)
		if !ok {
			return nil, false
		}
		return n, true
	case string:
		n, ok := new(big.Int).SetString(v, 10)
		if !ok {
			return nil, false
		}
		return n, false
	}
	return nil, false
}
