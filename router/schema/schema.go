// Package schema derives the public API schema from a supergraph: the types
// and fields clients may see, without the join__/link machinery, without
// anything marked @inaccessible, and without subgraph-only directives.
package schema

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/virtual-store/virtual-store/router/supergraph"
)

// API is the public schema.
type API struct {
	Schema *ast.Schema
	SDL    string
}

// Load parses a supergraph SDL and derives its API schema.
func Load(sdl string) (*supergraph.Supergraph, *API, error) {
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		return nil, nil, err
	}
	api, err := FromSupergraph(sg)
	if err != nil {
		return nil, nil, err
	}
	return sg, api, nil
}

// FromSupergraph builds the API schema of sg.
func FromSupergraph(sg *supergraph.Supergraph) (*API, error) {
	doc := &ast.SchemaDocument{}
	src := sg.Schema
	names := make([]string, 0, len(src.Types))
	for name, def := range src.Types {
		if def.BuiltIn || isMachinery(name) || inaccessible(def.Directives) {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	// Custom type-system directives (those subgraphs @composeDirective) are
	// part of the graph: their definitions and applications stay.
	custom := map[string]bool{}
	for _, d := range src.Directives {
		if (d.Position == nil || d.Position.Src == nil || !d.Position.Src.BuiltIn) && !isMachinery(d.Name) {
			custom[d.Name] = true
		}
	}
	for _, name := range names {
		def := publicDefinition(src.Types[name], custom)
		def.Interfaces, def.Types = filterNames(def.Interfaces, keep), filterNames(def.Types, keep)
		doc.Definitions = append(doc.Definitions, def)
	}
	sd := &ast.SchemaDefinition{}
	for _, op := range []struct {
		op  ast.Operation
		def *ast.Definition
	}{{ast.Query, src.Query}, {ast.Mutation, src.Mutation}, {ast.Subscription, src.Subscription}} {
		if op.def != nil {
			sd.OperationTypes = append(sd.OperationTypes, &ast.OperationTypeDefinition{Operation: op.op, Type: op.def.Name})
		}
	}
	doc.Schema = append(doc.Schema, sd)
	for _, d := range src.Directives {
		if custom[d.Name] {
			doc.Directives = append(doc.Directives, d)
		}
	}

	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
	sdl := buf.String()
	api, gerr := gqlparser.LoadSchema(&ast.Source{Name: "api.graphql", Input: sdl})
	if gerr != nil {
		return nil, fmt.Errorf("api schema: %w", gerr)
	}
	return &API{Schema: api, SDL: sdl}, nil
}

// isMachinery tells federation's own types and directives from the graph's.
func isMachinery(name string) bool {
	for _, p := range []string{"join__", "link__", "federation__", "link", "inaccessible", "tag", "composeDirective",
		"authenticated", "requiresScopes", "requiresScopes__", "policy", "policy__",
		"context", "context__", "cost", "listSize", "federation"} {
		if name == p || strings.HasPrefix(name, p) && strings.HasSuffix(p, "__") {
			return true
		}
	}
	return name == "_Any" || name == "_Service" || name == "_Entity" || name == "FieldSet" || name == "_FieldSet"
}

func inaccessible(ds ast.DirectiveList) bool {
	return ds.ForName("inaccessible") != nil || ds.ForName("federation__inaccessible") != nil
}

// public keeps only the directives clients should see on schema elements:
// the built-in ones and the graph's own (custom).
func public(ds ast.DirectiveList, custom map[string]bool) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range ds {
		if d.Name == "deprecated" || d.Name == "specifiedBy" || d.Name == "oneOf" || custom[d.Name] {
			out = append(out, &ast.Directive{Name: d.Name, Arguments: d.Arguments})
		}
	}
	return out
}

func publicDefinition(def *ast.Definition, custom map[string]bool) *ast.Definition {
	out := &ast.Definition{Kind: def.Kind, Description: def.Description, Name: def.Name, Directives: public(def.Directives, custom)}
	for _, f := range def.Fields {
		if inaccessible(f.Directives) {
			continue
		}
		nf := &ast.FieldDefinition{Description: f.Description, Name: f.Name, Type: f.Type, DefaultValue: f.DefaultValue, Directives: public(f.Directives, custom)}
		for _, a := range f.Arguments {
			if !inaccessible(a.Directives) {
				nf.Arguments = append(nf.Arguments, &ast.ArgumentDefinition{Description: a.Description, Name: a.Name, DefaultValue: a.DefaultValue, Type: a.Type, Directives: public(a.Directives, custom)})
			}
		}
		out.Fields = append(out.Fields, nf)
	}
	for _, v := range def.EnumValues {
		if !inaccessible(v.Directives) {
			out.EnumValues = append(out.EnumValues, &ast.EnumValueDefinition{Description: v.Description, Name: v.Name, Directives: public(v.Directives, custom)})
		}
	}
	out.Interfaces = append(out.Interfaces, def.Interfaces...)
	out.Types = append(out.Types, def.Types...)
	return out
}

// filterNames drops interfaces and union members that are not public.
func filterNames(names []string, keep map[string]bool) []string {
	var out []string
	for _, n := range names {
		if keep[n] {
			out = append(out, n)
		}
	}
	return out
}
