package execute

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// completer shapes merged subgraph data into the client's response: only the
// selected fields, under their aliases, in selection order, with nulls
// propagated up to the nearest nullable field.
type completer struct {
	run *run
	// groups caches the field groups of a selection set for an object type:
	// every item of a list has the same ones.
	groups map[groupKey][]*fieldGroup
}

// groupKey identifies a selection set by its backing array (each set the
// operation or a merge produces has its own) and the object's type.
type groupKey struct {
	first  *ast.Selection
	n      int
	actual string
}

// selections completes an object; false means a non-null field was null
// and the object itself must become null.
func (c *completer) selections(ss ast.SelectionSet, typeName string, obj map[string]any, path []any, root bool) (*Object, bool) {
	actual := typeName
	if tn, ok := obj["__typename"].(string); ok && tn != "" {
		actual = tn
	}
	groups := c.grouped(ss, actual)
	out := &Object{keys: make([]string, 0, len(groups)), vals: make([]any, 0, len(groups))}
	ok := c.into(out, groups, actual, obj, path, root)
	return out, ok
}

func (c *completer) grouped(ss ast.SelectionSet, actual string) []*fieldGroup {
	if len(ss) == 0 {
		return nil
	}
	k := groupKey{first: &ss[0], n: len(ss), actual: actual}
	if g, ok := c.groups[k]; ok {
		return g
	}
	g := c.collect(ss, actual, nil)
	if c.groups == nil {
		c.groups = map[groupKey][]*fieldGroup{}
	}
	c.groups[k] = g
	return g
}

func (c *completer) into(out *Object, groups []*fieldGroup, actual string, obj map[string]any, path []any, root bool) bool {
	for _, group := range groups {
		s := group.field
		// Sibling fields share fpath's backing array (each overwrites the
		// same slot): errors keep a copy (c.at), never the slice itself.
		fpath := append(path, s.Alias)
		switch {
		case s.Name == "__typename":
			out.add(s.Alias, actual)
			continue
		case root && (s.Name == "__schema" || s.Name == "__type"):
			v, err := introspect(c.run.API, s, c.run.vars)
			if err != nil {
				c.run.errors = append(c.run.errors, Error{Message: err.Error(), Path: at(fpath)})
			}
			out.add(s.Alias, v)
			continue
		}
		if s.Definition == nil {
			continue
		}
		if c.run.denied != nil && s.ObjectDefinition != nil {
			if code, no := c.run.denied[s.ObjectDefinition.Name+"."+s.Name]; no {
				c.run.errors = append(c.run.errors, Error{
					Message:    fmt.Sprintf("Unauthorized field or type: %s.%s", s.ObjectDefinition.Name, s.Name),
					Path:       at(fpath),
					Extensions: map[string]any{"code": code},
				})
				if s.Definition.Type.NonNull {
					return false
				}
				out.add(s.Alias, nil)
				continue
			}
		}
		v, ok := c.value(s.Definition.Type, s, group.selections, obj[s.Alias], fpath)
		if !ok {
			return false
		}
		out.add(s.Alias, v)
	}
	return true
}

// fieldGroup is all the fields of one response key, merged (GraphQL's CollectFields).
type fieldGroup struct {
	field      *ast.Field
	selections ast.SelectionSet
}

// collect groups the fields of ss that apply to an object of type actual by
// response key, in first-seen order, merging their sub-selections.
func (c *completer) collect(ss ast.SelectionSet, actual string, groups []*fieldGroup) []*fieldGroup {
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.InlineFragment:
			if c.matches(actual, s.TypeCondition) {
				groups = c.collect(s.SelectionSet, actual, groups)
			}
		case *ast.Field:
			found := false
			for _, g := range groups {
				if g.field.Alias == s.Alias {
					g.selections = append(g.selections, s.SelectionSet...)
					found = true
					break
				}
			}
			if !found {
				groups = append(groups, &fieldGroup{field: s, selections: append(ast.SelectionSet(nil), s.SelectionSet...)})
			}
		}
	}
	return groups
}

// value completes one field value of type t.
func (c *completer) value(t *ast.Type, f *ast.Field, sel ast.SelectionSet, raw any, path []any) (any, bool) {
	if raw == nil {
		if t.NonNull {
			c.nullError(f, path)
			return nil, false
		}
		return nil, true
	}
	if t.Elem != nil {
		list, ok := raw.([]any)
		if !ok {
			c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("expected a list for %s", f.Name), Path: at(path)})
			return nil, !t.NonNull
		}
		out := make([]any, len(list))
		for i, e := range list {
			v, ok := c.value(t.Elem, f, sel, e, append(path, i))
			if !ok {
				return nil, !t.NonNull
			}
			out[i] = v
		}
		return out, true
	}
	def := c.run.API.Types[t.NamedType]
	if def == nil {
		return nil, !t.NonNull
	}
	switch def.Kind {
	case ast.Scalar:
		return raw, true
	case ast.Enum:
		s, _ := raw.(string)
		if def.EnumValues.ForName(s) == nil {
			// A value the public schema does not have (e.g. @inaccessible).
			c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("enum %s has no public value %q", def.Name, s), Path: at(path)})
			return nil, !t.NonNull
		}
		return s, true
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, !t.NonNull
	}
	if tn, _ := m["__typename"].(string); tn != "" && c.run.API.Types[tn] == nil {
		// An object of a type the public schema hides (@inaccessible): the
		// client cannot be shown it, so it is null here.
		if t.NonNull {
			c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("%s returned an object of a type that is not public", f.Name), Path: at(path)})
		}
		return nil, !t.NonNull
	}
	obj, ok := c.selections(sel, def.Name, m, path, false)
	if !ok {
		return nil, !t.NonNull
	}
	return obj, true
}

// matches reports whether an object of type actual satisfies a type condition.
func (c *completer) matches(actual, cond string) bool { return c.run.satisfies(actual, cond) }

// nullError reports a null in a non-null position, unless a subgraph error
// already explains it.
func (c *completer) nullError(f *ast.Field, path []any) {
	for _, e := range c.run.errors {
		if len(e.Path) >= len(path) && equalPrefix(e.Path, path) || len(e.Path) > 0 && equalPrefix(path, e.Path) {
			return
		}
	}
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name + "."
	}
	c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("Cannot return null for non-nullable field %s%s.", parent, f.Name), Path: at(path)})
}

// at copies a path for an error: completion reuses path slices' arrays.
func at(path []any) []any { return append([]any(nil), path...) }

func equalPrefix(a, prefix []any) bool {
	if len(a) < len(prefix) {
		return false
	}
	for i := range prefix {
		if fmt.Sprint(a[i]) != fmt.Sprint(prefix[i]) {
			return false
		}
	}
	return true
}
