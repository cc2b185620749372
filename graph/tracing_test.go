package graph_test

import (
	"fmt"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/virtual-store/virtual-store/graph"
)

// Spans say what ran (the operation's shape, the fields), never with what:
// no literal, variable or argument value reaches the exporter.
func TestSpansCarryNoValues(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c := serveWith(t, graph.HandlerConfig{TracerProvider: tp})
	for _, req := range []struct {
		query string
		vars  map[string]any
	}{
		{`mutation Signup { validate(name: "s3cret-literal") { ok } }`, nil},
		{`mutation Signup($n: String!) { validate(name: $n) { ok } }`, map[string]any{"n": "s3cret-variable"}},
		{`query Price($c: String! = "s3cret-default") { price(amount: 4242, currency: $c) { amount } }`, nil},
		{`{ price(amount: 1, currency: "s3cret-bad") { amount } }`, nil}, // fails: the currency is quoted in the error
	} {
		c.Do(t, req.query, req.vars)
	}

	var recorded strings.Builder
	shapes := map[string]bool{}
	for _, s := range rec.Ended() {
		fmt.Fprintln(&recorded, s.Name(), s.Status(), s.Attributes(), s.Events())
		for _, kv := range s.Attributes() {
			if kv.Key == "gql.request.query" {
				shapes[kv.Value.AsString()] = true
			}
		}
	}
	all := recorded.String()
	for _, secret := range []string{"s3cret", "4242"} {
		if strings.Contains(all, secret) {
			t.Errorf("a value (%s) reached a span:\n%s", secret, all)
		}
	}
	// The spans still tell what ran.
	for _, want := range []string{
		`mutation Signup { validate(name: "") { ok } }`,
		`mutation Signup ($n: String!) { validate(name: $n) { ok } }`,
		`query Price ($c: String! = "") { price(amount: 0, currency: $c) { amount } }`,
	} {
		if !shapes[want] {
			t.Errorf("no span with the shape %s; shapes: %v", want, shapes)
		}
	}
	if !strings.Contains(all, "Mutation/validate") || !strings.Contains(all, "gql.resolver.path") {
		t.Errorf("no resolver spans:\n%s", all)
	}
}

func TestQueryShape(t *testing.T) {
	for in, want := range map[string]string{
		`{ a(x: "p", n: 3, f: 1.5, b: true, e: RED, l: ["q", 7], o: {k: "v", m: {z: 9}}) }`:       `query { a(x: "", n: 0, f: 0, b: true, e: RED, l: ["",0], o: {k:"",m:{z:0}}) }`,
		`query Q($v: In = {k: "d"}) @dir(a: "s") { ...F }  fragment F on T { b(c: """block""") }`: `query Q ($v: In = {k:""}) @dir(a: "") { ... F } fragment F on T { b(c: "") }`,
	} {
		got, ok := graph.QueryShape(in)
		if !ok || got != want {
			t.Errorf("QueryShape(%s)\n = %s\nwant %s", in, got, want)
		}
	}
	if _, ok := graph.QueryShape(`{ broken(`); ok {
		t.Error("an unparsable query has a shape")
	}
}
