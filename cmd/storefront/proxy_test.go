package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

func TestGraphQLIsProxiedToTheRouterWithoutCookies(t *testing.T) {
	_, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	c := gqltest.Client{URL: sf.URL + "/graphql", Header: http.Header{
		"Authorization": {"Bearer access-7"},
		"Cookie":        {refreshCookie + "=refresh-secret; other=1"},
	}}
	r := c.Do(t, `query Catalog { products(first: 1) { totalCount } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	if got := r.Dig("echo", "query"); got != `query Catalog { products(first: 1) { totalCount } }` {
		t.Errorf("the router got query %v", got)
	}
	if got := r.Dig("echo", "authorization"); got != "Bearer access-7" {
		t.Errorf("the router got Authorization %v; want the bearer token passed on", got)
	}
	if got := r.Dig("echo", "cookie"); got != "" {
		t.Errorf("cookies reached the router: %v", got)
	}
	if got := r.Dig("echo", "forwardedFor"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %v; want the client's address", got)
	}
	if got := r.Dig("echo", "path"); got != "/graphql" {
		t.Errorf("path %v", got)
	}

	// A client's own X-Forwarded-For is not believed (no trusted proxies).
	r = c.With("X-Forwarded-For", "203.0.113.9").Do(t, `query Me { me { id } }`, nil)
	if got := r.Dig("echo", "forwardedFor"); got != "127.0.0.1" {
		t.Errorf("spoofed X-Forwarded-For: the router got %v", got)
	}
}

func TestTheProxyPassesWebSocketUpgrades(t *testing.T) {
	_, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	conn, err := net.Dial("tcp", strings.TrimPrefix(sf.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /graphql HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
		strings.TrimPrefix(sf.URL, "http://"))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Protocol") != "graphql-transport-ws" {
		t.Fatalf("upgrade: %d %v", resp.StatusCode, resp.Header)
	}
	fmt.Fprint(conn, "{\"type\":\"connection_init\"}\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "echo {\"type\":\"connection_init\"}\n" {
		t.Fatalf("through the tunnel: %q, %v", line, err)
	}
}

func TestSSEStreamsFlowAndEndWhenTheStorefrontStops(t *testing.T) {
	_, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, sf.URL+"/graphql",
		strings.NewReader(`{"query":"subscription OrderStatusChanged { orderStatusChanged(orderId: \"1\") { status } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	got := make(chan string, 1)
	go func() {
		var event strings.Builder
		for {
			line, err := br.ReadString('\n')
			event.WriteString(line)
			if err != nil || line == "\n" {
				got <- event.String()
				return
			}
		}
	}()
	select {
	case ev := <-got:
		if !strings.Contains(ev, `"SHIPPED"`) {
			t.Fatalf("event %q", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first event did not arrive while the stream was open: the proxy buffers")
	}
	sf.stop() // the storefront starts to shut down: the stream ends
	done := make(chan error, 1)
	go func() {
		_, err := br.ReadString('\n')
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived the storefront's shutdown")
	}
}

func TestTheRouterDownIsAGraphQLError(t *testing.T) {
	sf := newStorefront(t, "http://127.0.0.1:1/graphql", true)
	r := gqltest.Client{URL: sf.URL + "/graphql"}.Do(t, `{ __typename }`, nil)
	if r.Status != http.StatusBadGateway || len(r.Codes()) == 0 || r.Codes()[0] != "BAD_GATEWAY" {
		t.Errorf("router down: %d %v", r.Status, r.Codes())
	}
}
