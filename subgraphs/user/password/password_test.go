package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var ctx = context.Background()

var fast = Hasher{Params: Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}}

func TestHashAndVerify(t *testing.T) {
	h, err := fast.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q does not carry its parameters", h)
	}
	if err := fast.Verify(ctx, "correct horse battery", h); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := fast.Verify(ctx, "correct horse batterY", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	again, _ := fast.Hash(ctx, "correct horse battery")
	if again == h {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	// Raised parameters: old hashes still verify, and are flagged for rehash.
	stronger := Hasher{Params: Params{MemoryKiB: 16 * 1024, Time: 2, Threads: 1}}
	if err := stronger.Verify(ctx, "correct horse battery", h); err != nil {
		t.Fatalf("old hash under new parameters: %v", err)
	}
	if !stronger.NeedsRehash(h) || fast.NeedsRehash(h) {
		t.Fatal("NeedsRehash is wrong")
	}
	for _, bad := range []string{"", "$2a$10$bcrypt", "$argon2id$v=19$m=x$a$b", "$argon2id$v=18$m=1,t=1,p=1$YQ$YQ"} {
		if err := fast.Verify(ctx, "x", bad); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want a format error", bad, err)
		}
	}
}

func TestCheckPolicy(t *testing.T) {
	tests := map[string]bool{ // password -> acceptable, for email ann@example.com
		"short":                  false,
		"ann@example.com":        false,
		"ANN@example.com":        false,
		"          ":             false,
		"long enough passphrase": true,
		strings.Repeat("x", 257): false,
		"ünïcödé-pässwörd":       true,
	}
	for pw, ok := range tests {
		if got := CheckPolicy(pw, "ann@example.com"); (got == "") != ok {
			t.Errorf("CheckPolicy(%q) = %q, want acceptable=%v", pw, got, ok)
		}
	}
}
