package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/graph/internal/graphtest"
)

// Spans say what ran (the operation's shape, the fields), never with what:
// no literal, variable or argument value reaches the exporter.
func TestSpansCarryNoValues(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	es := graphtest.NewExecutableSchema(graphtest.Config{Resolvers: graphtest.Resolver{}})
	srv := httptest.NewServer(graph.NewHandler(es, graph.HandlerConfig{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), TracerProvider: tp}))
	defer srv.Close()

	for _, req := range []map[string]any{
		{"query": `mutation Signup { validate(name: "s3cret-literal") { ok } }`},
		{"query": `mutation Signup($n: String!) { validate(name: $n) { ok } }`, "variables": map[string]any{"n": "s3cret-variable"}},
		{"query": `query Price($c: String! = "s3cret-default") { price(amount: 4242, currency: $c) { amount } }`},
		{"query": `{ price(amount: 1, currency: "s3cret-bad") { amount } }`}, // fails: the currency is quoted in the error
	} {
		body, _ := json.Marshal(req)
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
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
