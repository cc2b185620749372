package gqlshape

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func measure(t *testing.T, query string) Shape {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	return Measure(doc, doc.Operations[0])
}

func TestMeasure(t *testing.T) {
	sh := measure(t, `{ a { b c: d ...F } e } fragment F on T { f { g } ...G } fragment G on T { h }`)
	want := Shape{Fields: 7, Aliases: 1, Depth: 3, RootFields: 2, FragmentWork: (2 + 1 + 1) + 1} // F: f, g, G's h and a spread; G: h
	if sh != want {
		t.Fatalf("shape %+v, want %+v", sh, want)
	}
}

// A chain of fragments is small as an operation but costs a validator the
// sum of every fragment's expansion; a cycle is named.
func TestFragmentWorkAndCycles(t *testing.T) {
	var chain strings.Builder
	chain.WriteString("{ me { ...F0 } }\n")
	const n = 1000
	for i := range n {
		fmt.Fprintf(&chain, "fragment F%d on User { name ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&chain, "fragment F%d on User { name }\n", n)
	sh := measure(t, chain.String())
	if sh.Fields > ExpansionBudget || sh.FragmentWork <= ExpansionBudget || sh.Cycle != "" {
		t.Fatalf("chain of %d: %+v, want fields under the budget and fragment work over it", n, sh)
	}
	if sh := measure(t, `{ me { ...A } } fragment A on User { ...B } fragment B on User { name ...A }`); sh.Cycle == "" {
		t.Fatalf("a cycle not found: %+v", sh)
	}
	if sh := measure(t, `{ me { ...A } } fragment A on User { name } fragment U on User { ...U }`); sh.Cycle != "U" {
		t.Fatalf("an unused fragment's cycle: %+v", sh)
	}
}
