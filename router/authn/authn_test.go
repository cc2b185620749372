package authn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/router/authn"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/internal/testjwt"
)

func cfg(url string) config.Auth {
	c := config.Default().Auth
	c.JWKSURL, c.Issuers, c.Leeway = url, []string{testjwt.IssuerName}, 0
	return c
}

// forge builds a token by hand with any header, signed with an HMAC key.
func forge(header, payload map[string]any, sign func(string) []byte) string {
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	return in + "." + base64.RawURLEncoding.EncodeToString(sign(in))
}

func TestVerify(t *testing.T) {
	is := testjwt.New(t)
	v, err := authn.New(cfg(is.JWKSURL()), http.DefaultClient, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := is.Token(t, "u1", []string{"cart:write", "orders:read"}, nil)
	c, err := v.Verify(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u1" || !c.HasRole("CUSTOMER") || len(c.Scopes) != 2 {
		t.Fatalf("claims = %+v", c)
	}

	claims := map[string]any{"iss": "http://user.test", "aud": "virtual-store", "sub": "admin", "exp": time.Now().Add(time.Hour).Unix(), "roles": []string{"ADMIN"}}
	tests := []struct {
		name  string
		token string
	}{
		{"expired", is.Token(t, "u1", nil, func(b *jwt.Builder) { b.Expiration(time.Now().Add(-time.Minute)) })},
		{"other issuer", is.Token(t, "u1", nil, func(b *jwt.Builder) { b.Issuer("http://evil.test") })},
		{"other audience", is.Token(t, "u1", nil, func(b *jwt.Builder) { b.Audience([]string{"other-app"}) })},
		{"no subject", is.Token(t, "u1", nil, func(b *jwt.Builder) { b.Subject("") })},
		{"not yet valid", is.Token(t, "u1", nil, func(b *jwt.Builder) { b.NotBefore(time.Now().Add(time.Hour)) })},
		{"alg none", forge(map[string]any{"alg": "none", "kid": is.Kid}, claims, func(string) []byte { return nil })},
		// Algorithm confusion: HMAC keyed with the public JWKS, which anyone can read.
		{"HS256 with the public key", forge(map[string]any{"alg": "HS256", "kid": is.Kid}, claims, func(in string) []byte {
			return []byte(in) // any bytes: the header alone must get it refused
		})},
		{"RS256 header on an Ed25519 key", forge(map[string]any{"alg": "RS256", "kid": is.Kid}, claims, func(string) []byte { return []byte("x") })},
		{"tampered payload", strings.Join([]string{strings.Split(good, ".")[0], base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","iss":"http://user.test","aud":"virtual-store","exp":9999999999}`)), strings.Split(good, ".")[2]}, ".")},
		{"garbage", "not.a.jwt"},
		{"two parts", "abc.def"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.Verify(ctx, tt.token); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("err = %v, want invalid credentials", err)
			}
		})
	}
}

func TestConfigRefusesUnsafeAlgorithms(t *testing.T) {
	for _, alg := range []string{"none", "HS256", "nonsense"} {
		c := cfg("http://x")
		c.Algorithms = []string{alg}
		if _, err := authn.New(c, http.DefaultClient, slog.Default()); err == nil {
			t.Errorf("%s accepted", alg)
		}
	}
}

func TestUnknownKidRefetchesButNotOnEveryRequest(t *testing.T) {
	is := testjwt.New(t)
	is.Publish.Store(false) // the key is not published yet (rotation in progress)
	c := cfg(is.JWKSURL())
	c.JWKSRefreshMin = time.Hour
	v, _ := authn.New(c, http.DefaultClient, slog.Default())
	tok := is.Token(t, "u1", nil, nil)
	for range 20 {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, authn.ErrUnknownKey) {
			t.Fatalf("err = %v, want unknown key", err)
		}
	}
	if n := is.Fetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches for 20 unknown-kid tokens, want 1", n)
	}

	// Once the refresh interval allows, the newly published key is found.
	c.JWKSRefreshMin = 0
	is.Publish.Store(true)
	v, _ = authn.New(c, http.DefaultClient, slog.Default())
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerify: a token's first verification (signature, claims) and
// the cached path every later request of the same client takes.
func BenchmarkVerify(b *testing.B) {
	is := testjwt.New(b)
	v, _ := authn.New(cfg(is.JWKSURL()), http.DefaultClient, slog.Default())
	ctx := context.Background()
	b.Run("first", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			tok := is.Token(b, fmt.Sprintf("u%d", i), nil, nil)
			b.StartTimer()
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	tok := is.Token(b, "u", nil, nil)
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A revoked session's tokens are refused once the list is read, even the
// ones verified before (and cached); other sessions' are not.
func TestRevokedSessionsAreRefused(t *testing.T) {
	is := testjwt.New(t)
	c := cfg(is.JWKSURL())
	if got, want := c.RevokedSessions(), is.Server.URL+"/internal/v1/revoked-sessions"; got != want {
		t.Fatalf("revoked sessions URL %q, want %q (from the JWKS URL)", got, want)
	}
	v, err := authn.New(c, http.DefaultClient, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	session := func(sid string) func(*jwt.Builder) { return func(b *jwt.Builder) { b.Claim("sid", sid) } }
	out, kept := is.Token(t, "u1", nil, session("signed-out")), is.Token(t, "u1", nil, session("still-in"))
	for _, tok := range []string{out, kept} {
		if c, err := v.Verify(ctx, tok); err != nil || c.Session == "" {
			t.Fatalf("before the sign-out: %+v %v", c, err)
		}
	}
	is.Revoke("signed-out")
	v.PollRevoked(ctx)
	if _, err := v.Verify(ctx, out); !errors.Is(err, authn.ErrRevoked) || !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("a signed-out session's token: %v, want ErrRevoked", err)
	}
	if _, err := v.Verify(ctx, kept); err != nil {
		t.Fatalf("another session's token: %v", err)
	}
	// The user service failing keeps the last list.
	is.Server.Close()
	v.PollRevoked(ctx)
	if _, err := v.Verify(ctx, out); !errors.Is(err, authn.ErrRevoked) {
		t.Fatalf("with the list unavailable: %v, want the last list kept", err)
	}
}

// A router that could not read the revoked sessions yet refuses tokens
// rather than honour one signed out before it started.
func TestUnknownRevocationsFailClosed(t *testing.T) {
	is := testjwt.New(t)
	c := cfg(is.JWKSURL())
	c.RevokedSessionsURL = "http://127.0.0.1:1/internal/v1/revoked-sessions" // nothing listens
	v, err := authn.New(c, http.DefaultClient, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), is.Token(t, "u1", nil, nil)); !errors.Is(err, authn.ErrRevocationsUnknown) {
		t.Fatalf("with the revoked sessions unreadable: %v, want ErrRevocationsUnknown", err)
	}
	if err := v.Ready(); !errors.Is(err, authn.ErrRevocationsUnknown) {
		t.Fatalf("Ready before the revoked sessions were read: %v, want ErrRevocationsUnknown", err)
	}
	// After the grace the router stops waiting for the user service (ready:
	// anonymous requests work) and still refuses tokens.
	later := time.Now().Add(31 * time.Second)
	authn.SetClock(v, func() time.Time { return later })
	if err := v.Ready(); err != nil {
		t.Fatalf("Ready after the grace: %v", err)
	}
	if _, err := v.Verify(context.Background(), is.Token(t, "u1", nil, nil)); !errors.Is(err, authn.ErrRevocationsUnknown) {
		t.Fatalf("a token after the grace, revocations still unknown: %v, want ErrRevocationsUnknown", err)
	}
	c.RevokedSessionsURL = "off"
	if v, _ = authn.New(c, http.DefaultClient, slog.Default()); v != nil {
		if _, err := v.Verify(context.Background(), is.Token(t, "u1", nil, nil)); err != nil {
			t.Fatalf("with revocation off: %v", err)
		}
		if err := v.Ready(); err != nil {
			t.Fatalf("Ready with revocation off: %v", err)
		}
	}
}

// Ready turns true with the first read of the revoked sessions (and stays
// so while the user service fails: the last list is kept).
func TestReadyOnceTheRevokedSessionsAreRead(t *testing.T) {
	is := testjwt.New(t)
	v, err := authn.New(cfg(is.JWKSURL()), http.DefaultClient, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(); !errors.Is(err, authn.ErrRevocationsUnknown) {
		t.Fatalf("Ready before the first read: %v, want ErrRevocationsUnknown", err)
	}
	v.PollRevoked(context.Background())
	if err := v.Ready(); err != nil {
		t.Fatalf("Ready after the first read: %v", err)
	}
	is.Server.Close()
	v.PollRevoked(context.Background())
	if err := v.Ready(); err != nil {
		t.Fatalf("Ready with the user service gone after a read: %v", err)
	}
}
