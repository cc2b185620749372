package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Sort is a listing order.
type Sort string

// The sort orders; each is total (ties broken by id) so pages never overlap.
const (
	SortRelevance Sort = "RELEVANCE" // best text match first; newest-first without a query
	SortName      Sort = "NAME"
	SortNewest    Sort = "NEWEST"
	SortPriceAsc  Sort = "PRICE_ASC"
	SortPriceDesc Sort = "PRICE_DESC"
)

// SearchParams selects one page of products.
type SearchParams struct {
	Query      string     // full-text, web-search syntax ("red shoes -leather")
	CategoryID *uuid.UUID // the category and all its descendants
	MinPrice   *int64     // in minor units of Currency, inclusive
	MaxPrice   *int64
	InStock    bool
	// IncludeInactive lists archived products too (admins only).
	IncludeInactive bool
	// Currency prices the listing; products without a price in it are not listed.
	Currency string
	Sort     Sort
	First    int
	After    *string
}

// SearchResult is one page of products.
type SearchResult struct {
	Products   []*Product
	Cursors    []string
	PageInfo   graph.PageInfo
	TotalCount int
}

// position is what a cursor encodes: the sort it belongs to and the sort key
// of the last row seen (keyset pagination: stable under inserts and deletes,
// unlike offsets).
type position struct {
	Sort  Sort      `json:"s"`
	ID    uuid.UUID `json:"id"`
	Text  string    `json:"t,omitempty"`
	Time  time.Time `json:"tm,omitzero"`
	Int   int64     `json:"n,omitempty"`
	Float float64   `json:"f,omitempty"`
}

// ErrBadSearch wraps problems with search arguments; the message is for the client.
var ErrBadSearch = errors.New("invalid search")

// Search returns one page of products matching p.
func (c *Catalog) Search(ctx context.Context, p SearchParams) (SearchResult, error) {
	if !money.ValidCurrency(p.Currency) {
		return SearchResult{}, fmt.Errorf("%w: %q is not an ISO 4217 currency code", ErrBadSearch, p.Currency)
	}
	if p.Sort == "" {
		p.Sort = SortRelevance
	}
	query := strings.TrimSpace(p.Query)
	if p.Sort == SortRelevance && query == "" {
		// Without a query every rank is equal; newest first is the useful order.
		p.Sort = SortNewest
	}
	args := store.SearchProductsParams{
		Sort:            string(p.Sort),
		RowLimit:        int32(p.First + 1),
		Currency:        p.Currency,
		IncludeInactive: p.IncludeInactive,
		InStockOnly:     p.InStock,
		MinPrice:        int8Ptr(p.MinPrice),
		MaxPrice:        int8Ptr(p.MaxPrice),
	}
	if query != "" {
		args.Query = pgtype.Text{String: query, Valid: true}
	}
	if p.After != nil {
		var pos position
		if err := graph.DecodeCursor(*p.After, &pos); err != nil || pos.Sort != p.Sort {
			return SearchResult{}, fmt.Errorf("%w: cursor is not from this listing", ErrBadSearch)
		}
		args.After, args.AfterID, args.AfterText, args.AfterTime, args.AfterInt, args.AfterFloat =
			true, pos.ID, pos.Text, pos.Time, pos.Int, pos.Float
	}
	if p.CategoryID != nil {
		ids, err := c.q.CategorySubtree(ctx, *p.CategoryID)
		if err != nil {
			return SearchResult{}, fmt.Errorf("load category subtree: %w", err)
		}
		args.CategoryIds = append(ids, uuid.Nil) // never NULL: an unknown category matches nothing
	}
	if p.First == 0 {
		return c.countOnly(ctx, args)
	}
	rows, err := c.q.SearchProducts(ctx, args)
	if err != nil {
		return SearchResult{}, fmt.Errorf("search products: %w", err)
	}
	var res SearchResult
	if len(rows) > 0 {
		res.TotalCount = int(rows[0].Total)
	}
	rows, res.Cursors, res.PageInfo = graph.Paginate(rows, p.First, p.After != nil, func(r store.SearchProductsRow) string {
		return graph.EncodeCursor(positionOf(p.Sort, r))
	})
	res.Products = make([]*Product, len(rows))
	for i, r := range rows {
		if res.Products[i], err = productFromView(r.ProductView); err != nil {
			return SearchResult{}, err
		}
	}
	loadedTogether(res.Products)
	if res.TotalCount == 0 && p.After != nil {
		// A page past the end has no rows to carry the total.
		return c.withTotal(ctx, args, res)
	}
	return res, nil
}

func (c *Catalog) countOnly(ctx context.Context, args store.SearchProductsParams) (SearchResult, error) {
	return c.withTotal(ctx, args, SearchResult{Products: []*Product{}, Cursors: []string{}})
}

// withTotal fills TotalCount with a one-row probe without the cursor.
func (c *Catalog) withTotal(ctx context.Context, args store.SearchProductsParams, res SearchResult) (SearchResult, error) {
	args.After, args.RowLimit = false, 1
	rows, err := c.q.SearchProducts(ctx, args)
	if err != nil {
		return SearchResult{}, fmt.Errorf("count products: %w", err)
	}
	if len(rows) > 0 {
		res.TotalCount = int(rows[0].Total)
	}
	return res, nil
}

func positionOf(s Sort, r store.SearchProductsRow) position {
	pos := position{Sort: s, ID: r.ProductView.ID}
	switch s {
	case SortName:
		pos.Text = r.ProductView.Name
	case SortNewest:
		pos.Time = r.ProductView.CreatedAt
	case SortPriceAsc, SortPriceDesc:
		pos.Int = r.Price
	default:
		pos.Float = r.Rank
	}
	return pos
}
