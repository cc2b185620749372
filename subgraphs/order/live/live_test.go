package live_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/sql/orderdb"
	"github.com/virtual-store/virtual-store/subgraphs/order/live"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
)

// The feed on a real PostgreSQL: events are written as saga.record writes
// them (an outbox row and a NOTIFY with its id, in one transaction).

func open(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), testdb.New(t), orderdb.Migrations(), gqltest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// run starts a feed on pool until the test ends and waits until it listens.
func run(t *testing.T, pool *pgxpool.Pool) *live.Feed {
	t.Helper()
	f := live.New(pool, gqltest.Quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-f.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the feed never listened")
	}
	return f
}

// change commits one status change of order as the saga does.
func change(t *testing.T, pool *pgxpool.Pool, order uuid.UUID, to string) {
	t.Helper()
	payload, _ := json.Marshal(saga.Event{OrderID: order, UserID: "u", To: to, PaymentStatus: "CAPTURED", Actor: "test", At: time.Now()})
	if _, err := pool.Exec(context.Background(), `WITH e AS (INSERT INTO outbox (topic, aggregate_id, payload) VALUES ($1, $2, $3) RETURNING id)
		SELECT pg_notify($4, jsonb_set($3::jsonb, '{eventId}', to_jsonb(e.id))::text) FROM e`,
		saga.TopicStatusChanged, order, payload, live.Channel); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, s *live.Subscription, want string) {
	t.Helper()
	select {
	case ev, ok := <-s.Events:
		if !ok || ev.To != want || ev.EventID == 0 {
			t.Fatalf("event %+v (open %v), want %s with its id", ev, ok, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no event, want %s", want)
	}
}

// Two feeds (two order replicas) on one database both hear every change,
// whoever committed it; each subscriber gets its own order's events only.
func TestEveryReplicaHearsEveryChange(t *testing.T) {
	pool := open(t)
	a, b := run(t, pool), run(t, pool)
	order, other := uuid.New(), uuid.New()
	onA, onB := a.Subscribe(order), b.Subscribe(order)
	defer onA.Close()
	defer onB.Close()
	change(t, pool, other, "PAID")
	for _, to := range []string{"PAID", "SHIPPED"} {
		change(t, pool, order, to)
		next(t, onA, to)
		next(t, onB, to)
	}
	if n := a.Subscribers(); n != 1 {
		t.Errorf("%d subscribers on a, want 1", n)
	}
	onA.Close()
	if n := a.Subscribers(); n != 0 {
		t.Errorf("%d subscribers after Close, want 0", n)
	}
}

// A change committed while the feed's connection was down is delivered
// after it reconnects (from the outbox), once.
func TestAFeedCatchesUpAfterLosingItsConnection(t *testing.T) {
	pool := open(t)
	f := run(t, pool)
	order := uuid.New()
	sub := f.Subscribe(order)
	defer sub.Close()
	change(t, pool, order, "PAID")
	next(t, sub, "PAID")
	// Cut the listening connection, and commit before it is back.
	if _, err := pool.Exec(context.Background(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN `+live.Channel+`' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	change(t, pool, order, "FULFILLING")
	change(t, pool, order, "SHIPPED")
	next(t, sub, "FULFILLING")
	next(t, sub, "SHIPPED")
	select {
	case ev := <-sub.Events:
		t.Errorf("an extra event %+v", ev)
	case <-time.After(500 * time.Millisecond):
	}
}

// A subscriber that reads nothing is dropped when its buffer is full; the
// others keep getting every event.
func TestASubscriberThatDoesNotReadIsDropped(t *testing.T) {
	pool := open(t)
	f := run(t, pool)
	order := uuid.New()
	stuck, reader := f.Subscribe(order), f.Subscribe(order)
	defer reader.Close()
	for i := range 40 {
		change(t, pool, order, "S"+string(rune('A'+i%26)))
		next(t, reader, "S"+string(rune('A'+i%26)))
	}
	n := 0
	for range stuck.Events {
		n++
	}
	if n >= 40 {
		t.Errorf("the stuck subscriber got all %d events", n)
	}
}
