package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/router/config"
)

// The documented example lists every default: loading it changes nothing.
func TestExampleIsTheDefaults(t *testing.T) {
	got, err := config.Load("../../config/router.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The file spells empty lists as []; the code leaves them nil.
	if len(got.IPAllow.Router) == 0 && len(got.IPAllow.Rules) == 0 {
		got.IPAllow = config.IPAllow{}
	}
	if len(got.OverrideLabels) == 0 {
		got.OverrideLabels = nil
	}
	if len(got.SubgraphTimeouts) == 0 {
		got.SubgraphTimeouts = nil
	}
	if want := config.Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("router.example.yaml and Default() differ:\n file %+v\n code %+v", got, want)
	}
}

func write(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "router.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileThenEnvironment(t *testing.T) {
	p := write(t, "limits:\n  max_depth: 7\nrate_limit:\n  per_ip: {rate: 1, burst: 2}\nplayground: false\nsubgraph_timeouts: {product: 2s}\n")
	t.Setenv("ROUTER_MAX_ALIASES", "3")
	t.Setenv("REDIS_URL", "redis://cache:6379/1")
	t.Setenv("ROUTER_POLL_INTERVAL", "1m")
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxDepth != 7 || c.Limits.MaxAliases != 3 || c.Limits.MaxCost != config.Default().Limits.MaxCost ||
		c.RateLimit.PerIP.Burst != 2 || c.SubgraphTimeouts["product"] != 2*time.Second || c.RateLimit.RedisURL != "redis://cache:6379/1" || c.Playground || c.PollInterval != time.Minute {
		t.Fatalf("loaded %+v", c)
	}
}

func TestBadConfigurationIsRefused(t *testing.T) {
	for name, yaml := range map[string]string{
		"unknown key":          "limits:\n  max_dept: 3\n",
		"bad CIDR":             "ip_allow:\n  router: [\"10.0.0.0/33\"]\n",
		"alg none":             "auth:\n  algorithms: [none]\n",
		"HS256":                "auth:\n  algorithms: [HS256]\n",
		"safelist no manifest": "persisted_queries:\n  safelist: true\n",
		"burst zero":           "rate_limit:\n  per_ip: {rate: 5, burst: 0}\n",
		"plaintext subgraph":   "allow_plaintext_subgraphs: false\ntls: {dir: /x}\nsubgraphs: \"user=http://user:4001/graphql\"\n",
		"plaintext JWKS":       "allow_plaintext_subgraphs: false\ntls: {dir: /x}\nauth: {jwks_url: \"http://user:4001/jwks\"}\n",
		"https without a cert": "allow_plaintext_subgraphs: false\n",
	} {
		if _, err := config.Load(write(t, yaml)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "unknown key" && !strings.Contains(err.Error(), "max_dept") {
			t.Errorf("unknown key: error %q does not name it", err)
		}
	}
}

// The production file loads and turns off what must be off in production.
func TestProductionConfig(t *testing.T) {
	c, err := config.Load("../../config/router.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Playground || c.Introspection || c.Limits.MaxDepth == 0 || c.CORS.AllowedOrigins[0] == "*" || c.Auth.JWKSURL == "" {
		t.Fatalf("prod config: %+v", c)
	}
	// No proxy is trusted until the deployment names its ingress: a pod that
	// could set X-Forwarded-For would pick its own rate-limit address.
	if len(c.TrustedProxies) != 0 {
		t.Fatalf("prod trusts %v as proxies, want none by default", c.TrustedProxies)
	}
	// Every internal hop is mutual TLS in production.
	if c.AllowPlaintextSubgraphs || strings.Contains(c.Subgraphs, "http://") || !strings.HasPrefix(c.Auth.JWKSURL, "https://") || c.TLS.Files().Cert == "" {
		t.Fatalf("prod config allows plain HTTP inside: %+v", c)
	}
}
