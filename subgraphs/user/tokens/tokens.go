package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/virtual-store/virtual-store/internal/auth"
)

// Issuer makes and checks access tokens.
type Issuer struct {
	Keys     *KeySet
	Issuer   string        // the iss claim, e.g. https://shop.example/user
	Audience string        // the aud claim the router expects
	TTL      time.Duration // access token lifetime
	Now      func() time.Time
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// AccessToken signs a JWT for subject with its roles and their scopes, in
// session (sid: the sign-in's refresh token family, which the router
// refuses once it is revoked).
func (i *Issuer) AccessToken(subject string, roles []string, session string) (string, time.Time, error) {
	now := i.now().Truncate(time.Second)
	exp := now.Add(i.TTL)
	tok, err := jwt.NewBuilder().
		Issuer(i.Issuer).
		Audience([]string{i.Audience}).
		Subject(subject).
		IssuedAt(now).
		NotBefore(now).
		Expiration(exp).
		JwtID(uuid.NewString()).
		Claim("sid", session).
		Claim("roles", roles).
		Claim("scope", strings.Join(auth.ScopesFor(roles), " ")).
		Build()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), i.Keys.signing))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return string(signed), exp, nil
}

// Verify checks a token's signature (against the published keys only, with
// the algorithm pinned to EdDSA), issuer, audience and lifetime.
func (i *Issuer) Verify(token string) (auth.Claims, error) {
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKeySet(i.Keys.public, jws.WithRequireKid(true)),
		jwt.WithValidate(true),
		jwt.WithIssuer(i.Issuer),
		jwt.WithAudience(i.Audience),
		jwt.WithAcceptableSkew(30*time.Second),
		jwt.WithClock(jwt.ClockFunc(i.now)),
	)
	if err != nil {
		return auth.Claims{}, fmt.Errorf("%w: %v", auth.ErrInvalidCredentials, err)
	}
	return auth.FromJWT(tok), nil
}

// refreshPrefix makes leaked refresh tokens easy for secret scanners to spot.
const refreshPrefix = "vsr_"

// NewRefreshToken returns an opaque refresh token and the hash to store: the
// token itself is never stored, so a database leak yields no usable token.
func NewRefreshToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("read random: %w", err)
	}
	token = refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token), nil
}

// ErrMalformedRefreshToken is returned for strings that cannot be refresh tokens.
var ErrMalformedRefreshToken = errors.New("malformed refresh token")

// HashRefreshToken is the stored form of a refresh token (SHA-256: the token
// has 256 bits of entropy, so a slow hash adds nothing).
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckRefreshTokenFormat rejects strings that were never issued by NewRefreshToken.
func CheckRefreshTokenFormat(token string) error {
	rest, ok := strings.CutPrefix(token, refreshPrefix)
	if !ok || len(rest) != 43 {
		return ErrMalformedRefreshToken
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest); err != nil {
		return ErrMalformedRefreshToken
	}
	return nil
}
