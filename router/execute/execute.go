// Package execute runs query plans: it sends each fetch to its subgraph
// (siblings in parallel, entity fetches batched into one `_entities` request
// per fetch), merges the results, and completes the response the client
// asked for, with null propagation and errors at the client's paths.
package execute

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
)

// Executor runs plans against one API schema.
type Executor struct {
	API       *ast.Schema
	Transport *Transport
}

// run is the state of one execution.
type run struct {
	*Executor
	vars   map[string]any
	denied map[string]string         // coordinates answered null with this code (authz)
	given  map[int]*subgraphResponse // fetches answered before the run (by fetch ID)
	mu     sync.Mutex                // guards data and errors while fetches merge
	data   map[string]any
	errors []Error
}

// Execute runs p for op with the (coerced) variables vars.
func (e *Executor) Execute(ctx context.Context, p *plan.Plan, op *normalize.Operation, vars map[string]any) *Response {
	return e.ExecuteDenying(ctx, p, op, vars, nil)
}

// ExecuteDenying runs p, planned for op without the denied fields, and
// completes op, answering each denied field ("Type.field" → error code) with
// null and an error at its path.
func (e *Executor) ExecuteDenying(ctx context.Context, p *plan.Plan, op *normalize.Operation, vars map[string]any, denied map[string]string) *Response {
	return e.execute(ctx, p, op, vars, denied, nil)
}

// execute runs p; the fetches in given are answered already (a
// subscription's event is its root fetch's answer).
func (e *Executor) execute(ctx context.Context, p *plan.Plan, op *normalize.Operation, vars map[string]any, denied map[string]string, given map[int]*subgraphResponse) *Response {
	r := &run{Executor: e, vars: vars, data: map[string]any{}, denied: denied, given: given}
	r.schedule(ctx, p)
	// Sized from this plan's last answer (with room for a little more), so
	// the buffer does not grow by doubling through a large answer.
	c := completer{run: r, buf: make([]byte, 0, max(p.AnswerSizeHint()*9/8, 1<<10)), path: make([]pathStep, 0, 16)}
	ok := c.selections(op.SelectionSet, op.RootType.Name, r.data, true)
	p.NoteAnswerSize(len(c.buf))
	resp := &Response{Errors: r.errors}
	if ok {
		resp.Data = RawJSON(c.buf)
	}
	return resp
}

// schedule runs every fetch of p as soon as its parent and the fetches it
// waits for (After) are done; independent fetches run in parallel. Mutation
// roots run one after the other, each after the whole tree of the previous.
func (r *run) schedule(ctx context.Context, p *plan.Plan) {
	done := map[int]chan struct{}{}
	type job struct {
		f    *plan.Fetch
		deps []int
	}
	var jobs []job
	var add func(f *plan.Fetch, parent int, extra []int)
	add = func(f *plan.Fetch, parent int, extra []int) {
		done[f.ID] = make(chan struct{})
		deps := append(append([]int(nil), f.After...), extra...)
		if parent != 0 {
			deps = append(deps, parent)
		}
		jobs = append(jobs, job{f: f, deps: deps})
		for _, c := range f.Children {
			add(c, f.ID, nil)
		}
	}
	var previous []int
	for _, root := range p.Roots {
		if p.Sequential {
			add(root, 0, previous)
			previous = subtreeIDs(root)
		} else {
			add(root, 0, nil)
		}
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			defer close(done[j.f.ID])
			for _, d := range j.deps {
				if ch, ok := done[d]; ok {
					<-ch
				}
			}
			if j.f.Entity {
				r.entityFetch(ctx, j.f)
			} else {
				r.rootFetch(ctx, j.f)
			}
		})
	}
	wg.Wait()
}

func subtreeIDs(f *plan.Fetch) []int {
	ids := []int{f.ID}
	for _, c := range f.Children {
		ids = append(ids, subtreeIDs(c)...)
	}
	return ids
}

func (r *run) variables(f *plan.Fetch) map[string]any {
	vars := make(map[string]any, len(f.Variables)+1)
	for _, name := range f.Variables {
		if v, ok := r.vars[name]; ok {
			vars[name] = v
		}
	}
	return vars
}

func (r *run) rootFetch(ctx context.Context, f *plan.Fetch) {
	resp, err := r.given[f.ID], error(nil)
	if resp == nil {
		resp, err = r.Transport.post(ctx, f.URL, f.Operation, r.variables(f), f.OpKind == ast.Mutation)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.fetchFailed(f, err, nil)
		return
	}
	if resp.Data != nil {
		restoreAliases(resp.Data, f.Selection)
		deepMerge(r.data, resp.Data)
	}
	for _, se := range resp.Errors {
		r.errors = append(r.errors, subgraphErr(f, se, se.Path))
	}
}

func (r *run) entityFetch(ctx context.Context, f *plan.Fetch) {
	r.mu.Lock()
	targets := r.collect(f)
	r.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	reps := make([]any, len(targets))
	for i, t := range targets {
		reps[i] = t.rep
	}
	vars := r.variables(f)
	vars["representations"] = reps
	resp, err := r.Transport.post(ctx, f.URL, f.Operation, vars, false)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.fetchFailed(f, err, targets)
		return
	}
	ents, _ := resp.Data["_entities"].([]any)
	for i, t := range targets {
		if i >= len(ents) {
			break
		}
		if m, ok := ents[i].(map[string]any); ok {
			if f.RepTypename != "" {
				// An @interfaceObject subgraph answers the interface's name;
				// the object's real type (known already, or fetched from the
				// interface's owner) must not be overwritten by it.
				delete(m, "__typename")
			}
			restoreAliases(m, f.Selection)
			for _, obj := range t.objs {
				deepMerge(obj, m)
			}
		}
	}
	for _, se := range resp.Errors {
		path := se.Path
		// ["_entities", i, rest...] → the first object's path + rest
		if len(path) >= 2 && path[0] == "_entities" {
			if i, ok := index(path[1]); ok && i < len(targets) {
				path = append(append([]any(nil), targets[i].path...), path[2:]...)
			}
		} else {
			path = nil
		}
		r.errors = append(r.errors, subgraphErr(f, se, path))
	}
}

func index(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), true
	}
	return 0, false
}

// restoreAliases renames fields the planner aliased (Selection.Original)
// back to the client's response keys.
func restoreAliases(v any, sels []*plan.Selection) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			restoreAliases(e, sels)
		}
	case map[string]any:
		for _, s := range sels {
			if s.Name == "" {
				restoreAliases(v, s.Children)
				continue
			}
			child, ok := v[s.ResponseKey]
			if !ok {
				continue
			}
			if len(s.Children) > 0 {
				restoreAliases(child, s.Children)
			}
			if s.Original != "" {
				delete(v, s.ResponseKey)
				v[s.Original] = child
			}
		}
	}
}
