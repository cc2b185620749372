// Package ratelimit keeps token buckets: per client IP, per authenticated
// user and one global bucket. Buckets live in memory by default; with Redis
// they are shared by every router replica (one atomic script per check,
// timed by Redis' own clock so replicas' clocks do not matter). When Redis
// is unreachable the router falls back to its in-memory buckets rather than
// refusing or waving through all traffic.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/virtual-store/virtual-store/internal/service"

	"github.com/virtual-store/virtual-store/router/config"
)

// Store checks and takes one token from the bucket named key.
type Store interface {
	Take(ctx context.Context, key string, b config.Bucket) (ok bool, retryAfter time.Duration, err error)
}

// Memory is an in-process Store.
type Memory struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
	now     func() time.Time
}

type memBucket struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{buckets: map[string]*memBucket{}, now: time.Now}
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, key string, b config.Bucket) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	mb := m.buckets[key]
	if mb == nil {
		mb = &memBucket{lim: rate.NewLimiter(rate.Limit(b.Rate), b.Burst)}
		m.buckets[key] = mb
	}
	mb.lastSeen = now
	m.mu.Unlock()
	r := mb.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second, nil
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d, nil
	}
	return true, 0, nil
}

// Sweep forgets buckets idle long enough to have refilled completely, which
// is the same as never having been used; it bounds memory under IP churn.
func (m *Memory) Sweep(idle time.Duration) {
	cutoff := m.now().Add(-idle)
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, b := range m.buckets {
		if b.lastSeen.Before(cutoff) {
			delete(m.buckets, k)
		}
	}
}

// Len is the number of live buckets.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}

// Limiter applies the configured buckets to a request.
type Limiter struct {
	cfg      config.RateLimit
	store    Store
	fallback *Memory
	// storeDownUntil (unix nanos) skips a failing shared store for a while,
	// so an unreachable Redis costs one timeout per interval, not per request.
	storeDownUntil atomic.Int64
	// OnStoreError is told when the shared store fails (logs, metrics).
	OnStoreError func(error)
}

// New returns a limiter over store (nil: in memory).
func New(cfg config.RateLimit, store Store) *Limiter {
	l := &Limiter{cfg: cfg, store: store, fallback: NewMemory()}
	if l.store == nil {
		l.store = l.fallback
	}
	return l
}

// storeRetryInterval is how long a failed shared store is bypassed.
const storeRetryInterval = 5 * time.Second

// Refusal says which bucket refused and when to retry.
type Refusal struct {
	Scope      string // "global", "ip" or "user"
	RetryAfter time.Duration
}

// Allow is AllowClient then AllowCaller: nil means go ahead.
func (l *Limiter) Allow(ctx context.Context, ip, user string) *Refusal {
	if r := l.AllowClient(ctx, ip); r != nil {
		return r
	}
	return l.AllowCaller(ctx, user)
}

// AllowClient takes a token from the client address's bucket. The router
// asks it first, before verifying any token: one client's flood (valid
// credentials or garbage) is refused before it costs a signature check or a
// token of the global bucket.
func (l *Limiter) AllowClient(ctx context.Context, ip string) *Refusal {
	if ip == "" {
		return nil
	}
	return l.take(ctx, "ip", "rl:ip:"+ip, l.cfg.PerIP)
}

// AllowCaller takes a token from the user's bucket (for an authenticated
// caller), then from the global one: a request a per-client bucket refuses
// never draws from the global bucket everyone shares.
func (l *Limiter) AllowCaller(ctx context.Context, user string) *Refusal {
	if user != "" {
		if r := l.take(ctx, "user", "rl:user:"+user, l.cfg.PerUser); r != nil {
			return r
		}
	}
	return l.take(ctx, "global", "rl:global", l.cfg.Global)
}

// take draws one token from bucket key, through the shared store unless it
// failed a moment ago (then in memory, neither failing open nor closed).
func (l *Limiter) take(ctx context.Context, scope, key string, b config.Bucket) *Refusal {
	if b.Rate <= 0 {
		return nil
	}
	store := l.store
	if time.Now().UnixNano() < l.storeDownUntil.Load() {
		store = l.fallback
	}
	ok, retry, err := store.Take(ctx, key, b)
	if err != nil {
		l.storeDownUntil.Store(time.Now().Add(storeRetryInterval).UnixNano())
		if l.OnStoreError != nil {
			l.OnStoreError(err)
		}
		ok, retry, _ = l.fallback.Take(ctx, key, b)
	}
	if !ok {
		return &Refusal{Scope: scope, RetryAfter: retry}
	}
	return nil
}

// RetryAfterSeconds is the Retry-After header value: whole seconds, at least 1.
func (r *Refusal) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(r.RetryAfter.Seconds())))
}

// SweepEvery forgets idle in-memory buckets until ctx ends.
func (l *Limiter) SweepEvery(ctx context.Context, every time.Duration) error {
	return service.Every(ctx, every, func(context.Context) { l.fallback.Sweep(l.idle()) })
}

// idle is how long the slowest bucket takes to refill from empty.
func (l *Limiter) idle() time.Duration {
	longest := time.Minute
	for _, b := range []config.Bucket{l.cfg.Global, l.cfg.PerIP, l.cfg.PerUser} {
		if b.Rate > 0 {
			longest = max(longest, time.Duration(float64(b.Burst)/b.Rate*float64(time.Second)))
		}
	}
	return longest
}
