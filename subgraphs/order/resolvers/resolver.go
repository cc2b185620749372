// Package resolvers implements the order subgraph's GraphQL schema over the
// orders domain. Resolvers translate and decide who may see and change
// which order (with graph's access helpers); the rules of carts and orders,
// and every query, are the domain's.
package resolvers

import (
	"context"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/model"
	"github.com/virtual-store/virtual-store/subgraphs/order/orders"
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

// cartChange runs a change of the signed-in caller's cart of productID and
// answers with its outcome and the cart after it, priced in currency.
func (r *Resolver) cartChange(ctx context.Context, productID, currency string, change func(userID string, productID uuid.UUID) error) (*model.CartPayload, error) {
	userID, err := graph.CallerID(ctx)
	if err != nil {
		return nil, err
	}
	pid, err := parseID(productID, "productId")
	if err != nil {
		return nil, err
	}
	return r.cartPayload(ctx, userID, currency, change(userID, pid))
}

// cartPayload answers a cart mutation with its outcome and the cart after
// it, priced in the mutation's currency. A currency that is no ISO 4217
// code cannot price a cart; the mutation refused it as a user error, and
// the cart is shown in the default currency.
func (r *Resolver) cartPayload(ctx context.Context, userID, currency string, err error) (*model.CartPayload, error) {
	ues, err := graph.UserErrorsFrom(err)
	if err != nil {
		return nil, err
	}
	if !money.ValidCurrency(currency) {
		currency = money.DefaultCurrency
	}
	cart, err := r.Service.Cart(ctx, userID, currency)
	if err != nil {
		return nil, err
	}
	return &model.CartPayload{Cart: cart, UserErrors: ues}, nil
}

// orderChange runs a change of the order id by the signed-in caller, who
// must be an admin when adminOnly (whose order a customer may change is the
// domain's to decide).
func (r *Resolver) orderChange(ctx context.Context, id string, adminOnly bool, change func(id uuid.UUID, by orders.Actor) (*orders.Order, error)) (*model.OrderPayload, error) {
	caller := graph.Caller
	if adminOnly {
		caller = graph.RequireAdmin
	}
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	oid, err := parseID(id, "id")
	if err != nil {
		return nil, err
	}
	return orderPayload(change(oid, orders.Actor{UserID: c.Subject, Admin: graph.IsAdmin(ctx)}))
}

func orderPayload(o *orders.Order, err error) (*model.OrderPayload, error) {
	o, ues, err := graph.Outcome(o, err)
	if err != nil {
		return nil, err
	}
	return &model.OrderPayload{Order: o, UserErrors: ues}, nil
}

// list shapes a page of the domain's order listing as a Relay connection.
func (r *Resolver) list(ctx context.Context, userID string, status *lifecycle.Status, first *int, after *string) (*model.OrderConnection, error) {
	size, err := graph.PageSize(first)
	if err != nil {
		return nil, graph.BadUserInput("%v", err)
	}
	page, err := r.Service.List(ctx, orders.ListParams{UserID: userID, Status: deref(status, ""), First: size, After: after})
	if err != nil {
		return nil, err
	}
	c := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(page.Orders)), PageInfo: &page.PageInfo, TotalCount: page.TotalCount}
	for i, o := range page.Orders {
		c.Edges[i] = &model.OrderEdge{Cursor: page.Cursors[i], Node: o}
	}
	return c, nil
}

func product(id uuid.UUID) *model.Product { return &model.Product{ID: id.String()} }

// optional is GraphQL's null for the domain's "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
