// Package server is the router's HTTP edge: it reads GraphQL requests,
// validates them against the public schema, plans (with a plan cache) and
// executes them, and serves health and metrics.
package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/router/authz"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/limits"
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

type cachedPlan struct {
	plan    *plan.Plan
	op      *normalize.Operation
	doc     *ast.QueryDocument
	opDef   *ast.OperationDefinition
	guarded []string // coordinates with access requirements (authz)
	roots   []string // root fields as "Mutation.createProduct"
	// filtered holds the plans of op with fields denied, by authz.Key.
	filtered sync.Map
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

// NewEngine prepares a supergraph for serving.
func NewEngine(sdl string, o Options) (*Engine, error) {
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

// Request is a GraphQL request.
type Request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
	// ReadOnly refuses mutations (requests over GET, which browsers send
	// across sites without preflight).
	ReadOnly bool `json:"-"`
	// Guard, when set, may refuse the operation once its name and root
	// fields ("Mutation.createProduct") are known (IP allow-lists).
	Guard func(opName string, rootFields []string) *RequestError `json:"-"`
	// Observe, when set, is told the operation's name and type.
	Observe func(name, kind string) `json:"-"`
}

// RequestError is a request refused before execution, with its code.
type RequestError struct {
	Code   string
	Errors gqlerror.List
}

// CodeIntrospectionDisabled refuses __schema/__type when introspection is off.
const CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"

func requestError(code, format string, args ...any) *RequestError {
	return &RequestError{Code: code, Errors: gqlerror.List{gqlerror.Errorf(format, args...)}}
}

func (e *RequestError) Error() string { return e.Errors.Error() }

// Execute answers one request. The caller's claims (auth.FromContext)
// decide which guarded fields it may see.
func (e *Engine) Execute(ctx context.Context, req *Request) (*execute.Response, error) {
	if n := e.limits.MaxDocumentBytes; n > 0 && len(req.Query) > n {
		return nil, requestError(limits.CodeDocumentTooLarge, "the document has %d bytes; the limit is %d", len(req.Query), n)
	}
	labels := e.activeLabels()
	cp, err := e.prepare(ctx, req, labels)
	if err != nil {
		return nil, err
	}
	if req.Observe != nil {
		req.Observe(cp.opDef.Name, string(cp.opDef.Operation))
	}
	if e.noIntrospection && slices.ContainsFunc(cp.roots, func(f string) bool {
		return strings.HasSuffix(f, ".__schema") || strings.HasSuffix(f, ".__type")
	}) {
		return nil, requestError(CodeIntrospectionDisabled, "introspection is disabled on this router")
	}
	if req.Guard != nil {
		if gerr := req.Guard(cp.opDef.Name, cp.roots); gerr != nil {
			return nil, gerr
		}
	}
	if req.ReadOnly && cp.opDef.Operation != ast.Query {
		return nil, requestError("BAD_REQUEST", "%s operations need POST", cp.opDef.Operation)
	}
	vars, verr := validator.VariableValues(e.API.Schema, cp.opDef, req.Variables)
	if verr != nil {
		var gerr *gqlerror.Error
		if !errors.As(verr, &gerr) {
			gerr = gqlerror.Errorf("%s", verr)
		}
		return nil, &RequestError{Code: "BAD_USER_INPUT", Errors: gqlerror.List{gerr}}
	}
	if lerr := e.limits.CheckCost(cp.opDef, vars); lerr != nil {
		return nil, requestError(lerr.Code, "%s", lerr.Message)
	}
	p, op, guarded := cp.plan, cp.op, cp.guarded
	if p == nil { // skip/include make the plan depend on variables
		if op, err = normalize.Normalize(e.API.Schema, cp.doc, cp.opDef, vars); err != nil {
			return nil, requestError("BAD_USER_INPUT", "%s", err)
		}
		if p, err = e.plan(op, labels); err != nil {
			return nil, err
		}
		guarded = e.policy.Guarded(op)
	}
	var claims *auth.Claims
	if c, ok := auth.FromContext(ctx); ok {
		claims = &c
	}
	denied := e.policy.Denied(guarded, claims)
	if denied == nil {
		return e.executor.Execute(ctx, p, op, vars), nil
	}
	key := authz.Key(denied)
	fp, cached := cp.filtered.Load(key)
	if !cached || cp.plan == nil {
		if fp, err = e.plan(authz.Filter(op, denied), labels); err != nil {
			return nil, err
		}
		if cp.plan != nil {
			cp.filtered.Store(key, fp)
		}
	}
	return e.executor.ExecuteDenying(ctx, fp.(*plan.Plan), op, vars, denied), nil
}

func (e *Engine) plan(op *normalize.Operation, labels string) (*plan.Plan, error) {
	p, err := e.plannerFor(labels).Plan(op)
	if err != nil {
		return nil, planningFailed(err)
	}
	optimize.Apply(p)
	return p, nil
}

// prepare parses, validates and (when it does not depend on variables) plans
// a request, using the plan cache keyed by the document and operation name.
func (e *Engine) prepare(ctx context.Context, req *Request, labels string) (*cachedPlan, error) {
	sum := sha256.Sum256([]byte(labels + "\x00" + req.OperationName + "\x00" + req.Query))
	key := hex.EncodeToString(sum[:])
	if cp, ok := e.plans.Get(ctx, key); ok {
		if e.OnPlanCache != nil {
			e.OnPlanCache(true)
		}
		return cp, nil
	}
	if e.OnPlanCache != nil {
		e.OnPlanCache(false)
	}
	if lerr := e.limits.CheckSource(req.Query); lerr != nil {
		return nil, requestError(lerr.Code, "%s", lerr.Message)
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil {
		return nil, &RequestError{Code: "GRAPHQL_PARSE_FAILED", Errors: gqlerror.List{perr.(*gqlerror.Error)}}
	}
	// Shape limits before validation: validating a hostile document is
	// itself the expensive part.
	for _, op := range doc.Operations {
		if lerr := e.limits.CheckShape(doc, op); lerr != nil {
			return nil, requestError(lerr.Code, "%s", lerr.Message)
		}
	}
	if errs := validator.ValidateWithRules(e.API.Schema, doc, rules.NewDefaultRules()); len(errs) > 0 {
		return nil, &RequestError{Code: "GRAPHQL_VALIDATION_FAILED", Errors: errs}
	}
	opDef, err := pickOperation(doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	cp := &cachedPlan{doc: doc, opDef: opDef, roots: rootFields(doc, opDef.SelectionSet, normalize.RootType(e.API.Schema, opDef.Operation).Name, nil)}
	if !strings.Contains(req.Query, "@skip") && !strings.Contains(req.Query, "@include") {
		op, err := normalize.Normalize(e.API.Schema, doc, opDef, nil)
		if err != nil {
			return nil, &RequestError{Code: "GRAPHQL_VALIDATION_FAILED", Errors: gqlerror.List{gqlerror.Errorf("%s", err)}}
		}
		sig := labels + "\x00" + signature(op)
		p, ok := e.shapes.Get(ctx, sig)
		if !ok {
			if p, err = e.plan(op, labels); err != nil {
				return nil, err
			}
			e.shapes.Add(ctx, sig, p)
		}
		cp.plan, cp.op, cp.guarded = p, op, e.policy.Guarded(op)
	}
	e.plans.Add(ctx, key, cp)
	return cp, nil
}

// signature prints a normalized operation compactly: its kind, variable
// definitions and selections (fragments already inlined), without names or
// layout. Operations with equal signatures have equal plans.
func signature(op *normalize.Operation) string {
	var b bytes.Buffer
	doc := &ast.QueryDocument{Operations: ast.OperationList{{Operation: op.Kind, VariableDefinitions: op.Variables, SelectionSet: op.SelectionSet}}}
	formatter.NewFormatter(&b, formatter.WithIndent("")).FormatQueryDocument(doc)
	return b.String()
}

// rootFields names the root fields of op, through fragments, whatever
// @skip/@include say (a guard must not be dodged by a variable).
func rootFields(doc *ast.QueryDocument, ss ast.SelectionSet, root string, seen map[string]bool) []string {
	var out []string
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, root+"."+s.Name)
		case *ast.InlineFragment:
			out = append(out, rootFields(doc, s.SelectionSet, root, seen)...)
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
				if seen == nil {
					seen = map[string]bool{}
				}
				seen[s.Name] = true
				out = append(out, rootFields(doc, f.SelectionSet, root, seen)...)
			}
		}
	}
	return out
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

// activeLabels decides this request's progressive override labels: the
// configured ones, and each "percent(N)" label with probability N/100. The
// result (labels joined by commas) keys the plan cache and the planner.
func (e *Engine) activeLabels() string {
	if len(e.labels) == 0 {
		return ""
	}
	var on []string
	for _, l := range e.labels {
		if e.labelsOn[l] {
			on = append(on, l)
			continue
		}
		var pct float64
		if _, err := fmt.Sscanf(l, "percent(%g)", &pct); err == nil && rand.Float64()*100 < pct {
			on = append(on, l)
		}
	}
	return strings.Join(on, ",")
}

// plannerFor returns the planner of a set of active labels.
func (e *Engine) plannerFor(labels string) *plan.Planner {
	if len(e.labels) == 0 {
		return e.planner
	}
	if p, ok := e.labelPlanner.Load(labels); ok {
		return p.(*plan.Planner)
	}
	active := map[string]bool{}
	for _, l := range strings.Split(labels, ",") {
		if l != "" {
			active[l] = true
		}
	}
	p, _ := e.labelPlanner.LoadOrStore(labels, plan.New(e.Supergraph.WithLabels(active), e.API.Schema))
	return p.(*plan.Planner)
}

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// planningFailed reports an operation the supergraph cannot answer (a field
// no subgraph can reach from where it is asked) with a stable code.
func planningFailed(err error) error {
	return &RequestError{Code: "QUERY_PLANNING_FAILED", Errors: gqlerror.List{gqlerror.Errorf("cannot plan this operation: %s", err)}}
}
