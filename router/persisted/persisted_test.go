package persisted

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/config"
)

const (
	trusted = `query Trusted { products { id } }`
	other   = `query Other { me { id } }`
)

func ext(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func manifestFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every mode against every kind of request: the document run, or the
// refusal's code. A refused request never runs anything.
func TestResolve(t *testing.T) {
	apollo := `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"op-1","name":"Trusted","type":"query","body":"` + trusted + `"}]}`
	flat := `{"` + Hash(trusted) + `":"` + trusted + `"}`
	type req struct {
		query string
		ext   map[string]any
	}
	tests := []struct {
		name string
		cfg  config.Persisted
		req  req
		want string // the document, or the refusal's code
	}{
		{"plain query, nothing configured", config.Persisted{}, req{other, nil}, other},
		{"no query at all", config.Persisted{APQ: true}, req{"", nil}, errcode.BadRequest},
		{"hash only, APQ off", config.Persisted{}, req{"", ext(Hash(other))}, errcode.PersistedQueryNotSupported},
		{"hash only, unknown", config.Persisted{APQ: true, APQCacheBytes: 1 << 20}, req{"", ext(Hash(other))}, errcode.PersistedQueryNotFound},
		{"hash and wrong query", config.Persisted{APQ: true, APQCacheBytes: 1 << 20}, req{other, ext(Hash(trusted))}, errcode.PersistedQueryHashMismatch},
		{"hash and query, APQ off", config.Persisted{}, req{other, ext(Hash(other))}, errcode.PersistedQueryNotSupported},
		{"hash and query registers", config.Persisted{APQ: true, APQCacheBytes: 1 << 20}, req{other, ext(Hash(other))}, other},
		{"uppercase hash", config.Persisted{APQ: true, APQCacheBytes: 1 << 20}, req{other, ext(strings.ToUpper(Hash(other)))}, other},
		{"bad version", config.Persisted{APQ: true}, req{"", map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": "x"}}}, errcode.BadRequest},
		{"not an object", config.Persisted{APQ: true}, req{"", map[string]any{"persistedQuery": "x"}}, errcode.BadRequest},
		{"no hash", config.Persisted{APQ: true}, req{"", map[string]any{"persistedQuery": map[string]any{"version": 1}}}, errcode.BadRequest},
		{"manifest by hash", config.Persisted{Manifest: apollo}, req{"", ext(Hash(trusted))}, trusted},
		{"manifest by id", config.Persisted{Manifest: apollo}, req{"", ext("op-1")}, trusted},
		{"flat manifest by hash", config.Persisted{Manifest: flat}, req{"", ext(Hash(trusted))}, trusted},
		{"safelist, trusted document", config.Persisted{Safelist: true, Manifest: apollo}, req{trusted, nil}, trusted},
		{"safelist, other document", config.Persisted{Safelist: true, Manifest: apollo}, req{other, nil}, errcode.PersistedQueryNotInList},
		{"safelist, unknown id", config.Persisted{Safelist: true, Manifest: apollo}, req{"", ext("op-2")}, errcode.PersistedQueryNotInList},
		{"safelist, registering another", config.Persisted{Safelist: true, APQ: true, Manifest: apollo}, req{other, ext(Hash(other))}, errcode.PersistedQueryNotInList},
		{"safelist, trusted with its hash", config.Persisted{Safelist: true, Manifest: apollo}, req{trusted, ext(Hash(trusted))}, trusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.Manifest != "" {
				cfg.Manifest = manifestFile(t, cfg.Manifest)
			}
			q, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			doc, rerr := q.Resolve(context.Background(), tt.req.query, tt.req.ext)
			got := doc
			if rerr != nil {
				if doc != "" {
					t.Fatalf("refused with %s yet returned a document", rerr.Code)
				}
				got = rerr.Code
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// APQ's round trip: a miss, the registration (only once the router has
// accepted the document), then a hit by hash alone. The safelist ignores
// registrations: nothing outside the manifest ever becomes runnable.
func TestRegisterThenResolveByHash(t *testing.T) {
	q, err := New(config.Persisted{APQ: true, APQCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, rerr := q.Resolve(context.Background(), "", ext(Hash(other))); rerr == nil || rerr.Code != errcode.PersistedQueryNotFound {
		t.Fatalf("first request by hash: %v, want PERSISTED_QUERY_NOT_FOUND", rerr)
	}
	q.Register(other, ext(Hash(trusted))) // a mismatched hash registers nothing
	q.Register(other, nil)                // nor does a request without one
	if q.CacheBytes() != 0 {
		t.Fatalf("cache holds %d bytes after registrations that must be ignored", q.CacheBytes())
	}
	q.Register(other, ext(Hash(other)))
	if doc, rerr := q.Resolve(context.Background(), "", ext(Hash(other))); rerr != nil || doc != other {
		t.Fatalf("after registering: %q, %v", doc, rerr)
	}

	s, err := New(config.Persisted{APQ: true, Safelist: true, Manifest: manifestFile(t, `{}`)})
	if err != nil {
		t.Fatal(err)
	}
	s.Register(other, ext(Hash(other)))
	if _, rerr := s.Resolve(context.Background(), "", ext(Hash(other))); rerr == nil || rerr.Code != errcode.PersistedQueryNotInList {
		t.Fatalf("a registered document ran under the safelist: %v", rerr)
	}
}

func TestBadManifestIsRefusedAtStart(t *testing.T) {
	for _, body := range []string{`[1,2]`, `not json`, `{"a": 1}`} {
		if _, err := New(config.Persisted{Safelist: true, Manifest: manifestFile(t, body)}); err == nil {
			t.Errorf("manifest %s accepted", body)
		}
	}
	if _, err := New(config.Persisted{Manifest: filepath.Join(t.TempDir(), "missing.json")}); err == nil {
		t.Error("a missing manifest accepted")
	}
}
