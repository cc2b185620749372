package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/internal/sse"
	"github.com/virtual-store/virtual-store/router/config"
)

// The router's side of subscriptions, over a fake order subgraph that
// streams what a test tells it to: limits, a token's expiry, a slow client.
// The federated journey with the real services is in e2e.

const watch = `subscription { orderStatusChanged(orderId: "o-1") { id status } }`

// feed is a fake order subgraph's subscriptions: broadcast sends an event
// to every subscription the router has open on it.
type feed struct {
	mu   sync.Mutex
	subs map[chan string]bool
}

func newFeed(s *store) *feed {
	f := &feed{subs: map[chan string]bool{}}
	s.order.stream = f.serve
	return f
}

func (f *feed) serve(w http.ResponseWriter, r *http.Request) {
	ch := make(chan string, 16)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}()
	w.Header().Set("Content-Type", sse.ContentType)
	w.WriteHeader(http.StatusOK)
	_ = sse.Comment(w, "")
	for {
		select {
		case ev := <-ch:
			if sse.Write(w, "next", []byte(ev)) != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// broadcast waits until n subscriptions are open, then sends ev to each.
func (f *feed) broadcast(t *testing.T, n int, ev string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f.mu.Lock()
		open := len(f.subs)
		if open == n {
			for ch := range f.subs {
				ch <- ev
			}
		}
		f.mu.Unlock()
		if open == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions open on the subgraph, want %d", open, n)
		}
	}
}

func status(s string) string {
	return `{"data":{"orderStatusChanged":{"id":"o-1","status":"` + s + `"}}}`
}

func (s *store) dial(t *testing.T, ctx context.Context, token string) *gqltest.WS {
	t.Helper()
	ws, err := gqltest.DialWS(ctx, s.router.URL+"/graphql", map[string]any{"Authorization": "Bearer " + token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ws.Close)
	return ws
}

// watchBoth subscribes to watch over graphql-ws (on ws) and over SSE (as
// c), sends both PAID, and returns them once they have seen it; the SSE
// stream ends with the test.
// rawSSE sends req as the customer asking for a GraphQL over SSE stream
// and returns the response unread (for tests of the raw stream: GET, the
// bytes before the first event); gqltest.Client.Subscribe is the parsed one.
func (s *store) rawSSE(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	req.Header.Set("Accept", sse.ContentType)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func watchBoth(t *testing.T, ctx context.Context, ws *gqltest.WS, c gqltest.Client, f *feed) (*gqltest.Operation, *gqltest.Stream) {
	t.Helper()
	op, err := ws.Subscribe("1", watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := c.Subscribe(ctx, watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stream.Close)
	f.broadcast(t, 2, status("PAID"))
	r, err := op.Next()
	wantStatus(t, "graphql-ws", r, err, "PAID")
	r, err = stream.Next()
	wantStatus(t, "SSE", r, err, "PAID")
	return op, stream
}

func wantStatus(t *testing.T, what string, r gqltest.Response, err error, want string) {
	t.Helper()
	if err != nil || r.Dig("orderStatusChanged", "status") != want {
		t.Fatalf("%s: %s %v, want %s", what, r.Raw, err, want)
	}
}

// A subscription ends when the caller's access token does: over graphql-ws
// the connection closes with 4403 (the client reconnects with a fresh
// token); over SSE a last event says why, then the stream completes.
func TestASubscriptionEndsWithItsToken(t *testing.T) {
	s := newStore(t)
	f := newFeed(s)
	short := s.issuer.Token(t, "dana", customerScopes, func(b *jwt.Builder) { b.Expiration(time.Now().Add(4 * time.Second)) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	op, stream := watchBoth(t, ctx, s.dial(t, ctx, short), s.as(short), f)

	start := time.Now()
	if r, err := op.Next(); err == nil || !strings.Contains(err.Error(), "4403") {
		t.Errorf("graphql-ws after the token expired: %s %v, want the connection closed with 4403", r.Raw, err)
	}
	r, err := stream.Next()
	if err != nil || fmt.Sprint(r.Codes()) != "[UNAUTHENTICATED]" {
		t.Errorf("SSE after the token expired: %s %v, want an UNAUTHENTICATED event", r.Raw, err)
	}
	if _, err := stream.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("SSE after the expiry event: %v, want complete", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the subscriptions ended %v after the token expired", waited)
	}
}

// Subscriptions are bounded per connection, per client and in total; a
// refused one is told why and the others carry on.
func TestSubscriptionLimits(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.Subscriptions.MaxPerConnection, c.Subscriptions.MaxPerClient = 2, 3
	})
	f := newFeed(s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := s.dial(t, ctx, s.token)
	var ops []interface {
		Next() (gqltest.Response, error)
	}
	for i := range 3 {
		op, err := first.Subscribe(fmt.Sprint(i), watch, nil)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	if r, err := ops[2].Next(); err != nil || fmt.Sprint(r.Codes()) != "[RATE_LIMITED]" {
		t.Errorf("a third operation on one connection: %s %v, want RATE_LIMITED", r.Raw, err)
	}
	second := s.dial(t, ctx, s.token)
	op, err := second.Subscribe("a", watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops[2] = op
	// The client's fourth: refused on a new connection, and over SSE.
	over, err := second.Subscribe("b", watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := over.Next(); err != nil || fmt.Sprint(r.Codes()) != "[RATE_LIMITED]" {
		t.Errorf("the client's fourth subscription: %s %v, want RATE_LIMITED", r.Raw, err)
	}
	_, err = s.as(s.token).Subscribe(ctx, watch, nil)
	var refused *gqltest.NotAStream
	if !errors.As(err, &refused) || refused.Status != http.StatusTooManyRequests {
		t.Errorf("the client's fourth subscription over SSE: %v, want 429", err)
	}
	// Another client is not counted against this one.
	other := s.issuer.Token(t, "eve", customerScopes, nil)
	stream, err := s.as(other).Subscribe(ctx, watch, nil)
	if err != nil {
		t.Fatalf("another client: %v", err)
	}
	defer stream.Close()
	f.broadcast(t, 4, status("SHIPPED"))
	for i, op := range ops {
		r, err := op.Next()
		wantStatus(t, fmt.Sprint("operation ", i), r, err, "SHIPPED")
	}
	r, err := stream.Next()
	wantStatus(t, "another client", r, err, "SHIPPED")
}

// A client that does not read its messages is disconnected once it has
// read nothing for the stall timeout; it never holds up the others, who get
// every event in order however fast the subgraph sends them.
func TestASlowSubscriberNeverHoldsUpTheOthers(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.Subscriptions.SendQueue, c.Subscriptions.StallTimeout = 4, time.Second
	})
	big := strings.Repeat("x", 64<<10)
	// 38 MB for each client: more than the test client's queue (256
	// messages) and the sockets' buffers hold.
	const events = 600
	upstreams := make(chan chan string, 2)
	s.order.stream = func(w http.ResponseWriter, r *http.Request) {
		ch := make(chan string, events)
		for i := range events {
			ch <- `{"data":{"orderStatusChanged":{"id":"` + fmt.Sprint(i) + big + `","status":"PAID"}}}`
		}
		close(ch)
		upstreams <- ch
		w.Header().Set("Content-Type", sse.ContentType)
		w.WriteHeader(http.StatusOK)
		for ev := range ch {
			if sse.Write(w, "next", []byte(ev)) != nil {
				return
			}
		}
		_ = sse.Write(w, "complete", nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	slow := s.dial(t, ctx, s.token)
	slowOp, err := slow.Subscribe("slow", watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-upstreams
	// The slow client reads nothing while the fast one reads everything.
	fast := s.dial(t, ctx, s.issuer.Token(t, "eve", customerScopes, nil))
	op, err := fast.Subscribe("fast", watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		r, err := op.Next()
		if err != nil || r.Dig("orderStatusChanged", "id") != fmt.Sprint(i)+big {
			t.Fatalf("fast client, event %d: %.200s %v", i, r.Raw, err)
		}
	}
	if _, err := op.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("fast client after the last event: %v, want complete", err)
	}
	// The router lets the slow client go (its subscription ends) without
	// the client reading anything more; then it reads what reached it: part
	// of the stream, then the close.
	admin := httptest.NewServer(s.server.Admin())
	defer admin.Close()
	for deadline := time.Now().Add(20 * time.Second); metricstest.Scrape(t, admin.URL+"/metrics").Sum("router_subscriptions_active") != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow client's subscription is still open")
		}
	}
	got := 0
	for {
		if _, err := slowOp.Next(); err != nil {
			break
		}
		got++
	}
	// The close frame itself may be stuck behind what the client never
	// read; then the connection just ends.
	if got >= events || slow.CloseStatus != websocket.StatusTryAgainLater && slow.CloseStatus != -1 {
		t.Errorf("the slow client read %d of %d events, then the close %d %q; want fewer, then 1013 or the connection cut", got, events, slow.CloseStatus, slow.CloseReason)
	}
}

// Operations on one WebSocket draw from the rate limits as requests do: a
// socket is no way around them.
func TestOperationsOnAWebSocketDrawFromTheRateLimits(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.PerIP = config.Bucket{Rate: 0.001, Burst: 3} // the upgrade and two operations
		c.RateLimit.PerUser = config.Bucket{Rate: 1000, Burst: 1000}
		c.RateLimit.Global = config.Bucket{Rate: 1000, Burst: 1000}
	})
	newFeed(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := s.dial(t, ctx, s.token)
	for i, want := range []string{"", "", "RATE_LIMITED"} {
		op, err := ws.Subscribe(fmt.Sprint(i), watch, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want == "" {
			continue // running: it has nothing to say yet
		}
		if r, err := op.Next(); err != nil || fmt.Sprint(r.Codes()) != "["+want+"]" {
			t.Errorf("operation %d: %s %v, want %s", i, r.Raw, err, want)
		}
	}
}

// EventSource subscribes with a GET: the operation in the URL, the token in
// a header a polyfill sets (or a cookie the storefront turns into one).
func TestASubscriptionOverGET(t *testing.T) {
	s := newStore(t)
	f := newFeed(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.router.URL+"/graphql?query="+url.QueryEscape(watch), nil)
	resp := s.rawSSE(t, req)
	if ct := resp.Header.Get("Content-Type"); ct != sse.ContentType {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET subscription: %d %s %s", resp.StatusCode, ct, raw)
	}
	f.broadcast(t, 1, status("SHIPPED"))
	ev, err := sse.NewReader(resp.Body, 1<<20).Next()
	if err != nil || ev.Name != "next" || !strings.Contains(string(ev.Data), `"SHIPPED"`) {
		t.Errorf("first event %q %s %v", ev.Name, ev.Data, err)
	}
	// A mutation over GET stays refused.
	r := s.send(t, s.as(s.token), http.MethodGet, "/graphql?query="+url.QueryEscape(`mutation { clearCart { userErrors { code } } }`))
	if fmt.Sprint(r.Codes()) != "[BAD_REQUEST]" {
		t.Errorf("a mutation over GET: %s", r.Raw)
	}
}
