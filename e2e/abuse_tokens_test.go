package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/user/tokens"
)

// jwtParts signs header and claims as a compact JWS with sign (nil: no
// signature, as alg none has).
func jwtParts(header, claims map[string]any, sign func(input []byte) []byte) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	if sign == nil {
		return input + "."
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func eddsa(key ed25519.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte { return ed25519.Sign(key, input) }
}

// abuseTokens sends forged and broken JWTs carrying an administrator's
// claims with an admin mutation: each must be refused with 401 and nothing
// created, while the same claims correctly signed are served.
func abuseTokens(t *testing.T, s *storefront, keys string) {
	c := caller{router: s.router, addr: "198.51.100.13"}
	// The user service's signing key, as a thief with disk access has it.
	pemBytes, err := os.ReadFile(filepath.Join(keys, "signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := parsed.(ed25519.PrivateKey)
	pub := key.Public().(ed25519.PublicKey)
	ks, err := tokens.LoadKeys(tokens.KeyConfig{DevDir: keys})
	if err != nil {
		t.Fatal(err)
	}
	kid := ks.KeyID()
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pubPEM, _ := x509.MarshalPKIXPublicKey(pub)
	jwksResp, err := routerClient.Get(s.user.url() + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := io.ReadAll(jwksResp.Body)
	jwksResp.Body.Close()

	now := time.Now()
	admin := func(change func(h, c map[string]any)) (map[string]any, map[string]any) {
		h := map[string]any{"alg": "EdDSA", "kid": kid, "typ": "JWT"}
		c := map[string]any{"iss": e2eIssuer, "aud": []string{"virtual-store"}, "sub": "forged-" + uuid.NewString()[:8],
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": uuid.NewString(),
			"roles": []string{"CUSTOMER", "ADMIN"}, "scope": "catalog:write inventory:write orders:admin users:admin"}
		if change != nil {
			change(h, c)
		}
		return h, c
	}
	signed := func(change func(h, c map[string]any), sign func([]byte) []byte) string {
		h, c := admin(change)
		return jwtParts(h, c, sign)
	}
	// A customer's real token, tampered with to claim the admin role.
	email := "tamper-" + uuid.NewString()[:8] + "@example.com"
	caller{router: s.router, addr: c.addr}.ok(t, `mutation($in: RegisterInput!) { register(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": "a long password", "name": "Tamper"}})
	customer := s.login(t, email, "a long password")
	if r := (caller{router: s.router, addr: c.addr, token: customer}).ok(t, `{ me { email } }`, nil); r.Dig("me", "email") != email {
		t.Fatalf("the customer's own token: %s", r)
	}
	parts := strings.Split(strings.TrimPrefix(customer, "Bearer "), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["roles"], claims["scope"] = []string{"CUSTOMER", "ADMIN"}, "catalog:write"
	tamperedPayload, _ := json.Marshal(claims)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	badSignature := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)

	cases := []struct{ name, header string }{
		{"alg none", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "none" }, nil)},
		{"alg none, empty kid", "Bearer " + signed(func(h, _ map[string]any) { h["alg"], h["kid"] = "none", "" }, nil)},
		{"HS256 keyed with the raw public key", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" }, hs256(pub))},
		{"HS256 keyed with the JWK x", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" }, hs256([]byte(base64.RawURLEncoding.EncodeToString(pub))))},
		{"HS256 keyed with the JWKS document", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" }, hs256(jwks))},
		{"HS256 keyed with the public key PEM", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "HS256" },
			hs256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})))},
		{"ES256 header over an EdDSA signature", "Bearer " + signed(func(h, _ map[string]any) { h["alg"] = "ES256" }, eddsa(key))},
		{"expired an hour ago", "Bearer " + signed(func(_, c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}, eddsa(key))},
		{"not valid for another hour", "Bearer " + signed(func(_, c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }, eddsa(key))},
		{"no expiry", "Bearer " + signed(func(_, c map[string]any) { delete(c, "exp") }, eddsa(key))},
		{"no subject", "Bearer " + signed(func(_, c map[string]any) { delete(c, "sub") }, eddsa(key))},
		{"another issuer", "Bearer " + signed(func(_, c map[string]any) { c["iss"] = "http://evil.example" }, eddsa(key))},
		{"no issuer", "Bearer " + signed(func(_, c map[string]any) { delete(c, "iss") }, eddsa(key))},
		{"another audience", "Bearer " + signed(func(_, c map[string]any) { c["aud"] = []string{"another-store"} }, eddsa(key))},
		{"unknown kid", "Bearer " + signed(func(h, _ map[string]any) { h["kid"] = "unknown-" + uuid.NewString() }, eddsa(otherKey))},
		{"kid with a path", "Bearer " + signed(func(h, _ map[string]any) { h["kid"] = "../../../../etc/passwd" }, eddsa(key))},
		{"no kid", "Bearer " + signed(func(h, _ map[string]any) { delete(h, "kid") }, eddsa(key))},
		{"the store's kid, another key's signature", "Bearer " + signed(nil, eddsa(otherKey))},
		{"another key embedded in the header (jwk)", "Bearer " + signed(func(h, _ map[string]any) {
			h["jwk"] = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(otherKey.Public().(ed25519.PublicKey))}
		}, eddsa(otherKey))},
		{"a customer's token, payload tampered", "Bearer " + tampered},
		{"a customer's token, signature flipped", "Bearer " + badSignature},
		{"a customer's token, signature cut", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"16 kB token", "Bearer " + signed(func(h, _ map[string]any) { h["pad"] = strings.Repeat("x", 16<<10) }, eddsa(otherKey))},
		{"garbage", "Bearer not.a.jwt"},
		{"Basic credentials", "Basic YWRtaW5AZTJlLnRlc3Q6ZTJlLWFkbWluLXBhc3N3b3Jk"},
	}
	products := func() int64 {
		var n int64
		if err := s.productDB.QueryRow(context.Background(), "SELECT count(*) FROM products").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	calm := s.world(t, s.router)
	create := `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } userErrors { code } } }`
	vars := func() map[string]any {
		return map[string]any{"in": map[string]any{"sku": "FORGED-" + strings.ToUpper(uuid.NewString()[:8]), "name": "Forged", "prices": []any{map[string]any{"amount": 1, "currency": "EUR"}}}}
	}
	for _, tc := range cases {
		forger := c
		forger.token = tc.header
		before := s.router.usage(t)
		r := forger.gql(t, create, vars())
		cpu := s.router.usage(t).cpu - before.cpu
		t.Logf("%-45s → %d %s %6.1f ms, router CPU %d ms", tc.name, r.Status, r.code(), float64(r.took.Microseconds())/1000, cpu.Milliseconds())
		if r.Status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" || r.hasData() || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %s (WWW-Authenticate %q), want 401 UNAUTHENTICATED", tc.name, r, r.Header.Get("WWW-Authenticate"))
		}
		if r.took > hostileDeadline || cpu > hostileCPU {
			t.Errorf("%s: %s and %s of router CPU", tc.name, r.took, cpu)
		}
	}
	// Headers past the server's limit never reach the router's code.
	r := c.do(t, http.MethodPost, "/graphql", "application/json", []byte(`{"query":"{ __typename }"}`), "Authorization", "Bearer "+strings.Repeat("x", 2<<20))
	if r.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 2 MB Authorization header: %s, want 431", r)
	}
	if diff := calm.same(s.world(t, s.router)); diff != "" {
		t.Fatalf("requests with forged tokens changed the store: %s", diff)
	}
	before := products()
	// The same claims, correctly signed, are an administrator: the
	// refusals above are the router's checks, not a broken test token.
	good := caller{router: s.router, addr: c.addr, token: "Bearer " + signed(nil, eddsa(key))}
	if r := good.ok(t, create, vars()); r.Dig("createProduct", "product", "id") == nil {
		t.Fatalf("the correctly signed token: %s", r)
	}
	if n := products(); n != before+1 {
		t.Fatalf("the correctly signed token created %d products, want 1", n-before)
	}
}
