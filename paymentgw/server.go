package paymentgw

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/sql/paymentdb"
)

// Config is the gateway's configuration, read from PAYMENTGW_* variables.
type Config struct {
	// HTTPAddr serves the API to the order service over mutual TLS.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:":4010"`
	// AdminAddr serves /healthz, /readyz and /metrics over plain HTTP.
	AdminAddr   string `env:"ADMIN_ADDR" envDefault:":4110"`
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/virtual_store_paymentgw?sslmode=disable"`
	// APIKey is the merchant's secret, sent as a Bearer token: a second
	// factor besides the caller's certificate, required outside development.
	APIKey      string        `env:"API_KEY"`
	Latency     time.Duration `env:"LATENCY" envDefault:"0s"`
	Jitter      time.Duration `env:"LATENCY_JITTER" envDefault:"0s"`
	FailureRate float64       `env:"FAILURE_RATE" envDefault:"0"`
	TimeoutRate float64       `env:"TIMEOUT_RATE" envDefault:"0"`
}

// Service is a running gateway's parts.
type Service struct {
	Handler http.Handler // the service port's
	Admin   http.Handler // the admin port's
	Pool    *pgxpool.Pool
	Gateway *Gateway
}

// NewService connects to the database (every statement timed on reg),
// migrates it and wires the gateway. Close the pool when done.
func NewService(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	if err := common.RequireSecret("PAYMENTGW_API_KEY", cfg.APIKey); err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		log.Warn("PAYMENTGW_API_KEY is empty (development): the order service's certificate is the only credential")
	}
	if cfg.FailureRate < 0 || cfg.FailureRate > 1 || cfg.TimeoutRate < 0 || cfg.TimeoutRate > 1 {
		return nil, fmt.Errorf("failure and timeout rates must be between 0 and 1")
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse PAYMENTGW_DATABASE_URL: %w", err)
	}
	if err := postgres.Instrument(pc, reg); err != nil {
		return nil, err
	}
	pool, err := postgres.OpenConfig(ctx, pc, paymentdb.Migrations(), log)
	if err != nil {
		return nil, fmt.Errorf("payment gateway database: %w", err)
	}
	gw := New(pool)
	if gw.Metrics, err = NewMetrics(reg); err == nil {
		err = postgres.RegisterPoolMetrics(pool, reg)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	chaos := Chaos{Latency: cfg.Latency, Jitter: cfg.Jitter, FailureRate: cfg.FailureRate, TimeoutRate: cfg.TimeoutRate}
	if chaos != (Chaos{}) {
		log.Warn("chaos enabled", "latency", chaos.Latency, "jitter", chaos.Jitter, "failure_rate", chaos.FailureRate, "timeout_rate", chaos.TimeoutRate)
	}
	r := service.Router(reg)
	// Only the order service may pay; its identity is the merchant every
	// ledger row belongs to.
	r.With(pki.Only(RefuseCaller, pki.Order), merchantIsPeer).Mount("/v1", gw.Handler(cfg.APIKey, chaos, log))
	admin := service.Admin(reg, service.Check{Name: "postgres", Func: postgres.Check(pool)})
	return &Service{Handler: r, Admin: admin, Pool: pool, Gateway: gw}, nil
}

// Start is the paymentgw binary's service.Starter.
func Start(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry, tls *pki.Source) (*service.Server, func(), error) {
	svc, err := NewService(ctx, cfg, common, log, reg)
	if err != nil {
		return nil, nil, err
	}
	return service.NewServer(cfg.HTTPAddr, svc.Handler, tls, cfg.AdminAddr, svc.Admin, common, log), svc.Pool.Close, nil
}

// merchantIsPeer makes the caller's certificate identity the merchant of
// its requests (pki.Only has checked that there is one).
func merchantIsPeer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, _ := pki.Peer(r)
		next.ServeHTTP(w, r.WithContext(WithMerchant(r.Context(), pki.SPIFFEID(peer))))
	})
}

// RefuseCaller answers a service that may not call the gateway (pki.Only).
func RefuseCaller(w http.ResponseWriter, _ *http.Request, msg string) {
	writeJSON(w, http.StatusForbidden, map[string]*Error{"error": {Type: "authentication_error", Code: "caller_not_allowed", Message: msg}})
}
