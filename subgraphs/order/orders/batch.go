package orders

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// batch is the orders one query loaded together: a page of a listing, the
// representations of an entity request, or a single order. A lookup that
// would cost a query per order (lines, history) runs once for the whole
// batch instead: the first order asked loads every order's, the others find
// theirs loaded. GraphQL asks each item of a list for the same fields, so
// what one order of a batch is asked for, all of them are.
//
// This is the order service's one loader, as catalog's batch is the product
// service's: unlike a dataloader it does not depend on timing (the batch is
// known when the orders are loaded) and needs no per-request middleware. A
// batch belongs to the orders of one call, so it is never shared between
// requests, and it is garbage once they are answered.
type batch struct {
	lines   load[store.OrderLine]
	history load[store.OrderStatusHistory]
}

func newBatch(q *store.Queries, ids []uuid.UUID) *batch {
	return &batch{
		lines: load[store.OrderLine]{what: "order lines", ids: ids, fetch: q.OrderLinesForOrders,
			orderOf: func(l store.OrderLine) uuid.UUID { return l.OrderID }},
		history: load[store.OrderStatusHistory]{what: "order history", ids: ids, fetch: q.HistoryForOrders,
			orderOf: func(h store.OrderStatusHistory) uuid.UUID { return h.OrderID }},
	}
}

// load is one lookup for every order of a batch, made at most once.
type load[T any] struct {
	what    string
	ids     []uuid.UUID
	fetch   func(ctx context.Context, ids []uuid.UUID) ([]T, error)
	orderOf func(T) uuid.UUID

	once    sync.Once
	byOrder map[uuid.UUID][]T
	err     error
}

// of returns order id's rows, loading every order's when none are yet.
func (l *load[T]) of(ctx context.Context, id uuid.UUID) ([]T, error) {
	l.once.Do(func() {
		rows, err := l.fetch(ctx, l.ids)
		if err != nil {
			l.err = fmt.Errorf("load %s: %w", l.what, err)
			return
		}
		l.byOrder = make(map[uuid.UUID][]T)
		for _, r := range rows {
			l.byOrder[l.orderOf(r)] = append(l.byOrder[l.orderOf(r)], r)
		}
	})
	return l.byOrder[id], l.err
}

// loadedWith is o's batch. An Order made otherwise than by a load is a
// batch of its own, for this one lookup: it is not kept, as o may be read
// concurrently.
func (s *Service) loadedWith(o *Order) *batch {
	if o.batch == nil {
		return newBatch(s.q, []uuid.UUID{o.ID})
	}
	return o.batch
}

// loadedTogether reads order rows loaded by one query into one batch.
func (s *Service) loadedTogether(rows []store.Order) ([]*Order, error) {
	ids := make([]uuid.UUID, len(rows))
	out := make([]*Order, len(rows))
	for i, r := range rows {
		o, err := orderFromRow(r)
		if err != nil {
			return nil, err
		}
		ids[i], out[i] = o.ID, o
	}
	b := newBatch(s.q, ids)
	for _, o := range out {
		o.batch = b
	}
	return out, nil
}

// loadedAlone reads one order row: a batch of its own.
func (s *Service) loadedAlone(row store.Order) (*Order, error) {
	os, err := s.loadedTogether([]store.Order{row})
	if err != nil {
		return nil, err
	}
	return os[0], nil
}
