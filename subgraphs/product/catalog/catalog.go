package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// DB is what the catalog needs of PostgreSQL: a pool, or a transaction.
type DB interface {
	store.DBTX
	postgres.Beginner
}

// Catalog reads and changes the catalog in PostgreSQL.
type Catalog struct {
	pool DB
	q    *store.Queries
}

// New returns a Catalog over db.
func New(db DB) *Catalog {
	return &Catalog{pool: db, q: store.New(db)}
}

// ProductsByIDs returns the products in the order of ids, with nil where an id
// is unknown. It costs one query however many ids are asked for.
func (c *Catalog) ProductsByIDs(ctx context.Context, ids []uuid.UUID) ([]*Product, error) {
	rows, err := c.q.ProductsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	byID := make(map[uuid.UUID]*Product, len(rows))
	loaded := make([]*Product, len(rows))
	for i, r := range rows {
		p, err := productFromView(r)
		if err != nil {
			return nil, err
		}
		byID[p.ID], loaded[i] = p, p
	}
	loadedTogether(loaded)
	out := make([]*Product, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// Product returns one product by id, or nil if there is none.
func (c *Catalog) Product(ctx context.Context, id uuid.UUID) (*Product, error) {
	ps, err := c.ProductsByIDs(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// ProductBySKU returns one product by SKU, or nil if there is none.
func (c *Catalog) ProductBySKU(ctx context.Context, sku string) (*Product, error) {
	v, err := c.q.ProductBySKU(ctx, NormalizeSKU(sku))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load product by SKU: %w", err)
	}
	return productFromView(v)
}

// NewProduct is the input of CreateProduct.
type NewProduct struct {
	SKU          string
	Name         string
	Description  string
	CategoryID   *uuid.UUID
	Images       []Image
	Attributes   []Attribute
	Prices       []money.Money
	InitialStock int
}

// NormalizeSKU is the stored form of a SKU: trimmed, upper case. Lookups
// normalize too, so "lamp-1" finds the product created as "LAMP-1".
func NormalizeSKU(sku string) string { return strings.ToUpper(strings.TrimSpace(sku)) }

// CreateProduct adds a product with its prices and initial stock in one
// transaction. Invalid input comes back as graph.UserErrors, with nothing written.
func (c *Catalog) CreateProduct(ctx context.Context, in NewProduct, actor string) (*Product, error) {
	in.SKU = NormalizeSKU(in.SKU)
	in.Name = strings.TrimSpace(in.Name)
	if err := validateNewProduct(in); err != nil {
		return nil, err
	}
	images, attrs, err := encodeDetails(in.Images, in.Attributes)
	if err != nil {
		return nil, err
	}
	var id uuid.UUID
	err = postgres.InTx(ctx, c.pool, func(tx pgx.Tx) error {
		q := c.q.WithTx(tx)
		id, err = q.InsertProduct(ctx, store.InsertProductParams{
			Sku: in.SKU, Name: in.Name, Description: in.Description,
			CategoryID: nullUUID(in.CategoryID), Images: images, Attributes: attrs, Active: true,
		})
		if err != nil {
			return err
		}
		if err := q.InsertStock(ctx, store.InsertStockParams{ProductID: id, OnHand: int32(in.InitialStock)}); err != nil {
			return err
		}
		if in.InitialStock > 0 {
			if err := q.InsertStockMovement(ctx, store.InsertStockMovementParams{
				ProductID: id, Kind: "ADJUSTED", OnHandDelta: int32(in.InitialStock),
				Reference: "product-created", Reason: "initial stock by " + actor,
			}); err != nil {
				return err
			}
		}
		for _, p := range in.Prices {
			if err := setPrice(ctx, q, id, p, actor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapWriteError(err, "create product")
	}
	return c.Product(ctx, id)
}

// ProductUpdate changes the fields that are not nil.
type ProductUpdate struct {
	ID            uuid.UUID
	Name          *string
	Description   *string
	CategoryID    *uuid.UUID
	ClearCategory bool
	Images        []Image // nil keeps the images
	Attributes    []Attribute
	Active        *bool
}

// UpdateProduct applies u and returns the product as it is now.
func (c *Catalog) UpdateProduct(ctx context.Context, u ProductUpdate) (*Product, error) {
	if u.Name != nil {
		*u.Name = strings.TrimSpace(*u.Name)
	}
	if err := validateUpdate(u); err != nil {
		return nil, err
	}
	p := store.UpdateProductParams{ID: u.ID, Name: textPtr(u.Name), Description: textPtr(u.Description),
		CategoryID: nullUUID(u.CategoryID), ClearCategory: u.ClearCategory, Active: boolPtr(u.Active)}
	if u.Images != nil {
		b, err := json.Marshal(u.Images)
		if err != nil {
			return nil, err
		}
		p.Images = b
	}
	if u.Attributes != nil {
		_, b, err := encodeDetails(nil, u.Attributes)
		if err != nil {
			return nil, err
		}
		p.Attributes = b
	}
	n, err := c.q.UpdateProduct(ctx, p)
	if err != nil {
		return nil, mapWriteError(err, "update product")
	}
	if n == 0 {
		return nil, notFound("id")
	}
	return c.Product(ctx, u.ID)
}

// SetPrice sets the product's price in one currency and records the change.
func (c *Catalog) SetPrice(ctx context.Context, id uuid.UUID, price money.Money, actor string) (*Product, error) {
	if err := validatePrice(price, "price"); err != nil {
		return nil, err
	}
	err := postgres.InTx(ctx, c.pool, func(tx pgx.Tx) error {
		q := c.q.WithTx(tx)
		if err := setPrice(ctx, q, id, price, actor); err != nil {
			return err
		}
		return q.TouchProduct(ctx, id)
	})
	if err != nil {
		return nil, mapWriteError(err, "set price")
	}
	p, err := c.Product(ctx, id)
	if err == nil && p == nil {
		return nil, notFound("productId")
	}
	return p, err
}

// setPrice changes one price inside a transaction; the price row is locked
// first so that the recorded old amount is the one actually replaced.
func setPrice(ctx context.Context, q *store.Queries, id uuid.UUID, price money.Money, actor string) error {
	old, err := q.LockPrice(ctx, store.LockPriceParams{ProductID: id, Currency: price.Currency})
	var oldAmount *int64
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	default:
		if old == price.Amount {
			return nil // unchanged: nothing to record
		}
		oldAmount = &old
	}
	if err := q.UpsertPrice(ctx, store.UpsertPriceParams{ProductID: id, Currency: price.Currency, Amount: price.Amount}); err != nil {
		return err
	}
	return q.InsertPriceChange(ctx, store.InsertPriceChangeParams{
		ProductID: id, Currency: price.Currency, OldAmount: int8Ptr(oldAmount), NewAmount: price.Amount, ChangedBy: actor,
	})
}

func encodeDetails(images []Image, attrs []Attribute) ([]byte, []byte, error) {
	if images == nil {
		images = []Image{}
	}
	ib, err := json.Marshal(images)
	if err != nil {
		return nil, nil, fmt.Errorf("encode images: %w", err)
	}
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[a.Name] = a.Value
	}
	ab, err := json.Marshal(m)
	if err != nil {
		return nil, nil, fmt.Errorf("encode attributes: %w", err)
	}
	return ib, ab, nil
}

func sortAttributes(a []Attribute) {
	slices.SortFunc(a, func(x, y Attribute) int { return strings.Compare(x.Name, y.Name) })
}
