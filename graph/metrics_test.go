package graph_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Operation names are chosen by the caller: a flood of distinct names
// makes a bounded number of series.
func TestOperationNameSeriesAreBounded(t *testing.T) {
	c, reg, _ := serve(t)
	for i := range 600 {
		c.Do(t, fmt.Sprintf(`query Random%d { when }`, i), nil)
	}
	if n := testutil.CollectAndCount(reg, "graphql_operations_total"); n > 501 {
		t.Fatalf("600 distinct operation names made %d series, want at most 501 (500 names and other)", n)
	}
}
