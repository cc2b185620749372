// Package authz enforces the Federation 2.5 access directives at the router
// (read and decided by internal/access, as every subgraph decides them again),
// before any fetch: @authenticated and @requiresScopes on fields, and on
// types (guarding every field that returns the type and every field of it).
// Fields the caller may not see are cut from the operation that is planned,
// and answered as null with an error at their path; the rest of the
// operation still runs.
package authz

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/internal/access"
	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/normalize"
)

// Policy knows the requirements of a supergraph's fields and types.
type Policy struct {
	types  map[string]access.Rule
	fields map[string]access.Rule // "Type.field"
	api    *ast.Schema
}

// New reads the access directives of a supergraph schema; api is the public
// schema operations are validated against.
func New(supergraph, api *ast.Schema) *Policy {
	p := &Policy{types: map[string]access.Rule{}, fields: map[string]access.Rule{}, api: api}
	for name, def := range supergraph.Types {
		if r, ok := access.Read(def.Directives); ok {
			p.types[name] = r
		}
		for _, f := range def.Fields {
			if r, ok := access.Read(f.Directives); ok {
				p.fields[name+"."+f.Name] = r
			}
		}
	}
	return p
}

// Empty reports a supergraph without access directives (nothing to check).
func (p *Policy) Empty() bool { return len(p.types) == 0 && len(p.fields) == 0 }

// rules are the requirements of field f selected on parent: its own, its
// parent type's, its return type's, and (on an interface) those of the same
// field on every implementation, since any of them may answer.
func (p *Policy) rules(parent string, f *ast.Field) []access.Rule {
	var out []access.Rule
	add := func(r access.Rule, ok bool) {
		if ok {
			out = append(out, r)
		}
	}
	r, ok := p.fields[parent+"."+f.Name]
	add(r, ok)
	r, ok = p.types[parent]
	add(r, ok)
	if f.Definition != nil {
		r, ok = p.types[f.Definition.Type.Name()]
		add(r, ok)
	}
	if def := p.api.Types[parent]; def != nil && def.Kind == ast.Interface {
		for _, impl := range p.api.GetPossibleTypes(def) {
			r, ok = p.fields[impl.Name+"."+f.Name]
			add(r, ok)
			r, ok = p.types[impl.Name]
			add(r, ok)
		}
	}
	return out
}

// Guarded lists the coordinates ("Type.field") in op that carry any
// requirement; only they need checking per request. Computed once per
// cached plan.
func (p *Policy) Guarded(op *normalize.Operation) []string {
	if p.Empty() {
		return nil
	}
	seen := map[string]bool{}
	var walk func(ss ast.SelectionSet, parent string)
	walk = func(ss ast.SelectionSet, parent string) {
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				if strings.HasPrefix(s.Name, "__") {
					continue
				}
				if len(p.rules(Parent(s, parent), s)) > 0 {
					seen[Parent(s, parent)+"."+s.Name] = true
				}
				if s.Definition != nil {
					walk(s.SelectionSet, s.Definition.Type.Name())
				}
			case *ast.InlineFragment:
				cond := parent
				if s.TypeCondition != "" {
					cond = s.TypeCondition
				}
				walk(s.SelectionSet, cond)
			}
		}
	}
	walk(op.SelectionSet, op.RootType.Name)
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Denied maps each guarded coordinate the caller may not see to an error
// code. claims is nil for an anonymous caller.
func (p *Policy) Denied(guarded []string, claims *auth.Claims) map[string]string {
	var out map[string]string
	for _, coord := range guarded {
		parent, name, _ := strings.Cut(coord, ".")
		code := p.check(p.rules(parent, &ast.Field{Name: name, Definition: p.fieldDef(parent, name)}), claims)
		if code != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[coord] = code
		}
	}
	return out
}

func (p *Policy) fieldDef(parent, name string) *ast.FieldDefinition {
	if def := p.api.Types[parent]; def != nil {
		return def.Fields.ForName(name)
	}
	return nil
}

func (p *Policy) check(rules []access.Rule, claims *auth.Claims) string {
	switch access.Check(rules, claims) {
	case access.NotSignedIn:
		return errcode.Unauthorized
	case access.MissingScope:
		return errcode.Forbidden
	}
	return ""
}

// Filter returns op without the denied fields (the operation to plan). A
// selection set left empty keeps __typename, so it stays valid.
func Filter(op *normalize.Operation, denied map[string]string) *normalize.Operation {
	out := *op
	out.SelectionSet = filter(op.SelectionSet, op.RootType.Name, denied)
	if len(out.SelectionSet) == 0 {
		out.SelectionSet = ast.SelectionSet{typename(op.RootType)}
	}
	return &out
}

func filter(ss ast.SelectionSet, parent string, denied map[string]string) ast.SelectionSet {
	var out ast.SelectionSet
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			if _, no := denied[Parent(s, parent)+"."+s.Name]; no {
				continue
			}
			if len(s.SelectionSet) > 0 && s.Definition != nil {
				c := *s
				c.SelectionSet = filter(s.SelectionSet, s.Definition.Type.Name(), denied)
				if len(c.SelectionSet) == 0 {
					c.SelectionSet = ast.SelectionSet{typename(nil)}
				}
				out = append(out, &c)
				continue
			}
			out = append(out, s)
		case *ast.InlineFragment:
			cond := parent
			if s.TypeCondition != "" {
				cond = s.TypeCondition
			}
			c := *s
			c.SelectionSet = filter(s.SelectionSet, cond, denied)
			if len(c.SelectionSet) > 0 {
				out = append(out, &c)
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

// Parent is the type a field was selected on (validation records it), else
// the enclosing type.
func Parent(f *ast.Field, enclosing string) string {
	if f.ObjectDefinition != nil {
		return f.ObjectDefinition.Name
	}
	return enclosing
}

func typename(parent *ast.Definition) *ast.Field {
	return &ast.Field{Alias: "__typename", Name: "__typename", ObjectDefinition: parent}
}

// Key identifies a denial set, for caching the plans of filtered operations.
func Key(denied map[string]string) string {
	keys := make([]string, 0, len(denied))
	for k := range denied {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
