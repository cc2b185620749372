package supergraph

import (
	"fmt"
	"maps"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// Type is a named type with where it lives.
type Type struct {
	Name string
	Def  *ast.Definition
	// In maps a graph enum to the type's presence there. A type without any
	// @join__type is in every graph (value types of fed1 supergraphs).
	In     map[string]*TypeInGraph
	Fields map[string]*Field
	// Implements maps graph → interfaces the type implements there.
	Implements map[string][]string
	// Members maps graph → union members there (unions only).
	Members map[string][]string
	// EnumValues maps value → graphs that define it (enums only).
	EnumValues map[string][]string
}

// TypeInGraph is @join__type(graph:, key:, extension:, resolvable:, isInterfaceObject:).
type TypeInGraph struct {
	Keys              []Key
	Extension         bool
	IsInterfaceObject bool
}

// Key is one @key of an entity in one graph.
type Key struct {
	Fields     string
	Selection  ast.SelectionSet
	Resolvable bool
}

// ResolvableKeys are the keys the graph can be asked for entities by.
func (t *TypeInGraph) ResolvableKeys() []Key {
	var out []Key
	for _, k := range t.Keys {
		if k.Resolvable {
			out = append(out, k)
		}
	}
	return out
}

// Graphs lists the graphs the type is in, sorted.
func (t *Type) Graphs() []string { return slices.Sorted(maps.Keys(t.In)) }

func (s *Supergraph) readType(def *ast.Definition) (*Type, error) {
	t := &Type{Name: def.Name, Def: def, In: map[string]*TypeInGraph{}, Fields: map[string]*Field{},
		Implements: map[string][]string{}, Members: map[string][]string{}, EnumValues: map[string][]string{}}
	for _, d := range def.Directives.ForNames("join__type") {
		g := argString(d, "graph")
		if s.graphs[g] == nil {
			return nil, fmt.Errorf("supergraph: %s: @join__type names unknown graph %s", def.Name, g)
		}
		in := t.In[g]
		if in == nil {
			in = &TypeInGraph{}
			t.In[g] = in
		}
		in.Extension = in.Extension || argBool(d, "extension", false)
		in.IsInterfaceObject = in.IsInterfaceObject || argBool(d, "isInterfaceObject", false)
		if key := argString(d, "key"); key != "" {
			sel, err := ParseFieldSet(key)
			if err != nil {
				return nil, fmt.Errorf("supergraph: %s: %w", def.Name, err)
			}
			in.Keys = append(in.Keys, Key{Fields: key, Selection: sel, Resolvable: argBool(d, "resolvable", true)})
		}
	}
	if len(t.In) == 0 {
		for g := range s.graphs {
			t.In[g] = &TypeInGraph{}
		}
	}
	if err := s.readFields(t); err != nil {
		return nil, err
	}
	s.readImplements(t)
	s.readUnionMembers(t)
	s.readEnumValues(t)
	return t, nil
}
