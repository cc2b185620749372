// Package engine answers GraphQL requests for one supergraph, apart from any
// transport: the document's limits, parse and validation, the plan caches,
// progressive override labels, authorization, then execution. router/server
// puts HTTP in front of it; `router plan` and `router schema` use it alone.
//
// Each stage is a file of its own; Prepare reads as the pipeline, Run
// executes what it planned.
package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/authz"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/limits"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
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
	// shapes holds plans by normalized operation, so documents that differ
	// only in spelling (whitespace, fragments, field order of fragments
	// spread the same way, names) share one plan.
	shapes *lru.LRU[*plan.Plan]
	limits limits.Checker
	policy *authz.Policy
	// Progressive override: the labels of the supergraph, the ones always
	// on (Options.OverrideLabels), and a planner per set of active labels.
	labels          []string
	labelsOn        map[string]bool
	labelPlanner    sync.Map // label key → *plan.Planner
	noIntrospection bool
	// OnPlanCache, when set, is told of every plan cache lookup (metrics).
	OnPlanCache func(hit bool)
}

// Options configure an engine.
type Options struct {
	Transport *execute.Transport
	Limits    config.Limits
	// OverrideLabels are progressive override labels always active (besides
	// "percent(N)" labels, active for N% of requests).
	OverrideLabels []string
	// NoIntrospection refuses __schema and __type (production APIs often
	// keep their schema to known clients); __typename always works.
	NoIntrospection bool
}

// New prepares a supergraph for serving.
func New(sdl string, o Options) (*Engine, error) {
	sg, api, err := schema.Load(sdl)
	if err != nil {
		return nil, err
	}
	return &Engine{
		Supergraph: sg, API: api,
		planner:         plan.New(sg, api.Schema),
		executor:        &execute.Executor{API: api.Schema, Transport: o.Transport},
		plans:           lru.New[*cachedPlan](2048),
		shapes:          lru.New[*plan.Plan](2048),
		limits:          limits.Checker{Limits: o.Limits, Schema: api.Schema},
		policy:          authz.New(sg.Schema, api.Schema),
		labels:          sg.OverrideLabels(),
		labelsOn:        setOf(o.OverrideLabels),
		noIntrospection: o.NoIntrospection,
	}, nil
}

// Execute answers one request: Prepare, then Run.
func (e *Engine) Execute(ctx context.Context, req *Request) (*execute.Response, error) {
	p, err := e.Prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx, p), nil
}

// Prepared is a request checked and planned: everything before the
// subgraphs are called. Requests with the same document, variables, caller
// and Plan get the same answer, which is what lets the server share one
// execution among identical concurrent queries.
type Prepared struct {
	// Kind is the operation's type as parsed (query, mutation, subscription).
	Kind ast.Operation
	// Plan is the plan that will run (for this caller's denied fields and
	// this request's override labels).
	Plan   *plan.Plan
	op     *normalize.Operation
	vars   map[string]any
	denied map[string]string
}

// Prepare runs the pipeline up to execution. The caller's claims
// (auth.FromContext) decide which guarded fields it may see.
func (e *Engine) Prepare(ctx context.Context, req *Request) (*Prepared, error) {
	if err := e.checkSize(req.Query); err != nil {
		return nil, err
	}
	labels := e.activeLabels()
	cp, err := e.prepare(ctx, req, labels)
	if err != nil {
		return nil, err
	}
	if err := e.admit(req, cp); err != nil {
		return nil, err
	}
	vars, err := e.coerce(cp, req.Variables)
	if err != nil {
		return nil, err
	}
	if err := e.checkCost(cp, vars); err != nil {
		return nil, err
	}
	pl, err := e.planWith(cp, vars, labels)
	if err != nil {
		return nil, err
	}
	denied := e.denied(ctx, pl)
	if denied != nil {
		if pl.plan, err = e.withoutDenied(cp, pl, denied, labels); err != nil {
			return nil, err
		}
	}
	return &Prepared{Kind: cp.opDef.Operation, Plan: pl.plan, op: pl.op, vars: vars, denied: denied}, nil
}

// Run executes a prepared request against the subgraphs.
func (e *Engine) Run(ctx context.Context, p *Prepared) *execute.Response {
	return e.executor.ExecuteDenying(ctx, p.Plan, p.op, p.vars, p.denied)
}

// Subscribe opens a prepared subscription: one response per event of the
// subgraph's stream (with the other subgraphs' fields resolved), until it
// ends or ctx does. A subscription whose root field the caller may not see
// answers once, with the refusal.
func (e *Engine) Subscribe(ctx context.Context, p *Prepared) (<-chan *execute.Response, error) {
	if p.Kind != ast.Subscription {
		return nil, fmt.Errorf("a %s is not a subscription", p.Kind)
	}
	if len(p.Plan.Roots) == 0 {
		once := make(chan *execute.Response, 1)
		once <- e.Run(ctx, p)
		close(once)
		return once, nil
	}
	return e.executor.Subscribe(ctx, p.Plan, p.op, p.vars, p.denied)
}

// Plan returns the plan of a query, for `router plan` and debugging.
func (e *Engine) Plan(query, operationName string) (*plan.Plan, error) {
	cp, err := e.prepare(context.Background(), &Request{Query: query, OperationName: operationName}, e.activeLabels())
	if err != nil {
		return nil, err
	}
	if cp.plan == nil {
		return nil, fmt.Errorf("the plan depends on @skip/@include variables")
	}
	return cp.plan, nil
}
