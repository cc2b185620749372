// Package service is the plumbing every virtual-store binary shares: configuration
// from the environment, structured logging, the HTTP server with graceful shutdown,
// health and readiness endpoints, Prometheus metrics and OpenTelemetry tracing.
// It knows nothing about shops, products or orders.
package service

import (
	"fmt"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/virtual-store/virtual-store/internal/pki"
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
	// Environment is "development" on a laptop (`make run`, the tests) and
	// anything else in a shared environment. Outside development a missing
	// secret or key is a start-up error, never a silent default.
	Environment string `env:"ENVIRONMENT" envDefault:"production"`
	// TLS names the service's certificate, key and CA for mutual TLS on its
	// service port (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE); TLSDir fills
	// in the ones not named from a directory in the Kubernetes Secret layout
	// (tls.crt, tls.key, ca.crt).
	TLS    pki.Files
	TLSDir string `env:"TLS_DIR"`
	// PprofAddr serves net/http/pprof on a private listener of its own
	// when set (e.g. 127.0.0.1:6061); off by default.
	PprofAddr string `env:"PPROF_ADDR"`
}

// Development reports whether this is a laptop's environment.
func (c Common) Development() bool { return c.Environment == EnvDevelopment }

// EnvDevelopment is the Environment of `make run` and the tests.
const EnvDevelopment = "development"

// TLSFiles are the mutual TLS files, TLS_DIR filling in the unnamed ones.
func (c Common) TLSFiles() pki.Files { return c.TLS.OrIn(c.TLSDir) }

// RequireSecret is the start-up check of a secret: set, or unset in
// development only (where the service warns that it runs without).
func (c Common) RequireSecret(variable, value string) error {
	if value == "" && !c.Development() {
		return fmt.Errorf("%s is not set; outside development it is required (ENVIRONMENT=%q)", variable, c.Environment)
	}
	return nil
}

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
