package engine

import (
	"context"
	"testing"
)

// Documents spelled differently but normalizing to the same operation share
// one plan; a different operation gets its own.
func TestPlansAreSharedByNormalizedOperation(t *testing.T) {
	e := storeEngine(t, Options{})
	prepare := func(q string) *cachedPlan {
		t.Helper()
		cp, err := e.prepare(context.Background(), &Request{Query: q}, "")
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	a := prepare(`{ products(first: 2) { edges { node { name } } } }`)
	b := prepare(`query Named {
  products(first: 2) { ...Edges }
}
fragment Edges on ProductConnection { edges { node { name } } }`)
	c := prepare(`{ products(first: 3) { edges { node { name } } } }`)
	if a.plan != b.plan {
		t.Fatal("two spellings of one operation were planned twice")
	}
	if a.plan == c.plan {
		t.Fatal("different operations share a plan")
	}
}
