package product_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/sql/productdb"
	"github.com/virtual-store/virtual-store/subgraphs/product"
	"github.com/virtual-store/virtual-store/subgraphs/product/seed"
)

var (
	srv      *httptest.Server // the service port, mutual TLS
	adminSrv *httptest.Server // the admin port
	kit      *pkitest.Kit
	router   *http.Client // speaks as the router, the only caller of GraphQL
	pool     *pgxpool.Pool
	svc      *product.Service
	queries  atomic.Int64 // SQL statements run, counted by queryCounter
)

// queryCounter counts every statement the pool runs.
type queryCounter struct{}

func (queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	queries.Add(1)
	return ctx
}
func (queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "product", func(url string) (func(), error) {
		ctx := context.Background()
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.ConnConfig.Tracer = queryCounter{}
		reg := service.NewRegistry()
		if err := postgres.Instrument(cfg, reg); err != nil { // as product.New does
			return nil, err
		}
		if pool, err = postgres.OpenConfig(ctx, cfg, productdb.Migrations(), gqltest.Quiet()); err != nil {
			return nil, err
		}
		svc, err = product.NewWithPool(ctx, pool,
			product.Config{Seed: true, ReservationTTL: time.Minute, ComplexityLimit: 5000},
			service.Common{}, gqltest.Quiet(), reg)
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "product-pki-")
		if err != nil {
			return nil, err
		}
		if kit, err = pkitest.Make(dir); err != nil {
			return nil, err
		}
		src, err := kit.Load(pki.Product)
		if err != nil {
			return nil, err
		}
		rs, err := kit.Load(pki.Router)
		if err != nil {
			return nil, err
		}
		router = pkitest.ClientOf(rs)
		srv = pkitest.Listen(src, svc.Handler)
		anon = gqltest.Client{URL: srv.URL + "/graphql", HTTP: router}
		admin = as("admin-1", auth.RoleAdmin)
		adminSrv = httptest.NewServer(svc.Admin)
		return func() { srv.Close(); adminSrv.Close(); pool.Close(); os.RemoveAll(dir) }, nil
	}))
}

// GraphQL as the router calls it: for an anonymous caller, for an
// administrator, for any caller (as). Set by TestMain.
var anon, admin gqltest.Client

// as is GraphQL as the router calls it for a caller with roles.
func as(sub string, roles ...string) gqltest.Client {
	return anon.With(auth.IdentityHeader, pkitest.Says(pki.Product, sub, roles...))
}

func TestSeedLoadsOnceAndNeverOverExistingData(t *testing.T) {
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM products").Scan(&n); err != nil || n < 60 {
		t.Fatalf("seeded %d products (%v), want at least 60", n, err)
	}
	created, err := seed.Load(context.Background(), pool, gqltest.Quiet())
	if err != nil || created != 0 {
		t.Fatalf("second load created %d (%v), want 0", created, err)
	}
	var currencies int
	if err := pool.QueryRow(context.Background(), "SELECT count(DISTINCT currency) FROM product_prices").Scan(&currencies); err != nil || currencies != 2 {
		t.Fatalf("seed currencies = %d (%v), want EUR and USD", currencies, err)
	}
}

func TestServiceSDLDeclaresProductEntity(t *testing.T) {
	r := anon.Do(t, `{ _service { sdl } }`, nil)
	sdl, _ := r.Dig("_service", "sdl").(string)
	for _, want := range []string{`type Product @key(fields: "id")`, "type Money @shareable", "specs.apollo.dev/federation/v2"} {
		if !strings.Contains(sdl, want) {
			t.Errorf("SDL lacks %q", want)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(adminSrv.URL + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	anon.Do(t, `{ products(first: 2) { edges { node { category { name } } } } }`, nil)
	resp, err := http.Get(adminSrv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`graphql_resolver_duration_seconds_bucket{field="Product.category"`, `graphql_resolver_duration_seconds_bucket{field="Query.products"`, "graphql_operations_total", `http_requests_total{code="200",method="POST",route="/graphql"}`,
		`db_query_duration_seconds_bucket{outcome="ok",query="SearchProducts",system="postgresql"`, `db_pool_connections{state="max"}`, `db_pool_connections{state="in_use"}`, `db_pool_connections{state="idle"}`,
		"db_pool_acquire_wait_seconds_total ", "db_pool_acquires_total ", "reservations_active ", "stockouts_total ", "reservations_expired_total ",
		`inventory_restocks_total{kind="adjustment"}`, `inventory_restocks_total{kind="return"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
