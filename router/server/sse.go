package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/sse"
	"github.com/virtual-store/virtual-store/router/execute"
)

// GraphQL over SSE, "distinct connections" mode: one operation per request
// (a POST, or a GET as EventSource sends), answered as a stream of "next"
// events and a final "complete".

// wantsEventStream reports a request for an event stream.
func wantsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), sse.ContentType)
}

func (g *gateway) serveSSE(w http.ResponseWriter, r *http.Request) {
	subs := g.subscriptions
	req, status, code, msg := g.graphQL.read(w, r)
	if code != "" {
		g.refuse(w, r, status, code, msg)
		return
	}
	// The server's read timeout guards request bodies; the stream lives on.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	ctx, cancel, expired := expiring(r.Context())
	defer cancel()
	client := g.clientOf(ctx, r)
	if refused := subs.connect(client); refused != nil {
		writeJSON(w, refusalStatus(refused.Code), &execute.Response{Errors: refusalErrors(refused)})
		return
	}
	defer subs.disconnect(client)
	if refused := subs.admit(client); refused != nil {
		writeJSON(w, refusalStatus(refused.Code), &execute.Response{Errors: refusalErrors(refused)})
		return
	}
	defer subs.release(client)
	ch, refused := subs.start(ctx, r, req)
	if refused != nil {
		writeJSON(w, refusalStatus(refused.Code), &execute.Response{Errors: refusalErrors(refused)})
		return
	}
	w.Header().Set("Content-Type", sse.ContentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	heartbeat := time.NewTicker(subs.cfg.Heartbeat)
	defer heartbeat.Stop()
	complete := func() { _ = sse.Write(w, "complete", nil) }
	for {
		select {
		case resp, ok := <-ch:
			if !ok {
				if ctx.Err() == nil {
					complete()
				}
				if expired() {
					g.sseNext(w, &execute.Response{Errors: []execute.Error{tokenExpired}})
					complete()
				}
				return
			}
			if !g.sseNext(w, resp) {
				return
			}
		case <-heartbeat.C:
			if !g.stillValid(r, r.Header.Get("Authorization")) {
				// Signed out (or the token revoked) since the stream began.
				g.sseNext(w, &execute.Response{Errors: []execute.Error{tokenRevoked}})
				complete()
				return
			}
			if sse.Comment(w, "ping") != nil {
				return
			}
		case <-subs.draining:
			complete()
			return
		case <-ctx.Done():
			if expired() {
				g.sseNext(w, &execute.Response{Errors: []execute.Error{tokenExpired}})
				complete()
			}
			return
		}
	}
}

func (g *gateway) sseNext(w http.ResponseWriter, resp *execute.Response) bool {
	body, err := encodeResponse(resp)
	if err != nil {
		g.log.Error("encode a subscription event", "err", err)
		return false
	}
	g.subscriptions.events.Inc()
	return sse.Write(w, "next", body) == nil
}

// refusalStatus is the HTTP status of a stream refused before it started.
func refusalStatus(code string) int {
	switch code {
	case errcode.RateLimited:
		return http.StatusTooManyRequests
	case errcode.ServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusOK // a GraphQL refusal, as the HTTP handler answers it
}
