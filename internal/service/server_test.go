package service

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

// A service port bounds what one client may take: slow headers and bodies
// are cut, huge headers refused, and none of it touches a handler that is
// merely slow to answer.
func TestServerBoundsSlowAndLargeRequests(t *testing.T) {
	type outcome struct {
		bodyErr, ctxErr error
	}
	got := make(chan outcome, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if err == nil {
			time.Sleep(400 * time.Millisecond) // longer than the read timeout below
		}
		got <- outcome{err, r.Context().Err()}
		_, _ = io.WriteString(w, "done")
	})
	hs := (&Server{Logger: gqltest.Quiet()}).httpServer(context.Background(), h)
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 || hs.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Fatalf("server bounds: header timeout %v, read timeout %v, idle %v, max header bytes %d",
			hs.ReadHeaderTimeout, hs.ReadTimeout, hs.IdleTimeout, hs.MaxHeaderBytes)
	}
	hs.ReadTimeout = 200 * time.Millisecond // the same mechanism, quicker
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	url := "http://" + ln.Addr().String() + "/"

	// A body that trickles in is cut at the read timeout.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	select {
	case o := <-got:
		if o.bodyErr == nil {
			t.Error("a body that never arrives was read without error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a trickling body held the handler past the read timeout")
	}

	// A handler that runs past the read timeout, its body read, is not cancelled.
	resp, err := http.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o := <-got; o.bodyErr != nil || o.ctxErr != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("slow handler: body %v, context %v, status %d", o.bodyErr, o.ctxErr, resp.StatusCode)
	}

	// Headers past MaxHeaderBytes are refused before any handler.
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 2*maxHeaderBytes))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("huge headers: %d, want 431", resp.StatusCode)
	}
}
