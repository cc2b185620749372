package compose

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// validate reports what makes the subgraphs impossible to compose: fields
// whose types conflict, fields resolved by several subgraphs without
// @shareable, fields no other subgraph can reach for want of a @key, and
// references to types no subgraph defines.
func validate(types map[string]*typeInfo) Errors {
	var errs Errors
	for _, name := range slices.Sorted(maps.Keys(types)) {
		ti := types[name]
		switch ti.kind {
		case ast.InputObject:
			errs = append(errs, validateInput(ti)...)
			continue
		case ast.Enum:
			errs = append(errs, validateEnum(ti)...)
			continue
		case ast.Object, ast.Interface:
		default:
			continue
		}
		root := name == "Query" || name == "Mutation" || name == "Subscription"
		for _, fname := range fieldNames(ti) {
			var (
				typ       string
				resolving []string
				where     []string
			)
			for _, g := range ti.graphs {
				def := ti.defs[g.enum]
				f := def.Fields.ForName(fname)
				if f == nil {
					continue
				}
				where = append(where, g.Name)
				if t := nonNullStripped(f.Type); typ == "" {
					typ = t
				} else if t != typ {
					errs = append(errs, fmt.Sprintf("field %s.%s has conflicting types: %s in one subgraph, %s in %s", name, fname, typ, t, g.Name))
				}
				if n := f.Type.Name(); !builtinScalars[n] && types[n] == nil {
					errs = append(errs, fmt.Sprintf("field %s.%s in %s has unknown type %s", name, fname, g.Name, n))
				}
				if g.external(def, f) || hasDirective(f.Directives, "override") {
					continue
				}
				if ti.kind == ast.Object && !shareable(def, f) && !keyField(def, fname) {
					resolving = append(resolving, g.Name)
				} else if ti.kind == ast.Object {
					resolving = append(resolving, g.Name+"(shareable)")
				}
			}
			var strict []string
			for _, r := range resolving {
				if !strings.HasSuffix(r, "(shareable)") {
					strict = append(strict, r)
				}
			}
			if len(strict) > 0 && len(resolving) > 1 {
				errs = append(errs, fmt.Sprintf("non-shareable field %s.%s is resolved by several subgraphs (%s); mark it @shareable in each", name, fname, strings.Join(where, ", ")))
			}
			if !root && ti.kind == ast.Object && len(ti.graphs) > 1 && len(where) == 1 {
				if g := graphNamed(ti, where[0]); g != nil && !hasResolvableKey(ti.defs[g.enum]) && !reenterableThroughParents(types, name, g) {
					errs = append(errs, fmt.Sprintf("field %s.%s is only in subgraph %s, which has no resolvable @key on %s: other subgraphs returning %s cannot reach it", name, fname, where[0], name, name))
				}
			}
		}
	}
	return errs
}

// reenterableThroughParents reports whether every field of another subgraph
// that returns typeName is also resolved by g on a parent g can be entered
// at (a root type, or an entity with a resolvable key in g): the planner then
// reaches g's fields of typeName by going back to the parent in g.
func reenterableThroughParents(types map[string]*typeInfo, typeName string, g *graph) bool {
	for _, pname := range slices.Sorted(maps.Keys(types)) {
		parent := types[pname]
		if parent.kind != ast.Object && parent.kind != ast.Interface {
			continue
		}
		for _, h := range parent.graphs {
			if h == g {
				continue
			}
			for _, f := range parent.defs[h.enum].Fields {
				if f.Type.Name() != typeName || h.external(parent.defs[h.enum], f) {
					continue
				}
				inG := parent.defs[g.enum]
				if inG == nil {
					return false
				}
				gf := inG.Fields.ForName(f.Name)
				root := pname == "Query" || pname == "Mutation" || pname == "Subscription"
				if gf == nil || g.external(inG, gf) || !root && !hasResolvableKey(inG) {
					return false
				}
			}
		}
	}
	return true
}

// validateInput refuses an input field some subgraph requires (non-null, no
// default) while another subgraph's input type lacks it: the supergraph keeps
// only common fields, and the first subgraph could never get its field.
func validateInput(ti *typeInfo) Errors {
	var errs Errors
	common := inputFields(ti)
	for _, g := range ti.graphs {
		for _, f := range ti.defs[g.enum].Fields {
			if f.Type.NonNull && f.DefaultValue == nil && !slices.Contains(common, f.Name) {
				errs = append(errs, fmt.Sprintf("input field %s.%s is required in subgraph %s but missing from the type in another subgraph", ti.name, f.Name, g.Name))
			}
		}
	}
	return errs
}

// validateEnum refuses an enum used both as input and output whose values
// differ across subgraphs: neither the union nor the intersection is safe.
// A value some subgraph marks @inaccessible may be missing elsewhere: it is
// not in the API schema, so no client can send it.
func validateEnum(ti *typeInfo) Errors {
	if !ti.inInput || !ti.inOutput {
		return nil
	}
	names, where := enumValues(ti)
	hidden := hiddenValues(ti)
	for _, n := range names {
		if len(where[n]) != len(ti.graphs) && !hidden[n] {
			return Errors{fmt.Sprintf("enum %s is both an input and an output type, so every subgraph must define the same values; %s is not in all of them", ti.name, n)}
		}
	}
	return nil
}

func graphNamed(ti *typeInfo, name string) *graph {
	for _, g := range ti.graphs {
		if g.Name == name {
			return g
		}
	}
	return nil
}

func nonNullStripped(t *ast.Type) string {
	return strings.ReplaceAll(t.String(), "!", "")
}

func shareable(def *ast.Definition, f *ast.FieldDefinition) bool {
	return hasDirective(f.Directives, "shareable") || hasDirective(def.Directives, "shareable")
}

// external reports whether f is @external in g: marked itself, or on a
// type marked @external as a whole (Federation 2 allows both). A key field
// of a type extension marked @external is not: Federation 1 required the
// mark there, and g resolves the field all the same (Apollo composition
// calls these "fake" externals).
func (g *graph) external(def *ast.Definition, f *ast.FieldDefinition) bool {
	marked := hasDirective(f.Directives, "external") || hasDirective(def.Directives, "external")
	return marked && !(g.ext[def.Name] && keyField(def, f.Name))
}

func keyField(def *ast.Definition, name string) bool {
	for _, k := range def.Directives.ForNames("key") {
		for _, part := range strings.Fields(strings.NewReplacer("{", " ", "}", " ").Replace(directiveArg(k, "fields"))) {
			if part == name {
				return true
			}
		}
	}
	return false
}

func hasResolvableKey(def *ast.Definition) bool {
	for _, k := range def.Directives.ForNames("key") {
		if directiveArg(k, "resolvable") != "false" {
			return true
		}
	}
	return false
}

// fieldNames lists a type's fields across subgraphs in first-seen order.
func fieldNames(ti *typeInfo) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range ti.graphs {
		for _, f := range ti.defs[g.enum].Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f.Name)
			}
		}
	}
	return out
}
