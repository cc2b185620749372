package resolvers

import (
	"context"
	"net/http"
	"sync"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// lineCache holds order lines loaded in bulk for a page of orders, so that
// `orders { edges { node { lines } } }` costs one query, not one per order.
type lineCache struct {
	mu    sync.Mutex
	lines map[uuid.UUID][]store.OrderLine
}

type lineCacheKey struct{}

// WithRequestCache gives each request its own line cache.
func WithRequestCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), lineCacheKey{}, &lineCache{lines: map[uuid.UUID][]store.OrderLine{}})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// preloadLines loads the lines of a page of orders with one query.
func (r *Resolver) preloadLines(ctx context.Context, orders []store.Order) error {
	c, ok := ctx.Value(lineCacheKey{}).(*lineCache)
	if !ok || len(orders) < 2 {
		return nil
	}
	ids := make([]uuid.UUID, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	rows, err := r.Service.Q.OrderLinesForOrders(ctx, ids)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.lines[id] = []store.OrderLine{}
	}
	for _, l := range rows {
		c.lines[l.OrderID] = append(c.lines[l.OrderID], l)
	}
	return nil
}

// orderLines returns an order's lines, from the page preload when there is one.
func (r *Resolver) orderLines(ctx context.Context, id uuid.UUID) ([]store.OrderLine, error) {
	if c, ok := ctx.Value(lineCacheKey{}).(*lineCache); ok {
		c.mu.Lock()
		lines, hit := c.lines[id]
		c.mu.Unlock()
		if hit {
			return lines, nil
		}
	}
	return r.Service.Q.OrderLines(ctx, id)
}
