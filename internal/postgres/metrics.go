package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/dbmetrics"
)

// Instrument makes every statement run on connections opened from cfg
// observed in db_query_duration_seconds{system="postgresql",query,outcome}
// on reg. Call it before opening the pool (Open takes a URL; parse it, then
// OpenConfig). A tracer already in cfg keeps receiving every call.
//
// The query label is the sqlc query name (sqlc starts each statement with
// "-- name: QueryName :kind"), begin, commit, rollback or savepoint for
// transaction control, and other for anything else (migrations, hand-written
// SQL): bounded by the service's sqlc query set.
func Instrument(cfg *pgxpool.Config, reg prometheus.Registerer) error {
	h, err := dbmetrics.QueryDuration(reg, dbmetrics.PostgreSQL)
	if err != nil {
		return err
	}
	var t pgx.QueryTracer = &queryTracer{duration: h}
	if cfg.ConnConfig.Tracer != nil {
		t = multitracer.New(cfg.ConnConfig.Tracer, t)
	}
	cfg.ConnConfig.Tracer = t
	return nil
}

// queryTracer times statements by their sqlc name.
type queryTracer struct{ duration prometheus.ObserverVec }

type queryStartKey struct{}

type queryStart struct {
	name string
	at   time.Time
}

func (t *queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, queryStartKey{}, queryStart{name: QueryName(data.SQL), at: time.Now()})
}

func (t *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	s, ok := ctx.Value(queryStartKey{}).(queryStart)
	if !ok {
		return
	}
	t.duration.WithLabelValues(s.name, dbmetrics.OutcomeOf(data.Err)).Observe(time.Since(s.at).Seconds())
}

// QueryName is the query label of a statement: its sqlc name, the kind of a
// transaction control statement, or "other".
func QueryName(sql string) string {
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		name, _, _ := strings.Cut(rest, " ")
		if validName(name) {
			return name
		}
		return dbmetrics.Other
	}
	head := strings.ToLower(strings.TrimSpace(sql[:min(len(sql), 32)]))
	for _, kw := range []string{"begin", "commit", "rollback", "savepoint", "release"} {
		if strings.HasPrefix(head, kw) {
			if kw == "release" || strings.HasPrefix(head, "rollback to") {
				return "savepoint"
			}
			return kw
		}
	}
	return dbmetrics.Other
}

// validName accepts a sqlc query name: an identifier of at most 64 bytes.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// RegisterPoolMetrics exports the pool's statistics on reg, read at every
// scrape: db_pool_connections{state="idle|in_use|max"},
// db_pool_acquire_wait_seconds_total (time spent acquiring connections),
// db_pool_acquires_total and db_pool_empty_acquires_total (acquires that
// had to wait because no connection was idle). A registry takes one pool.
func RegisterPoolMetrics(pool *pgxpool.Pool, reg prometheus.Registerer) error {
	return reg.Register(&poolCollector{
		pool: pool,
		conns: prometheus.NewDesc("db_pool_connections",
			"PostgreSQL pool connections by state: idle, in_use (acquired), max (the pool's limit).", []string{"state"}, nil),
		wait: prometheus.NewDesc("db_pool_acquire_wait_seconds_total",
			"Total time spent acquiring a connection from the PostgreSQL pool (including acquires that found one idle).", nil, nil),
		acquires: prometheus.NewDesc("db_pool_acquires_total",
			"Successful connection acquires from the PostgreSQL pool.", nil, nil),
		empty: prometheus.NewDesc("db_pool_empty_acquires_total",
			"Acquires that waited because the PostgreSQL pool had no idle connection.", nil, nil),
	})
}

type poolCollector struct {
	pool                         *pgxpool.Pool
	conns, wait, acquires, empty *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.conns
	ch <- c.wait
	ch <- c.acquires
	ch <- c.empty
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.AcquiredConns()), "in_use")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.MaxConns()), "max")
	ch <- prometheus.MustNewConstMetric(c.wait, prometheus.CounterValue, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.empty, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
}
