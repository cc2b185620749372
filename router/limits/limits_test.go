package limits_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/limits"
)

var schema = gqlparser.MustLoadSchema(&ast.Source{Input: `
type Query { products(first: Int): ProductConnection! product(id: ID!): Product categories: [Category!]! }
type ProductConnection { edges: [Edge!]! }
type Edge { node: Product! }
type Product { id: ID! name: String! related(limit: Int): [Product!]! }
type Category { name: String! products(first: Int): ProductConnection! }
`})

func checker() limits.Checker {
	return limits.Checker{Limits: config.Limits{MaxDepth: 5, MaxAliases: 3, MaxRootFields: 3, MaxTokens: 60,
		MaxDocumentBytes: 600, MaxCost: 500, DefaultListSize: 10}}
}

func TestShapeAndSource(t *testing.T) {
	tests := []struct {
		name, query, code string
	}{
		{"fine", `{ product(id: 1) { name related(limit: 2) { name } } }`, ""},
		{"too large", `{ product(id: 1) { name } }` + strings.Repeat(" ", 600), errcode.DocumentTooLarge},
		{"too many tokens", `{ product(id: 1) { ` + strings.Repeat("name ", 60) + `} }`, errcode.TooManyTokens},
		{"too deep", `{ product(id: 1) { related { related { related { related { name } } } } } }`, errcode.TooDeep},
		{"too deep through fragments", `{ product(id: 1) { ...A } } fragment A on Product { related { related { ...B } } } fragment B on Product { related { related { name } } }`, errcode.TooDeep},
		{"too many aliases", `{ a: product(id: 1) { n1: name n2: name n3: name } }`, errcode.TooManyAliases},
		{"too many root fields", `{ categories { name } product(id: 1) { name } ... on Query { categories { name } } ...R } fragment R on Query { categories { name } }`, errcode.TooManyRootFields},
		// Refused before the validator walks the cycle from every fragment on it.
		{"cyclic fragments", `{ product(id: 1) { ...A } } fragment A on Product { related { ...A } }`, errcode.ValidationFailed},
		{"introspection depth is not counted", `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checker()
			err := c.CheckSource(tt.query)
			if err == nil {
				doc, perr := parser.ParseQuery(&ast.Source{Input: tt.query})
				if perr != nil {
					t.Fatal(perr)
				}
				err = c.CheckShape(doc, doc.Operations[0])
			}
			got := ""
			if err != nil {
				got = err.Code
			}
			if got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

func TestFragmentBombIsRefusedQuickly(t *testing.T) {
	// Each fragment spreads the next twice: 2^20 fields if expanded.
	doc, err := parser.ParseQuery(&ast.Source{Input: fragmentBomb(20, "{ product(id: 1) { %s } }", "Product", "name")})
	if err != nil {
		t.Fatal(err)
	}
	c := checker()
	c.MaxAliases = 0
	if e := c.CheckShape(doc, doc.Operations[0]); e == nil || e.Code != errcode.TooCostly {
		t.Fatalf("err = %v, want %s", e, errcode.TooCostly)
	}
}

// fragmentBomb builds a document whose operation (outer, with %s for the
// first spread) spreads fragment 0, each fragment spreading the next twice,
// the last selecting leaf: 2^levels leaves if expanded.
func fragmentBomb(levels int, outer, on, leaf string) string {
	name := func(i int) string { return "F" + string(rune('a'+i/10)) + string(rune('a'+i%10)) }
	var b strings.Builder
	b.WriteString(fmt.Sprintf(outer, "..."+name(0)) + "\n")
	for i := range levels {
		next := leaf
		if i < levels-1 {
			next = "..." + name(i+1) + " ..." + name(i+1)
		}
		b.WriteString("fragment " + name(i) + " on " + on + " { " + next + " }\n")
	}
	return b.String()
}

func TestCost(t *testing.T) {
	tests := []struct {
		query string
		vars  map[string]any
		want  int
	}{
		// products 1, then edges, node and name 10 each: first: 10 sizes
		// everything below the connection, and edges is not counted again.
		{`{ products(first: 10) { edges { node { name } } } }`, nil, 31},
		{`query($n: Int) { products(first: $n) { edges { node { name } } } }`, map[string]any{"n": int64(3)}, 10},
		// categories is an unsized list: DefaultListSize (10) for what is below.
		{`{ categories { name products(first: 5) { edges { node { id } } } } }`, nil, 1 + 10 + 10 + 50 + 50 + 50},
		{`{ product(id: 1) { related(limit: 4) { related(limit: 4) { id } } } }`, nil, 1 + 1 + 4 + 16},
	}
	for _, tt := range tests {
		doc, errs := gqlparser.LoadQuery(schema, tt.query)
		if errs != nil {
			t.Fatal(errs)
		}
		if got := checker().Cost(doc.Operations[0], tt.vars); got != tt.want {
			t.Errorf("%s: cost %d, want %d", tt.query, got, tt.want)
		}
	}
	doc, _ := gqlparser.LoadQuery(schema, `{ categories { products(first: 100) { edges { node { related(limit: 100) { id } } } } } }`)
	if e := checker().CheckCost(doc.Operations[0], nil); e == nil || e.Code != errcode.TooCostly {
		t.Fatalf("err = %v, want %s", e, errcode.TooCostly)
	}
}

// Refusing a hostile document must cost microseconds: these measure the
// checks on documents built to be expensive.
func BenchmarkRefuse(b *testing.B) {
	c := checker()
	c.MaxTokens, c.MaxDocumentBytes = 3000, 1<<20
	deep := "{ product(id: 1) " + strings.Repeat("{ related ", 200) + "{ name }" + strings.Repeat(" }", 200) + " }"
	manyTokens := "{ product(id: 1) { " + strings.Repeat("name ", 100_000) + "} }"
	bomb := fragmentBomb(30, "{ product(id: 1) { %s } }", "Product", "name")
	for name, q := range map[string]string{"depth 200": deep, "fragment bomb 2^30": bomb} {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if c.CheckShape(doc, doc.Operations[0]) == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
	b.Run("500 KB of tokens", func(b *testing.B) {
		for b.Loop() {
			if c.CheckSource(manyTokens) == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// A bomb at the root (fragments on Query) is counted, not expanded.
func TestRootFragmentBomb(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: fragmentBomb(40, "{ %s }", "Query", "categories { name }")})
	if err != nil {
		t.Fatal(err)
	}
	if e := checker().CheckShape(doc, doc.Operations[0]); e == nil || e.Code != errcode.TooManyRootFields {
		t.Fatalf("err = %v, want %s", e, errcode.TooManyRootFields)
	}
}

// An object is one of the types its fragments name: only the costliest
// object-type branch counts; interface fragments all may apply.
func TestCostOfAlternatives(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: `
type Query { things: [Thing!]! }
interface Named { name: String! }
type A implements Named { name: String! a1: Int a2: Int a3: Int }
type B implements Named { name: String! b1: Int }
union Thing = A | B`})
	doc, errs := gqlparser.LoadQuery(s, `{ things { ... on A { a1 a2 a3 } ... on B { b1 } ... on Named { name } } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	// things 1 + 10 × (max(A: 3, B: 1) + Named: 1) = 41.
	c := checker()
	c.Schema = s
	if got := c.Cost(doc.Operations[0], nil); got != 41 {
		t.Fatalf("cost %d, want 41", got)
	}
}

// With the source limits off (max_tokens: 0), a chain of 3,000 fragments
// (4.5 million fields for a validator to walk, 3,000 as an operation) is refused before
// validation; it used to take seconds of CPU and a gigabyte there.
func TestFragmentChainIsRefusedBeforeValidation(t *testing.T) {
	c := limits.Checker{Limits: config.Limits{MaxDepth: 20}}
	doc, err := parser.ParseQuery(&ast.Source{Input: fragmentChain(3000)})
	if err != nil {
		t.Fatal(err)
	}
	if lerr := c.CheckShape(doc, doc.Operations[0]); lerr == nil || lerr.Code != errcode.TooCostly {
		t.Fatalf("a chain of 3,000 fragments: %v, want %s", lerr, errcode.TooCostly)
	}
}

// fragmentChain is an operation spreading F0, F0 spreading F1, and so on:
// n fields as an operation, n²/2 for a validator.
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("{ product(id: 1) { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Product { name ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Product { name }\n", n)
	return b.String()
}
