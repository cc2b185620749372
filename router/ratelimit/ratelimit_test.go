package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/virtual-store/virtual-store/router/config"
)

func cfg() config.RateLimit {
	return config.RateLimit{Enabled: true,
		PerIP:   config.Bucket{Rate: 1, Burst: 3},
		PerUser: config.Bucket{Rate: 1, Burst: 2},
		Global:  config.Bucket{Rate: 1000, Burst: 1000},
	}
}

func TestMemoryBuckets(t *testing.T) {
	l := New(cfg(), nil)
	ctx := context.Background()
	for i := range 3 {
		if r := l.Allow(ctx, "10.0.0.1", ""); r != nil {
			t.Fatalf("request %d refused: %+v", i, r)
		}
	}
	r := l.Allow(ctx, "10.0.0.1", "")
	if r == nil || r.Scope != "ip" || r.RetryAfterSeconds() != 1 {
		t.Fatalf("4th request: %+v, want refused by ip with Retry-After 1", r)
	}
	if r := l.Allow(ctx, "10.0.0.2", ""); r != nil {
		t.Fatalf("another IP refused: %+v", r)
	}
	// A user's bucket is its own, whatever IP it comes from.
	if l.Allow(ctx, "10.0.1.1", "u1") != nil || l.Allow(ctx, "10.0.1.2", "u1") != nil {
		t.Fatal("user's first two requests refused")
	}
	if r := l.Allow(ctx, "10.0.1.3", "u1"); r == nil || r.Scope != "user" {
		t.Fatalf("user's third request: %+v, want refused by user", r)
	}
}

func TestGlobalBucket(t *testing.T) {
	c := cfg()
	c.Global = config.Bucket{Rate: 0.5, Burst: 2}
	l := New(c, nil)
	ctx := context.Background()
	l.Allow(ctx, "a", "")
	l.Allow(ctx, "b", "")
	r := l.Allow(ctx, "c", "")
	if r == nil || r.Scope != "global" || r.RetryAfterSeconds() != 2 {
		t.Fatalf("%+v, want refused by global with Retry-After 2", r)
	}
}

func TestSweepForgetsIdleBuckets(t *testing.T) {
	m := NewMemory()
	now := time.Unix(1000, 0)
	m.now = func() time.Time { return now }
	_, _, _ = m.Take(context.Background(), "a", config.Bucket{Rate: 1, Burst: 1})
	now = now.Add(time.Hour)
	_, _, _ = m.Take(context.Background(), "b", config.Bucket{Rate: 1, Burst: 1})
	m.Sweep(time.Minute)
	if m.Len() != 1 {
		t.Fatalf("%d buckets after sweep, want 1", m.Len())
	}
}

func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Two routers sharing one Redis share the buckets.
func TestRedisIsSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("test:%d:", time.Now().UnixNano())
	a, err := NewRedis(ctx, redisURL(), prefix)
	if err != nil {
		t.Fatal(err) // the machine runs Redis; .ci/run starts it when down
	}
	defer a.Close()
	b, _ := NewRedis(ctx, redisURL(), prefix)
	defer b.Close()
	la, lb := New(cfg(), a), New(cfg(), b)
	allowed := 0
	for i := range 6 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		if l.Allow(ctx, "10.9.9.9", "") == nil {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("%d of 6 requests allowed across two replicas, want the burst of 3", allowed)
	}
	ok, retry, err := a.Take(ctx, "rl:ip:10.9.9.9", cfg().PerIP)
	if err != nil || ok || retry <= 0 || retry > time.Second {
		t.Fatalf("Take = %v %v %v, want refused with 0 < retry <= 1s", ok, retry, err)
	}
}

func TestRedisDownFallsBackToMemory(t *testing.T) {
	down := &Redis{client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})}
	l := New(cfg(), down)
	var storeErrs int
	l.OnStoreError = func(error) { storeErrs++ }
	allowed := 0
	for range 5 {
		if l.Allow(context.Background(), "10.0.0.1", "") == nil {
			allowed++
		}
	}
	// One failure, then the store is bypassed for a while (no timeout per request).
	if allowed != 3 || storeErrs != 1 {
		t.Fatalf("allowed %d (want 3 from the in-memory burst), store errors %d (want 1)", allowed, storeErrs)
	}
	if _, err := NewRedis(context.Background(), "redis://127.0.0.1:1", ""); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("NewRedis to a closed port: %v, want an error", err)
	}
}

// BenchmarkAllowMemory is the per-request cost of three in-memory buckets.
func BenchmarkAllowMemory(b *testing.B) {
	c := cfg()
	huge := config.Bucket{Rate: 1e9, Burst: 1 << 30}
	c.PerIP, c.PerUser, c.Global = huge, huge, huge
	l := New(c, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if l.Allow(ctx, "10.0.0.1", "u1") != nil {
			b.Fatal("refused")
		}
	}
}
