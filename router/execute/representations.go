package execute

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/plan"
)

// An entity fetch extends objects already in the response: collect finds
// them along the fetch's paths and builds each one's representation (its
// key fields, by the fetch's Representation selection), one per distinct
// representation however many objects share it.

// target is one representation and the objects in the response it stands for.
type target struct {
	rep  map[string]any
	objs []map[string]any
	path []any // of the first object
}

// collect finds the objects f extends and builds their deduplicated representations.
func (r *run) collect(f *plan.Fetch) []*target {
	var out []*target
	byKey := map[string]*target{}
	var key []byte
	visit := func(obj map[string]any, path []any) {
		tn, _ := obj["__typename"].(string)
		if tn != "" && !slices.Contains(f.Types, tn) {
			return
		}
		rep, ok := r.project(obj, f.Representation)
		if !ok {
			return // a key field is null: this object cannot be looked up
		}
		if tn == "" && len(f.Types) == 1 {
			rep["__typename"] = f.Types[0]
		}
		if f.RepTypename != "" {
			rep["__typename"] = f.RepTypename
		}
		key = appendValue(key[:0], rep)
		t := byKey[string(key)]
		if t == nil {
			// The first object's path is where the fetch's errors are reported.
			t = &target{rep: rep, path: append([]any(nil), path...)}
			byKey[string(key)] = t
			out = append(out, t)
		}
		t.objs = append(t.objs, obj)
	}
	walk(r.data, f.Path, nil, visit)
	for _, p := range f.MorePaths {
		walk(r.data, p, nil, visit)
	}
	return out
}

// walk visits the objects at path below v, through lists.
func walk(v any, path []string, cur []any, visit func(map[string]any, []any)) {
	switch v := v.(type) {
	case map[string]any:
		if len(path) == 0 {
			visit(v, cur)
			return
		}
		walk(v[path[0]], path[1:], append(cur, path[0]), visit)
	case []any:
		for i, e := range v {
			walk(e, path, append(cur, i), visit)
		}
	}
}

// satisfies reports whether an object of type actual matches a type
// condition: the same type, or an interface or union it belongs to.
func (r *run) satisfies(actual, cond string) bool {
	if cond == "" || cond == actual {
		return true
	}
	d := r.API.Types[cond]
	if d == nil || d.Kind == ast.Object {
		return false
	}
	return slices.ContainsFunc(r.API.GetPossibleTypes(d), func(p *ast.Definition) bool { return p.Name == actual })
}

// project copies the selected fields of obj (a representation); false if a
// selected field is missing or null.
func (r *run) project(obj map[string]any, sels []*plan.Selection) (map[string]any, bool) {
	out := map[string]any{}
	for _, s := range sels {
		if s.Name == "" {
			tn, _ := obj["__typename"].(string)
			if !r.satisfies(tn, s.TypeCond) {
				continue
			}
			sub, ok := r.project(obj, s.Children)
			if !ok {
				return nil, false
			}
			for k, v := range sub {
				out[k] = v
			}
			continue
		}
		v, ok := obj[s.ResponseKey]
		if !ok || v == nil {
			if s.Name == "__typename" {
				continue
			}
			return nil, false
		}
		if len(s.Children) > 0 {
			pv, ok := r.projectValue(v, s.Children)
			if !ok {
				return nil, false
			}
			v = pv
		}
		out[s.Name] = v
	}
	return out, true
}

func (r *run) projectValue(v any, sels []*plan.Selection) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return r.project(v, sels)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			pv, ok := r.projectValue(e, sels)
			if !ok {
				return nil, false
			}
			out[i] = pv
		}
		return out, true
	}
	return v, true
}
