package execute

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/sse"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
)

// Subscriptions: the plan's one root fetch is a subscription the router
// opens on its subgraph (GraphQL over SSE); each event it sends is that
// fetch's answer, and the rest of the plan (entity fetches to the other
// subgraphs: a product's name for an order's lines) runs on it as it would
// for a query, before the event goes to the client.

// ErrNotASubscription is a plan whose root is not one subscription fetch.
var ErrNotASubscription = errors.New("the plan has no single subscription root")

// Subscribe opens p's subscription and sends one Response per event, in
// order, until the subgraph completes it, it fails (a last Response with
// the error), or ctx ends. The channel is closed then. An error means no
// subscription was opened.
func (e *Executor) Subscribe(ctx context.Context, p *plan.Plan, op *normalize.Operation, vars map[string]any, denied map[string]string) (<-chan *Response, error) {
	if len(p.Roots) != 1 || p.Roots[0].Entity || p.Roots[0].OpKind != ast.Subscription {
		return nil, ErrNotASubscription
	}
	root := p.Roots[0]
	r := &run{Executor: e, vars: vars}
	up, err := e.Transport.subscribe(ctx, root.URL, root.Operation, r.variables(root))
	if err != nil {
		return nil, err
	}
	out := make(chan *Response)
	go func() {
		defer close(out)
		defer up.close()
		for {
			ev, err := up.next()
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return
			}
			var resp *Response
			if err != nil {
				failed := &run{Executor: e}
				failed.fetchFailed(root, err, nil)
				resp = &Response{Errors: failed.errors}
			} else {
				resp = e.execute(ctx, p, op, vars, denied, map[int]*subgraphResponse{root.ID: ev})
			}
			select {
			case out <- resp:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out, nil
}

// upstream is a subscription opened on a subgraph.
type upstream struct {
	body   io.ReadCloser
	cancel context.CancelFunc
	events *sse.Reader
	// single is a plain answer (a refusal before the stream started): sent
	// as the one event, then the stream ends.
	single *subgraphResponse
	done   bool
}

// subscribe opens a subscription on the subgraph at url: a POST that
// accepts text/event-stream, with the same headers (identity statement,
// trace context) as any fetch. The subgraph must answer within the fetch
// timeout; the stream itself lasts until either side ends it.
func (t *Transport) subscribe(ctx context.Context, url, query string, vars map[string]any) (*upstream, error) {
	body := requestBody(query, vars)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", sse.ContentType+", application/json;q=0.5")
	if t.Header != nil {
		t.Header(ctx, url, req.Header)
	}
	timeout := t.Timeout
	if m := t.timeouts.Load(); m != nil {
		if d, ok := (*m)[url]; ok {
			timeout = d
		}
	}
	// The timeout holds only until the answer starts: a deadline on the
	// request's context would end the stream.
	ctx, cancel := context.WithCancel(ctx)
	req = req.WithContext(ctx)
	stop := func() bool { return true }
	if timeout > 0 {
		stop = time.AfterFunc(timeout, cancel).Stop
	}
	client := t.Streams
	if client == nil {
		client = t.Client
	}
	start := time.Now()
	resp, err := client.Do(req)
	if !stop() && err == nil {
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	if t.Observe != nil {
		outcome := "ok"
		if err != nil {
			outcome = "transport_error"
		}
		t.Observe(url, time.Since(start), outcome)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), sse.ContentType) {
		return &upstream{body: resp.Body, cancel: cancel, events: sse.NewReader(resp.Body, int(t.MaxResponseBytes))}, nil
	}
	defer cancel()
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, t.MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	out, err := decodeResponse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: subgraph answered %d to a subscription: %v", errNotGraphQL, resp.StatusCode, err)
	}
	return &upstream{body: io.NopCloser(nil), cancel: func() {}, single: out}, nil
}

// next is the subgraph's next event; io.EOF once it completed.
func (u *upstream) next() (*subgraphResponse, error) {
	if u.single != nil {
		if u.done {
			return nil, io.EOF
		}
		u.done = true
		return u.single, nil
	}
	for {
		ev, err := u.events.Next()
		if err != nil {
			if errors.Is(err, sse.ErrTooLarge) {
				return nil, fmt.Errorf("%w: an event over the limit", errResponseTooLarge)
			}
			return nil, err
		}
		switch ev.Name {
		case "complete":
			return nil, io.EOF
		case "next", "":
			out, err := decodeResponse(ev.Data)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", errNotGraphQL, err)
			}
			return out, nil
		}
	}
}

func (u *upstream) close() {
	u.cancel()
	_ = u.body.Close()
}
