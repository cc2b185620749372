// Package product wires the product subgraph: configuration → PostgreSQL
// (migrated at start) → catalog and inventory → GraphQL and internal HTTP API.
package product

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/sql/productdb"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/generated"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
	"github.com/virtual-store/virtual-store/subgraphs/product/metrics"
	"github.com/virtual-store/virtual-store/subgraphs/product/resolvers"
	"github.com/virtual-store/virtual-store/subgraphs/product/seed"
)

// Config is the product service's configuration, read from PRODUCT_* variables.
type Config struct {
	// HTTPAddr serves GraphQL (to the router) and the reservation API (to
	// the order service) over mutual TLS.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:":4002"`
	// AdminAddr serves /healthz, /readyz and /metrics over plain HTTP.
	AdminAddr   string `env:"ADMIN_ADDR" envDefault:":4102"`
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/virtual_store_product?sslmode=disable"`
	// ReservationTTL is how long a reservation holds stock unless committed.
	ReservationTTL time.Duration `env:"RESERVATION_TTL" envDefault:"15m"`
	// SweepInterval is how often expired reservations are released.
	SweepInterval time.Duration `env:"RESERVATION_SWEEP_INTERVAL" envDefault:"5s"`
	// Seed loads the demo catalog into an empty database at start.
	Seed bool `env:"SEED" envDefault:"false"`
	// ComplexityLimit caps the static cost of one operation (see graph.HandlerConfig);
	// the router's max_cost, counted the same way.
	ComplexityLimit int `env:"COMPLEXITY_LIMIT" envDefault:"20000"`
	// Limits caps body, depth and aliases (PRODUCT_MAX_BODY_BYTES, ...).
	Limits graph.Limits
}

// Service is a running product subgraph's parts.
type Service struct {
	Handler   http.Handler // the service port's
	Admin     http.Handler // the admin port's
	Pool      *pgxpool.Pool
	Catalog   *catalog.Catalog
	Inventory *inventory.Inventory
	// Background runs the reservation expiry sweeper until ctx ends.
	Background func(ctx context.Context) error
}

// New connects to the database (every statement timed on reg), migrates
// it, seeds it if asked, and builds the HTTP handler. Close the pool when done.
func New(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse PRODUCT_DATABASE_URL: %w", err)
	}
	if err := postgres.Instrument(pc, reg); err != nil {
		return nil, err
	}
	pool, err := postgres.OpenConfig(ctx, pc, productdb.Migrations(), log)
	if err != nil {
		return nil, fmt.Errorf("product database: %w", err)
	}
	svc, err := NewWithPool(ctx, pool, cfg, common, log, reg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return svc, nil
}

// NewWithPool is New over an open, migrated pool (tests bring their own,
// instrumented with postgres.Instrument on reg if they want query metrics).
// It exports the pool's statistics and the stock metrics on reg.
func NewWithPool(ctx context.Context, pool *pgxpool.Pool, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	if err := postgres.RegisterPoolMetrics(pool, reg); err != nil {
		return nil, err
	}
	if cfg.Seed {
		if _, err := seed.Load(ctx, pool, log); err != nil {
			return nil, err
		}
	}
	cat := catalog.New(pool)
	inv := inventory.New(pool, log, cfg.ReservationTTL)
	stock, err := metrics.NewStock(reg, inv, log)
	if err != nil {
		return nil, err
	}
	inv.Metrics = stock

	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &resolvers.Resolver{Catalog: cat, Inventory: inv}})
	gql := graph.NewHandler(schema, graph.HandlerConfig{Logger: log, Registry: reg, ComplexityLimit: cfg.ComplexityLimit, Limits: cfg.Limits})

	// Who may call what: GraphQL is the router's, the reservation API the
	// order service's; the mutual TLS handshake proves which one is calling.
	r := service.Router(reg)
	r.With(pki.Only(graph.RefuseCaller, pki.Router), auth.FromRouter(pki.Product), resolvers.WithRequestCache).
		Handle("/graphql", gql)
	r.With(pki.Only(inventory.RefuseCaller, pki.Order)).Mount("/internal/v1", inv.Handler(log))

	return &Service{
		Handler: r, Admin: service.Admin(reg, service.Check{Name: "postgres", Func: postgres.Check(pool)}),
		Pool: pool, Catalog: cat, Inventory: inv,
		Background: func(ctx context.Context) error { return inv.RunExpiry(ctx, cfg.SweepInterval) },
	}, nil
}

// Start is the product binary's service.Starter.
func Start(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry, tls *pki.Source) (*service.Server, func(), error) {
	svc, err := New(ctx, cfg, common, log, reg)
	if err != nil {
		return nil, nil, err
	}
	return service.NewServer(cfg.HTTPAddr, svc.Handler, tls, cfg.AdminAddr, svc.Admin, common, log, svc.Background), svc.Pool.Close, nil
}
