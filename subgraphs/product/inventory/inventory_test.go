package inventory_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/sql/productdb"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

var (
	pool *pgxpool.Pool
	cat  *catalog.Catalog
	inv  *inventory.Inventory
)

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "inventory", func(url string) (func(), error) {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = 40 // enough for the concurrency tests to contend for real
		pool, err = postgres.OpenConfig(context.Background(), cfg, productdb.Migrations(), gqltest.Quiet())
		if err != nil {
			return nil, err
		}
		cat = catalog.New(pool)
		inv = inventory.New(pool, gqltest.Quiet(), 15*time.Minute)
		return pool.Close, nil
	}))
}

var skuSeq int

// newProduct creates an active product with stock and a EUR price.
func newProduct(t *testing.T, stock int, eur int64) uuid.UUID {
	t.Helper()
	skuSeq++
	p, err := cat.CreateProduct(context.Background(), catalog.NewProduct{
		SKU: fmt.Sprintf("T-%s-%d", time.Now().Format("150405"), skuSeq), Name: "Test product",
		Prices: []money.Money{{Amount: eur, Currency: "EUR"}}, InitialStock: stock,
	}, "test")
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p.ID
}

func level(t *testing.T, id uuid.UUID) (onHand, reserved int) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), "SELECT on_hand, reserved FROM stock WHERE product_id = $1", id).Scan(&onHand, &reserved); err != nil {
		t.Fatal(err)
	}
	return onHand, reserved
}

func wantLevel(t *testing.T, id uuid.UUID, onHand, reserved int) {
	t.Helper()
	if o, r := level(t, id); o != onHand || r != reserved {
		t.Fatalf("stock = on hand %d reserved %d, want %d/%d", o, r, onHand, reserved)
	}
}

func orderID() string { return "order-" + uuid.NewString() }
