package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/testdb"
)

func TestQueryName(t *testing.T) {
	for sql, want := range map[string]string{
		"-- name: LockOrder :one\nSELECT * FROM orders WHERE id = $1 FOR UPDATE SKIP LOCKED": "LockOrder",
		"-- name: SetStatus :exec\nUPDATE orders SET status = $1":                            "SetStatus",
		"-- name: Bad-Name :one\nSELECT 1":                                                   "other",
		"-- name: \nSELECT 1":                                                                "other",
		"SELECT count(*) FROM reservations":                                                  "other",
		"begin":                                                                              "begin",
		"begin isolation level serializable":                                                 "begin",
		"commit":                                                                             "commit",
		"rollback":                                                                           "rollback",
		"savepoint sp_1":                                                                     "savepoint",
		"release savepoint sp_1":                                                             "savepoint",
		"rollback to savepoint sp_1":                                                         "savepoint",
		"":                                                                                   "other",
	} {
		if got := postgres.QueryName(sql); got != want {
			t.Errorf("QueryName(%q) = %q, want %q", sql, got, want)
		}
	}
}

// counter is a tracer that was in the configuration before Instrument.
type counter struct{ n atomic.Int64 }

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func openInstrumented(t *testing.T, reg prometheus.Registerer, tracer pgx.QueryTracer, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.Tracer = tracer
	if reg != nil {
		if err := postgres.Instrument(cfg, reg); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestInstrumentTimesQueriesByTheirSQLCName(t *testing.T) {
	ctx, reg, before := context.Background(), prometheus.NewRegistry(), &counter{}
	pool := openInstrumented(t, reg, before, 4)

	var one int
	if err := pool.QueryRow(ctx, "-- name: PickOne :one\nSELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "-- name: BrokenQuery :exec\nSELECT * FROM no_such_table"); err == nil {
		t.Fatal("querying a missing table succeeded")
	}
	if err := postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "SELECT 2")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// No rows is an answer, not an error.
	if err := pool.QueryRow(ctx, "-- name: PickNothing :one\nSELECT 1 WHERE false").Scan(&one); err != pgx.ErrNoRows {
		t.Fatalf("want no rows, got %v", err)
	}

	s := metricstest.Gather(t, reg)
	const h = "db_query_duration_seconds_count"
	for _, want := range []struct {
		query, outcome string
		n              float64
	}{
		{"PickOne", "ok", 1}, {"BrokenQuery", "error", 1}, {"PickNothing", "ok", 1},
		{"begin", "ok", 1}, {"commit", "ok", 1}, {"other", "ok", 1},
	} {
		if got := s.Sum(h, "system", "postgresql", "query", want.query, "outcome", want.outcome); got != want.n {
			t.Errorf("%s{query=%q,outcome=%q} = %v, want %v", h, want.query, want.outcome, got, want.n)
		}
	}
	if got := s.Sum(h, "query", "PickOne", "outcome", "error"); got != 0 {
		t.Errorf("PickOne counted as an error %v times", got)
	}
	// The tracer that was there before still sees every statement.
	if got := before.n.Load(); got != 6 {
		t.Errorf("the earlier tracer saw %d statements, want 6", got)
	}
}

func TestInstrumentTwiceOnOneRegistryShares(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := openInstrumented(t, reg, nil, 2)
	b := openInstrumented(t, reg, nil, 2)
	for _, p := range []*pgxpool.Pool{a, b} {
		if _, err := p.Exec(context.Background(), "-- name: Ping :exec\nSELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := metricstest.Gather(t, reg).Sum("db_query_duration_seconds_count", "query", "Ping"); got != 2 {
		t.Fatalf("two pools on one registry counted %v, want 2", got)
	}
}

func TestPoolMetrics(t *testing.T) {
	ctx, reg := context.Background(), prometheus.NewRegistry()
	pool := openInstrumented(t, nil, nil, 3)
	if err := postgres.RegisterPoolMetrics(pool, reg); err != nil {
		t.Fatal(err)
	}
	if err := postgres.RegisterPoolMetrics(pool, reg); err == nil {
		t.Fatal("a second pool on one registry must be refused")
	}
	held, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := metricstest.Gather(t, reg)
	for state, want := range map[string]float64{"in_use": 1, "max": 3} {
		if got := s.Sum("db_pool_connections", "state", state); got != want {
			t.Errorf("db_pool_connections{state=%q} = %v, want %v", state, got, want)
		}
	}
	if !s.Has("db_pool_connections", "state", "idle") {
		t.Error("no db_pool_connections{state=\"idle\"}")
	}
	if got := s.Sum("db_pool_acquires_total"); got < 1 {
		t.Errorf("db_pool_acquires_total = %v, want at least 1", got)
	}
	if !s.Has("db_pool_acquire_wait_seconds_total") || !s.Has("db_pool_empty_acquires_total") {
		t.Error("no db_pool_acquire_wait_seconds_total or db_pool_empty_acquires_total")
	}
	held.Release()

	// Waiting for a connection while all are taken adds to the wait time.
	var conns []*pgxpool.Conn
	for range 3 {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitBefore := metricstest.Gather(t, reg).Sum("db_pool_acquire_wait_seconds_total")
	got := make(chan *pgxpool.Conn)
	go func() {
		c, _ := pool.Acquire(ctx)
		got <- c
	}()
	if got := metricstest.Gather(t, reg).Sum("db_pool_connections", "state", "in_use"); got != 3 {
		t.Fatalf("db_pool_connections{state=\"in_use\"} = %v with every connection taken, want 3", got)
	}
	time.Sleep(100 * time.Millisecond) // the acquire waits for a connection to come back
	conns[0].Release()
	c := <-got
	if c == nil {
		t.Fatal("the waiting acquire failed")
	}
	c.Release()
	for _, c := range conns[1:] {
		c.Release()
	}
	s = metricstest.Gather(t, reg)
	if after := s.Sum("db_pool_acquire_wait_seconds_total"); after <= waitBefore {
		t.Errorf("db_pool_acquire_wait_seconds_total %v → %v after a wait", waitBefore, after)
	}
	if got := s.Sum("db_pool_empty_acquires_total"); got < 1 {
		t.Errorf("db_pool_empty_acquires_total = %v after an acquire waited, want at least 1", got)
	}
}
