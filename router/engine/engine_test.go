package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/internal/storegraph"
)

// The pipeline stands without HTTP: each stage refuses with its code, and
// what reaches no subgraph is answered by the engine alone.
func TestEachStageRefusesWithItsCode(t *testing.T) {
	e := storeEngine(t, Options{Limits: config.Default().Limits, NoIntrospection: true})
	for _, c := range []struct {
		name string
		req  Request
		code string
	}{
		{"limits: document bytes", Request{Query: "{" + string(make([]byte, 40<<10)) + "}"}, errcode.DocumentTooLarge},
		{"limits: depth", Request{Query: `{ a { b { c { d { e { f { g { h { i { j { k { l { m } } } } } } } } } } } } }`}, errcode.TooDeep},
		{"parse", Request{Query: `{ products { `}, errcode.ParseFailed},
		{"validate", Request{Query: `{ nope }`}, errcode.ValidationFailed},
		{"pick the operation", Request{Query: `query A { __typename } query B { __typename }`}, errcode.ValidationFailed},
		{"admit: introspection off", Request{Query: `{ __schema { queryType { name } } }`}, errcode.IntrospectionDisabled},
		{"admit: read-only", Request{Query: `mutation { clearCart { cart { itemCount } } }`, ReadOnly: true}, errcode.BadRequest},
		{"admit: guard", Request{Query: `{ __typename }`, Guard: func(string, []string) *RequestError {
			return Refuse(errcode.IPNotAllowed, "no")
		}}, errcode.IPNotAllowed},
		{"variables", Request{Query: `query($n: Int!) { products(first: $n) { totalCount } }`}, errcode.BadUserInput},
	} {
		_, err := e.Execute(context.Background(), &c.req)
		var rerr *RequestError
		if !errors.As(err, &rerr) || rerr.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	resp, err := e.Execute(context.Background(), &Request{Query: `{ __typename }`})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := execute.AppendJSON(nil, resp); err != nil || string(b) != `{"data":{"__typename":"Query"}}` {
		t.Fatalf("__typename: %s %v", b, err)
	}
}

// storeEngine serves the store's supergraph, over subgraphs that are not
// there: what a test asks must need none of them.
func storeEngine(t *testing.T, o Options) *Engine {
	t.Helper()
	sdl, err := storegraph.Supergraph(nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Transport = execute.NewTransport(time.Second, nil)
	e, err := New(sdl, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
