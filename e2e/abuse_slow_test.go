package e2e

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// abuseSlowClients opens connections that trickle a request a byte at a
// time and never finish it, some in the headers, some in the body: the
// router must hang up on each within its read-header or read timeout, and
// answer everyone else meanwhile.
func abuseSlowClients(t *testing.T, s *storefront) {
	const perKind = 32
	addr := strings.TrimPrefix(s.router.url(), "http://")
	type closed struct {
		body  bool // trickled the body (else the headers)
		after time.Duration
		got   string // what the router sent before hanging up
	}
	results := make(chan closed, 2*perKind)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	opened := time.Now()
	headers := "POST /graphql HTTP/1.1\r\nHost: router\r\nContent-Type: application/json\r\n"
	for i := range 2 * perKind {
		body := i%2 == 1
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		trickle := headers + "X-Slow: " + strings.Repeat("s", 1000)
		if body {
			if _, err := io.WriteString(conn, headers+"Content-Length: 100000\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			trickle = `{"query":"` + strings.Repeat(" ", 1000)
		}
		wg.Add(1)
		go func() { // trickle, until the router hangs up
			defer wg.Done()
			for i := 0; i < len(trickle); i++ {
				if _, err := conn.Write([]byte{trickle[i]}); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
		go func() { // read until the router hangs up
			start := time.Now()
			got, _ := io.ReadAll(bufio.NewReader(conn))
			results <- closed{body: body, after: time.Since(start), got: string(got)}
		}()
	}
	// Others are served while every slow connection is open.
	c := caller{router: s.router, addr: "198.51.100.14"}
	served := 0
	for time.Since(opened) < readHeaderTimeout/2 {
		r := c.ok(t, `{ categories { name } }`, nil)
		if r.took > hostileDeadline {
			t.Errorf("a normal request beside %d slow clients took %s", 2*perKind, r.took)
		}
		served++
		time.Sleep(100 * time.Millisecond)
	}
	deadline := time.After(2*readTimeout + 5*time.Second)
	var longest [2]time.Duration
	for i := range 2 * perKind {
		select {
		case cl := <-results:
			limit, kind := readHeaderTimeout, 0
			if cl.body {
				limit, kind = readTimeout, 1
			}
			longest[kind] = max(longest[kind], cl.after)
			// Hung up on in time, with nothing or a client error.
			if cl.after > 2*limit || cl.got != "" && !strings.HasPrefix(cl.got, "HTTP/1.1 4") {
				t.Errorf("slow client (body %v): hung up on after %s (limit %s), having got %q", cl.body, cl.after, limit, cl.got)
			}
		case <-deadline:
			t.Fatalf("%d of %d slow clients still connected %s after they opened (read-header timeout %s, read timeout %s)",
				2*perKind-i, 2*perKind, time.Since(opened).Round(time.Second), readHeaderTimeout, readTimeout)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d clients trickling headers hung up on after at most %s, %d trickling bodies after at most %s; %d requests of others served meanwhile",
		perKind, longest[0].Round(time.Millisecond), perKind, longest[1].Round(time.Millisecond), served)
	if r := c.ok(t, `{ categories { name } }`, nil); r.took > hostileDeadline {
		t.Errorf("after the slow clients: %s", r.took)
	}
}
