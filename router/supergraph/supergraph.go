// Package supergraph reads an Apollo Federation v2 supergraph SDL (the
// @link / join__* format that Apollo and Hive composition emit) into a model
// the planner can ask: which subgraphs resolve a field, which keys an entity
// has in each subgraph, which types implement an interface where. Each join__
// directive is read by its own file.
package supergraph

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Supergraph is a parsed supergraph.
type Supergraph struct {
	// Schema is the whole supergraph schema, join__ machinery included.
	Schema *ast.Schema
	// SDL is the source it was read from.
	SDL string
	// Graphs are the subgraphs, sorted by name.
	Graphs []*Graph
	graphs map[string]*Graph // by join__Graph enum value
	types  map[string]*Type
}

// Graph returns a subgraph by its join__Graph enum value.
func (s *Supergraph) Graph(enum string) *Graph { return s.graphs[enum] }

// GraphEnums lists the join__Graph enum values of the subgraphs.
func (s *Supergraph) GraphEnums() []string {
	out := make([]string, len(s.Graphs))
	for i, g := range s.Graphs {
		out[i] = g.Enum
	}
	return out
}

// Type returns the federation view of a named type, or nil.
func (s *Supergraph) Type(name string) *Type { return s.types[name] }

// Parse reads a supergraph SDL.
func Parse(sdl string) (*Supergraph, error) {
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "supergraph.graphql", Input: sdl})
	if gerr != nil {
		return nil, fmt.Errorf("supergraph: %w", gerr)
	}
	s := &Supergraph{Schema: schema, SDL: sdl, graphs: map[string]*Graph{}, types: map[string]*Type{}}
	if err := s.readGraphs(); err != nil {
		return nil, err
	}
	for _, def := range schema.Types {
		if def.BuiltIn || isFederationType(def.Name) {
			continue
		}
		t, err := s.readType(def)
		if err != nil {
			return nil, err
		}
		s.types[def.Name] = t
	}
	return s, nil
}

// isFederationType tells the machinery types (join__Graph, link__Import, ...)
// from the graph's own.
func isFederationType(name string) bool {
	return strings.HasPrefix(name, "join__") || strings.HasPrefix(name, "link__") || strings.HasPrefix(name, "requiresScopes__") || strings.HasPrefix(name, "policy__") || name == "_Any" || name == "_Service" || name == "_Entity" || name == "_FieldSet" || name == "FieldSet"
}

// ParseFieldSet parses a federation field set ("id organization { id }").
func ParseFieldSet(fields string) (ast.SelectionSet, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: "{" + fields + "}"})
	if err != nil {
		return nil, fmt.Errorf("field set %q: %w", fields, err)
	}
	return doc.Operations[0].SelectionSet, nil
}

func argString(d *ast.Directive, name string) string {
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
		return a.Value.Raw
	}
	return ""
}

func argBool(d *ast.Directive, name string, def bool) bool {
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
		return a.Value.Raw == "true"
	}
	return def
}
