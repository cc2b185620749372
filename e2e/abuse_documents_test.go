package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// abuseDocuments sends documents built to exhaust the router: deep, wide,
// huge, cyclic, exploding. The store's router refuses each at its first
// limit; the lifted one shows that the limits behind it hold alone.
func abuseDocuments(t *testing.T, s *storefront, lifted *proc) {
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
}

// Validation walks every fragment again from each fragment that
// reaches it, so its work grows with the square of the fragments, and
// only the token limit bounds their number: lifted, 100 kB of chained
// fragments cost seconds of CPU and a gigabyte. The shape check could
// refuse such documents first (COST_LIMIT_EXCEEDED).
func abuseValidationCost(t *testing.T, s *storefront, lifted *proc) {
	c := caller{router: s.router, addr: "198.51.100.15"}
	for _, h := range []hostile{
		{name: "fragment cycle of 330 (under the token limit)", query: fragmentCycle(330), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
		{name: "fragment chain of 330 (under the token limit)", query: fragmentChain(330), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
		{name: "fragment cycle of 2,500, lifted", to: lifted, query: fragmentCycle(2500), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
		{name: "fragment chain of 3,000, lifted", to: lifted, query: fragmentChain(3000), status: 200, code: "GRAPHQL_VALIDATION_FAILED", alt: "COST_LIMIT_EXCEEDED"},
	} {
		refuse(t, c, h)
	}
}

// abuseIntrospectionOff asks the lifted router, introspection off, for
// the schema in every disguise.
func abuseIntrospectionOff(t *testing.T, s *storefront, lifted *proc) {
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
	if r := c.do(t, http.MethodGet, "/graphql?"+get, "", nil); r.Status != http.StatusOK || r.code() != "INTROSPECTION_DISABLED" || r.hasData() {
		t.Errorf("__schema over GET: %s", r)
	}
	// __typename is not introspection; the store's own router
	// (introspection on) answers the same query.
	if r := c.ok(t, `{ __typename }`, nil); r.Dig("__typename") != "Query" {
		t.Errorf("__typename: %s", r)
	}
	if r := (caller{router: s.router, addr: c.addr}).ok(t, `{ __type(name: "Order") { name } }`, nil); r.Dig("__type", "name") != "Order" {
		t.Errorf("introspection on the default router: %s", r)
	}
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
