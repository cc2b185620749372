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
	hidden := hiddenValues(ti)
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
		if hidden[n] {
			b.WriteString(" @inaccessible")
		}
		b.WriteString("\n")
	}
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
