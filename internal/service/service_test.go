package service

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
)

func TestReadiness(t *testing.T) {
	ok := Check{Name: "db", Func: func(context.Context) error { return nil }}
	down := Check{Name: "cache", Func: func(context.Context) error { return errors.New("connection refused") }}

	w := httptest.NewRecorder()
	Readiness(ok).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("all up: %d", w.Code)
	}
	w = httptest.NewRecorder()
	Readiness(ok, down).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(w.Body).Decode(&body)
	if w.Code != http.StatusServiceUnavailable || body.Checks["cache"] != "failing" || body.Checks["db"] != "ok" {
		t.Fatalf("one down: %d %+v", w.Code, body)
	}
}

func TestRouterServesMetricsWithRoutePatterns(t *testing.T) {
	reg := NewRegistry()
	r := Router(reg)
	r.Get("/items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, id := range []string{"1", "2"} {
		resp, err := http.Get(srv.URL + "/items/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	admin := httptest.NewServer(Admin(reg))
	defer admin.Close()
	resp, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `http_requests_total{code="418",method="GET",route="/items/{id}"} 2`) {
		t.Fatalf("metrics lack the route-pattern counter:\n%s", b)
	}
	if !strings.Contains(string(b), "go_goroutines") {
		t.Fatal("metrics lack the Go collector")
	}
}

func TestServerDrainsInFlightRequestsOnShutdown(t *testing.T) {
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	})
	addr := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Addr: "127.0.0.1:0", Handler: h, Logger: gqltest.Quiet(),
		ShutdownTimeout: 5 * time.Second, OnListen: func(a net.Addr) { addr <- a }}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	url := "http://" + (<-addr).String()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel() // SIGTERM arrives mid-request
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request got %q, want it to finish", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestBackgroundFailureStopsServer(t *testing.T) {
	s := &Server{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler(), Logger: gqltest.Quiet(),
		Background: []func(context.Context) error{func(context.Context) error { return errors.New("sweeper broke") }}}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "sweeper broke") {
		t.Fatalf("Run = %v, want the background error", err)
	}
}

func TestLoadConfigWithPrefix(t *testing.T) {
	type cfg struct {
		Addr    string        `env:"HTTP_ADDR" envDefault:":1"`
		Timeout time.Duration `env:"TIMEOUT" envDefault:"1s"`
	}
	t.Setenv("X_HTTP_ADDR", ":4242")
	var c cfg
	if err := LoadConfig(&c, "X_"); err != nil || c.Addr != ":4242" || c.Timeout != time.Second {
		t.Fatalf("config = %+v, %v", c, err)
	}
	t.Setenv("X_TIMEOUT", "soon")
	if err := LoadConfig(&c, "X_"); err == nil {
		t.Fatal("a malformed duration was accepted")
	}
}

func TestEveryRunsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	done := make(chan error, 1)
	go func() {
		done <- Every(ctx, 5*time.Millisecond, func(context.Context) {
			runs++
			if runs == 3 {
				cancel()
			}
		})
	}()
	select {
	case err := <-done:
		if err != nil || runs < 3 {
			t.Fatalf("Every = %v after %d runs", err, runs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not stop when its context ended")
	}
}

// With H2C the server speaks HTTP/2 without TLS to clients that know it
// (prior knowledge) and HTTP/1.1 to everyone else.
func TestH2C(t *testing.T) {
	addr := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Server{Addr: "127.0.0.1:0", H2C: true, Logger: gqltest.Quiet(),
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) }),
		OnListen: func(a net.Addr) { addr <- a }}
	go func() { _ = s.Run(ctx) }()
	url := "http://" + (<-addr).String()

	h2 := &http.Transport{Protocols: new(http.Protocols)}
	h2.Protocols.SetUnencryptedHTTP2(true)
	for name, c := range map[string]*http.Client{"HTTP/2.0": {Transport: h2}, "HTTP/1.1": http.DefaultClient} {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != name {
			t.Errorf("served %s, want %s", b, name)
		}
	}
}

// The service port answers mutual TLS only, the admin port plain HTTP with
// health and metrics only.
func TestServerServesMutualTLSAndAdminApart(t *testing.T) {
	kit := pkitest.New(t)
	reg := NewRegistry()
	r := Router(reg)
	r.Get("/hello", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") })
	adminAddr := freeAddr(t)
	addr := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Server{Addr: "127.0.0.1:0", Handler: r, TLS: kit.Source(t, pki.Product), AdminAddr: adminAddr, Admin: Admin(reg),
		Logger: gqltest.Quiet(), OnListen: func(a net.Addr) { addr <- a }}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	port := (<-addr).(*net.TCPAddr).Port
	service := fmt.Sprintf("https://localhost:%d", port)

	resp, err := kit.Client(t, pki.Router).Get(service + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi" || resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 || resp.ProtoMajor != 2 {
		t.Fatalf("service port: %q over %v (TLS %+v)", b, resp.Proto, resp.TLS != nil)
	}
	if _, err := kit.Plain(t).Get(service + "/hello"); err == nil {
		t.Fatal("the service port answered a client without a certificate")
	}
	// Go's TLS server tells a plain HTTP client off with a bare 400.
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/hello", port)); err == nil && resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the service port answered plain HTTP with %d", resp.StatusCode)
	}
	if resp, err := kit.Client(t, pki.Router).Get(service + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("metrics on the service port: %v %v, want 404", resp, err)
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/hello": 404} {
		resp, err := http.Get("http://" + adminAddr + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("admin %s: %v %v, want %d", path, resp, err, want)
		}
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
