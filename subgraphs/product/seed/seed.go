// Package seed loads a realistic demo catalog (categories and products with
// images, prices in EUR and USD, and stock) into an empty product database.
package seed

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
)

//go:embed catalog.json
var catalogJSON []byte

type seedCategory struct {
	Slug        string         `json:"slug"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Children    []seedCategory `json:"children"`
}

type seedFile struct {
	Categories []seedCategory `json:"categories"`
	// Products by category slug; each is
	// [sku, name, EUR cents, USD cents, stock, description, {attributes}].
	Products map[string][][]json.RawMessage `json:"products"`
}

// seedLock is the advisory lock key that keeps two replicas from seeding at once.
const seedLock = 0x5eed_0001

// Load fills an empty catalog with the demo data in one transaction and
// reports how many products it created. A database with any product in it
// is left untouched (0, nil), so Load is safe to run at every start.
func Load(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (int, error) {
	var f seedFile
	if err := json.Unmarshal(catalogJSON, &f); err != nil {
		return 0, fmt.Errorf("decode seed catalog: %w", err)
	}
	created := 0
	err := postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", seedLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM categories)").Scan(&n); err != nil {
			return fmt.Errorf("count existing rows: %w", err)
		}
		if n > 0 {
			return nil
		}
		cat := catalog.New(tx)
		ids := map[string]*catalog.Category{}
		if err := createCategories(ctx, cat, f.Categories, nil, ids); err != nil {
			return err
		}
		// Sorted for a deterministic creation order (and so "newest" sorting).
		for _, slug := range slices.Sorted(maps.Keys(f.Products)) {
			c, ok := ids[slug]
			if !ok {
				return fmt.Errorf("seed products name unknown category %q", slug)
			}
			for _, row := range f.Products[slug] {
				p, err := decodeProduct(row, c)
				if err != nil {
					return err
				}
				if _, err := cat.CreateProduct(ctx, p, "seed"); err != nil {
					return fmt.Errorf("create %s: %w", p.SKU, err)
				}
				created++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seed catalog: %w", err)
	}
	if created > 0 {
		log.Info("seeded demo catalog", "products", created)
	}
	return created, nil
}

func createCategories(ctx context.Context, cat *catalog.Catalog, cs []seedCategory, parent *catalog.Category, ids map[string]*catalog.Category) error {
	for i, c := range cs {
		in := catalog.NewCategory{Slug: c.Slug, Name: c.Name, Description: c.Description, Position: i}
		if parent != nil {
			in.ParentID = &parent.ID
		}
		created, err := cat.CreateCategory(ctx, in)
		if err != nil {
			return fmt.Errorf("create category %s: %w", c.Slug, err)
		}
		ids[c.Slug] = created
		if err := createCategories(ctx, cat, c.Children, created, ids); err != nil {
			return err
		}
	}
	return nil
}

func decodeProduct(row []json.RawMessage, c *catalog.Category) (catalog.NewProduct, error) {
	var (
		p        catalog.NewProduct
		eur, usd int64
		attrs    map[string]string
	)
	if len(row) != 7 {
		return p, fmt.Errorf("seed product row has %d fields, want 7", len(row))
	}
	for i, dst := range []any{&p.SKU, &p.Name, &eur, &usd, &p.InitialStock, &p.Description, &attrs} {
		if err := json.Unmarshal(row[i], dst); err != nil {
			return p, fmt.Errorf("seed product field %d: %w", i, err)
		}
	}
	p.CategoryID = &c.ID
	p.Prices = []money.Money{{Amount: eur, Currency: "EUR"}, {Amount: usd, Currency: "USD"}}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		p.Attributes = append(p.Attributes, catalog.Attribute{Name: k, Value: attrs[k]})
	}
	// Demo pictures from a placeholder service, stable per SKU.
	seed := strings.ToLower(p.SKU)
	alt := p.Name
	p.Images = []catalog.Image{
		{URL: "https://picsum.photos/seed/" + seed + "/800/800", AltText: &alt},
		{URL: "https://picsum.photos/seed/" + seed + "-detail/800/600"},
	}
	return p, nil
}
