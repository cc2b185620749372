// Package server is the router's HTTP edge: it reads GraphQL requests,
// validates them against the public schema, plans (with a plan cache) and
// executes them, and serves health and metrics.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/plan/optimize"
	"github.com/virtual-store/virtual-store/router/schema"
	"github.com/virtual-store/virtual-store/router/supergraph"
)

// Engine answers GraphQL requests for one supergraph. Build a new one to
// change the supergraph; the server swaps engines atomically.
type Engine struct {
	Supergraph *supergraph.Supergraph
	API        *schema.API
	planner    *plan.Planner
	executor   *execute.Executor
	plans      *lru.LRU[*cachedPlan]
}

type cachedPlan struct {
	plan  *plan.Plan
	op    *normalize.Operation
	doc   *ast.QueryDocument
	opDef *ast.OperationDefinition
}

// NewEngine prepares a supergraph for serving.
func NewEngine(sdl string, transport *execute.Transport) (*Engine, error) {
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		return nil, err
	}
	api, err := schema.FromSupergraph(sg)
	if err != nil {
		return nil, err
	}
	return &Engine{
		Supergraph: sg, API: api,
		planner:  plan.New(sg, api.Schema),
		executor: &execute.Executor{API: api.Schema, Transport: transport},
		plans:    lru.New[*cachedPlan](2048),
	}, nil
}

// Request is a GraphQL request.
type Request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
	// ReadOnly refuses mutations (requests over GET, which browsers send
	// across sites without preflight).
	ReadOnly bool `json:"-"`
}

// RequestError is a request refused before execution, with its code.
type RequestError struct {
	Code   string
	Errors gqlerror.List
}

func (e *RequestError) Error() string { return e.Errors.Error() }

// Execute answers one request.
func (e *Engine) Execute(ctx context.Context, req *Request) (*execute.Response, error) {
	cp, err := e.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.ReadOnly && cp.opDef.Operation != ast.Query {
		return nil, &RequestError{Code: "BAD_REQUEST", Errors: gqlerror.List{gqlerror.Errorf("%s operations need POST", cp.opDef.Operation)}}
	}
	vars, verr := validator.VariableValues(e.API.Schema, cp.opDef, req.Variables)
	if verr != nil {
		var gerr *gqlerror.Error
		if !errors.As(verr, &gerr) {
			gerr = gqlerror.Errorf("%s", verr)
		}
		return nil, &RequestError{Code: "BAD_USER_INPUT", Errors: gqlerror.List{gerr}}
	}
	if cp.plan == nil { // skip/include make the plan depend on variables
		op, err := normalize.Normalize(e.API.Schema, cp.doc, cp.opDef, vars)
		if err != nil {
			return nil, &RequestError{Code: "BAD_USER_INPUT", Errors: gqlerror.List{gqlerror.Errorf("%s", err)}}
		}
		p, err := e.planner.Plan(op)
		if err != nil {
			return nil, planningFailed(err)
		}
		optimize.Apply(p)
		return e.executor.Execute(ctx, p, op, vars), nil
	}
	return e.executor.Execute(ctx, cp.plan, cp.op, vars), nil
}

// prepare parses, validates and (when it does not depend on variables) plans
// a request, using the plan cache keyed by the document and operation name.
func (e *Engine) prepare(ctx context.Context, req *Request) (*cachedPlan, error) {
	sum := sha256.Sum256([]byte(req.OperationName + "\x00" + req.Query))
	key := hex.EncodeToString(sum[:])
	if cp, ok := e.plans.Get(ctx, key); ok {
		return cp, nil
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil {
		return nil, &RequestError{Code: "GRAPHQL_PARSE_FAILED", Errors: gqlerror.List{perr.(*gqlerror.Error)}}
	}
	if errs := validator.ValidateWithRules(e.API.Schema, doc, rules.NewDefaultRules()); len(errs) > 0 {
		return nil, &RequestError{Code: "GRAPHQL_VALIDATION_FAILED", Errors: errs}
	}
	opDef, err := pickOperation(doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	cp := &cachedPlan{doc: doc, opDef: opDef}
	if !strings.Contains(req.Query, "@skip") && !strings.Contains(req.Query, "@include") {
		op, err := normalize.Normalize(e.API.Schema, doc, opDef, nil)
		if err != nil {
			return nil, &RequestError{Code: "GRAPHQL_VALIDATION_FAILED", Errors: gqlerror.List{gqlerror.Errorf("%s", err)}}
		}
		p, err := e.planner.Plan(op)
		if err != nil {
			return nil, planningFailed(err)
		}
		optimize.Apply(p)
		cp.plan, cp.op = p, op
	}
	e.plans.Add(ctx, key, cp)
	return cp, nil
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name == "" {
		if len(doc.Operations) != 1 {
			return nil, &RequestError{Code: "GRAPHQL_VALIDATION_FAILED", Errors: gqlerror.List{gqlerror.Errorf("operationName is required when the document has several operations")}}
		}
		return doc.Operations[0], nil
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, nil
	}
	return nil, &RequestError{Code: "GRAPHQL_VALIDATION_FAILED", Errors: gqlerror.List{gqlerror.Errorf("no operation named %q", name)}}
}

// Plan returns the plan of a query as JSON, for `router plan` and debugging.
func (e *Engine) Plan(query, operationName string) (string, error) {
	cp, err := e.prepare(context.Background(), &Request{Query: query, OperationName: operationName})
	if err != nil {
		return "", err
	}
	if cp.plan == nil {
		return "", fmt.Errorf("the plan depends on @skip/@include variables")
	}
	b, err := json.MarshalIndent(cp.plan, "", "  ")
	return string(b), err
}

// planningFailed reports an operation the supergraph cannot answer (a field
// no subgraph can reach from where it is asked) with a stable code.
func planningFailed(err error) error {
	return &RequestError{Code: "QUERY_PLANNING_FAILED", Errors: gqlerror.List{gqlerror.Errorf("cannot plan this operation: %s", err)}}
}
