package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most Slots hashes run at once; a full queue and a long wait are
// ErrBusy, never an unbounded pile of 64 MiB hashes.
func TestGateBoundsConcurrentHashes(t *testing.T) {
	g := NewGate(2, 3, time.Minute)
	h := Hasher{Params: Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}, Gate: g}
	var running, peak atomic.Int32
	release := make(chan struct{})
	blocker := func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		running.Add(-1)
	}
	var wg sync.WaitGroup
	results := make(chan error, 10)
	for range 5 { // 2 run, 3 wait
		wg.Add(1)
		go func() { defer wg.Done(); results <- g.do(ctx, blocker) }()
	}
	waitFor(t, func() bool { return running.Load() == 2 && len(g.queue) == 3 })
	if _, err := h.Hash(ctx, "one more passphrase"); !errors.Is(err, ErrBusy) {
		t.Fatalf("a sixth hash with the queue full: %v, want ErrBusy", err)
	}
	close(release)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Fatalf("a queued hash: %v", err)
		}
	}
	if peak.Load() != 2 {
		t.Fatalf("peak concurrency %d, want 2", peak.Load())
	}
	if _, err := h.Hash(ctx, "after the rush passphrase"); err != nil {
		t.Fatalf("a hash after the rush: %v", err)
	}
}

func TestGateWaitsAtMostMaxWait(t *testing.T) {
	g := NewGate(1, 1, 50*time.Millisecond)
	release := make(chan struct{})
	go func() { _ = g.do(ctx, func() { <-release }) }()
	defer close(release)
	waitFor(t, func() bool { return len(g.slots) == 1 })
	if err := g.do(ctx, func() {}); !errors.Is(err, ErrBusy) {
		t.Fatalf("waited past MaxWait: %v, want ErrBusy", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.do(cctx, func() {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a gone caller: %v", err)
	}
	if len(g.queue) != 0 {
		t.Fatalf("%d waiters left in the queue", len(g.queue))
	}
}

func TestSlotsFor(t *testing.T) {
	p := Params{MemoryKiB: 64 * 1024}
	for _, c := range []struct {
		budget int64
		cpus   int
		want   int
	}{{256 << 20, 8, 4}, {256 << 20, 2, 2}, {10 << 20, 8, 1}, {1 << 30, 4, 4}} {
		if got := SlotsFor(p, c.budget, c.cpus); got != c.want {
			t.Errorf("SlotsFor(%d MiB, %d cpus) = %d, want %d", c.budget>>20, c.cpus, got, c.want)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
	}
}
