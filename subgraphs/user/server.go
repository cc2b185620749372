// Package user wires the user subgraph: configuration → MongoDB → keys and
// tokens → account service → GraphQL, the JWKS endpoint and health.
package user

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/user/account"
	"github.com/virtual-store/virtual-store/subgraphs/user/generated"
	"github.com/virtual-store/virtual-store/subgraphs/user/metrics"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/resolvers"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
	"github.com/virtual-store/virtual-store/subgraphs/user/tokens"
)

// Config is the user service's configuration, read from USER_* variables.
type Config struct {
	// HTTPAddr serves GraphQL and the JWKS to the router over mutual TLS.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:":4001"`
	// AdminAddr serves /healthz, /readyz and /metrics over plain HTTP.
	AdminAddr string `env:"ADMIN_ADDR" envDefault:":4101"`
	// MongoURI is the MongoDB server. Empty starts the embedded development
	// server when the binary includes it (make build does), and fails otherwise.
	MongoURI string `env:"MONGO_URI"`
	Database string `env:"MONGO_DATABASE" envDefault:"virtual_store_user"`
	// DataDir holds development state: the generated signing key and the
	// embedded database's files.
	DataDir string `env:"DATA_DIR" envDefault:".data/user"`

	SigningKeyFile   string        `env:"SIGNING_KEY_FILE"`
	PreviousKeyFiles []string      `env:"PREVIOUS_KEY_FILES" envSeparator:","`
	JWTIssuer        string        `env:"JWT_ISSUER" envDefault:"http://localhost:4001"`
	JWTAudience      string        `env:"JWT_AUDIENCE" envDefault:"virtual-store"`
	AccessTokenTTL   time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL  time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`

	Argon2MemoryKiB uint32 `env:"ARGON2_MEMORY_KIB" envDefault:"65536"`
	Argon2Time      uint32 `env:"ARGON2_TIME" envDefault:"3"`
	Argon2Threads   uint8  `env:"ARGON2_THREADS" envDefault:"2"`
	// HashMemoryBudget bounds the memory of concurrent password hashes
	// (MiB): slots = budget / ARGON2_MEMORY_KIB, at most one per CPU. A
	// soft memory limit for the runtime (GOMEMLIMIT, which Kubernetes sets
	// from the container's memory) lowers it to half that limit.
	HashMemoryBudgetMiB int64         `env:"HASH_MEMORY_BUDGET_MIB" envDefault:"256"`
	HashQueue           int           `env:"HASH_QUEUE" envDefault:"64"`
	HashMaxWait         time.Duration `env:"HASH_MAX_WAIT" envDefault:"5s"`

	// Sign-in and registration throttling (see account.Throttle). Client
	// addresses are the router's statement of each request's client (see
	// auth.Statement); an IPv6 client counts as its /64.
	LoginWindow      time.Duration `env:"LOGIN_THROTTLE_WINDOW" envDefault:"15m"`
	LoginMaxPerIP    int           `env:"LOGIN_MAX_FAILURES_PER_IP" envDefault:"20"`
	LoginMaxPerPair  int           `env:"LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP" envDefault:"5"`
	LoginSlowAfter   int           `env:"LOGIN_SLOW_AFTER_FAILURES" envDefault:"5"`
	LoginMaxGap      time.Duration `env:"LOGIN_MAX_GAP" envDefault:"10s"`
	LoginKnownFor    time.Duration `env:"LOGIN_KNOWN_ADDRESS_FOR" envDefault:"2160h"`
	RegisterWindow   time.Duration `env:"REGISTER_THROTTLE_WINDOW" envDefault:"1h"`
	RegisterMaxPerIP int           `env:"REGISTER_MAX_PER_IP" envDefault:"20"`

	// BootstrapAdminEmail gets the admin role on a start where nobody has it
	// (the account is created with BootstrapAdminPassword if missing).
	BootstrapAdminEmail    string `env:"BOOTSTRAP_ADMIN_EMAIL"`
	BootstrapAdminPassword string `env:"BOOTSTRAP_ADMIN_PASSWORD"`

	// ComplexityLimit caps the static cost of one operation (see graph.HandlerConfig);
	// the router's max_cost, counted the same way.
	ComplexityLimit int `env:"COMPLEXITY_LIMIT" envDefault:"20000"`
	// Limits caps body, depth and aliases (USER_MAX_BODY_BYTES, ...).
	Limits graph.Limits
}

// EmbeddedMongo starts a development MongoDB-compatible server. It is set by
// binaries built with the embedded server (cmd/user with -tags embedmongo)
// and by tests; production builds leave it nil and require MongoURI.
var EmbeddedMongo func(ctx context.Context, dir string, log *slog.Logger) (uri string, stop func(), err error)

// Service is a running user subgraph's parts.
type Service struct {
	Handler    http.Handler // the service port's
	Admin      http.Handler // the admin port's
	Accounts   *account.Service
	Tokens     *tokens.Issuer
	Background func(ctx context.Context) error
	Close      func()
}

// New builds the service.
func New(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	if err := common.RequireSecret("USER_SIGNING_KEY_FILE", cfg.SigningKeyFile); err != nil {
		return nil, err
	}
	uri, stopMongo := cfg.MongoURI, func() {}
	if uri == "" {
		if EmbeddedMongo == nil {
			return nil, errors.New("USER_MONGO_URI is required (this binary has no embedded development server)")
		}
		var err error
		if uri, stopMongo, err = EmbeddedMongo(ctx, cfg.DataDir+"/mongo", log); err != nil {
			return nil, err
		}
		log.Info("using the embedded development MongoDB (FerretDB)", "dir", cfg.DataDir+"/mongo")
	}
	monitor, err := metrics.CommandMonitor(reg)
	if err != nil {
		stopMongo()
		return nil, err
	}
	st, err := store.Open(ctx, uri, cfg.Database, options.Client().SetMonitor(monitor))
	if err != nil {
		stopMongo()
		return nil, err
	}
	closeAll := func() {
		_ = st.Close(context.Background())
		stopMongo()
	}
	svc, err := build(ctx, cfg, common, st, log, reg)
	if err != nil {
		closeAll()
		return nil, err
	}
	svc.Close = closeAll
	return svc, nil
}

func build(ctx context.Context, cfg Config, common service.Common, st *store.Store, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	keys, err := tokens.LoadKeys(tokens.KeyConfig{SigningKeyFile: cfg.SigningKeyFile, PreviousKeyFiles: cfg.PreviousKeyFiles, DevDir: cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if cfg.SigningKeyFile == "" {
		log.Warn("using a development signing key from the data directory; set USER_SIGNING_KEY_FILE in production", "dir", cfg.DataDir)
	}
	iss := &tokens.Issuer{Keys: keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, TTL: cfg.AccessTokenTTL}
	params := password.Params{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: cfg.Argon2Threads}
	budget := cfg.HashMemoryBudgetMiB << 20
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		budget = min(budget, limit/2)
	}
	gate := password.NewGate(password.SlotsFor(params, budget, runtime.GOMAXPROCS(0)), cfg.HashQueue, cfg.HashMaxWait)
	log.Info("password hashing bounded", "slots", gate.Slots(), "memory_per_hash_mib", params.MemoryKiB>>10, "queue", cfg.HashQueue)
	hasher := password.Hasher{Params: params, Gate: gate}
	accounts, err := account.New(st, hasher, iss, cfg.RefreshTokenTTL,
		account.Throttle{Window: cfg.LoginWindow, PerClientIP: cfg.LoginMaxPerIP, PerPair: cfg.LoginMaxPerPair,
			SlowAfter: cfg.LoginSlowAfter, MaxGap: cfg.LoginMaxGap, KnownFor: cfg.LoginKnownFor,
			RegisterWindow: cfg.RegisterWindow, RegisterPerIP: cfg.RegisterMaxPerIP}, log)
	if err != nil {
		return nil, err
	}
	if accounts.Metrics, err = metrics.NewAccounts(reg); err != nil {
		return nil, err
	}
	if cfg.BootstrapAdminEmail != "" {
		if err := accounts.Bootstrap(ctx, cfg.BootstrapAdminEmail, cfg.BootstrapAdminPassword); err != nil {
			return nil, err
		}
	}

	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &resolvers.Resolver{Accounts: accounts}})
	gql := graph.NewHandler(schema, graph.HandlerConfig{Logger: log, Registry: reg, ComplexityLimit: cfg.ComplexityLimit, Limits: cfg.Limits})
	// Only the router calls this service: for the keys it verifies tokens
	// with, and for GraphQL with its statement of who the caller is and
	// from which address (what sign-in throttling counts).
	r := service.Router(reg)
	router := pki.Only(graph.RefuseCaller, pki.Router)
	r.With(router).Method(http.MethodGet, "/.well-known/jwks.json", keys.JWKSHandler())
	r.With(router).Method(http.MethodGet, RevokedSessionsPath, revokedSessions(accounts, log))
	r.With(router, auth.FromRouter(pki.User), resolvers.WithRequestState).Handle("/graphql", gql)
	return &Service{
		Handler: r, Admin: service.Admin(reg, service.Check{Name: "mongodb", Func: st.Ping}),
		Accounts: accounts, Tokens: iss,
		Background: func(ctx context.Context) error { return accounts.RunPurge(ctx, 10*time.Minute) },
	}, nil
}

// RevokedSessionsPath lists the revoked sessions whose access tokens may
// still be alive, as {"sessions": [sid, ...]}: the router polls it and
// refuses those tokens, so a sign-out, a password change or a role taken
// away ends access within the router's poll interval, not at the token's
// expiry.
const RevokedSessionsPath = "/internal/v1/revoked-sessions"

func revokedSessions(accounts *account.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sids, err := accounts.RevokedSessions(r.Context())
		if err != nil {
			log.ErrorContext(r.Context(), "revoked sessions", "err", err)
			http.Error(w, "revoked sessions unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string][]string{"sessions": sids})
	})
}

// Start is the user binary's service.Starter.
func Start(ctx context.Context, cfg Config, common service.Common, log *slog.Logger, reg *prometheus.Registry, tls *pki.Source) (*service.Server, func(), error) {
	svc, err := New(ctx, cfg, common, log, reg)
	if err != nil {
		return nil, nil, err
	}
	return service.NewServer(cfg.HTTPAddr, svc.Handler, tls, cfg.AdminAddr, svc.Admin, common, log, svc.Background), svc.Close, nil
}
