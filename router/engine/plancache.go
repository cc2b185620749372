package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/plan/optimize"
)

// Two caches spare the work before execution. plans holds, by document and
// operation name, everything known before the variables: the parsed and
// validated document and, unless @skip/@include make it depend on the
// variables, the plan. shapes holds plans by normalized operation, so that
// documents spelled differently share one.

// planned is an operation ready to run: its plan and what authorization
// needs of it.
type planned struct {
	plan    *plan.Plan
	op      *normalize.Operation
	guarded []string // coordinates with access requirements (authz)
}

// cachedPlan is one entry of the plan cache.
type cachedPlan struct {
	planned // a nil plan depends on the variables (@skip/@include)
	doc     *ast.QueryDocument
	opDef   *ast.OperationDefinition
	roots   []string // root fields as "Mutation.createProduct"
	// filtered holds the plans of op with fields denied, by authz.Key.
	filtered sync.Map
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
	if err := e.checkSource(req.Query); err != nil {
		return nil, err
	}
	doc, err := e.parse(req.Query)
	if err != nil {
		return nil, err
	}
	opDef, err := pickOperation(doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	cp := &cachedPlan{doc: doc, opDef: opDef, roots: rootFields(doc, opDef.SelectionSet, normalize.RootType(e.API.Schema, opDef.Operation).Name, nil)}
	if !strings.Contains(req.Query, "@skip") && !strings.Contains(req.Query, "@include") {
		op, err := normalize.Normalize(e.API.Schema, doc, opDef, nil)
		if err != nil {
			return nil, Refuse(errcode.ValidationFailed, "%s", err)
		}
		sig := labels + "\x00" + signature(op)
		p, ok := e.shapes.Get(ctx, sig)
		if !ok {
			if p, err = e.plan(op, labels); err != nil {
				return nil, err
			}
			e.shapes.Add(ctx, sig, p)
		}
		cp.planned = planned{plan: p, op: op, guarded: e.policy.Guarded(op)}
	}
	e.plans.Add(ctx, key, cp)
	return cp, nil
}

// planWith is the cached plan, or for an operation whose plan depends on
// its variables (skip/include), the plan of this request's.
func (e *Engine) planWith(cp *cachedPlan, vars map[string]any, labels string) (planned, error) {
	if cp.plan != nil {
		return cp.planned, nil
	}
	op, err := normalize.Normalize(e.API.Schema, cp.doc, cp.opDef, vars)
	if err != nil {
		return planned{}, Refuse(errcode.BadUserInput, "%s", err)
	}
	p, err := e.plan(op, labels)
	if err != nil {
		return planned{}, err
	}
	return planned{plan: p, op: op, guarded: e.policy.Guarded(op)}, nil
}

// plan plans and optimizes op with the planner of the active labels.
func (e *Engine) plan(op *normalize.Operation, labels string) (*plan.Plan, error) {
	p, err := e.plannerFor(labels).Plan(op)
	if err != nil {
		// An operation the supergraph cannot answer (a field no subgraph can
		// reach from where it is asked), with a stable code.
		return nil, Refuse(errcode.QueryPlanningFailed, "cannot plan this operation: %s", err)
	}
	optimize.Apply(p)
	return p, nil
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
