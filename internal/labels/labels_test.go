package labels

import (
	"fmt"
	"strings"
	"testing"
)

func TestNamesAreBounded(t *testing.T) {
	n := &Names{Max: 3}
	for in, want := range map[string]string{"": "anonymous", "GetCart": "GetCart", "a b{c}": "a_b_c_", strings.Repeat("x", 100): strings.Repeat("x", 64)} {
		if got := n.Value(in); got != want {
			t.Errorf("Value(%q) = %q, want %q", in, got, want)
		}
	}
	if got := n.Value("Fourth"); got != "other" {
		t.Errorf("a fourth distinct name: %q, want other", got)
	}
	if got := n.Value("GetCart"); got != "GetCart" {
		t.Errorf("a known name after the cap: %q", got)
	}
	seen := map[string]bool{}
	for i := range 10_000 {
		seen[n.Value(fmt.Sprintf("Random%d", i))] = true
	}
	if len(seen) != 1 {
		t.Errorf("10,000 random names made %d label values, want 1 (other)", len(seen))
	}
}
