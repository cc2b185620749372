package execute

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/plan"
)

// An entity fetch extends objects already in the response: collect finds
// them along the fetch's paths and builds each one's representation (its
// key fields, by the fetch's Representation selection), one per distinct
// representation however many objects share it.

// target is one representation and the objects in the response it stands for.
type target struct {
	rep  RawJSON // written as appendValue writes a map: keys sorted
	objs []map[string]any
	path []any // of the first object
}

// collect finds the objects f extends and builds their deduplicated
// representations, written straight as JSON (the bytes are both the
// deduplication key and what the request sends).
func (r *run) collect(f *plan.Fetch) []*target {
	var out []*target
	byKey := map[string]*target{}
	var key []byte
	typename := ""
	visit := func(obj map[string]any, path []pathStep) {
		tn, _ := obj["__typename"].(string)
		if tn != "" && !slices.Contains(f.Types, tn) {
			return
		}
		typename = ""
		if tn == "" && len(f.Types) == 1 {
			typename = f.Types[0]
		}
		if f.RepTypename != "" {
			typename = f.RepTypename
		}
		var ok bool
		key, ok = r.appendRep(key[:0], obj, f.Representation, typename)
		if !ok {
			return // a key field is null: this object cannot be looked up
		}
		t := byKey[string(key)]
		if t == nil {
			// The first object's path is where the fetch's errors are reported.
			t = &target{rep: RawJSON(slices.Clone(key)), path: pathOf(path, 0)}
			byKey[string(t.rep)] = t
			out = append(out, t)
		}
		t.objs = append(t.objs, obj)
	}
	steps := make([]pathStep, 0, 16) // one array for every path walked
	walk(r.data, f.Path, steps, visit)
	for _, p := range f.MorePaths {
		walk(r.data, p, steps, visit)
	}
	return out
}

// walk visits the objects at path below v, through lists; cur is where v
// is (its steps' array is reused: visit copies what it keeps, pathOf).
func walk(v any, path []string, cur []pathStep, visit func(map[string]any, []pathStep)) {
	switch v := v.(type) {
	case map[string]any:
		if len(path) == 0 {
			visit(v, cur)
			return
		}
		walk(v[path[0]], path[1:], append(cur, pathStep{key: path[0]}), visit)
	case []any:
		for i, e := range v {
			walk(e, path, append(cur, pathStep{index: i}), visit)
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

// repField is one field of a representation: its name and value.
type repField struct {
	name string
	v    any
	sels []*plan.Selection // the value's own selection (objects, lists of them)
}

// appendRep writes the selected fields of obj (a representation) as a JSON
// object, keys sorted as appendValue writes maps, with __typename set to
// typename unless it is ""; false if a selected field is missing or null.
func (r *run) appendRep(buf []byte, obj map[string]any, sels []*plan.Selection, typename string) ([]byte, bool) {
	var arr [8]repField
	fields, ok := r.repFields(arr[:0], obj, sels)
	if !ok {
		return buf, false
	}
	if typename != "" {
		fields = append(fields, repField{name: "__typename", v: typename})
	}
	// Later fields win over earlier ones of the same name, as a map's
	// assignments would: a stable sort keeps their order, and the last of
	// each name is written.
	slices.SortStableFunc(fields, func(a, b repField) int { return strings.Compare(a.name, b.name) })
	buf = append(buf, '{')
	first := true
	for i, f := range fields {
		if i+1 < len(fields) && fields[i+1].name == f.name {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendString(buf, f.name)
		buf = append(buf, ':')
		if buf, ok = r.appendRepValue(buf, f.v, f.sels); !ok {
			return buf, false
		}
	}
	return append(buf, '}'), true
}

// repFields lists the fields sels select from obj, inline fragments that
// apply flattened in.
func (r *run) repFields(out []repField, obj map[string]any, sels []*plan.Selection) ([]repField, bool) {
	for _, s := range sels {
		if s.Name == "" {
			tn, _ := obj["__typename"].(string)
			if !r.satisfies(tn, s.TypeCond) {
				continue
			}
			var ok bool
			if out, ok = r.repFields(out, obj, s.Children); !ok {
				return nil, false
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
		out = append(out, repField{name: s.Name, v: v, sels: s.Children})
	}
	return out, true
}

func (r *run) appendRepValue(buf []byte, v any, sels []*plan.Selection) ([]byte, bool) {
	if len(sels) == 0 {
		return appendValue(buf, v), true
	}
	switch v := v.(type) {
	case map[string]any:
		return r.appendRep(buf, v, sels, "")
	case []any:
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = r.appendRepValue(buf, e, sels); !ok {
				return buf, false
			}
		}
		return append(buf, ']'), true
	}
	return appendValue(buf, v), true
}
