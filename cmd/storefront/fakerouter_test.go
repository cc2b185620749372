package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/web"
)

// fakeRouter stands in for the router's /graphql: the auth mutations with
// the user service's rules (a refresh token works once; used twice, its
// sign-in is revoked), any other operation answered with what it was sent,
// a WebSocket upgrade that echoes and an SSE stream.
type fakeRouter struct {
	t       *testing.T
	docs    trustedDocuments
	mu      sync.Mutex
	seq     int
	live    map[string]bool // refresh tokens that still work
	used    map[string]bool
	last    http.Header // the headers of the last GraphQL request
	lastOps []string
}

const (
	shopperEmail    = "shopper@example.com"
	shopperPassword = "a long password"
)

func newFakeRouter(t *testing.T) (*fakeRouter, *httptest.Server) {
	docs, err := parseTrustedDocuments(web.TrustedDocuments)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRouter{t: t, docs: docs, live: map[string]bool{}, used: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRouter) tokens() map[string]any {
	f.seq++
	refresh := fmt.Sprintf("refresh-%d", f.seq)
	f.live[refresh] = true
	return map[string]any{"accessToken": fmt.Sprintf("access-%d", f.seq), "refreshToken": refresh,
		"expiresAt": time.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339), "userErrors": []any{}}
}

func failed(code, message string, field ...string) map[string]any {
	var path any
	if len(field) > 0 {
		path = field
	}
	return map[string]any{"accessToken": nil, "refreshToken": nil, "expiresAt": nil,
		"userErrors": []any{map[string]any{"code": code, "field": path, "message": message}}}
}

func (f *fakeRouter) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Header.Get("Upgrade") == "websocket":
		f.echoSocket(w, r)
		return
	case r.Header.Get("Accept") == "text/event-stream":
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: next\ndata: {\"data\":{\"orderStatusChanged\":{\"status\":\"SHIPPED\"}}}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // a subscription lasts until the client leaves
		return
	}
	var req struct {
		OperationName string         `json:"operationName"`
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = r.Header.Clone()
	f.lastOps = append(f.lastOps, req.OperationName)
	if body, ok := f.docs[req.OperationName]; ok && body != req.Query {
		f.t.Errorf("%s was not sent as its trusted document: %q", req.OperationName, req.Query)
	}
	input, _ := req.Variables["input"].(map[string]any)
	var data map[string]any
	switch req.OperationName {
	case "StorefrontLogin":
		if input["email"] == shopperEmail && input["password"] == shopperPassword {
			data = map[string]any{"login": f.tokens()}
		} else {
			data = map[string]any{"login": failed("INVALID_CREDENTIALS", "the email and password do not match")}
		}
	case "StorefrontRegister":
		if p, _ := input["password"].(string); len(p) < 10 {
			data = map[string]any{"register": failed("WEAK_PASSWORD", "password must be at least 10 characters", "input", "password")}
		} else {
			data = map[string]any{"register": f.tokens()}
		}
	case "StorefrontRefresh":
		token, _ := req.Variables["token"].(string)
		switch {
		case f.live[token]:
			delete(f.live, token)
			f.used[token] = true
			data = map[string]any{"refreshToken": f.tokens()}
		case f.used[token]:
			clear(f.live) // reuse revokes the whole sign-in
			data = map[string]any{"refreshToken": failed("TOKEN_REUSED", "a refresh token was used twice")}
		default:
			data = map[string]any{"refreshToken": failed("INVALID_TOKEN", "the token is unknown or revoked")}
		}
	case "StorefrontLogout":
		token, _ := req.Variables["refreshToken"].(string)
		delete(f.live, token)
		data = map[string]any{"logout": map[string]any{"ok": true, "userErrors": []any{}}}
	default:
		data = map[string]any{"echo": map[string]any{"operationName": req.OperationName, "query": req.Query,
			"authorization": r.Header.Get("Authorization"), "forwardedFor": r.Header.Get("X-Forwarded-For"),
			"cookie": r.Header.Get("Cookie"), "path": r.URL.Path}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

// echoSocket completes a WebSocket-style upgrade and echoes lines.
func (f *fakeRouter) echoSocket(w http.ResponseWriter, r *http.Request) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		f.t.Errorf("hijack: %v", err)
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: %s\r\n\r\n", r.Header.Get("Sec-WebSocket-Protocol"))
	_ = rw.Flush()
	sc := bufio.NewScanner(rw)
	for sc.Scan() {
		fmt.Fprintf(rw, "echo %s\n", sc.Text())
		_ = rw.Flush()
	}
}

// testSite is a built site: the app and one hashed asset.
var testSite = fstest.MapFS{
	"index.html":             {Data: []byte(`<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`)},
	"assets/index-abc123.js": {Data: []byte(`console.log("storefront");` + string(make([]byte, 2048)))},
	"robots.txt":             {Data: []byte("User-agent: *\n")},
}

type storefront struct {
	*httptest.Server
	stop context.CancelFunc
}

// newStorefront serves the storefront's handler in front of routerURL.
func newStorefront(t *testing.T, routerURL string, secure bool) storefront {
	t.Helper()
	docs, err := parseTrustedDocuments(web.TrustedDocuments)
	if err != nil {
		t.Fatal(err)
	}
	ips, err := clientip.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	stopping, stop := context.WithCancel(context.Background())
	h, err := newHandler(handlerConfig{
		Site: testSite, Built: true, RouterURL: routerURL, RouterTimeout: 5 * time.Second, Documents: docs,
		Secure: func(*http.Request) bool { return secure }, CookieMaxAge: 720 * time.Hour,
		ClientIP: ips, Stopping: stopping, Log: gqltest.Quiet(), Registry: service.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { stop(); srv.Close() })
	return storefront{Server: srv, stop: stop}
}

func webDocuments(*testing.T) []byte { return web.TrustedDocuments }
