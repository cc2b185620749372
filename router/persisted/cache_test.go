package persisted

import (
	"strings"
	"testing"
)

// The cache is bounded by what its documents weigh, not by their number.
func TestByteLRU(t *testing.T) {
	c := newByteLRU(250)
	doc := func(s string) string { return strings.Repeat(s, 90) } // 90 bytes + a 10-byte key
	c.Add("aaaaaaaaaa", doc("a"))
	c.Add("bbbbbbbbbb", doc("b"))
	if _, ok := c.Get("aaaaaaaaaa"); !ok { // a is now the most recently used
		t.Fatal("a evicted too early")
	}
	c.Add("cccccccccc", doc("c")) // 300 bytes > 250: the least recently used (b) goes
	if _, ok := c.Get("bbbbbbbbbb"); ok {
		t.Fatal("b kept beyond the byte bound")
	}
	for _, k := range []string{"aaaaaaaaaa", "cccccccccc"} {
		if _, ok := c.Get(k); !ok {
			t.Fatalf("%s evicted", k)
		}
	}
	if c.Bytes() != 200 {
		t.Fatalf("holds %d bytes, want 200", c.Bytes())
	}
	c.Add("dddddddddd", strings.Repeat("d", 1000)) // larger than the whole cache: not kept
	if _, ok := c.Get("dddddddddd"); ok || c.Bytes() != 200 {
		t.Fatalf("a document larger than the cache was kept (%d bytes)", c.Bytes())
	}
}
