package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/singleflight"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/persisted"
	"github.com/virtual-store/virtual-store/router/playground"
)

// Handler serves GraphQL over HTTP (POST JSON, and GET for queries).
type Handler struct {
	engine  atomic.Pointer[Engine]
	Log     *slog.Logger
	MaxBody int64
	// DedupInbound makes identical concurrent queries (same document,
	// variables and caller) share one execution. Mutations always run on
	// their own.
	DedupInbound bool
	inbound      singleflight.Group

	persisted *persisted.Queries
	metrics   *Metrics
	guard     func(r *http.Request, opName string, rootFields []string) *RequestError
	// playgroundPage answers browsers at the GraphQL URL (nil: off).
	playgroundPage http.Handler
}

// NewHandler returns a handler serving e (nil: not ready until Swap).
func NewHandler(e *Engine, log *slog.Logger) *Handler {
	h := &Handler{Log: log, MaxBody: 2 << 20}
	if e != nil {
		h.engine.Store(e)
	}
	return h
}

// Swap replaces the engine (a new supergraph) without dropping requests.
func (h *Handler) Swap(e *Engine) { h.engine.Store(e) }

// Engine is the engine in use, nil before the first supergraph.
func (h *Handler) Engine() *Engine { return h.engine.Load() }

// CodeRequestTooLarge refuses a body over the limit (HTTP 413).
const CodeRequestTooLarge = "REQUEST_TOO_LARGE"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.playgroundPage != nil && playground.WantsHTML(r) {
		h.playgroundPage.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	ri := info(r.Context())
	if graphQLResponseType(r) {
		w.Header().Set("Content-Type", responseType+"; charset=utf-8")
	}
	req, status, code, msg := h.read(w, r)
	if code != "" {
		h.refuse(w, ri, status, code, msg)
		return
	}
	e := h.Engine()
	if e == nil {
		w.Header().Set("Retry-After", "1")
		h.refuse(w, ri, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "the router has no supergraph yet")
		return
	}
	if h.persisted != nil {
		q, perr := h.persisted.Resolve(r.Context(), req.Query, req.Extensions)
		if perr != nil {
			status := http.StatusOK
			if perr.Code == persisted.CodeBadRequest {
				status = http.StatusBadRequest
			}
			h.refuse(w, ri, status, perr.Code, perr.Message)
			return
		}
		req.Query = q
	} else if req.Query == "" {
		h.refuse(w, ri, http.StatusBadRequest, "BAD_REQUEST", "the request has no query")
		return
	}
	if h.guard != nil {
		req.Guard = func(opName string, roots []string) *RequestError { return h.guard(r, opName, roots) }
	}
	req.Observe = func(name, kind string) { ri.operation, ri.opType = name, kind }
	resp, err := h.execute(r.Context(), e, req)
	var reqErr *RequestError
	switch {
	case errors.As(err, &reqErr):
		out := make([]execute.Error, len(reqErr.Errors))
		for i, e := range reqErr.Errors {
			out[i] = fromGQL(e, reqErr.Code)
		}
		h.metrics.reject(reqErr.Code)
		ri.outcome, ri.code = "rejected", reqErr.Code
		h.metrics.request(ri.operation, ri.opType, "rejected", time.Since(start))
		status := http.StatusOK
		if graphQLResponseType(r) {
			// GraphQL over HTTP: with the graphql-response media type, a
			// request that never executed is a client error.
			status = http.StatusBadRequest
		}
		writeJSON(w, status, &execute.Response{Errors: out})
		return
	case err != nil:
		h.Log.ErrorContext(r.Context(), "request failed", "err", err)
		h.refuse(w, ri, http.StatusOK, "INTERNAL_SERVER_ERROR", "internal server error")
		return
	}
	if h.persisted != nil {
		// It ran: it passed the limits and validation, so it may be kept.
		h.persisted.Register(req.Query, req.Extensions)
	}
	body, err := execute.AppendJSON(make([]byte, 0, 4096), resp)
	if err != nil {
		h.Log.ErrorContext(r.Context(), "encode response", "err", err)
		h.refuse(w, ri, http.StatusOK, "INTERNAL_SERVER_ERROR", "internal server error")
		return
	}
	ri.outcome = "success"
	if len(resp.Errors) > 0 {
		ri.outcome, ri.code = "partial", fmt.Sprint(resp.Errors[0].Extensions["code"])
		if resp.Data == nil {
			ri.outcome = "error"
		}
	}
	h.metrics.request(ri.operation, ri.opType, ri.outcome, time.Since(start))
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

// read decodes the GraphQL request of a POST (JSON body) or GET (URL).
func (h *Handler) read(w http.ResponseWriter, r *http.Request) (req *Request, status int, code, msg string) {
	req = &Request{}
	switch r.Method {
	case http.MethodPost:
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/json" && ct != "application/graphql-response+json" && ct != "" {
			return nil, http.StatusUnsupportedMediaType, "BAD_REQUEST", "Content-Type must be application/json"
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.MaxBody))
		dec.UseNumber()
		if err := dec.Decode(req); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, http.StatusRequestEntityTooLarge, CodeRequestTooLarge, fmt.Sprintf("the request body is over %d bytes", h.MaxBody)
			}
			return nil, http.StatusBadRequest, "BAD_REQUEST", "the body must be a JSON GraphQL request"
		}
	case http.MethodGet:
		req.ReadOnly = true
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		for name, dst := range map[string]*map[string]any{"variables": &req.Variables, "extensions": &req.Extensions} {
			if v := q.Get(name); v != "" {
				if err := json.Unmarshal([]byte(v), dst); err != nil {
					return nil, http.StatusBadRequest, "BAD_REQUEST", name + " must be a JSON object"
				}
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, http.StatusMethodNotAllowed, "BAD_REQUEST", "use GET or POST"
	}
	return req, 0, "", ""
}

func (h *Handler) refuse(w http.ResponseWriter, ri *requestInfo, status int, code, msg string) {
	h.metrics.reject(code)
	ri.outcome, ri.code = "rejected", code
	writeErrors(w, status, code, msg)
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

// responseType is set on requests whose client accepts the GraphQL over
// HTTP media type; writeJSON answers with it.
const responseType = "application/graphql-response+json"

// graphQLResponseType reports a client that accepts application/graphql-response+json.
func graphQLResponseType(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), responseType)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// execute runs a request, sharing the execution of identical concurrent
// queries of the same caller when DedupInbound is on.
func (h *Handler) execute(ctx context.Context, e *Engine, req *Request) (*execute.Response, error) {
	if !h.DedupInbound || !strings.HasPrefix(strings.TrimSpace(req.Query), "{") && !strings.HasPrefix(strings.TrimSpace(req.Query), "query") {
		return e.Execute(ctx, req)
	}
	vars, _ := json.Marshal(req.Variables)
	caller := ""
	if c, ok := auth.FromContext(ctx); ok {
		caller = c.Subject + "\x00" + strings.Join(c.Scopes, " ")
	}
	key := req.OperationName + "\x00" + req.Query + "\x00" + string(vars) + "\x00" + caller
	v, err, _ := h.inbound.Do(key, func() (any, error) {
		// Detached from the first caller's cancellation: others wait on it too.
		return e.Execute(context.WithoutCancel(ctx), req)
	})
	if err != nil {
		return nil, err
	}
	return v.(*execute.Response), nil
}
