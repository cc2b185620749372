// Package config is the router's configuration: one YAML file (every key
// optional, documented in router.example.yaml) with environment overrides for
// what differs per deployment (ROUTER_* variables, REDIS_URL, TLS_*).
// Defaults suit `make run` on a laptop; the prod overlay tightens them.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/goccy/go-yaml"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/pki"
)

// Config is everything the router reads at start.
type Config struct {
	// Listen is the public address.
	Listen string `yaml:"listen" env:"ROUTER_LISTEN"`
	// AdminListen serves /healthz, /readyz and /metrics (plain HTTP, for
	// probes and Prometheus; keep it off the public network).
	AdminListen string `yaml:"admin_listen" env:"ROUTER_ADMIN_LISTEN"`
	// Supergraph is a supergraph SDL file; empty means compose from Subgraphs.
	Supergraph string `yaml:"supergraph" env:"ROUTER_SUPERGRAPH"`
	// Subgraphs is "name=url,name=url", polled every PollInterval.
	Subgraphs       string        `yaml:"subgraphs" env:"ROUTER_SUBGRAPHS"`
	PollInterval    time.Duration `yaml:"poll_interval" env:"ROUTER_POLL_INTERVAL"`
	SubgraphTimeout time.Duration `yaml:"subgraph_timeout" env:"ROUTER_SUBGRAPH_TIMEOUT"`
	// AllowPlaintextSubgraphs permits http:// subgraph and JWKS URLs. The
	// store's own are https:// with mutual TLS; plain HTTP is for other
	// people's subgraphs (the federation audit's, the gateway benchmark's).
	AllowPlaintextSubgraphs bool `yaml:"allow_plaintext_subgraphs" env:"ROUTER_ALLOW_PLAINTEXT_SUBGRAPHS"`
	// SubgraphTimeouts override SubgraphTimeout per subgraph name.
	SubgraphTimeouts map[string]time.Duration `yaml:"subgraph_timeouts"`
	// DedupInbound shares one execution between identical concurrent queries.
	DedupInbound bool `yaml:"dedup_inbound" env:"ROUTER_DEDUP_INBOUND"`
	// Playground serves GraphiQL at GET / (and /graphql for browsers).
	Playground bool `yaml:"playground" env:"ROUTER_PLAYGROUND"`
	// Introspection answers __schema and __type queries.
	Introspection bool `yaml:"introspection" env:"ROUTER_INTROSPECTION"`
	// PprofAddr serves net/http/pprof on a separate, private listener.
	PprofAddr string `yaml:"pprof_addr" env:"ROUTER_PPROF_ADDR"`
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []string `yaml:"trusted_proxies" env:"ROUTER_TRUSTED_PROXIES" envSeparator:","`
	// AccessLog logs one line per GraphQL request (no tokens, no variables).
	AccessLog bool `yaml:"access_log" env:"ROUTER_ACCESS_LOG"`
	// OverrideLabels are progressive @override labels to treat as active;
	// "percent(N)" labels need none (N% of requests take them).
	OverrideLabels []string `yaml:"override_labels" env:"ROUTER_OVERRIDE_LABELS" envSeparator:","`

	// TLS is the router's certificate for mutual TLS to https:// subgraphs
	// and the JWKS (presented as the router identity), and the CA it trusts.
	TLS             TLS           `yaml:"tls"`
	CORS            CORS          `yaml:"cors"`
	Auth            Auth          `yaml:"auth"`
	Limits          Limits        `yaml:"limits"`
	RateLimit       RateLimit     `yaml:"rate_limit"`
	IPAllow         IPAllow       `yaml:"ip_allow"`
	Persisted       Persisted     `yaml:"persisted_queries"`
	Subscriptions   Subscriptions `yaml:"subscriptions"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" env:"SHUTDOWN_TIMEOUT"`
}

// TLS names the router's certificate files; Dir fills in the ones not
// named from a directory in the Kubernetes Secret layout (tls.crt, tls.key,
// ca.crt). Empty: subgraphs over https:// are verified against the system's
// roots and get no client certificate.
type TLS struct {
	CertFile string `yaml:"cert_file" env:"TLS_CERT_FILE"`
	KeyFile  string `yaml:"key_file" env:"TLS_KEY_FILE"`
	CAFile   string `yaml:"ca_file" env:"TLS_CA_FILE"`
	Dir      string `yaml:"dir" env:"TLS_DIR"`
}

// Files are the certificate files, Dir filling in the unnamed ones.
func (t TLS) Files() pki.Files {
	return pki.Files{Cert: t.CertFile, Key: t.KeyFile, CA: t.CAFile}.OrIn(t.Dir)
}

// CORS lets browser storefronts on other origins call the router.
type CORS struct {
	AllowedOrigins   []string      `yaml:"allowed_origins" env:"ROUTER_CORS_ORIGINS" envSeparator:","`
	AllowCredentials bool          `yaml:"allow_credentials"`
	MaxAge           time.Duration `yaml:"max_age"`
}

// Auth verifies the user service's JWTs; what it learns goes to the
// subgraphs as the router's identity statement (see internal/auth).
type Auth struct {
	// JWKSURL is where the signing keys are published; empty disables
	// authentication (every caller is anonymous, Authorization is refused).
	JWKSURL    string   `yaml:"jwks_url" env:"ROUTER_JWKS_URL"`
	Issuers    []string `yaml:"issuers" env:"ROUTER_JWT_ISSUERS" envSeparator:","`
	Audiences  []string `yaml:"audiences" env:"ROUTER_JWT_AUDIENCES" envSeparator:","`
	Algorithms []string `yaml:"algorithms" env:"ROUTER_JWT_ALGORITHMS" envSeparator:","`
	// JWKSRefreshMin is the least time between two JWKS downloads caused by
	// unknown key ids (a flood of made-up kids must not flood the user service).
	JWKSRefreshMin time.Duration `yaml:"jwks_refresh_min_interval"`
	// JWKSMaxAge refreshes the keys in the background this often.
	JWKSMaxAge time.Duration `yaml:"jwks_max_age"`
	// Leeway tolerates clock skew on exp/nbf/iat.
	Leeway time.Duration `yaml:"leeway"`
	// IdentityTTL is the lifetime of an identity statement (one request).
	IdentityTTL time.Duration `yaml:"identity_ttl"`
	// RevokedSessionsURL lists the sessions the user service revoked
	// (sign-out, password change, a role taken away, a refresh token
	// replayed); their tokens are refused. Empty: the JWKS URL's origin with
	// /internal/v1/revoked-sessions; "off": tokens live until they expire.
	RevokedSessionsURL string `yaml:"revoked_sessions_url" env:"ROUTER_REVOKED_SESSIONS_URL"`
	// RevokedSessionsPoll is how often the list is read: the longest a
	// revoked session's token is still accepted.
	RevokedSessionsPoll time.Duration `yaml:"revoked_sessions_poll" env:"ROUTER_REVOKED_SESSIONS_POLL"`
}

// RevokedSessions is the URL of the revoked sessions ("" when off).
func (a Auth) RevokedSessions() string {
	switch {
	case a.RevokedSessionsURL == "off", a.JWKSURL == "" && a.RevokedSessionsURL == "":
		return ""
	case a.RevokedSessionsURL != "":
		return a.RevokedSessionsURL
	}
	u, err := url.Parse(a.JWKSURL)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/internal/v1/revoked-sessions"}).String()
}

// Limits refuse hostile operations before planning. Zero disables one.
type Limits struct {
	MaxDepth         int   `yaml:"max_depth" env:"ROUTER_MAX_DEPTH"`
	MaxAliases       int   `yaml:"max_aliases" env:"ROUTER_MAX_ALIASES"`
	MaxRootFields    int   `yaml:"max_root_fields" env:"ROUTER_MAX_ROOT_FIELDS"`
	MaxTokens        int   `yaml:"max_tokens" env:"ROUTER_MAX_TOKENS"`
	MaxDocumentBytes int   `yaml:"max_document_bytes" env:"ROUTER_MAX_DOCUMENT_BYTES"`
	MaxBodyBytes     int64 `yaml:"max_body_bytes" env:"ROUTER_MAX_BODY_BYTES"`
	// MaxCost bounds the static cost: every field costs 1, multiplied by the
	// sizes of the lists above it (from first/last/limit arguments, else
	// DefaultListSize).
	MaxCost         int `yaml:"max_cost" env:"ROUTER_MAX_COST"`
	DefaultListSize int `yaml:"default_list_size"`
}

// Bucket is a token bucket: Rate tokens a second, up to Burst at once. A
// zero Rate disables it.
type Bucket struct {
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// RateLimit is the set of token buckets a request draws from.
type RateLimit struct {
	Enabled bool   `yaml:"enabled" env:"ROUTER_RATE_LIMIT"`
	PerIP   Bucket `yaml:"per_ip"`
	PerUser Bucket `yaml:"per_user"`
	Global  Bucket `yaml:"global"`
	// RedisURL shares the buckets across replicas; empty keeps them in memory.
	RedisURL string `yaml:"redis_url" env:"REDIS_URL"`
}

// IPAllow restricts who may call the router, or some operations.
type IPAllow struct {
	// Router lists the networks allowed at all; empty allows everyone.
	Router []string `yaml:"router" env:"ROUTER_ALLOW_CIDRS" envSeparator:","`
	// Rules restrict named root fields (e.g. admin mutations) to networks.
	Rules []IPRule `yaml:"rules"`
}

// IPRule allows the listed root fields (or operation names) only from CIDRs.
type IPRule struct {
	// Fields are root fields as "Mutation.createProduct"; "Mutation.*" is every mutation.
	Fields []string `yaml:"fields"`
	// Operations are operation names.
	Operations []string `yaml:"operations"`
	CIDRs      []string `yaml:"cidrs"`
}

// Subscriptions configures subscriptions over WebSocket (graphql-ws's
// graphql-transport-ws protocol) and SSE (GraphQL over SSE, single
// connection mode: one subscription per request).
type Subscriptions struct {
	Enabled bool `yaml:"enabled" env:"ROUTER_SUBSCRIPTIONS"`
	// Heartbeat is how often an idle connection gets a ping (WebSocket) or
	// a comment (SSE), so proxies keep it and dead peers are found; the
	// caller's token is verified again each time (a signed-out session
	// ends).
	Heartbeat time.Duration `yaml:"heartbeat" env:"ROUTER_SUBSCRIPTIONS_HEARTBEAT"`
	// InitTimeout bounds the wait for a WebSocket's connection_init.
	InitTimeout time.Duration `yaml:"init_timeout"`
	// MaxPerConnection bounds the subscriptions on one WebSocket.
	MaxPerConnection int `yaml:"max_per_connection"`
	// MaxPerClient bounds the subscriptions of one caller (a signed-in
	// user, else a client address) across its connections.
	MaxPerClient int `yaml:"max_per_client" env:"ROUTER_SUBSCRIPTIONS_PER_CLIENT"`
	// MaxTotal bounds the subscriptions on this router.
	MaxTotal int `yaml:"max_total" env:"ROUTER_SUBSCRIPTIONS_MAX"`
	// SendQueue is how many messages may wait for a client; when it is
	// full, the client's subscriptions wait (each has its own stream from
	// the subgraph, so nobody else does), and a client that has read
	// nothing for StallTimeout is disconnected.
	SendQueue    int           `yaml:"send_queue"`
	StallTimeout time.Duration `yaml:"stall_timeout"`
}

// Persisted configures persisted queries.
type Persisted struct {
	// APQ accepts the Automatic Persisted Queries protocol (sha256Hash).
	APQ bool `yaml:"apq" env:"ROUTER_APQ"`
	// APQCacheBytes bounds the registered documents kept in memory, in bytes
	// (least recently used ones go first).
	APQCacheBytes int `yaml:"apq_cache_bytes"`
	// Safelist refuses any operation not in Manifest.
	Safelist bool `yaml:"safelist" env:"ROUTER_SAFELIST"`
	// Manifest is a JSON file of trusted operations: either
	// {"operations":[{"id":..,"body":..}]} (the Apollo/GraphOS format) or
	// {"<sha256>": "<query>", ...}.
	Manifest string `yaml:"manifest" env:"ROUTER_PERSISTED_MANIFEST"`
}

// Default is the configuration with nothing set: a laptop's.
func Default() Config {
	return Config{
		Listen:                  ":4000",
		AdminListen:             ":4100",
		Subgraphs:               "user=https://localhost:4001/graphql,product=https://localhost:4002/graphql,order=https://localhost:4003/graphql",
		PollInterval:            10 * time.Second,
		SubgraphTimeout:         30 * time.Second,
		AllowPlaintextSubgraphs: true,
		Playground:              true,
		Introspection:           true,
		TrustedProxies:          []string{"127.0.0.1/32", "::1/128"},
		AccessLog:               true,
		ShutdownTimeout:         15 * time.Second,
		CORS:                    CORS{AllowedOrigins: []string{"*"}, MaxAge: 10 * time.Minute},
		Auth: Auth{
			JWKSURL:        "https://localhost:4001/.well-known/jwks.json",
			Issuers:        []string{"http://localhost:4001"},
			Audiences:      []string{"virtual-store"},
			Algorithms:     []string{"EdDSA"},
			JWKSRefreshMin: 10 * time.Second,
			JWKSMaxAge:     15 * time.Minute,
			Leeway:         30 * time.Second,
			IdentityTTL:    time.Minute,
			// Sign-out takes effect within 5 s; the user service answers
			// from an index of the sessions revoked in the last 16 minutes.
			RevokedSessionsPoll: 5 * time.Second,
		},
		Limits: Limits{
			MaxDepth: 12, MaxAliases: 30, MaxRootFields: 20, MaxTokens: 3000,
			MaxDocumentBytes: 32 << 10, MaxBodyBytes: 2 << 20,
			MaxCost: 20000, DefaultListSize: 10,
		},
		RateLimit: RateLimit{
			Enabled: true,
			PerIP:   Bucket{Rate: 100, Burst: 200},
			PerUser: Bucket{Rate: 50, Burst: 100},
			Global:  Bucket{Rate: 5000, Burst: 10000},
		},
		Persisted: Persisted{APQ: true, APQCacheBytes: 16 << 20},
		Subscriptions: Subscriptions{Enabled: true, Heartbeat: 15 * time.Second, InitTimeout: 10 * time.Second,
			MaxPerConnection: 32, MaxPerClient: 100, MaxTotal: 20000, SendQueue: 64, StallTimeout: 10 * time.Second},
	}
}

// Load reads file (if not empty) over the defaults, then the environment.
// Unknown YAML keys are errors: a typo must not silently disable a limit.
func Load(file string) (Config, error) {
	c := Default()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("read router config: %w", err)
		}
		if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(&c); err != nil {
			return c, fmt.Errorf("router config %s: %s", file, yaml.FormatError(err, false, true))
		}
	}
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("router configuration from the environment: %w", err)
	}
	return c, c.Validate()
}

// Validate reports settings that cannot work, all at once.
func (c *Config) Validate() error {
	var errs []error
	if sc := c.Subscriptions; sc.Enabled && (sc.Heartbeat <= 0 || sc.InitTimeout <= 0 || sc.StallTimeout <= 0 ||
		sc.MaxPerConnection <= 0 || sc.MaxPerClient <= 0 || sc.MaxTotal <= 0 || sc.SendQueue <= 0) {
		errs = append(errs, errors.New("subscriptions: heartbeat, init_timeout, stall_timeout, max_per_connection, max_per_client, max_total and send_queue must be positive (or enabled: false)"))
	}
	if _, err := clientip.ParseNetworks(c.allCIDRs()); err != nil {
		errs = append(errs, err)
	}
	if !c.AllowPlaintextSubgraphs {
		errs = append(errs, c.plaintextURLs()...)
		if c.TLS.Files().Cert == "" && c.Supergraph == "" {
			errs = append(errs, errors.New("tls: the router needs its certificate for https:// subgraphs (TLS_DIR, or tls.cert_file/key_file/ca_file)"))
		}
	}
	if c.Persisted.Safelist && c.Persisted.Manifest == "" {
		errs = append(errs, errors.New("persisted_queries.safelist needs persisted_queries.manifest"))
	}
	for _, alg := range c.Auth.Algorithms {
		if strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS") {
			// HS* would let anyone holding a public key forge tokens
			// (algorithm confusion); none is no signature at all.
			errs = append(errs, fmt.Errorf("auth.algorithms: %s is not allowed for tokens verified with a JWKS", alg))
		}
	}
	if c.Auth.RevokedSessions() != "" && c.Auth.RevokedSessionsPoll <= 0 {
		errs = append(errs, errors.New("auth.revoked_sessions_poll must be positive"))
	}
	if c.Auth.JWKSURL != "" && len(c.Auth.Algorithms) == 0 {
		errs = append(errs, errors.New("auth.algorithms must name at least one algorithm"))
	}
	for name, b := range map[string]Bucket{"per_ip": c.RateLimit.PerIP, "per_user": c.RateLimit.PerUser, "global": c.RateLimit.Global} {
		if b.Rate < 0 || b.Rate > 0 && b.Burst < 1 {
			errs = append(errs, fmt.Errorf("rate_limit.%s: rate must be >= 0 and burst >= 1", name))
		}
	}
	return errors.Join(errs...)
}

// plaintextURLs reports the http:// URLs of the configured subgraphs and JWKS.
func (c *Config) plaintextURLs() []error {
	var errs []error
	for _, part := range strings.Split(c.Subgraphs, ",") {
		if _, url, ok := strings.Cut(strings.TrimSpace(part), "="); ok && PlaintextURL(url) {
			errs = append(errs, fmt.Errorf("subgraphs: %s is plain HTTP; use https:// (mutual TLS) or set allow_plaintext_subgraphs", strings.TrimSpace(part)))
		}
	}
	if u := c.Auth.RevokedSessionsURL; PlaintextURL(u) { // a derived one is the JWKS's, checked below
		errs = append(errs, fmt.Errorf("auth.revoked_sessions_url: %s is plain HTTP; use https:// or set allow_plaintext_subgraphs", u))
	}
	if PlaintextURL(c.Auth.JWKSURL) {
		errs = append(errs, fmt.Errorf("auth.jwks_url: %s is plain HTTP (anyone on the path could swap the keys); use https:// or set allow_plaintext_subgraphs", c.Auth.JWKSURL))
	}
	return errs
}

// PlaintextURL reports whether url is plain HTTP.
func PlaintextURL(url string) bool { return strings.HasPrefix(strings.ToLower(url), "http://") }

func (c *Config) allCIDRs() []string {
	out := append(append([]string(nil), c.TrustedProxies...), c.IPAllow.Router...)
	for _, r := range c.IPAllow.Rules {
		out = append(out, r.CIDRs...)
	}
	return out
}
