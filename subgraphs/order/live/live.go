// Package live tells subscribers when an order changes. Every status change
// is an outbox row written in the change's own transaction, and a NOTIFY on
// order_events that PostgreSQL delivers when that transaction commits (see
// saga.record). A Feed keeps one connection LISTENing and hands each event to
// the subscribers of its order. NOTIFY is not durable: when the connection
// drops, the Feed reconnects and reads the outbox from the last event it
// saw, so a subscriber misses nothing that committed while it was away.
//
// Each order service replica runs its own Feed on the same database, so a
// subscription sees every change whichever replica (or the saga worker)
// made it.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Channel is the NOTIFY channel of order status changes.
const Channel = "order_events"

// buffered is how many events a subscriber may have unread before it is
// dropped (its channel closed): an order changes a handful of
// times in its life, so a subscriber that far behind is stuck, and it must
// never hold up the others.
const buffered = 32

// Feed fans the order events out to subscribers.
type Feed struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu   sync.Mutex
	subs map[uuid.UUID]map[*Subscription]struct{}
	// seen are the latest event ids handed out (a ring of remember ids):
	// ids come from a sequence at insert, but transactions commit in any
	// order, so "after the highest id" could skip one committed late. A
	// reconnect re-reads the last window of the outbox and skips these.
	seen    map[int64]struct{}
	ring    []int64
	maxSeen int64
	started bool  // the outbox's end was read once
	floor   int64 // where the outbox ended then: nothing before it is caught up
	ready   chan struct{}
	once    sync.Once
}

// remember is how many event ids the Feed keeps, and how far back of the
// highest a reconnect reads again.
const remember = 4096

// Subscription is one subscriber's events of one order.
type Subscription struct {
	// Events are the order's status changes, in commit order. It is closed
	// by Close, or when the subscriber fell too far behind.
	Events <-chan saga.Event
	events chan saga.Event
	order  uuid.UUID
	feed   *Feed
	closed bool
}

// New returns a Feed; Run starts it.
func New(pool *pgxpool.Pool, log *slog.Logger) *Feed {
	return &Feed{pool: pool, log: log, subs: map[uuid.UUID]map[*Subscription]struct{}{}, seen: map[int64]struct{}{}, ready: make(chan struct{})}
}

// Subscribe starts delivering the order's events from now on. Read the
// order's state after subscribing, so no change falls between the two.
func (f *Feed) Subscribe(order uuid.UUID) *Subscription {
	ch := make(chan saga.Event, buffered)
	s := &Subscription{Events: ch, events: ch, order: order, feed: f}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs[order] == nil {
		f.subs[order] = map[*Subscription]struct{}{}
	}
	f.subs[order][s] = struct{}{}
	return s
}

// Close ends the subscription; Events is closed.
func (s *Subscription) Close() {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLocked(s)
}

func (f *Feed) dropLocked(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.events)
	if m := f.subs[s.order]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(f.subs, s.order)
		}
	}
}

// Subscribers is the number of open subscriptions (a gauge).
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.subs {
		n += len(m)
	}
	return n
}

// Ready is closed once the Feed listens: events committed after it are
// delivered.
func (f *Feed) Ready() <-chan struct{} { return f.ready }

// deliver hands ev to its order's subscribers, once per event id.
func (f *Feed) deliver(ev saga.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ev.EventID != 0 {
		if _, ok := f.seen[ev.EventID]; ok {
			return // already delivered (a catch-up overlapping a notification)
		}
		if len(f.ring) == remember {
			delete(f.seen, f.ring[0])
			f.ring = f.ring[1:]
		}
		f.seen[ev.EventID] = struct{}{}
		f.ring = append(f.ring, ev.EventID)
		f.maxSeen = max(f.maxSeen, ev.EventID)
	}
	for s := range f.subs[ev.OrderID] {
		select {
		case s.events <- ev:
		default:
			f.dropLocked(s)
		}
	}
}

// Run listens until ctx ends, reconnecting (with backoff) when the
// connection drops and catching up from the outbox.
func (f *Feed) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := f.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		f.log.Warn("order events: listening stopped, reconnecting", "err", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (f *Feed) listen(ctx context.Context) error {
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire a connection: %w", err)
	}
	// A connection that LISTENed goes back to nobody: it is closed.
	defer func() { _ = conn.Conn().Close(context.WithoutCancel(ctx)); conn.Release() }()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := f.catchUp(ctx); err != nil {
		return err
	}
	f.once.Do(func() { close(f.ready) })
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for a notification: %w", err)
		}
		var ev saga.Event
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
			f.log.Error("order events: a notification that is no event", "payload", n.Payload, "err", err)
			continue
		}
		f.deliver(ev)
	}
}

// catchUp delivers the outbox events that committed while no connection
// listened: from a window before the highest id seen, skipping the ones
// delivered. The first time, it only finds where the outbox ends (nobody
// subscribed before the Feed ran).
func (f *Feed) catchUp(ctx context.Context) error {
	q := store.New(f.pool)
	f.mu.Lock()
	after := max(f.maxSeen-remember, f.floor)
	first := !f.started
	f.mu.Unlock()
	if first {
		last, err := q.LastEventID(ctx)
		if err != nil {
			return fmt.Errorf("find the last order event: %w", err)
		}
		f.mu.Lock()
		f.maxSeen, f.started, f.floor = max(f.maxSeen, last), true, last
		f.mu.Unlock()
		return nil
	}
	for {
		rows, err := q.EventsAfter(ctx, store.EventsAfterParams{AfterID: after, RowLimit: 500})
		if err != nil {
			return fmt.Errorf("read the order events after %d: %w", after, err)
		}
		for _, r := range rows {
			after = r.ID
			if r.Topic != saga.TopicStatusChanged {
				continue
			}
			var ev saga.Event
			if err := json.Unmarshal(r.Payload, &ev); err != nil {
				return errors.Join(fmt.Errorf("order event %d", r.ID), err)
			}
			ev.EventID = r.ID
			f.deliver(ev)
		}
		if len(rows) < 500 {
			return nil
		}
	}
}
