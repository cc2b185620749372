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

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/singleflight"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/engine"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/persisted"
	"github.com/virtual-store/virtual-store/router/playground"
)

// graphQLHandler serves GraphQL over HTTP (POST JSON, and GET for queries)
// with the engine of the current supergraph.
type graphQLHandler struct {
	engine  atomic.Pointer[engine.Engine]
	log     *slog.Logger
	maxBody int64
	// dedupInbound makes identical concurrent queries (same document,
	// variables and caller) share one execution. Mutations always run on
	// their own.
	dedupInbound bool
	inbound      singleflight.Group

	persisted *persisted.Queries
	metrics   *Metrics
	guard     func(r *http.Request, opName string, rootFields []string) *engine.RequestError
	// playgroundPage answers browsers at the GraphQL URL (nil: off).
	playgroundPage http.Handler
}

// swap replaces the engine (a new supergraph) without dropping requests.
func (h *graphQLHandler) swap(e *engine.Engine) { h.engine.Store(e) }

// current is the engine in use, nil before the first supergraph.
func (h *graphQLHandler) current() *engine.Engine { return h.engine.Load() }

func (h *graphQLHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	e := h.current()
	if e == nil {
		w.Header().Set("Retry-After", "1")
		h.refuse(w, ri, http.StatusServiceUnavailable, errcode.ServiceUnavailable, "the router has no supergraph yet")
		return
	}
	if refused := h.resolve(r, req); refused != nil {
		status := http.StatusOK
		if refused.Code == errcode.BadRequest {
			status = http.StatusBadRequest
		}
		h.refuse(w, ri, status, refused.Code, refused.Errors[0].Message)
		return
	}
	req.Observe = func(name, kind string) { ri.operation, ri.opType = name, kind }
	p, err := e.Prepare(r.Context(), req)
	var reqErr *engine.RequestError
	switch {
	case errors.As(err, &reqErr):
		out := refusalErrors(reqErr)
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
		h.log.ErrorContext(r.Context(), "request failed", "err", err)
		h.refuse(w, ri, http.StatusOK, errcode.Internal, "internal server error")
		return
	case p.Kind == ast.Subscription:
		h.refuse(w, ri, http.StatusBadRequest, errcode.BadRequest,
			"subscriptions need a WebSocket (graphql-transport-ws) or an event stream (Accept: text/event-stream)")
		return
	}
	ans, err := h.run(r.Context(), e, p, req)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client left while its answer was shared; nobody to tell
		}
		h.log.ErrorContext(r.Context(), "encode response", "err", err)
		h.refuse(w, ri, http.StatusOK, errcode.Internal, "internal server error")
		return
	}
	if h.persisted != nil {
		// It ran: it passed the limits and validation, so it may be kept.
		h.persisted.Register(req.Query, req.Extensions)
	}
	ri.outcome, ri.code = ans.outcome, ans.code
	h.metrics.request(ri.operation, ri.opType, ri.outcome, time.Since(start))
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ans.body)
}

// resolve turns req's persisted query (APQ hash, safelist) into its
// document, or refuses it, and installs the operation guard (IP rules) for
// r: what every request goes through before Prepare, over any transport.
func (h *graphQLHandler) resolve(r *http.Request, req *engine.Request) *engine.RequestError {
	if h.persisted != nil {
		q, perr := h.persisted.Resolve(r.Context(), req.Query, req.Extensions)
		if perr != nil {
			return engine.Refuse(perr.Code, "%s", perr.Message)
		}
		req.Query = q
	} else if req.Query == "" {
		return engine.Refuse(errcode.BadRequest, "the request has no query")
	}
	if h.guard != nil {
		req.Guard = func(opName string, roots []string) *engine.RequestError { return h.guard(r, opName, roots) }
	}
	return nil
}

// read decodes the GraphQL request of a POST (JSON body) or GET (URL).
func (h *graphQLHandler) read(w http.ResponseWriter, r *http.Request) (req *engine.Request, status int, code, msg string) {
	req = &engine.Request{}
	switch r.Method {
	case http.MethodPost:
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/json" && ct != "application/graphql-response+json" && ct != "" {
			return nil, http.StatusUnsupportedMediaType, errcode.BadRequest, "Content-Type must be application/json"
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.maxBody))
		dec.UseNumber()
		if err := dec.Decode(req); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, http.StatusRequestEntityTooLarge, errcode.RequestTooLarge, fmt.Sprintf("the request body is over %d bytes", h.maxBody)
			}
			return nil, http.StatusBadRequest, errcode.BadRequest, "the body must be a JSON GraphQL request"
		}
	case http.MethodGet:
		req.ReadOnly = true
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		for name, dst := range map[string]*map[string]any{"variables": &req.Variables, "extensions": &req.Extensions} {
			if v := q.Get(name); v != "" {
				if err := json.Unmarshal([]byte(v), dst); err != nil {
					return nil, http.StatusBadRequest, errcode.BadRequest, name + " must be a JSON object"
				}
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, http.StatusMethodNotAllowed, errcode.BadRequest, "use GET or POST"
	}
	return req, 0, "", ""
}

func (h *graphQLHandler) refuse(w http.ResponseWriter, ri *requestInfo, status int, code, msg string) {
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

// answer is an executed operation's response, encoded once: what identical
// concurrent queries share when inbound dedup is on (the benchmark's 87 KB
// answer is encoded once per execution, not once per waiter).
type answer struct {
	body    []byte // JSON with its trailing newline; shared, never written to
	outcome string // success, partial or error
	code    string // the first error's code
}

func encode(resp *execute.Response) (*answer, error) {
	body, err := execute.AppendJSON(make([]byte, 0, execute.EncodedSize(resp)), resp)
	if err != nil {
		return nil, err
	}
	a := &answer{body: append(body, '\n'), outcome: "success"}
	if len(resp.Errors) > 0 {
		a.outcome, a.code = "partial", fmt.Sprint(resp.Errors[0].Extensions["code"])
		if resp.Data == nil {
			a.outcome = "error"
		}
	}
	return a, nil
}

// run executes a prepared request. With dedupInbound, identical concurrent
// queries (by the parsed operation type: a document may start with a
// comment or fragments) of the same caller share one execution and its
// encoded answer. The shared execution is detached from every waiter's
// cancellation, and a waiter whose client leaves stops waiting at once.
// Mutations and subscriptions never share.
func (h *graphQLHandler) run(ctx context.Context, e *engine.Engine, p *engine.Prepared, req *engine.Request) (*answer, error) {
	if !h.dedupInbound || p.Kind != ast.Query {
		return encode(e.Run(ctx, p))
	}
	led := false
	ch := h.inbound.DoChan(dedupKey(ctx, p, req), func() (any, error) {
		led = true
		return encode(e.Run(context.WithoutCancel(ctx), p))
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		if !led {
			h.metrics.sharedAnswer()
		}
		return res.Val.(*answer), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dedupKey identifies the answer of a query: its text, variables and plan
// (override labels and denied fields) and the caller it is for. Callers
// with different identities or scopes never share.
func dedupKey(ctx context.Context, p *engine.Prepared, req *engine.Request) string {
	vars, _ := json.Marshal(req.Variables) // map keys sorted: canonical
	caller := "\x00"
	if c, ok := auth.FromContext(ctx); ok {
		caller = c.Subject + "\x00" + strings.Join(c.Scopes, " ")
	}
	return fmt.Sprintf("%p\x00%s\x00%s\x00%s\x00%s", p.Plan, caller, req.OperationName, vars, req.Query)
}
