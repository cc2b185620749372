package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Category is a node of the category tree.
type Category struct {
	ID          uuid.UUID
	ParentID    *uuid.UUID
	Slug        string
	Name        string
	Description string
	Position    int
	CreatedAt   time.Time
}

// Tree is the whole category tree, loaded at once: a shop has tens or hundreds
// of categories, and one query for all beats one per parent/children lookup.
type Tree struct {
	byID     map[uuid.UUID]*Category
	bySlug   map[string]*Category
	children map[uuid.UUID][]*Category
	roots    []*Category
}

// CategoryTree loads every category.
func (c *Catalog) CategoryTree(ctx context.Context) (*Tree, error) {
	rows, err := c.q.AllCategories(ctx)
	if err != nil {
		return nil, fmt.Errorf("load categories: %w", err)
	}
	t := &Tree{byID: map[uuid.UUID]*Category{}, bySlug: map[string]*Category{}, children: map[uuid.UUID][]*Category{}}
	for _, r := range rows {
		cat := categoryFromRow(r)
		t.byID[cat.ID], t.bySlug[cat.Slug] = cat, cat
		if cat.ParentID == nil {
			t.roots = append(t.roots, cat)
		} else {
			t.children[*cat.ParentID] = append(t.children[*cat.ParentID], cat)
		}
	}
	return t, nil
}

// Roots are the top-level categories in display order.
func (t *Tree) Roots() []*Category { return nonNil(t.roots) }

// ByID returns a category, or nil.
func (t *Tree) ByID(id uuid.UUID) *Category { return t.byID[id] }

// BySlug returns a category, or nil.
func (t *Tree) BySlug(slug string) *Category { return t.bySlug[slug] }

// Children are the direct subcategories of id in display order.
func (t *Tree) Children(id uuid.UUID) []*Category { return nonNil(t.children[id]) }

// Path is the chain of categories from the root down to id, inclusive.
func (t *Tree) Path(id uuid.UUID) []*Category {
	var path []*Category
	for c := t.byID[id]; c != nil && len(path) <= len(t.byID); {
		path = append([]*Category{c}, path...)
		if c.ParentID == nil {
			break
		}
		c = t.byID[*c.ParentID]
	}
	return nonNil(path)
}

func nonNil(cs []*Category) []*Category {
	if cs == nil {
		return []*Category{}
	}
	return cs
}

// NewCategory is the input of CreateCategory.
type NewCategory struct {
	ParentID    *uuid.UUID
	Slug        string
	Name        string
	Description string
	Position    int
}

// CreateCategory adds a category under ParentID (or at the top).
func (c *Catalog) CreateCategory(ctx context.Context, in NewCategory) (*Category, error) {
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name = strings.TrimSpace(in.Name)
	var fe formErrors
	if !slugPattern.MatchString(in.Slug) || len(in.Slug) > 80 {
		fe.add(graph.CodeInvalidInput, "slug must be lower-case words of a-z and 0-9 joined by '-', at most 80 characters", "slug")
	}
	validateName(&fe, in.Name)
	validateText(&fe, in.Description)
	if err := fe.err(); err != nil {
		return nil, err
	}
	row, err := c.q.InsertCategory(ctx, store.InsertCategoryParams{
		ParentID: nullUUID(in.ParentID), Slug: in.Slug, Name: in.Name, Description: in.Description, Position: int32(in.Position),
	})
	if err != nil {
		return nil, mapWriteError(err, "create category")
	}
	return categoryFromRow(row), nil
}

func categoryFromRow(r store.Category) *Category {
	cat := &Category{ID: r.ID, Slug: r.Slug, Name: r.Name, Description: r.Description, Position: int(r.Position), CreatedAt: r.CreatedAt}
	if r.ParentID.Valid {
		cat.ParentID = &r.ParentID.UUID
	}
	return cat
}

// PriceChange is one recorded change of a price.
type PriceChange struct {
	Currency  string
	OldPrice  *money.Money
	NewPrice  money.Money
	ChangedBy string
	ChangedAt time.Time
}

// PriceHistory lists the latest changes of p's prices, newest first,
// optionally in one currency. The products loaded with p (a page, an entity
// batch) get theirs in the same query: the first of them asked loads all.
func (c *Catalog) PriceHistory(ctx context.Context, p *Product, currency *string, limit int) ([]PriceChange, error) {
	b := p.batch
	if b == nil {
		b = &batch{ids: []uuid.UUID{p.ID}}
	}
	l := b.historyLoad(historyArgs{currency: deref(currency), anyCurrency: currency == nil, limit: limit})
	l.once.Do(func() { l.byProduct, l.err = c.priceHistories(ctx, b.ids, currency, limit) })
	return l.byProduct[p.ID], l.err
}

// priceHistories loads the latest changes of every product in ids with one query.
func (c *Catalog) priceHistories(ctx context.Context, ids []uuid.UUID, currency *string, limit int) (map[uuid.UUID][]PriceChange, error) {
	rows, err := c.q.PriceChangesOfProducts(ctx, store.PriceChangesOfProductsParams{ProductIds: ids, Currency: textPtr(currency), RowLimit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("load price history: %w", err)
	}
	out := make(map[uuid.UUID][]PriceChange, len(ids))
	for _, r := range rows {
		pc := PriceChange{Currency: r.Currency, NewPrice: money.Money{Amount: r.NewAmount, Currency: r.Currency},
			ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt}
		if r.OldAmount.Valid {
			pc.OldPrice = &money.Money{Amount: r.OldAmount.Int64, Currency: r.Currency}
		}
		out[r.ProductID] = append(out[r.ProductID], pc)
	}
	return out, nil
}
