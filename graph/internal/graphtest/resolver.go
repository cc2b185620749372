// Package graphtest is an executable schema over graph/'s shared types, used
// only by graph's tests (generated from the top-level gqlgen.yml).
package graphtest

import (
	"context"
	"errors"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
)

// Resolver implements the test schema.
type Resolver struct{}

// Query implements ResolverRoot.
func (Resolver) Query() QueryResolver { return query{} }

// Mutation implements ResolverRoot.
func (Resolver) Mutation() MutationResolver { return mutation{} }

type query struct{}

func (query) Price(_ context.Context, amount int, currency string) (*money.Money, error) {
	if !money.ValidCurrency(currency) {
		return nil, graph.BadUserInput("unknown currency %q", currency)
	}
	return &money.Money{Amount: int64(amount), Currency: currency}, nil
}

func (query) Page(context.Context) (*graph.PageInfo, error) {
	_, _, pi := graph.Paginate([]int{1, 2, 3}, 2, false, func(i int) string { return graph.EncodeCursor(i) })
	return &pi, nil
}

func (query) Forbidden(context.Context) (*string, error) { return nil, graph.Forbidden("test") }

func (query) Broken(context.Context) (*string, error) {
	return nil, errors.New("pq: relation secret_table does not exist")
}

func (query) Panics(context.Context) (*string, error) { panic("boom") }

func (query) When(context.Context) (*time.Time, error) {
	t := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	return &t, nil
}

func (query) Mine(context.Context) (*string, error) { return ptr("mine"), nil }

func (query) Restricted(context.Context) (*string, error) { return ptr("restricted"), nil }

func (query) Vault(context.Context) (*Vault, error) { return &Vault{Gold: 7}, nil }

func ptr[T any](v T) *T { return &v }

func (query) Items(_ context.Context, first *int) ([]*Item, error) { return items(first), nil }

// Item implements ResolverRoot.
func (Resolver) Item() ItemResolver { return item{} }

type item struct{}

func (item) Children(_ context.Context, _ *Item, first *int) ([]*Item, error) {
	return items(first), nil
}

func items(first *int) []*Item {
	out := make([]*Item, max(*first, 0))
	for i := range out {
		out[i] = &Item{ID: i}
	}
	return out
}

type mutation struct{}

func (mutation) Validate(_ context.Context, name string) (*ValidatePayload, error) {
	var err error
	if name == "" {
		err = graph.UserErrors{graph.NewUserError(graph.CodeInvalidInput, "name is required", "name")}
	}
	ues, err := graph.UserErrorsFrom(err)
	if err != nil {
		return nil, err
	}
	return &ValidatePayload{Ok: len(ues) == 0, UserErrors: ues}, nil
}
