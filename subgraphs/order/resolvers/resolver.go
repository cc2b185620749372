// Package resolvers implements the order subgraph's GraphQL schema over the
// orders domain. Resolvers decide who may see and change which order.
package resolvers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/order/model"
	"github.com/virtual-store/virtual-store/subgraphs/order/orders"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Resolver is the root resolver.
type Resolver struct {
	Service *orders.Service
}

func parseID(id, what string) (uuid.UUID, error) {
	// uuid.Parse alone takes any "x<uuid>y" of 38 characters for a braced
	// UUID (found by FuzzParseID); Validate checks the braces.
	u, err := uuid.Parse(id)
	if err != nil || uuid.Validate(id) != nil {
		return uuid.Nil, graph.BadUserInput("%s is not a valid id", what)
	}
	return u, nil
}

func (r *Resolver) cartPayload(ctx context.Context, userID string, err error) (*model.CartPayload, error) {
	ues, err := graph.UserErrorsFrom(err)
	if err != nil {
		return nil, err
	}
	cart, err := r.Service.Cart(ctx, userID, "EUR")
	if err != nil {
		return nil, err
	}
	return &model.CartPayload{Cart: cart, UserErrors: ues}, nil
}

func orderPayload(o *store.Order, err error) (*model.OrderPayload, error) {
	ues, err := graph.UserErrorsFrom(err)
	if err != nil {
		return nil, err
	}
	if len(ues) > 0 {
		o = nil
	}
	return &model.OrderPayload{Order: o, UserErrors: ues}, nil
}

// checkoutErrors explains a checkout that created an order which then failed.
func checkoutErrors(o *store.Order) []*graph.UserError {
	switch o.Status {
	case "PAYMENT_FAILED":
		return []*graph.UserError{graph.NewUserError(graph.CodePaymentDeclined, "the payment did not go through ("+o.FailureReason+"); your cart was restored", "input", "paymentToken")}
	case "CANCELLED":
		code := graph.CodeInsufficientStock
		if o.FailureReason == "PRODUCT_UNAVAILABLE" {
			code = graph.CodeProductUnavailable
		}
		return []*graph.UserError{graph.NewUserError(code, "some products could not be reserved ("+o.FailureReason+"); your cart was restored")}
	}
	return []*graph.UserError{}
}

func amount(minor int64, currency string) *money.Money {
	return &money.Money{Amount: minor, Currency: currency}
}

// position is an order list cursor.
type position struct {
	At time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

func decodeAfter(after *string) (bool, position, error) {
	var p position
	if after == nil {
		return false, p, nil
	}
	if err := graph.DecodeCursor(*after, &p); err != nil {
		return false, p, graph.BadUserInput("invalid cursor")
	}
	return true, p, nil
}

func connection(rows []store.Order, size int, afterGiven bool, total int64) *model.OrderConnection {
	rows, cursors, pi := graph.Paginate(rows, size, afterGiven, func(o store.Order) string {
		return graph.EncodeCursor(position{At: o.CreatedAt, ID: o.ID})
	})
	c := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(rows)), PageInfo: &pi, TotalCount: int(total)}
	for i := range rows {
		c.Edges[i] = &model.OrderEdge{Cursor: cursors[i], Node: &rows[i]}
	}
	return c
}

func decodeAddress(b []byte) (*orders.Address, error) {
	var a orders.Address
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
