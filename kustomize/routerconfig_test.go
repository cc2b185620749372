package kustomize_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/router/config"
)

// The router's configuration, loaded from the rendered objects as the
// router loads it.

// routerConfig loads the router's configuration from the rendered objects
// exactly as the router would: the mounted YAML at ROUTER_CONFIG, then the
// environment (ConfigMaps and literal values) over it.
func routerConfig(t *testing.T, objs []obj) (config.Config, map[string]any) {
	p, c := ours(t, objs, "router")
	vars := env(objs, c)
	file := vars["ROUTER_CONFIG"]
	if file == "" {
		t.Fatal("router: no ROUTER_CONFIG")
	}
	var content string
	for _, m := range listAt(c, "volumeMounts") {
		if filepath.Dir(file) != strAt(m, "mountPath") {
			continue
		}
		for _, v := range listAt(p.spec, "volumes") {
			if strAt(v, "name") == strAt(m, "name") {
				cm := find(objs, "ConfigMap", strAt(v, "configMap", "name"))
				content = strAt(cm, "data", filepath.Base(file))
			}
		}
	}
	if content == "" {
		t.Fatalf("router: ROUTER_CONFIG=%s is no file of a mounted ConfigMap", file)
	}
	tmp := filepath.Join(t.TempDir(), "router.yaml")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only the pod's environment: none of this process's.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ROUTER_") || strings.HasPrefix(k, "TLS_") || k == "REDIS_URL" || k == "SHUTDOWN_TIMEOUT" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range vars {
		if k != "ROUTER_CONFIG" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.Load(tmp)
	if err != nil {
		t.Fatalf("router configuration: %v", err)
	}
	return cfg, c
}

func TestRouterConfiguration(t *testing.T) {
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			objs := render(t, overlay)
			cfg, c := routerConfig(t, objs)
			switch overlay {
			case "prod":
				if cfg.Playground || cfg.Introspection {
					t.Errorf("prod router: playground %v, introspection %v; want both off", cfg.Playground, cfg.Introspection)
				}
			case "dev":
				if !cfg.Playground {
					t.Error("dev router: no playground")
				}
			}
			if cfg.AllowPlaintextSubgraphs {
				t.Error("router allows plain-HTTP subgraphs")
			}
			want := "user=https://user:4001/graphql,product=https://product:4002/graphql,order=https://order:4003/graphql"
			if cfg.Subgraphs != want {
				t.Errorf("router subgraphs %q, want %q", cfg.Subgraphs, want)
			}
			if cfg.Auth.JWKSURL != "https://user:4001/.well-known/jwks.json" {
				t.Errorf("router JWKS %q", cfg.Auth.JWKSURL)
			}
			if cfg.TLS.Dir != "/etc/virtual-store/tls" {
				t.Errorf("router tls.dir %q", cfg.TLS.Dir)
			}
			if cfg.Listen != ":4000" || cfg.AdminListen != ":4100" {
				t.Errorf("router listens on %s, admin %s", cfg.Listen, cfg.AdminListen)
			}
			if !cfg.RateLimit.Enabled {
				t.Error("router rate limits off")
			}
			// Tokens the user service issues must verify at the router.
			_, uc := ours(t, objs, "user")
			if iss := env(objs, uc)["USER_JWT_ISSUER"]; !slices.Contains(cfg.Auth.Issuers, iss) {
				t.Errorf("user issues tokens as %q; the router accepts %v", iss, cfg.Auth.Issuers)
			}
			// Shared rate limits: REDIS_URL from a Secret this overlay makes.
			ref := mapAt(envVar(c, "REDIS_URL"), "valueFrom", "secretKeyRef")
			s := find(objs, "Secret", strAt(ref, "name"))
			url, _ := base64.StdEncoding.DecodeString(strAt(s, "data", strAt(ref, "key")))
			if !strings.HasPrefix(string(url), "redis") {
				t.Errorf("router REDIS_URL from %v: %q", ref, url)
			}
		})
	}
}
