// Package service is the plumbing every virtual-store binary shares: configuration
// from the environment, structured logging, the HTTP server with graceful shutdown,
// health and readiness endpoints, Prometheus metrics and OpenTelemetry tracing.
// It knows nothing about shops, products or orders.
package service

import (
	"fmt"
	"time"

	"github.com/caarlos0/env/v11"
)

// Common is the configuration every service reads, with the same variable names
// for all of them (12-factor: the environment is the only source).
type Common struct {
	// LogLevel is one of debug, info, warn, error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat is "text" for humans or "json" for log collectors.
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`
	// ShutdownTimeout bounds how long in-flight requests may take to drain.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// OTLPEndpoint enables trace export over OTLP/HTTP when set (host:port).
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// IdentitySecret verifies the identity the router forwards to subgraphs
	// (see internal/auth). Every service behind one router shares it.
	IdentitySecret string `env:"IDENTITY_SECRET" envDefault:"dev-only-identity-secret-change-me"`
}

// DevIdentitySecret is the default IdentitySecret, fit for a laptop only.
const DevIdentitySecret = "dev-only-identity-secret-change-me"

// LoadConfig fills cfg (a pointer to a struct with `env` tags) from the process
// environment. Service-specific variables carry the given prefix, e.g.
// prefix "PRODUCT_" reads PRODUCT_DATABASE_URL for a field tagged DATABASE_URL.
// Fields of type Common inside cfg are read without a prefix.
func LoadConfig(cfg any, prefix string) error {
	if err := env.ParseWithOptions(cfg, env.Options{Prefix: prefix}); err != nil {
		return fmt.Errorf("read %s* configuration: %w", prefix, err)
	}
	return nil
}

// LoadCommon reads the prefix-free variables every service shares.
func LoadCommon() (Common, error) {
	var c Common
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("read common configuration: %w", err)
	}
	return c, nil
}
