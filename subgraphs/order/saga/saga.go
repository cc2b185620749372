// Package saga runs checkout as a saga persisted in the order row: reserve
// stock → charge the card → commit the stock, with compensations (release
// the stock, refund the charge, restock) when a step fails for good. Each
// step runs under the order's row lock and records its outcome in the same
// transaction; every external call is idempotent (keyed by the order id), so
// a step interrupted at any moment — even by kill -9 — is simply run again by
// the worker, and no order is lost, oversold or charged twice.
//
// The package is split by concern: this file drives a saga (Advance, one
// step under the row lock, retries); steps.go holds the forward steps
// (reserve, charge, commit), compensation.go the ones that undo them
// (release, refund, restock, the cart restored), status.go the status
// changes with their history and outbox events, ports.go what the saga
// needs of the product service and the payment gateway, metrics.go what it
// counts, and worker.go the recovery of every order left mid-way.
package saga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Step is the next thing the saga of an order has to do.
type Step string

// Saga steps.
const (
	StepReserve     Step = "RESERVE"
	StepCharge      Step = "CHARGE"
	StepCommit      Step = "COMMIT"
	StepRelease     Step = "RELEASE"
	StepRefund      Step = "REFUND"
	StepReturnStock Step = "RETURN_STOCK"
	StepDone        Step = "DONE"
)

// Engine runs sagas.
type Engine struct {
	pool       *pgxpool.Pool
	q          *store.Queries
	inv        Inventory
	pay        Payments
	log        *slog.Logger
	maxBackoff time.Duration
	// mismatches counts gateway answers that are not about what the saga
	// asked for; nil until CountMismatches.
	mismatches *prometheus.CounterVec
	// Metrics is told each checkout's result; nil counts nothing. Set it
	// before the engine runs.
	Metrics Metrics
}

// New returns an Engine.
func New(pool *pgxpool.Pool, inv Inventory, pay Payments, log *slog.Logger) *Engine {
	return &Engine{pool: pool, q: store.New(pool), inv: inv, pay: pay, log: log, maxBackoff: 30 * time.Second}
}

// SystemActor names the saga in the status history.
const SystemActor = "system:checkout"

// Advance runs the due steps of one order until its saga is done, a step has
// to wait for a retry, or another worker holds the order. With wait, it
// instead sleeps through retry delays and busy locks until ctx ends (the
// checkout mutation uses this to answer with a final status when it can).
func (e *Engine) Advance(ctx context.Context, id uuid.UUID, wait bool) error {
	for {
		o, ran, err := e.step(ctx, id)
		if err != nil {
			return err
		}
		if o != nil && Step(o.SagaStep) == StepDone {
			return nil
		}
		if ran {
			continue
		}
		if !wait {
			return nil
		}
		delay := 25 * time.Millisecond
		if o != nil {
			delay = max(time.Until(o.SagaNextAt), delay)
		}
		select {
		case <-ctx.Done():
			return nil // the worker carries on; the caller reports the current status
		case <-time.After(delay):
		}
	}
}

// step runs the order's current step if it is due and unlocked. It returns the
// order as read (nil if locked elsewhere) and whether a step ran to an outcome.
func (e *Engine) step(ctx context.Context, id uuid.UUID) (*store.Order, bool, error) {
	var (
		order *store.Order
		ran   bool
		did   Step // the step that ran
	)
	err := postgres.InTx(ctx, e.pool, func(tx pgx.Tx) error {
		q := e.q.WithTx(tx)
		o, err := q.LockOrder(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // locked by another worker (or no such order)
		}
		if err != nil {
			return fmt.Errorf("lock order: %w", err)
		}
		order = &o
		if Step(o.SagaStep) == StepDone || o.SagaNextAt.After(time.Now()) {
			return nil
		}
		did = Step(o.SagaStep)
		if err := e.run(ctx, q, &o); err != nil {
			next := time.Now().Add(e.backoff(int(o.SagaAttempts)))
			e.log.WarnContext(ctx, "checkout step will be retried", "order_id", o.ID, "step", o.SagaStep, "attempt", o.SagaAttempts+1, "retry_at", next, "err", err)
			o.SagaNextAt = next
			return q.ScheduleRetry(ctx, store.ScheduleRetryParams{ID: o.ID, NextAt: next, Error: truncate(err.Error(), 500)})
		}
		ran = true
		return nil
	})
	if err == nil && ran {
		e.countCheckout(did, order)
	}
	return order, ran, err
}

func (e *Engine) backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 10)
	d = min(d, e.maxBackoff)
	return d - time.Duration(rand.Int64N(int64(d)/5+1)) // up to 20% jitter, so retries spread out
}

// run performs o's step. It writes only on a definitive outcome; an error
// means "try again later" and leaves the order as it was.
func (e *Engine) run(ctx context.Context, q *store.Queries, o *store.Order) error {
	switch Step(o.SagaStep) {
	case StepReserve:
		return e.reserve(ctx, q, o)
	case StepCharge:
		return e.charge(ctx, q, o)
	case StepCommit:
		return e.commit(ctx, q, o)
	case StepRelease:
		return e.release(ctx, q, o)
	case StepRefund:
		return e.refund(ctx, q, o)
	case StepReturnStock:
		return e.returnStock(ctx, q, o)
	}
	return fmt.Errorf("unknown saga step %q", o.SagaStep)
}
