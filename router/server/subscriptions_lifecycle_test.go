package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/router/authn"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/internal/testjwt"
	"github.com/virtual-store/virtual-store/router/server"
)

// A subscription's life beside its events: heartbeats while idle, its end
// at shutdown.

// On shutdown every subscription ends cleanly before Run returns: the
// WebSocket closes with 1001 (going away: reconnect elsewhere) and the SSE
// stream completes.
func TestShutdownEndsEverySubscription(t *testing.T) {
	s := newStore(t) // for its fake subgraphs and token issuer
	f := newFeed(s)
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Auth.JWKSURL, cfg.Auth.Issuers = s.issuer.JWKSURL(), []string{testjwt.IssuerName}
	cfg.RateLimit.Enabled, cfg.AccessLog = false, false
	cfg.Supergraph = filepath.Join(t.TempDir(), "supergraph.graphql")
	if err := os.WriteFile(cfg.Supergraph, []byte(s.sdl), 0o600); err != nil {
		t.Fatal(err)
	}
	verifier, err := authn.New(cfg.Auth, http.DefaultClient, gqltest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan net.Addr, 1)
	srv, err := server.New(cfg, server.Deps{Log: gqltest.Quiet(), Registry: prometheus.NewRegistry(), Authenticator: verifier,
		OnListen: func(a net.Addr) { addr <- a }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	url := "http://" + (<-addr).String() + "/graphql"

	tctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, err := gqltest.DialWS(tctx, url, map[string]any{"Authorization": "Bearer " + s.token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	op, stream := watchBoth(t, tctx, ws, gqltest.Client{URL: url, Header: http.Header{"Authorization": {"Bearer " + s.token}}}, f)

	stop()
	if _, err := stream.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("SSE at shutdown: %v, want complete", err)
	}
	if _, err := op.Next(); err == nil || ws.CloseStatus != websocket.StatusGoingAway {
		t.Errorf("graphql-ws at shutdown: %v (close %d), want 1001", err, ws.CloseStatus)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return after the subscriptions ended")
	}
}

// An idle subscription gets a heartbeat: a ping message over graphql-ws, a
// comment over SSE.
func TestIdleSubscriptionsGetHeartbeats(t *testing.T) {
	s := newStore(t, func(c *config.Config) { c.Subscriptions.Heartbeat = 50 * time.Millisecond })
	newFeed(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, _, err := websocket.Dial(ctx, s.router.URL+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{"Authorization":"Bearer `+s.token+`"}}`)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"type":"connection_ack"}`, `{"type":"ping"}`} {
		if _, got, err := c.Read(ctx); err != nil || string(got) != want {
			t.Fatalf("graphql-ws: %s %v, want %s", got, err, want)
		}
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.router.URL+"/graphql", strings.NewReader(`{"query":`+fmt.Sprintf("%q", watch)+`}`))
	req.Header.Set("Content-Type", "application/json")
	resp := s.rawSSE(t, req)
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(resp.Body, buf, len(": ping\n\n"))
	if err != nil || !strings.HasPrefix(string(buf[:n]), ": ping\n\n") {
		t.Errorf("SSE: %q %v, want a ping comment first", buf[:n], err)
	}
}
