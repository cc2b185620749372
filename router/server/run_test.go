package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/server"
)

// sdlSubgraph serves its schema (`_service { sdl }`), which a test may
// change, and answers any other query with answer.
type sdlSubgraph struct {
	mu          sync.Mutex
	sdl, answer string
}

func (f *sdlSubgraph) set(sdl string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sdl = sdl
}

func (f *sdlSubgraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct{ Query string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	body := f.answer
	if strings.Contains(req.Query, "_service") {
		b, _ := json.Marshal(map[string]any{"data": map[string]any{"_service": map[string]string{"sdl": f.sdl}}})
		body = string(b)
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

// Run composes from the subgraphs in the background, serves the result,
// follows a subgraph's change of schema, and returns once ctx ends.
func TestRunComposesAndFollowsTheSubgraphs(t *testing.T) {
	sub := &sdlSubgraph{sdl: fed25 + `type Query { n: Int }`, answer: `{"data":{"n":1,"m":2}}`}
	subSrv := httptest.NewServer(sub)
	defer subSrv.Close()
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Supergraph, cfg.Subgraphs, cfg.PollInterval = "", "a="+subSrv.URL, 50*time.Millisecond
	cfg.Auth.JWKSURL, cfg.RateLimit.Enabled, cfg.AccessLog = "", false, false
	addr := make(chan net.Addr, 1)
	srv, err := server.New(cfg, server.Deps{Log: gqltest.Quiet(), Registry: prometheus.NewRegistry(), OnListen: func(a net.Addr) { addr <- a }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	router := gqltest.Client{URL: "http://" + (<-addr).String() + "/graphql"}
	eventually := func(query, want string) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			r, err := router.Post(context.Background(), query, nil)
			if r.Status == 0 { // no answer at all; one that is not GraphQL yet may change
				t.Fatal(err)
			}
			if got = text(r); got == want {
				return
			}
		}
		t.Fatalf("%s: got %s, want %s", query, got, want)
	}
	eventually(`{ n }`, `{"data":{"n":1}}`)
	sub.set(fed25 + `type Query { n: Int m: Int }`)
	eventually(`{ m }`, `{"data":{"m":2}}`)

	stop()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run after ctx ended: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
}

// Load reads the supergraph file again: a changed one gets a new engine,
// an unchanged one keeps the engine (and its plan caches).
func TestLoadReloadsAChangedSupergraph(t *testing.T) {
	file := filepath.Join(t.TempDir(), "supergraph.graphql")
	write := func(schema string) {
		t.Helper()
		sdl, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a.test/graphql", SDL: fed25 + schema}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(sdl), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`type Query { n: Int }`)
	cfg := config.Default()
	cfg.Supergraph = file
	srv, err := server.New(cfg, server.Deps{Log: gqltest.Quiet(), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Engine() != nil {
		t.Fatal("an engine before any Load")
	}
	if err := srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := srv.Engine()
	if err := srv.Load(context.Background()); err != nil || srv.Engine() != first {
		t.Fatalf("reloading the same supergraph: %v, engine replaced: %v", err, srv.Engine() != first)
	}
	write(`type Query { n: Int m: Int }`)
	if err := srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.Engine() == first || srv.Engine().API.Schema.Query.Fields.ForName("m") == nil {
		t.Fatal("the changed supergraph was not loaded")
	}
	if err := os.WriteFile(file, []byte("schema {"), 0o600); err != nil { // broken: the current one stays
		t.Fatal(err)
	}
	if err := srv.Load(context.Background()); err == nil || srv.Engine().API.Schema.Query.Fields.ForName("m") == nil {
		t.Fatalf("a broken supergraph: %v", err)
	}
}
