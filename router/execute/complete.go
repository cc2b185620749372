package execute

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// completer writes the client's response from the merged subgraph data, as
// JSON, while it walks the operation: only the selected fields, under their
// aliases, in selection order, with nulls propagated up to the nearest
// nullable field. No tree is built between the subgraphs' data and the
// bytes sent: a value that must become null after all is cut from the
// buffer (back to where it began) and written as null.
type completer struct {
	run  *run
	buf  []byte
	path []pathStep // where completion is (see at)
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

// selections writes an object; false means a non-null field was null and
// the object itself must become null (the caller cuts what was written).
func (c *completer) selections(ss ast.SelectionSet, typeName string, obj map[string]any, root bool) bool {
	actual := typeName
	if tn, ok := obj["__typename"].(string); ok && tn != "" {
		actual = tn
	}
	c.buf = append(c.buf, '{')
	if !c.into(c.grouped(ss, actual), actual, obj, root) {
		return false
	}
	c.buf = append(c.buf, '}')
	return true
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

func (c *completer) into(groups []*fieldGroup, actual string, obj map[string]any, root bool) bool {
	first := true
	for _, group := range groups {
		s := group.field
		if s.Name != "__typename" && !(root && (s.Name == "__schema" || s.Name == "__type")) && s.Definition == nil {
			continue
		}
		if !first {
			c.buf = append(c.buf, ',')
		}
		first = false
		c.buf = appendString(c.buf, s.Alias)
		c.buf = append(c.buf, ':')
		switch {
		case s.Name == "__typename":
			c.buf = appendString(c.buf, actual)
			continue
		case root && (s.Name == "__schema" || s.Name == "__type"):
			v, err := introspect(c.run.API, s, c.run.vars)
			if err != nil {
				c.run.errors = append(c.run.errors, Error{Message: err.Error(), Path: c.at(s.Alias)})
			}
			c.buf = appendValue(c.buf, v)
			continue
		}
		if c.run.denied != nil && s.ObjectDefinition != nil {
			if code, no := c.run.denied[s.ObjectDefinition.Name+"."+s.Name]; no {
				c.run.errors = append(c.run.errors, Error{
					Message:    fmt.Sprintf("Unauthorized field or type: %s.%s", s.ObjectDefinition.Name, s.Name),
					Path:       c.at(s.Alias),
					Extensions: map[string]any{"code": code},
				})
				if s.Definition.Type.NonNull {
					return false
				}
				c.buf = append(c.buf, "null"...)
				continue
			}
		}
		c.path = append(c.path, pathStep{key: s.Alias})
		ok := c.value(s.Definition.Type, s, group.selections, obj[s.Alias])
		c.path = c.path[:len(c.path)-1]
		if !ok {
			return false
		}
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

// value writes one field value of type t; false means it is null in a
// non-null position, which the enclosing value must answer for (a nullable
// one becomes null: whatever was written since it began is cut).
func (c *completer) value(t *ast.Type, f *ast.Field, sel ast.SelectionSet, raw any) bool {
	start := len(c.buf)
	null := func() bool {
		if t.NonNull {
			return false
		}
		c.buf = append(c.buf[:start], "null"...)
		return true
	}
	if raw == nil {
		if t.NonNull {
			c.nullError(f)
			return false
		}
		c.buf = append(c.buf, "null"...)
		return true
	}
	if t.Elem != nil {
		list, ok := raw.([]any)
		if !ok {
			c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("expected a list for %s", f.Name), Path: c.at("")})
			return null()
		}
		c.buf = append(c.buf, '[')
		for i, e := range list {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			c.path = append(c.path, pathStep{index: i})
			ok := c.value(t.Elem, f, sel, e)
			c.path = c.path[:len(c.path)-1]
			if !ok {
				return null()
			}
		}
		c.buf = append(c.buf, ']')
		return true
	}
	def := c.run.API.Types[t.NamedType]
	if def == nil {
		return null()
	}
	switch def.Kind {
	case ast.Scalar:
		c.buf = appendValue(c.buf, raw)
		return true
	case ast.Enum:
		s, _ := raw.(string)
		if def.EnumValues.ForName(s) == nil {
			// A value the public schema does not have (e.g. @inaccessible).
			c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("enum %s has no public value %q", def.Name, s), Path: c.at("")})
			return null()
		}
		c.buf = appendString(c.buf, s)
		return true
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return null()
	}
	if tn, _ := m["__typename"].(string); tn != "" && c.run.API.Types[tn] == nil {
		// An object of a type the public schema hides (@inaccessible): the
		// client cannot be shown it, so it is null here.
		if t.NonNull {
			c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("%s returned an object of a type that is not public", f.Name), Path: c.at("")})
		}
		return null()
	}
	if !c.selections(sel, def.Name, m, false) {
		return null()
	}
	return true
}

// matches reports whether an object of type actual satisfies a type condition.
func (c *completer) matches(actual, cond string) bool { return c.run.satisfies(actual, cond) }

// nullError reports a null in a non-null position, unless a subgraph error
// already explains it.
func (c *completer) nullError(f *ast.Field) {
	path := c.at("")
	for _, e := range c.run.errors {
		if len(e.Path) >= len(path) && equalPrefix(e.Path, path) || len(e.Path) > 0 && equalPrefix(path, e.Path) {
			return
		}
	}
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name + "."
	}
	c.run.errors = append(c.run.errors, Error{Message: fmt.Sprintf("Cannot return null for non-nullable field %s%s.", parent, f.Name), Path: path})
}

// pathStep is one step of the response path where completion is: a
// response key, or (key "") a list index. Completion walks thousands of
// fields and list items and needs the path as a value only for an error, so
// it keeps the steps in one reused stack (c.path) and builds a path (at)
// only then.
type pathStep struct {
	key   string
	index int
}

// at is the path of an error: where completion is, then key if not "".
func (c *completer) at(key string) []any {
	out := pathOf(c.path, 1)
	if key != "" {
		out = append(out, key)
	}
	return out
}

// pathOf is steps as a response path (with room for extra more).
func pathOf(steps []pathStep, extra int) []any {
	out := make([]any, 0, len(steps)+extra)
	for _, s := range steps {
		if s.key != "" {
			out = append(out, s.key)
		} else {
			out = append(out, s.index)
		}
	}
	return out
}

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
