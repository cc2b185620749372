// Package orders is the order service's domain: carts (cart.go), checkout
// handing the order to the saga (checkout.go), cancellations and the admin's
// fulfilment steps (changes.go), and the read model the GraphQL resolvers
// serve (read.go, list.go, batch.go). Expected failures are
// graph.UserErrors with stable codes; who may see which order is decided by
// the caller (the resolvers), what may happen to it here.
package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/order/live"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Quoter prices carts (the product service).
type Quoter interface {
	Quote(ctx context.Context, currency string, ids []uuid.UUID) (map[uuid.UUID]productapi.Quote, error)
}

// Service is the order domain.
type Service struct {
	pool   *pgxpool.Pool
	q      *store.Queries
	engine *saga.Engine
	quoter Quoter
	// checkoutWait is how long checkout (and a cancellation) waits for the
	// saga to finish before answering with the order as it is (the worker
	// completes it).
	checkoutWait time.Duration
	// feed tells Watch of order changes (nil: no watching).
	feed *live.Feed
}

// New returns a Service.
func New(pool *pgxpool.Pool, engine *saga.Engine, quoter Quoter, checkoutWait time.Duration) *Service {
	return &Service{pool: pool, q: store.New(pool), engine: engine, quoter: quoter, checkoutWait: checkoutWait}
}

// Actor is who changes an order, as its status history names them.
type Actor struct {
	UserID string
	// Admin acts for the store: on any order, not only their own.
	Admin bool
}

// kind is the history's word for the actor's role.
func (a Actor) kind() string {
	if a.Admin {
		return "admin"
	}
	return "customer"
}

// String is the history's actor: customer:<id> or admin:<id>.
func (a Actor) String() string { return a.kind() + ":" + a.UserID }

func userErr(code graph.UserErrorCode, msg string, path ...string) error {
	return graph.UserErrors{graph.NewUserError(code, msg, path...)}
}
