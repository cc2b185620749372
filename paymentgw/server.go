package paymentgw

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	migrations "github.com/virtual-store/virtual-store/sql"
)

// Config is the gateway's configuration, read from PAYMENTGW_* variables.
type Config struct {
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:":4010"`
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/virtual_store_paymentgw?sslmode=disable"`
	// APIKey, when set, must be sent as a Bearer token.
	APIKey      string        `env:"API_KEY"`
	Latency     time.Duration `env:"LATENCY" envDefault:"0s"`
	Jitter      time.Duration `env:"LATENCY_JITTER" envDefault:"0s"`
	FailureRate float64       `env:"FAILURE_RATE" envDefault:"0"`
	TimeoutRate float64       `env:"TIMEOUT_RATE" envDefault:"0"`
}

// Start is the paymentgw binary's service.Starter.
func Start(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry) (*service.Server, func(), error) {
	if cfg.FailureRate < 0 || cfg.FailureRate > 1 || cfg.TimeoutRate < 0 || cfg.TimeoutRate > 1 {
		return nil, nil, fmt.Errorf("failure and timeout rates must be between 0 and 1")
	}
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, migrations.PaymentGW(), log)
	if err != nil {
		return nil, nil, fmt.Errorf("payment gateway database: %w", err)
	}
	chaos := Chaos{Latency: cfg.Latency, Jitter: cfg.Jitter, FailureRate: cfg.FailureRate, TimeoutRate: cfg.TimeoutRate}
	if chaos != (Chaos{}) {
		log.Warn("chaos enabled", "latency", chaos.Latency, "jitter", chaos.Jitter, "failure_rate", chaos.FailureRate, "timeout_rate", chaos.TimeoutRate)
	}
	r := service.Router(reg, service.Check{Name: "postgres", Func: postgres.Check(pool)})
	r.Mount("/v1", New(pool).Handler(cfg.APIKey, chaos, log))
	return service.NewServer(cfg.HTTPAddr, r, common, log), pool.Close, nil
}
