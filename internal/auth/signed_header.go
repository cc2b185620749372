package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// IdentityHeader carries claims signed by the router for the subgraphs behind it.
const IdentityHeader = "X-Virtual-Store-Identity"

// SignedHeader trusts IdentityHeader only when its HMAC-SHA256 signature
// verifies with the shared secret and it has not expired. A header forged by a
// client that reaches a subgraph directly fails verification.
//
// Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part)).
type SignedHeader struct {
	Secret []byte
	Now    func() time.Time // for tests; time.Now when nil
}

// Sign encodes c for IdentityHeader. The router calls it per request.
func (s SignedHeader) Sign(c Claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p)), nil
}

// Authenticate implements Authenticator.
func (s SignedHeader) Authenticate(r *http.Request) (Claims, error) {
	v := r.Header.Get(IdentityHeader)
	if v == "" {
		return Claims{}, ErrNoCredentials
	}
	p, sig, ok := strings.Cut(v, ".")
	if !ok {
		return Claims{}, fmt.Errorf("%w: malformed identity header", ErrInvalidCredentials)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrInvalidCredentials)
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: malformed payload", ErrInvalidCredentials)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: malformed claims", ErrInvalidCredentials)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if c.Expires == 0 || now().Unix() >= c.Expires {
		return Claims{}, fmt.Errorf("%w: expired", ErrInvalidCredentials)
	}
	if c.Subject == "" {
		return Claims{}, fmt.Errorf("%w: no subject", ErrInvalidCredentials)
	}
	return c, nil
}

func (s SignedHeader) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
