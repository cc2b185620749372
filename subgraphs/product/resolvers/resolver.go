// Package resolvers implements the product subgraph's GraphQL schema on top of
// the catalog and inventory packages. Resolvers translate; they hold no rules
// beyond who may call what.
package resolvers

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
	"github.com/virtual-store/virtual-store/subgraphs/product/model"
)

// Resolver is the root resolver; it holds the services resolvers call.
type Resolver struct {
	Catalog   *catalog.Catalog
	Inventory *inventory.Inventory
}

// requestCache holds what is loaded at most once per HTTP request.
type requestCache struct {
	once sync.Once
	tree *catalog.Tree
	err  error
}

type cacheKey struct{}

// WithRequestCache gives each request its own cache, so that a page of 100
// products loads the category tree once, not 100 times.
func WithRequestCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), cacheKey{}, &requestCache{})))
	})
}

func (r *Resolver) categoryTree(ctx context.Context) (*catalog.Tree, error) {
	rc, ok := ctx.Value(cacheKey{}).(*requestCache)
	if !ok {
		return r.Catalog.CategoryTree(ctx)
	}
	rc.once.Do(func() { rc.tree, rc.err = r.Catalog.CategoryTree(ctx) })
	return rc.tree, rc.err
}

// search runs a catalog search and shapes it as a Relay connection.
func (r *Resolver) search(ctx context.Context, p catalog.SearchParams, first *int) (*model.ProductConnection, error) {
	n, err := graph.PageSize(first)
	if err != nil {
		return nil, graph.BadUserInput("%v", err)
	}
	p.First = n
	res, err := r.Catalog.Search(ctx, p)
	if errors.Is(err, catalog.ErrBadSearch) {
		return nil, graph.BadUserInput("%v", err)
	}
	if err != nil {
		return nil, err
	}
	conn := &model.ProductConnection{Edges: make([]*model.ProductEdge, len(res.Products)), PageInfo: &res.PageInfo, TotalCount: res.TotalCount}
	for i, prod := range res.Products {
		conn.Edges[i] = &model.ProductEdge{Cursor: res.Cursors[i], Node: prod}
	}
	return conn, nil
}

// productPayload wraps a catalog write's outcome as a mutation payload.
func productPayload(p *catalog.Product, err error) (*model.ProductPayload, error) {
	ues, err := graph.UserErrorsFrom(err)
	if err != nil {
		return nil, err
	}
	return &model.ProductPayload{Product: p, UserErrors: ues}, nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// setActive archives or restores a product.
func (r *Resolver) setActive(ctx context.Context, id uuid.UUID, active bool) (*model.ProductPayload, error) {
	if _, err := graph.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	return productPayload(r.Catalog.UpdateProduct(ctx, catalog.ProductUpdate{ID: id, Active: &active}))
}
