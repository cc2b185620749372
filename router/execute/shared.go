package execute

import (
	"context"
	"sync"
)

// sharedCalls runs one subgraph round trip per key at a time; identical
// queries in flight wait for it instead of sending their own.
//
// Guarantee: a round trip is everyone's who waits on it, and no one's alone.
// It runs detached from each caller's cancellation (keeping the values of
// the caller that started it: the identity statement travels in them), so a
// client that leaves never fails the others; it is cancelled once every
// caller waiting on it has left, so a round trip nobody waits for does not
// run on (the subgraph timeout bounds it besides). A caller whose context
// has already ended starts nothing.
type sharedCalls struct {
	mu    sync.Mutex
	calls map[string]*sharedCall
	// joined, when set, is told that a caller waits on a call (tests).
	joined func(key string, waiters int)
}

type sharedCall struct {
	done    chan struct{}
	resp    *subgraphResponse
	err     error
	waiters int
	shared  bool // more than one caller waited on it
	cancel  context.CancelFunc
}

// do returns the response of fn for key, run once for all concurrent
// callers; shared reports that other callers got the same response (which
// they must then not change).
func (g *sharedCalls) do(ctx context.Context, key string, fn func(context.Context) (*subgraphResponse, error)) (resp *subgraphResponse, shared bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*sharedCall{}
	}
	c, running := g.calls[key]
	if !running {
		detached, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &sharedCall{done: make(chan struct{}), cancel: cancel}
		g.calls[key] = c
		go g.run(key, c, detached, fn)
	}
	c.waiters++
	c.shared = c.shared || running
	waiters := c.waiters
	g.mu.Unlock()
	if g.joined != nil {
		g.joined(key, waiters)
	}

	select {
	case <-c.done:
		return c.resp, c.shared, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			// Nobody waits any more: end the round trip, and let the next
			// identical query start its own rather than join a cancelled one.
			c.cancel()
			g.forget(key, c)
		}
		g.mu.Unlock()
		return nil, false, ctx.Err()
	}
}

func (g *sharedCalls) run(key string, c *sharedCall, ctx context.Context, fn func(context.Context) (*subgraphResponse, error)) {
	resp, err := fn(ctx)
	g.mu.Lock()
	c.resp, c.err = resp, err
	g.forget(key, c)
	g.mu.Unlock()
	c.cancel()
	close(c.done)
}

// forget removes c from the calls in flight, unless another call has
// already taken its key. Called with mu held.
func (g *sharedCalls) forget(key string, c *sharedCall) {
	if g.calls[key] == c {
		delete(g.calls, key)
	}
}
