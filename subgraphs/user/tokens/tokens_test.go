package tokens

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gjwt "github.com/golang-jwt/jwt/v5"

	"github.com/virtual-store/virtual-store/internal/auth"
)

func newIssuer(t *testing.T, cfg KeyConfig) *Issuer {
	t.Helper()
	ks, err := LoadKeys(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Issuer{Keys: ks, Issuer: "http://user.test", Audience: "virtual-store", TTL: 15 * time.Minute}
}

// jwksKeys fetches the JWKS over HTTP and decodes it by hand, independently
// of the library that produced it.
func jwksKeys(t *testing.T, iss *Issuer) map[string]ed25519.PublicKey {
	t.Helper()
	w := httptest.NewRecorder()
	iss.Keys.JWKSHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if ct := w.Header().Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Fatalf("content type %q", ct)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid, Alg, Use string } `json:"keys"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	out := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != "EdDSA" || k.Use != "sig" || k.Kid == "" {
			t.Fatalf("unexpected JWK %+v", k)
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil {
			t.Fatal(err)
		}
		out[k.Kid] = ed25519.PublicKey(x)
	}
	return out
}

func TestTokenVerifiesWithGolangJWTAgainstPublishedJWKS(t *testing.T) {
	iss := newIssuer(t, KeyConfig{DevDir: t.TempDir()})
	token, exp, err := iss.AccessToken("user-1", []string{auth.RoleCustomer}, "session-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 14*time.Minute || d > 15*time.Minute {
		t.Fatalf("expiry in %s, want 15 minutes", d)
	}
	keys := jwksKeys(t, iss)
	claims := gjwt.MapClaims{}
	parsed, err := gjwt.ParseWithClaims(token, claims, func(tok *gjwt.Token) (any, error) {
		return keys[tok.Header["kid"].(string)], nil
	}, gjwt.WithValidMethods([]string{"EdDSA"}), gjwt.WithIssuer("http://user.test"), gjwt.WithAudience("virtual-store"), gjwt.WithExpirationRequired())
	if err != nil || !parsed.Valid {
		t.Fatalf("golang-jwt rejects the token: %v", err)
	}
	for _, c := range []string{"sub", "roles", "scope", "iss", "aud", "exp", "iat", "jti"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing", c)
		}
	}
	if claims["sub"] != "user-1" || !strings.Contains(claims["scope"].(string), "orders:write") {
		t.Errorf("claims = %v", claims)
	}
}

func TestVerifyRefusesForgedAndMisdirectedTokens(t *testing.T) {
	dir := t.TempDir()
	iss := newIssuer(t, KeyConfig{DevDir: dir})
	good, _, _ := iss.AccessToken("user-1", []string{auth.RoleAdmin}, "session-1")
	if c, err := iss.Verify(good); err != nil || c.Subject != "user-1" || !c.HasRole(auth.RoleAdmin) || len(c.Scopes) == 0 {
		t.Fatalf("good token: %+v %v", c, err)
	}

	header := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	payload := strings.Split(good, ".")[1]
	kid := iss.Keys.KeyID()
	pub := jwksKeys(t, iss)[kid]
	hs, _ := gjwt.NewWithClaims(gjwt.SigningMethodHS256, gjwt.MapClaims{"sub": "attacker", "iss": "http://user.test", "aud": "virtual-store", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(pub))

	other := newIssuer(t, KeyConfig{DevDir: t.TempDir()})
	foreign, _, _ := other.AccessToken("user-1", nil, "session-1")
	wrongAud := *iss
	wrongAud.Audience = "someone-else"
	misdirected, _, _ := wrongAud.AccessToken("user-1", nil, "session-1")
	old := *iss
	old.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	expired, _, _ := old.AccessToken("user-1", nil, "session-1")

	for name, tok := range map[string]string{
		"alg none":                  header(`{"alg":"none","kid":"`+kid+`"}`) + "." + payload + ".",
		"HS256 with the public key": hs,
		"signed by another key":     foreign,
		"other audience":            misdirected,
		"expired":                   expired,
		"garbage":                   "a.b.c",
		"tampered payload":          strings.Split(good, ".")[0] + "." + header(`{"sub":"admin","roles":["ADMIN"]}`) + "." + strings.Split(good, ".")[2],
	} {
		if _, err := iss.Verify(tok); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("%s: Verify = %v, want ErrInvalidCredentials", name, err)
		}
	}
}

func TestKeyRotationKeepsPreviousKeyPublished(t *testing.T) {
	dir := t.TempDir()
	before := newIssuer(t, KeyConfig{DevDir: dir})
	oldToken, _, _ := before.AccessToken("user-1", nil, "session-1")

	newKey := filepath.Join(t.TempDir(), "new.pem")
	b, _ := GenerateKeyPEM()
	if err := os.WriteFile(newKey, b, 0o600); err != nil {
		t.Fatal(err)
	}
	after := newIssuer(t, KeyConfig{SigningKeyFile: newKey, PreviousKeyFiles: []string{filepath.Join(dir, "signing-key.pem")}})
	if after.Keys.KeyID() == before.Keys.KeyID() {
		t.Fatal("rotation kept the old kid")
	}
	if n := len(jwksKeys(t, after)); n != 2 {
		t.Fatalf("JWKS has %d keys, want current + previous", n)
	}
	if _, err := after.Verify(oldToken); err != nil {
		t.Fatalf("token of the previous key: %v", err)
	}
	// The dev key persists across restarts.
	again := newIssuer(t, KeyConfig{DevDir: dir})
	if again.Keys.KeyID() != before.Keys.KeyID() {
		t.Fatal("development key changed across restarts")
	}
}

func TestRefreshTokens(t *testing.T) {
	tok, hash, err := NewRefreshToken()
	if err != nil || HashRefreshToken(tok) != hash || strings.Contains(hash, tok) {
		t.Fatalf("token %q hash %q: %v", tok, hash, err)
	}
	if err := CheckRefreshTokenFormat(tok); err != nil {
		t.Fatal(err)
	}
	other, _, _ := NewRefreshToken()
	if other == tok {
		t.Fatal("refresh tokens repeat")
	}
	for _, bad := range []string{"", "vsr_short", tok + "x", "abc_" + tok[4:]} {
		if CheckRefreshTokenFormat(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
