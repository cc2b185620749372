package password

import (
	"context"
	"errors"
	"time"
)

// ErrBusy is returned when a hash would wait longer than the Gate allows:
// the service is at its memory budget for hashing; retry shortly.
var ErrBusy = errors.New("too many password hashes in progress")

// Gate bounds the password hashes that run at once. An argon2id hash holds
// Params.MemoryKiB of memory until it finishes, so without a bound 50
// concurrent sign-ups need 50 × 64 MiB and a pod with a memory limit is
// killed. Callers beyond the slots wait in a queue of bounded length for at
// most MaxWait, then get ErrBusy, an answer rather than an out-of-memory kill.
type Gate struct {
	slots   chan struct{}
	queue   chan struct{}
	maxWait time.Duration
}

// NewGate returns a gate running at most slots hashes at once, with at most
// queue callers waiting, each for at most maxWait.
func NewGate(slots, queue int, maxWait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(slots, 1)), queue: make(chan struct{}, max(queue, 0)), maxWait: maxWait}
}

// SlotsFor is how many hashes of p fit in a memory budget (bytes), at
// least one and at most cpus: a hash keeps its Threads busy, so more
// concurrent hashes than processors only queue inside the runtime while
// holding their memory.
func SlotsFor(p Params, budget int64, cpus int) int {
	n := budget / (int64(p.MemoryKiB) * 1024)
	return int(max(1, min(n, int64(cpus))))
}

// Slots is how many hashes may run at once.
func (g *Gate) Slots() int { return cap(g.slots) }

// Acquire waits for a slot (see Gate) and returns the function that frees
// it. A nil Gate has no bound.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}: // a free slot: no queueing
	default:
		select {
		case g.queue <- struct{}{}:
		default:
			return nil, ErrBusy // the queue is full
		}
		timer := time.NewTimer(g.maxWait)
		defer timer.Stop()
		defer func() { <-g.queue }()
		select {
		case g.slots <- struct{}{}:
		case <-timer.C:
			return nil, ErrBusy
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return func() { <-g.slots }, nil
}

// do runs fn in a slot.
func (g *Gate) do(ctx context.Context, fn func()) error {
	release, err := g.Acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	fn()
	return nil
}
