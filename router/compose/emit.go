package compose

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

const supergraphHeader = `directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar join__FieldSet

scalar requiresScopes__Scope

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}
`

// emit writes the supergraph SDL.
func emit(graphs []*graph, types map[string]*typeInfo) string {
	composed := composedDirectives(graphs)
	var b strings.Builder
	b.WriteString("schema\n  @link(url: \"https://specs.apollo.dev/link/v1.0\")\n  @link(url: \"https://specs.apollo.dev/join/v0.4\", for: EXECUTION)\n")
	b.WriteString("  @link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)\n  @link(url: \"https://specs.apollo.dev/tag/v0.3\")\n")
	b.WriteString("  @link(url: \"https://specs.apollo.dev/authenticated/v0.1\", for: SECURITY)\n  @link(url: \"https://specs.apollo.dev/requiresScopes/v0.1\", for: SECURITY)\n")
	composed.writeLinks(&b)
	b.WriteString("{\n")
	for _, root := range []string{"Query", "Mutation", "Subscription"} {
		if types[root] != nil {
			fmt.Fprintf(&b, "  %s: %s\n", strings.ToLower(root), root)
		}
	}
	b.WriteString("}\n\n")
	b.WriteString(supergraphHeader)
	composed.writeDefinitions(&b)
	b.WriteString("\nenum join__Graph {\n")
	for _, g := range graphs {
		fmt.Fprintf(&b, "  %s @join__graph(name: %s, url: %s)\n", g.enum, strconv.Quote(g.Name), strconv.Quote(g.URL))
	}
	b.WriteString("}\n")
	for _, name := range slices.Sorted(maps.Keys(types)) {
		b.WriteString("\n")
		emitType(&b, types[name], composed)
	}
	return b.String()
}

func emitType(b *strings.Builder, ti *typeInfo, composed composedSet) {
	writeDescription(b, ti.desc, "")
	keyword := map[ast.DefinitionKind]string{ast.Object: "type", ast.Interface: "interface", ast.Union: "union",
		ast.Enum: "enum", ast.InputObject: "input", ast.Scalar: "scalar"}[ti.kind]
	b.WriteString(keyword + " " + ti.name)
	var ifaces []string
	for _, g := range ti.graphs {
		for _, i := range ti.defs[g.enum].Interfaces {
			if !slices.Contains(ifaces, i) {
				ifaces = append(ifaces, i)
			}
		}
	}
	if len(ifaces) > 0 {
		b.WriteString(" implements " + strings.Join(ifaces, " & "))
	}
	b.WriteString("\n")
	for _, g := range ti.graphs {
		def := ti.defs[g.enum]
		keys := def.Directives.ForNames("key")
		ext := ""
		if g.ext[ti.name] {
			ext = ", extension: true"
		}
		io := ""
		if hasDirective(def.Directives, "interfaceObject") {
			io = ", isInterfaceObject: true"
		}
		if len(keys) == 0 {
			fmt.Fprintf(b, "  @join__type(graph: %s%s%s)\n", g.enum, ext, io)
		}
		for _, k := range keys {
			res := ""
			if directiveArg(k, "resolvable") == "false" {
				res = ", resolvable: false"
			}
			fmt.Fprintf(b, "  @join__type(graph: %s, key: %s%s%s%s)\n", g.enum, strconv.Quote(directiveArg(k, "fields")), ext, res, io)
		}
		for _, i := range def.Interfaces {
			fmt.Fprintf(b, "  @join__implements(graph: %s, interface: %s)\n", g.enum, strconv.Quote(i))
		}
	}
	writeSchemaDirectives(b, ti, func(def *ast.Definition) ast.DirectiveList { return def.Directives }, "  ")
	composed.writeApplications(b, ti.graphs, func(g *graph) ast.DirectiveList { return ti.defs[g.enum].Directives }, "  ", "\n")
	switch ti.kind {
	case ast.Union:
		var members []string
		for _, g := range ti.graphs {
			for _, m := range ti.defs[g.enum].Types {
				fmt.Fprintf(b, "  @join__unionMember(graph: %s, member: %s)\n", g.enum, strconv.Quote(m))
				if !slices.Contains(members, m) {
					members = append(members, m)
				}
			}
		}
		b.WriteString(" = " + strings.Join(members, " | ") + "\n")
	case ast.Enum:
		b.WriteString("{\n")
		emitEnumValues(b, ti)
		b.WriteString("}\n")
	case ast.Object, ast.Interface, ast.InputObject:
		b.WriteString("{\n")
		emitFields(b, ti, composed)
		b.WriteString("}\n")
	}
}

func emitEnumValues(b *strings.Builder, ti *typeInfo) {
	names, where := enumValues(ti)
	descs := map[string]string{}
	for _, g := range slices.Backward(ti.graphs) {
		for _, v := range ti.defs[g.enum].EnumValues {
			descs[v.Name] = v.Description // the first graph's description wins
		}
	}
	for _, n := range names {
		writeDescription(b, descs[n], "  ")
		b.WriteString("  " + n)
		for _, g := range where[n] {
			fmt.Fprintf(b, " @join__enumValue(graph: %s)", g)
		}
		b.WriteString("\n")
	}
}

func emitFields(b *strings.Builder, ti *typeInfo, composed composedSet) {
	names := fieldNames(ti)
	if ti.kind == ast.InputObject {
		names = inputFields(ti)
	}
	for _, fname := range names {
		var first *ast.FieldDefinition
		var joins []string
		plain := true
		inaccessible, deprecated := false, ""
		var access accessRules
		overridden := overridesOf(ti, fname)
		for _, g := range ti.graphs {
			f := ti.defs[g.enum].Fields.ForName(fname)
			if f == nil {
				plain = false
				continue
			}
			ov, isOverridden := overridden[g.Name]
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
			args := []string{"graph: " + g.enum}
			for _, a := range []struct{ dir, arg string }{{"requires", "requires"}, {"provides", "provides"}, {"override", "override"}} {
				if d := f.Directives.ForName(a.dir); d != nil {
					plain = false
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
			if isOverridden {
				plain = false
				switch {
				case ov.label != "":
					// Progressive override: both resolve it; the router
					// picks per request by the label.
					args = append(args, "overrideLabel: "+strconv.Quote(ov.label))
				case keyField(ti.defs[g.enum], fname):
					// Still part of this graph's key: kept for that alone.
					args = append(args, "usedOverridden: true")
				default:
					continue // no longer resolved here
				}
			}
			if hasDirective(f.Directives, "external") {
				plain = false
				args = append(args, "external: true")
			}
			joins = append(joins, "@join__field("+strings.Join(args, ", ")+")")
		}
		writeDescription(b, first.Description, "  ")
		b.WriteString("  " + fname + formatArguments(first.Arguments))
		b.WriteString(": " + first.Type.String())
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

// writeSchemaDirectives keeps @inaccessible, @tag, @authenticated and
// @requiresScopes on a type.
func writeSchemaDirectives(b *strings.Builder, ti *typeInfo, of func(*ast.Definition) ast.DirectiveList, indent string) {
	inaccessible := false
	var tags []string
	var access accessRules
	for _, g := range ti.graphs {
		ds := of(ti.defs[g.enum])
		access.add(ds)
		if hasDirective(ds, "inaccessible") {
			inaccessible = true
		}
		for _, t := range ds.ForNames("tag") {
			if n := directiveArg(t, "name"); !slices.Contains(tags, n) {
				tags = append(tags, n)
			}
		}
	}
	if inaccessible {
		b.WriteString(indent + "@inaccessible\n")
	}
	for _, t := range tags {
		b.WriteString(indent + "@tag(name: " + strconv.Quote(t) + ")\n")
	}
	if access.authenticated || access.scopes != nil {
		b.WriteString(indent)
		access.write(b, "")
		b.WriteString("\n")
	}
}

// accessRules merges @authenticated and @requiresScopes of one element
// across subgraphs the way Apollo composition does: authenticated if any
// subgraph says so, and scopes that satisfy every subgraph's requirement
// (each subgraph's list is OR of AND-sets; merging ANDs them, i.e. the
// pairwise unions of their sets).
type accessRules struct {
	authenticated bool
	scopes        [][]string
}

func (a *accessRules) add(ds ast.DirectiveList) {
	if hasDirective(ds, "authenticated") {
		a.authenticated = true
	}
	d := ds.ForName("requiresScopes")
	if d == nil {
		d = ds.ForName("federation__requiresScopes")
	}
	if d == nil {
		return
	}
	arg := d.Arguments.ForName("scopes")
	if arg == nil || arg.Value == nil {
		return
	}
	var sets [][]string
	for _, or := range arg.Value.Children {
		var set []string
		for _, s := range or.Value.Children {
			if !slices.Contains(set, s.Value.Raw) {
				set = append(set, s.Value.Raw)
			}
		}
		slices.Sort(set)
		sets = append(sets, set)
	}
	if a.scopes == nil {
		a.scopes = sets
		return
	}
	var merged [][]string
	for _, x := range a.scopes {
		for _, y := range sets {
			u := append(append([]string(nil), x...), y...)
			slices.Sort(u)
			u = slices.Compact(u)
			if !slices.ContainsFunc(merged, func(m []string) bool { return slices.Equal(m, u) }) {
				merged = append(merged, u)
			}
		}
	}
	a.scopes = merged
}

func (a *accessRules) write(b *strings.Builder, sep string) {
	if a.authenticated {
		b.WriteString(sep + "@authenticated")
		sep = " "
	}
	if a.scopes != nil {
		var ors []string
		for _, set := range a.scopes {
			q := make([]string, len(set))
			for i, s := range set {
				q[i] = strconv.Quote(s)
			}
			ors = append(ors, "["+strings.Join(q, ", ")+"]")
		}
		b.WriteString(sep + "@requiresScopes(scopes: [" + strings.Join(ors, ", ") + "])")
	}
}

// formatArguments writes argument definitions as SDL: "(a: Int = 1, b: String)".
func formatArguments(list ast.ArgumentDefinitionList) string {
	if len(list) == 0 {
		return ""
	}
	args := make([]string, len(list))
	for i, a := range list {
		args[i] = a.Name + ": " + a.Type.String()
		if a.DefaultValue != nil {
			args[i] += " = " + a.DefaultValue.String()
		}
	}
	return "(" + strings.Join(args, ", ") + ")"
}

func writeDescription(b *strings.Builder, desc, indent string) {
	if desc == "" {
		return
	}
	b.WriteString(indent + `"""` + "\n")
	for _, line := range strings.Split(desc, "\n") {
		b.WriteString(indent + strings.ReplaceAll(line, `"""`, `\"""`) + "\n")
	}
	b.WriteString(indent + `"""` + "\n")
}
