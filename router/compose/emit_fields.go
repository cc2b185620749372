package compose

import (
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// emitFields writes the fields of an object, interface or input type.
func emitFields(b *strings.Builder, ti *typeInfo, composed composedSet) {
	names := fieldNames(ti)
	if ti.kind == ast.InputObject {
		names = inputFields(ti)
	}
	for _, fname := range names {
		emitField(b, ti, fname, composed)
	}
}

// emitField writes one field: its supergraph type, a @join__field per
// subgraph resolving it (none when every subgraph of the type resolves it
// plainly), and the directives clients see.
func emitField(b *strings.Builder, ti *typeInfo, fname string, composed composedSet) {
	var first *ast.FieldDefinition
	var joins []string
	plain := true
	inaccessible, deprecated := false, ""
	var access accessRules
	overridden := overridesOf(ti, fname)
	typ := fieldType(ti, fname)
	for _, g := range ti.graphs {
		f := ti.defs[g.enum].Fields.ForName(fname)
		if f == nil {
			plain = false
			continue
		}
		access.add(f.Directives)
		if first == nil {
			first = f
		}
		if hasDirective(f.Directives, "inaccessible") {
			inaccessible = true
		}
		if d := f.Directives.ForName("deprecated"); d != nil {
			deprecated = directiveArg(d, "reason")
		}
		args, special, kept := joinField(g, ti.defs[g.enum], f, typ, overridden)
		plain = plain && !special
		if kept {
			joins = append(joins, "@join__field("+strings.Join(args, ", ")+")")
		}
	}
	writeDescription(b, first.Description, "  ")
	b.WriteString("  " + fname + formatArguments(first.Arguments))
	b.WriteString(": " + typ.String())
	if first.DefaultValue != nil {
		b.WriteString(" = " + first.DefaultValue.String())
	}
	if !plain || ti.kind == ast.InputObject && len(joins) != len(ti.graphs) {
		b.WriteString(" " + strings.Join(joins, " "))
	}
	if inaccessible {
		b.WriteString(" @inaccessible")
	}
	if deprecated != "" {
		b.WriteString(" @deprecated(reason: " + strconv.Quote(deprecated) + ")")
	}
	access.write(b, " ")
	composed.writeApplications(b, ti.graphs, func(g *graph) ast.DirectiveList {
		if f := ti.defs[g.enum].Fields.ForName(fname); f != nil {
			return f.Directives
		}
		return nil
	}, " ", "")
	b.WriteString("\n")
}

// joinField is the arguments of field f's @join__field in graph g (def is
// the type there, typ the field's supergraph type). special says they tell
// more than that g resolves the field; kept is false where g no longer
// resolves it at all (overridden away from it).
func joinField(g *graph, def *ast.Definition, f *ast.FieldDefinition, typ *ast.Type, overridden map[string]override) (args []string, special, kept bool) {
	args = []string{"graph: " + g.enum}
	if t := f.Type.String(); t != typ.String() {
		// The planner needs the subgraph's own type (e.g. to alias
		// fields whose nullability differs between sibling fragments).
		special = true
		args = append(args, "type: "+strconv.Quote(t))
	}
	for _, a := range []struct{ dir, arg string }{{"requires", "requires"}, {"provides", "provides"}, {"override", "override"}} {
		if d := f.Directives.ForName(a.dir); d != nil {
			special = true
			arg := "fields"
			if a.dir == "override" {
				arg = "from"
			}
			args = append(args, a.arg+": "+strconv.Quote(directiveArg(d, arg)))
			if a.dir == "override" {
				if label := directiveArg(d, "label"); label != "" {
					args = append(args, "overrideLabel: "+strconv.Quote(label))
				}
			}
		}
	}
	if ov, isOverridden := overridden[g.Name]; isOverridden {
		special = true
		switch {
		case ov.label != "":
			// Progressive override: both resolve it; the router
			// picks per request by the label.
			args = append(args, "overrideLabel: "+strconv.Quote(ov.label))
		case keyField(def, f.Name):
			// Still part of this graph's key: kept for that alone.
			args = append(args, "usedOverridden: true")
		default:
			return nil, true, false // no longer resolved here
		}
	}
	if g.external(def, f) {
		special = true
		args = append(args, "external: true")
	}
	return args, special, true
}

// fieldType is the type of field fname in the supergraph (validate has made
// sure the subgraphs agree but for nullability): for output fields the
// most general of the subgraphs' types, nullable wherever one of them is (a
// client must expect null from any); for input fields the most restrictive,
// required wherever one of them requires it (each must get its value).
func fieldType(ti *typeInfo, fname string) *ast.Type {
	var types []*ast.Type
	for _, g := range ti.graphs {
		if f := ti.defs[g.enum].Fields.ForName(fname); f != nil {
			types = append(types, f.Type)
		}
	}
	return mergeTypes(types, ti.kind == ast.InputObject)
}

func mergeTypes(types []*ast.Type, input bool) *ast.Type {
	t := *types[0]
	var elems []*ast.Type
	for _, o := range types {
		if input {
			t.NonNull = t.NonNull || o.NonNull
		} else {
			t.NonNull = t.NonNull && o.NonNull
		}
		if o.Elem != nil {
			elems = append(elems, o.Elem)
		}
	}
	if t.Elem != nil && len(elems) == len(types) {
		t.Elem = mergeTypes(elems, input)
	}
	return &t
}

// override is a field's @override taken by another graph.
type override struct {
	by    string // the graph that took it
	label string // progressive override label, if any
}

// overridesOf maps a subgraph name to the @override that took field fname
// from it.
func overridesOf(ti *typeInfo, fname string) map[string]override {
	out := map[string]override{}
	for _, g := range ti.graphs {
		f := ti.defs[g.enum].Fields.ForName(fname)
		if f == nil {
			continue
		}
		if d := f.Directives.ForName("override"); d != nil {
			out[directiveArg(d, "from")] = override{by: g.Name, label: directiveArg(d, "label")}
		}
	}
	return out
}
