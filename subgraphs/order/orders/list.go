package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// ListParams selects a page of orders, newest first.
type ListParams struct {
	// UserID lists one customer's orders; "" lists every order (admins).
	UserID string
	// Status keeps the orders in it; "" keeps every status.
	Status lifecycle.Status
	// First is the page size (validated by the caller: graph.PageSize).
	First int
	// After is the cursor of the last order of the previous page.
	After *string
}

// Page is a page of orders with a cursor per order.
type Page struct {
	Orders     []*Order
	Cursors    []string
	PageInfo   graph.PageInfo
	TotalCount int
}

// position is what an order list cursor encodes: the sort key (creation
// time, then id) of the last order seen. Keyset pagination is stable while
// orders are placed, unlike offsets.
type position struct {
	At time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

// List returns a page of orders: one customer's (User.orders) or everyone's
// (the admins' Query.orders), optionally of one status. A cursor this
// server did not issue is BAD_USER_INPUT. The page's orders are one batch,
// so their lines and history cost one query each for the whole page.
func (s *Service) List(ctx context.Context, p ListParams) (Page, error) {
	var after position
	if p.After != nil {
		if err := graph.DecodeCursor(*p.After, &after); err != nil {
			return Page{}, graph.BadUserInput("invalid cursor")
		}
	}
	var status pgtype.Text
	if p.Status != "" {
		status = pgtype.Text{String: string(p.Status), Valid: true}
	}
	rows, total, err := s.listRows(ctx, p.UserID, status, p.After != nil, after, int32(p.First+1))
	if err != nil {
		return Page{}, err
	}
	var page Page
	rows, page.Cursors, page.PageInfo = graph.Paginate(rows, p.First, p.After != nil, func(o store.Order) string {
		return graph.EncodeCursor(position{At: o.CreatedAt, ID: o.ID})
	})
	if page.Orders, err = s.loadedTogether(rows); err != nil {
		return Page{}, err
	}
	page.TotalCount = int(total)
	return page, nil
}

// listRows runs the listing's queries: one customer's orders use the index
// on (user_id, created_at, id), everyone's the one on (created_at, id).
func (s *Service) listRows(ctx context.Context, userID string, status pgtype.Text, hasAfter bool, after position, limit int32) ([]store.Order, int64, error) {
	if userID != "" {
		rows, err := s.q.UserOrders(ctx, store.UserOrdersParams{UserID: userID, Status: status,
			After: hasAfter, AfterTime: after.At, AfterID: after.ID, RowLimit: limit})
		if err != nil {
			return nil, 0, fmt.Errorf("list the orders of user %s: %w", userID, err)
		}
		total, err := s.q.CountUserOrders(ctx, store.CountUserOrdersParams{UserID: userID, Status: status})
		if err != nil {
			return nil, 0, fmt.Errorf("count the orders of user %s: %w", userID, err)
		}
		return rows, total, nil
	}
	rows, err := s.q.AllOrders(ctx, store.AllOrdersParams{Status: status, After: hasAfter, AfterTime: after.At, AfterID: after.ID, RowLimit: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	total, err := s.q.CountOrders(ctx, status)
	if err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	return rows, total, nil
}
