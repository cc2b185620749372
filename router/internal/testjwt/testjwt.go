// Package testjwt is a stand-in user service for router tests: an Ed25519
// key published as a JWKS over HTTP, and access tokens signed with it the way
// the user service signs them.
package testjwt

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// IssuerName and Audience are what tokens carry by default.
const (
	IssuerName = "http://user.test"
	Audience   = "virtual-store"
)

// Issuer signs tokens and serves their JWKS.
type Issuer struct {
	Server *httptest.Server
	Kid    string
	// Fetches counts JWKS downloads.
	Fetches atomic.Int32
	// Publish, when false, serves an empty key set (a key not yet rotated in).
	Publish atomic.Bool
	priv    jwk.Key
	jwks    []byte

	mu      sync.Mutex
	revoked []string
}

// New starts an issuer, stopped when t ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := jwk.Import(priv)
	pk, _ := jwk.Import(pub)
	_ = jwk.AssignKeyID(pk)
	kid, _ := pk.KeyID()
	_ = sk.Set(jwk.KeyIDKey, kid)
	_ = pk.Set(jwk.AlgorithmKey, jwa.EdDSA())
	set := jwk.NewSet()
	_ = set.AddKey(pk)
	b, _ := json.Marshal(set)
	is := &Issuer{priv: sk, jwks: b, Kid: kid}
	is.Publish.Store(true)
	is.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/internal/v1/revoked-sessions" {
			is.mu.Lock()
			defer is.mu.Unlock()
			_ = json.NewEncoder(w).Encode(map[string][]string{"sessions": is.revoked})
			return
		}
		is.Fetches.Add(1)
		if !is.Publish.Load() {
			_, _ = w.Write([]byte(`{"keys":[]}`))
			return
		}
		_, _ = w.Write(is.jwks)
	}))
	t.Cleanup(is.Server.Close)
	return is
}

// Revoke adds sessions to the revoked sessions the server lists, as the
// user service's /internal/v1/revoked-sessions.
func (is *Issuer) Revoke(sessions ...string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.revoked = append(is.revoked, sessions...)
}

// JWKSURL is where the keys are served.
func (is *Issuer) JWKSURL() string { return is.Server.URL + "/.well-known/jwks.json" }

// Token signs a token for subject with scopes, valid for a minute; mutate
// may change any claim first.
func (is *Issuer) Token(t testing.TB, subject string, scopes []string, mutate func(b *jwt.Builder)) string {
	t.Helper()
	b := jwt.NewBuilder().Issuer(IssuerName).Audience([]string{Audience}).Subject(subject).
		Expiration(time.Now().Add(time.Minute)).Claim("roles", []string{"CUSTOMER"}).Claim("scope", strings.Join(scopes, " "))
	if mutate != nil {
		mutate(b)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), is.priv))
	if err != nil {
		t.Fatal(err)
	}
	return string(s)
}
