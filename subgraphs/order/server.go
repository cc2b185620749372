// Package order wires the order subgraph: configuration → PostgreSQL
// (migrated at start) → clients of the product service and the payment
// gateway → saga engine and its worker → orders domain → GraphQL.
package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/sql/orderdb"
	"github.com/virtual-store/virtual-store/subgraphs/order/generated"
	"github.com/virtual-store/virtual-store/subgraphs/order/live"
	"github.com/virtual-store/virtual-store/subgraphs/order/metrics"
	"github.com/virtual-store/virtual-store/subgraphs/order/orders"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/resolvers"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Config is the order service's configuration, read from ORDER_* variables.
type Config struct {
	// HTTPAddr serves GraphQL to the router over mutual TLS.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:":4003"`
	// AdminAddr serves /healthz, /readyz and /metrics over plain HTTP.
	AdminAddr   string `env:"ADMIN_ADDR" envDefault:":4103"`
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/virtual_store_order?sslmode=disable"`
	// DBMaxConns bounds the pool; each running checkout step holds one.
	DBMaxConns int32 `env:"DB_MAX_CONNS" envDefault:"40"`
	// ProductURL is the product service (its internal reservation API),
	// called with the order service's certificate.
	ProductURL string `env:"PRODUCT_URL" envDefault:"https://localhost:4002"`
	// PaymentURL is the payment gateway, called with the order service's
	// certificate and PaymentAPIKey (required outside development).
	PaymentURL    string `env:"PAYMENT_URL" envDefault:"https://localhost:4010"`
	PaymentAPIKey string `env:"PAYMENT_API_KEY"`
	// CheckoutWait is how long checkout waits for the saga before answering.
	CheckoutWait time.Duration `env:"CHECKOUT_WAIT" envDefault:"10s"`
	// WorkerInterval is how often the worker looks for orders to resume.
	WorkerInterval time.Duration `env:"WORKER_INTERVAL" envDefault:"1s"`
	WorkerParallel int           `env:"WORKER_PARALLEL" envDefault:"8"`
	// ComplexityLimit caps the static cost of one operation (see graph.HandlerConfig);
	// the router's max_cost, counted the same way.
	ComplexityLimit int `env:"COMPLEXITY_LIMIT" envDefault:"20000"`
	// Limits caps body, depth and aliases (ORDER_MAX_BODY_BYTES, ...).
	Limits graph.Limits
}

// Service is a running order subgraph's parts.
type Service struct {
	Handler http.Handler // the service port's
	Admin   http.Handler // the admin port's
	Pool    *pgxpool.Pool
	Orders  *orders.Service
	// Feed tells subscriptions of order changes; Background runs it (with
	// the saga worker).
	Feed       *live.Feed
	Background func(ctx context.Context) error
}

// New connects, migrates and wires the service; tls is its identity towards
// the product service and the payment gateway.
func New(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry, tls *pki.Source) (*Service, error) {
	if err := common.RequireSecret("ORDER_PAYMENT_API_KEY", cfg.PaymentAPIKey); err != nil {
		return nil, err
	}
	for name, url := range map[string]string{"ORDER_PRODUCT_URL": cfg.ProductURL, "ORDER_PAYMENT_URL": cfg.PaymentURL} {
		if !strings.HasPrefix(url, "https://") && !common.Development() {
			return nil, fmt.Errorf("%s=%s: outside development the order service calls other services over mutual TLS only (https://)", name, url)
		}
	}
	if cfg.PaymentAPIKey == "" {
		log.Warn("ORDER_PAYMENT_API_KEY is empty (development); the payment gateway must run without a key too")
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse ORDER_DATABASE_URL: %w", err)
	}
	pc.MaxConns = cfg.DBMaxConns
	if err := postgres.Instrument(pc, reg); err != nil {
		return nil, err
	}
	pool, err := postgres.OpenConfig(ctx, pc, orderdb.Migrations(), log)
	if err != nil {
		return nil, fmt.Errorf("order database: %w", err)
	}
	checkouts, err := metrics.NewCheckout(reg)
	if err == nil {
		err = metrics.RegisterOrders(reg, store.New(pool), log)
	}
	if err == nil {
		err = postgres.RegisterPoolMetrics(pool, reg)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	// Each client accepts only the server identity it means to talk to.
	products := productapi.New(cfg.ProductURL, tls.ClientTLS(pki.Product))
	payments := paymentapi.New(cfg.PaymentURL, cfg.PaymentAPIKey, tls.ClientTLS(pki.PaymentGW))
	payments.Metrics = checkouts
	engine := saga.New(pool, products, payments, log)
	engine.Metrics = checkouts
	if err := engine.CountMismatches(reg); err != nil {
		pool.Close()
		return nil, err
	}
	feed := live.New(pool, log)
	svc := orders.New(pool, engine, products, cfg.CheckoutWait).WithFeed(feed)

	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &resolvers.Resolver{Service: svc}})
	gql := graph.NewHandler(schema, graph.HandlerConfig{Logger: log, Registry: reg, ComplexityLimit: cfg.ComplexityLimit, Limits: cfg.Limits})
	r := service.Router(reg)
	r.With(pki.Only(graph.RefuseCaller, pki.Router), auth.FromRouter(pki.Order)).Handle("/graphql", gql)
	return &Service{
		Handler: r, Admin: service.Admin(reg, service.Check{Name: "postgres", Func: postgres.Check(pool)},
			// Ready once subscriptions can be served: a watcher that reads an
			// order before the feed listens would miss the changes between.
			service.Check{Name: "order events", Func: func(context.Context) error {
				select {
				case <-feed.Ready():
					return nil
				default:
					return errors.New("not listening to order events yet")
				}
			}}),
		Pool: pool, Orders: svc, Feed: feed,
		Background: func(ctx context.Context) error {
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() error { return engine.RunWorker(ctx, cfg.WorkerInterval, cfg.WorkerParallel) })
			g.Go(func() error { return feed.Run(ctx) })
			return g.Wait()
		},
	}, nil
}

// Start is the order binary's service.Starter.
func Start(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry, tls *pki.Source) (*service.Server, func(), error) {
	svc, err := New(ctx, cfg, common, log, reg, tls)
	if err != nil {
		return nil, nil, err
	}
	return service.NewServer(cfg.HTTPAddr, svc.Handler, tls, cfg.AdminAddr, svc.Admin, common, log, svc.Background), svc.Pool.Close, nil
}
