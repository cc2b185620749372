// Package inventory keeps stock levels and the reservations that hold stock
// for orders between checkout and payment. Every operation is one PostgreSQL
// transaction; overselling is ruled out by conditional updates and by CHECK
// constraints on the stock table, not by application-level locks.
package inventory

import (
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Errors of reservation operations. Callers match them with errors.Is; the
// errors carry details (which product, which state) in their messages.
var (
	ErrInvalid            = errors.New("invalid reservation request")
	ErrNotFound           = errors.New("reservation not found")
	ErrConflict           = errors.New("reservation conflict")
	ErrProductNotFound    = errors.New("product not found")
	ErrProductUnavailable = errors.New("product unavailable")
	ErrInsufficientStock  = errors.New("insufficient stock")
	ErrStockBelowReserve  = errors.New("stock would fall below zero or below reserved units")
)

// Kinds of restock, the kind label of inventory_restocks_total.
const (
	RestockAdjustment = "adjustment" // an admin added units on hand (a delivery, a stock count)
	RestockReturn     = "return"     // a committed reservation's units came back (an order cancelled after payment)
)

// Metrics is told of the stock events the service counts, once each, after
// their transaction committed.
type Metrics interface {
	// Stockout: a reservation refused for insufficient stock.
	Stockout()
	// ReservationsExpired: the sweeper expired n reservations.
	ReservationsExpired(n int)
	// Restocked: units came back on hand (kind RestockAdjustment or RestockReturn).
	Restocked(kind string)
}

// Inventory manages stock and reservations in PostgreSQL.
type Inventory struct {
	pool *pgxpool.Pool
	q    *store.Queries
	log  *slog.Logger
	// DefaultTTL is how long a reservation holds stock unless committed.
	DefaultTTL time.Duration
	// Metrics counts stock events; nil counts nothing. Set it before use.
	Metrics Metrics
}

// New returns an Inventory over pool.
func New(pool *pgxpool.Pool, log *slog.Logger, defaultTTL time.Duration) *Inventory {
	return &Inventory{pool: pool, q: store.New(pool), log: log, DefaultTTL: defaultTTL}
}
