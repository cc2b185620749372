package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// abuseBodies sends request bodies no client should: malformed, nested,
// huge, batched, of the wrong types, with the wrong method or media type.
func abuseBodies(t *testing.T, s *storefront, lifted *proc) {
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
	if r.Status != http.StatusOK || r.code() != "BAD_REQUEST" || r.hasData() {
		t.Errorf("mutation over GET: %s, want BAD_REQUEST and no data", r)
	}
	// Two JSON values in one body: the first is the request; what
	// follows is never run (the router reads one value).
	r = c.do(t, http.MethodPost, "/graphql", "application/json",
		[]byte(`{"query":"{ __typename }"} {"query":"mutation { logout(refreshToken: \"x\") { ok } }"}`))
	if r.Status != http.StatusOK || r.Dig("__typename") != "Query" || r.Dig("logout") != nil {
		t.Errorf("two JSON values: %s, want only the first one answered", r)
	}
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
