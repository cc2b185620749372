// Package authn verifies the access tokens clients send to the router: JWTs
// signed by the user service, checked against its published JWKS. Keys are
// cached, refreshed in the background and on an unknown key id (rate
// limited, so made-up kids cannot flood the user service). The accepted
// algorithms are a fixed list and must match the key: alg=none and
// algorithm confusion (an HMAC "signed" with a public key) are refused
// before any cryptography runs.
package authn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/router/config"
)

// Verifier checks bearer tokens against a JWKS.
type Verifier struct {
	cfg     config.Auth
	client  *http.Client
	algs    map[string]jwa.SignatureAlgorithm
	now     func() time.Time
	started time.Time // for Ready's grace
	log     *slog.Logger

	mu          sync.Mutex
	keys        jwk.Set
	lastAttempt time.Time

	// revoked holds the sessions the user service revoked (see
	// PollRevoked); a token of one is refused even from the cache.
	revoked      atomic.Pointer[map[string]bool]
	revokedFail  atomic.Bool // the last poll failed (log once per outage)
	revokedMu    sync.Mutex
	revokedTried time.Time // when notRevoked last read them (under revokedMu)

	// verified caches the claims of tokens already verified: a client sends
	// the same token with every request, and an EdDSA verification costs
	// ~60 µs (measured: a quarter of the router's CPU per request). An entry
	// lives until the token expires, at most verifiedTTL, so a key removed
	// from the JWKS stops working within that time.
	verified *lru.LRU[verifiedToken]
}

type verifiedToken struct {
	claims auth.Claims
	until  time.Time
}

// verifiedTTL bounds how long a verified token is trusted without checking
// its signature again.
const verifiedTTL = time.Minute

// New returns a verifier for cfg; it fetches keys lazily on first use.
func New(cfg config.Auth, client *http.Client, log *slog.Logger) (*Verifier, error) {
	v := &Verifier{cfg: cfg, client: client, algs: map[string]jwa.SignatureAlgorithm{}, now: time.Now, started: time.Now(), log: log,
		verified: lru.New[verifiedToken](10_000)}
	for _, name := range cfg.Algorithms {
		alg, ok := jwa.LookupSignatureAlgorithm(name)
		if !ok || name == "none" || strings.HasPrefix(name, "HS") {
			return nil, fmt.Errorf("auth: algorithm %q cannot verify tokens against a JWKS", name)
		}
		v.algs[name] = alg
	}
	return v, nil
}

// Errors are wrapped in auth.ErrInvalidCredentials; these tell why.
var (
	ErrAlgorithm  = errors.New("algorithm not accepted")
	ErrUnknownKey = errors.New("unknown signing key")
	ErrRevoked    = errors.New("the session was signed out")
	// ErrRevocationsUnknown: the revoked sessions could not be read yet.
	ErrRevocationsUnknown = errors.New("the revoked sessions are not known yet")
)

// Authenticate implements auth.Authenticator for "Authorization: Bearer".
func (v *Verifier) Authenticate(r *http.Request) (auth.Claims, error) {
	token, err := auth.BearerToken(r.Header.Get("Authorization"))
	if err != nil {
		return auth.Claims{}, err
	}
	return v.Verify(r.Context(), token)
}

// Verify checks token and returns its claims.
func (v *Verifier) Verify(ctx context.Context, token string) (auth.Claims, error) {
	now := v.now()
	if vt, ok := v.verified.Get(ctx, token); ok && now.Before(vt.until) {
		return v.notRevoked(ctx, vt.claims)
	}
	c, err := v.verify(ctx, token)
	if err != nil {
		return auth.Claims{}, fmt.Errorf("%w: %w", auth.ErrInvalidCredentials, err)
	}
	if _, err := v.notRevoked(ctx, c); err != nil {
		return auth.Claims{}, err
	}
	until := now.Add(verifiedTTL)
	if exp := time.Unix(c.Expires, 0); exp.Before(until) {
		until = exp
	}
	v.verified.Add(ctx, token, verifiedToken{claims: c, until: until})
	return c, nil
}

// notRevoked refuses the claims of a revoked session. Until the revoked
// sessions have been read once, it reads them (at most once a second) and
// refuses every token meanwhile: a router that never heard of a sign-out
// must not honour the signed-out tokens (fail closed, as when the keys
// cannot be fetched).
func (v *Verifier) notRevoked(ctx context.Context, c auth.Claims) (auth.Claims, error) {
	if v.cfg.RevokedSessions() == "" {
		return c, nil
	}
	revoked := v.revoked.Load()
	if revoked == nil {
		// Concurrent first requests wait for one read.
		v.revokedMu.Lock()
		if revoked = v.revoked.Load(); revoked == nil && v.now().Sub(v.revokedTried) >= time.Second {
			v.revokedTried = v.now()
			v.PollRevoked(ctx)
			revoked = v.revoked.Load()
		}
		v.revokedMu.Unlock()
		if revoked == nil {
			return auth.Claims{}, fmt.Errorf("%w: %w", auth.ErrInvalidCredentials, ErrRevocationsUnknown)
		}
	}
	if c.Session != "" && (*revoked)[c.Session] {
		return auth.Claims{}, fmt.Errorf("%w: %w", auth.ErrInvalidCredentials, ErrRevoked)
	}
	return c, nil
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

func (v *Verifier) verify(ctx context.Context, token string) (auth.Claims, error) {
	h, err := readHeader(token)
	if err != nil {
		return auth.Claims{}, err
	}
	alg, ok := v.algs[h.Alg]
	if !ok {
		return auth.Claims{}, fmt.Errorf("%w: %q", ErrAlgorithm, h.Alg)
	}
	key, err := v.key(ctx, h.Kid)
	if err != nil {
		return auth.Claims{}, err
	}
	// A key published for one algorithm verifies only that algorithm.
	if ka, ok := key.Algorithm(); ok && ka.String() != h.Alg {
		return auth.Claims{}, fmt.Errorf("%w: key %s is for %s, token says %s", ErrAlgorithm, h.Kid, ka, h.Alg)
	}
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKey(alg, key),
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(v.cfg.Leeway),
		jwt.WithClock(jwt.ClockFunc(v.now)),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
	)
	if err != nil {
		return auth.Claims{}, err
	}
	if iss, _ := tok.Issuer(); len(v.cfg.Issuers) > 0 && !slices.Contains(v.cfg.Issuers, iss) {
		return auth.Claims{}, fmt.Errorf("issuer %q not accepted", iss)
	}
	if aud, _ := tok.Audience(); len(v.cfg.Audiences) > 0 && !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.cfg.Audiences, a) }) {
		return auth.Claims{}, fmt.Errorf("audience %v not accepted", aud)
	}
	c := auth.FromJWT(tok)
	if c.Subject == "" {
		return auth.Claims{}, errors.New("the token has no subject")
	}
	return c, nil
}

// readHeader decodes the JOSE header without trusting anything in it yet.
func readHeader(token string) (header, error) {
	var h header
	first, _, ok := strings.Cut(token, ".")
	if !ok || strings.Count(token, ".") != 2 {
		return h, errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		return h, errors.New("malformed header")
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, errors.New("malformed header")
	}
	if h.Kid == "" {
		return h, errors.New("the token names no key (kid)")
	}
	return h, nil
}

// key finds kid in the cached set, refetching the set once when kid is
// unknown and the last fetch is older than JWKSRefreshMin (rotation).
func (v *Verifier) key(ctx context.Context, kid string) (jwk.Key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		if k, ok := v.keys.LookupKeyID(kid); ok {
			return k, nil
		}
	}
	if !v.lastAttempt.IsZero() && v.now().Sub(v.lastAttempt) < v.cfg.JWKSRefreshMin {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
	}
	if err := v.fetchLocked(ctx); err != nil {
		return nil, err
	}
	if k, ok := v.keys.LookupKeyID(kid); ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
}

// Refresh downloads the key set now.
func (v *Verifier) Refresh(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fetchLocked(ctx)
}

func (v *Verifier) fetchLocked(ctx context.Context) error {
	v.lastAttempt = v.now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.JWKSURL, nil)
	if err != nil {
		return fmt.Errorf("jwks request: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch jwks: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read jwks: %w", err)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return fmt.Errorf("parse jwks: %w", err)
	}
	v.keys = set
	return nil
}

// KeepFresh refreshes the keys every JWKSMaxAge, so removed (revoked) keys
// stop verifying without a restart, and the revoked sessions every
// RevokedSessionsPoll, until ctx ends. Failures keep what was read before.
func (v *Verifier) KeepFresh(ctx context.Context) error {
	var wg sync.WaitGroup
	if v.cfg.RevokedSessions() != "" {
		v.PollRevoked(ctx)
		wg.Go(func() {
			_ = service.Every(ctx, v.cfg.RevokedSessionsPoll, func(ctx context.Context) { v.PollRevoked(ctx) })
		})
	}
	if v.cfg.JWKSMaxAge > 0 {
		wg.Go(func() {
			_ = service.Every(ctx, v.cfg.JWKSMaxAge, func(ctx context.Context) {
				if err := v.Refresh(ctx); err != nil && ctx.Err() == nil {
					v.log.Warn("jwks refresh failed; keeping the cached keys", "err", err)
				}
			})
		})
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// readyGrace is how long Ready waits for the first read of the revoked
// sessions before it gives up waiting.
const readyGrace = 30 * time.Second

// Ready says whether the verifier can honour a token: when it reads the
// revoked sessions, not before it has read them once (until then every
// token is refused, fail closed). The router's readiness waits for it, so a
// new replica takes no signed-in traffic it would refuse while the others
// can. Not forever: if the user service cannot answer within readyGrace of
// the start, the router serves anyway (anonymous requests work, tokens are
// still refused until the read), rather than every replica staying out.
func (v *Verifier) Ready() error {
	if v.cfg.RevokedSessions() != "" && v.revoked.Load() == nil && v.now().Sub(v.started) < readyGrace {
		return ErrRevocationsUnknown
	}
	return nil
}

// PollRevoked reads the revoked sessions once. While the user service cannot
// answer, the last list stays: tokens of sessions revoked meanwhile live
// until they expire (at most the access token lifetime, 15 minutes).
func (v *Verifier) PollRevoked(ctx context.Context) {
	sids, err := v.fetchRevoked(ctx)
	if err != nil {
		if ctx.Err() == nil && !v.revokedFail.Swap(true) {
			if v.revoked.Load() == nil {
				v.log.Warn("revoked sessions unavailable; tokens are refused until they are read", "err", err)
			} else {
				v.log.Warn("revoked sessions unavailable; keeping the last list until it answers", "err", err)
			}
		}
		return
	}
	if v.revokedFail.Swap(false) {
		v.log.Info("revoked sessions available", "sessions", len(sids))
	}
	m := make(map[string]bool, len(sids))
	for _, s := range sids {
		m[s] = true
	}
	v.revoked.Store(&m)
}

func (v *Verifier) fetchRevoked(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.RevokedSessions(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("revoked sessions: %s", resp.Status)
	}
	var body struct {
		Sessions []string `json:"sessions"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("revoked sessions: %w", err)
	}
	return body.Sessions, nil
}
