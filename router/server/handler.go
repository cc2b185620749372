package server

import (
	"fmt"
	"strings"

	"context"
	"encoding/json"
	"errors"
	"golang.org/x/sync/singleflight"
	"log/slog"
	"mime"
	"net/http"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/virtual-store/virtual-store/router/execute"
)

// Handler serves GraphQL over HTTP (POST JSON, and GET for queries).
type Handler struct {
	engine  atomic.Pointer[Engine]
	Log     *slog.Logger
	MaxBody int64
	// DedupInbound makes identical concurrent queries (same document,
	// variables and forwarded headers, so the same caller) share one
	// execution. Mutations always run on their own.
	DedupInbound bool
	inbound      singleflight.Group
}

// NewHandler returns a handler serving e.
func NewHandler(e *Engine, log *slog.Logger) *Handler {
	h := &Handler{Log: log, MaxBody: 2 << 20}
	h.engine.Store(e)
	return h
}

// Swap replaces the engine (a new supergraph) without dropping requests.
func (h *Handler) Swap(e *Engine) { h.engine.Store(e) }

// Engine is the engine in use.
func (h *Handler) Engine() *Engine { return h.engine.Load() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req Request
	switch r.Method {
	case http.MethodPost:
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/json" && ct != "application/graphql-response+json" && ct != "" {
			writeErrors(w, http.StatusUnsupportedMediaType, "BAD_REQUEST", "Content-Type must be application/json")
			return
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.MaxBody))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			writeErrors(w, http.StatusBadRequest, "BAD_REQUEST", "the body must be a JSON GraphQL request")
			return
		}
	case http.MethodGet:
		req.ReadOnly = true
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				writeErrors(w, http.StatusBadRequest, "BAD_REQUEST", "variables must be a JSON object")
				return
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeErrors(w, http.StatusMethodNotAllowed, "BAD_REQUEST", "use GET or POST")
		return
	}
	if req.Query == "" {
		writeErrors(w, http.StatusBadRequest, "BAD_REQUEST", "the request has no query")
		return
	}
	resp, err := h.execute(r, &req)
	var reqErr *RequestError
	switch {
	case errors.As(err, &reqErr):
		out := make([]execute.Error, len(reqErr.Errors))
		for i, e := range reqErr.Errors {
			out[i] = fromGQL(e, reqErr.Code)
		}
		writeJSON(w, http.StatusOK, &execute.Response{Errors: out})
		return
	case err != nil:
		h.Log.ErrorContext(r.Context(), "request failed", "err", err)
		writeErrors(w, http.StatusOK, "INTERNAL_SERVER_ERROR", "internal server error")
		return
	}
	body, err := execute.AppendJSON(make([]byte, 0, 4096), resp)
	if err != nil {
		h.Log.ErrorContext(r.Context(), "encode response", "err", err)
		writeErrors(w, http.StatusOK, "INTERNAL_SERVER_ERROR", "internal server error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

func fromGQL(e *gqlerror.Error, code string) execute.Error {
	out := execute.Error{Message: e.Message, Extensions: map[string]any{"code": code}}
	for k, v := range e.Extensions {
		out.Extensions[k] = v
	}
	return out
}

func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, &execute.Response{Errors: []execute.Error{{Message: msg, Extensions: map[string]any{"code": code}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// forwardedHeaders pass from the client to every subgraph request. The
// identity header is signed, and the user service's access tokens are
// verified by the subgraph that accepts them, so forwarding forges nothing.
// (Issue 6 moves token verification into the router.)
var forwardedHeaders = []string{"X-Virtual-Store-Identity", "Authorization", "Traceparent", "Tracestate"}

type forwardKey struct{}

func withForwarded(r *http.Request) context.Context {
	h := http.Header{}
	for _, k := range forwardedHeaders {
		if v := r.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return context.WithValue(r.Context(), forwardKey{}, h)
}

// ForwardHeaders copies the forwarded client headers into a subgraph request;
// use it as the executor transport's Header hook.
func ForwardHeaders(ctx context.Context, h http.Header) {
	if fwd, ok := ctx.Value(forwardKey{}).(http.Header); ok {
		for k, vs := range fwd {
			h[k] = vs
		}
	}
}

// execute runs a request, sharing the execution of identical concurrent
// queries when DedupInbound is on.
func (h *Handler) execute(r *http.Request, req *Request) (*execute.Response, error) {
	ctx := withForwarded(r)
	if !h.DedupInbound || !strings.HasPrefix(strings.TrimSpace(req.Query), "{") && !strings.HasPrefix(strings.TrimSpace(req.Query), "query") {
		return h.Engine().Execute(ctx, req)
	}
	vars, _ := json.Marshal(req.Variables)
	fwd, _ := ctx.Value(forwardKey{}).(http.Header)
	key := req.OperationName + "\x00" + req.Query + "\x00" + string(vars) + "\x00" + fmt.Sprint(fwd)
	v, err, _ := h.inbound.Do(key, func() (any, error) {
		// Detached from the first caller's cancellation: others wait on it too.
		return h.Engine().Execute(context.WithoutCancel(ctx), req)
	})
	if err != nil {
		return nil, err
	}
	return v.(*execute.Response), nil
}
