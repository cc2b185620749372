package execute

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Identical queries in flight share one round trip; the first caller
// leaving (its client disconnected) must not fail the others waiting on it.
func TestASharedSubgraphCallOutlivesTheCallerThatStartedIt(t *testing.T) {
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done(): // the router gave up on this call
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"n":1}}`)
	}))
	defer srv.Close()
	tr := NewTransport(5*time.Second, nil)
	waiting := make(chan int, 2)
	tr.inflight.joined = func(_ string, waiters int) { waiting <- waiters }
	entered := make(chan string, 2)
	tr.Caller = func(ctx context.Context) string {
		entered <- ctx.Value(callerName{}).(string)
		return ""
	}

	first, leave := context.WithCancel(context.WithValue(context.Background(), callerName{}, "first"))
	firstDone := make(chan error, 1)
	go func() {
		_, err := tr.post(first, srv.URL, "{n}", nil, false)
		firstDone <- err
	}()
	<-entered
	<-arrived
	type result struct {
		resp *subgraphResponse
		err  error
	}
	secondDone := make(chan result, 1)
	go func() {
		resp, err := tr.post(context.WithValue(context.Background(), callerName{}, "second"), srv.URL, "{n}", nil, false)
		secondDone <- result{resp, err}
	}()
	<-entered
	for <-waiting < 2 { // the second caller waits on the first one's call
	}

	leave()
	select {
	case err := <-firstDone:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the caller that left got %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the caller that left still waits for the subgraph")
	}
	close(release)
	var got result
	select {
	case got = <-secondDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the caller still waiting got no answer")
	}
	if got.err != nil {
		t.Fatalf("the caller still waiting failed with the one that left: %v", got.err)
	}
	if got.resp.Data["n"] == nil {
		t.Fatalf("the caller still waiting got %+v", got.resp)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("the subgraph got %d requests, want the 1 shared", n)
	}
}

type callerName struct{}

// A round trip nobody waits for any more ends: when the last caller leaves,
// the subgraph sees the request cancelled, even with no subgraph timeout.
// A caller whose context has already ended sends nothing.
func TestASharedSubgraphCallEndsWhenEveryCallerHasLeft(t *testing.T) {
	arrived, cancelled := make(chan struct{}, 1), make(chan struct{})
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices a client that leaves
		arrived <- struct{}{}
		<-r.Context().Done()
		close(cancelled)
	}))
	defer srv.Close()
	tr := NewTransport(0, nil) // no timeout: only the callers bound the call
	waiting := make(chan int, 2)
	tr.inflight.joined = func(_ string, waiters int) { waiting <- waiters }

	ctx, leave := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := tr.post(ctx, srv.URL, "{n}", nil, false)
			errs <- err
		}()
	}
	<-arrived
	for <-waiting < 2 {
	}
	leave()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("a caller that left got %v", err)
		}
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the subgraph round trip runs on with nobody waiting")
	}

	if _, err := tr.post(ctx, srv.URL, "{n}", nil, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller already gone got %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("the subgraph got %d requests, want 1", n)
	}
}
