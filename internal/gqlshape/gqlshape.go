// Package gqlshape measures a GraphQL operation as written, before it is
// validated: with its fragments spread, how many fields it expands to, how
// many of them are aliased, how deep it goes and how many root fields it
// selects. The router (router/limits) and every subgraph (graph/limits.go)
// refuse hostile operations by these numbers, so both count the same way.
//
// Each fragment is measured once (memoized), so measuring is linear in the
// document's size however fragments nest ("fragment bombs"), counts
// saturate past ExpansionBudget, and cyclic fragments count as empty (the
// validator refuses them).
package gqlshape

import "github.com/vektah/gqlparser/v2/ast"

// ExpansionBudget bounds the fields an operation may expand to: past it,
// Shape.Fields reads ExpansionBudget+1 and the operation is refused
// without being expanded.
const ExpansionBudget = 100_000

// SizeArguments name the arguments that bound a list's length, for the
// static cost of an operation.
var SizeArguments = []string{"first", "last", "limit", "pageSize", "size"}

// Shape is what an operation expands to.
type Shape struct {
	Fields, Aliases int // counts, saturating past ExpansionBudget
	Depth           int // levels of fields (introspection not counted)
	RootFields      int
	// FragmentWork is what every fragment definition of the document
	// expands to (fields and spreads), summed: a validator walks each
	// fragment with what it spreads, so a chain of n fragments costs it
	// n²/2 however small the operation is. Saturates past ExpansionBudget.
	FragmentWork int
	// Cycle names a fragment that spreads itself (through others), or "".
	Cycle string
}

// Measure measures op of doc.
func Measure(doc *ast.QueryDocument, op *ast.OperationDefinition) Shape {
	m := measurer{fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)), memo: map[string]*shape{}, roots: map[string]int{}}
	for _, f := range doc.Fragments {
		m.fragments[f.Name] = f
	}
	sh := m.measure(op.SelectionSet)
	out := Shape{Fields: sh.fields, Aliases: sh.aliases, Depth: sh.depth, RootFields: m.rootFields(op.SelectionSet)}
	for _, f := range doc.Fragments {
		fs := m.fragment(f.Name)
		out.FragmentWork = min(out.FragmentWork+fs.fields+fs.spreads, ExpansionBudget+1)
	}
	out.Cycle = m.cycle
	return out
}

// shape is what a selection set expands to.
type shape struct {
	fields, aliases, spreads int // counts, saturating past ExpansionBudget
	depth                    int // levels of fields (introspection not counted)
}

func (s *shape) add(o shape) {
	s.fields = min(s.fields+o.fields, ExpansionBudget+1)
	s.aliases = min(s.aliases+o.aliases, ExpansionBudget+1)
	s.spreads = min(s.spreads+o.spreads, ExpansionBudget+1)
	s.depth = max(s.depth, o.depth)
}

type measurer struct {
	fragments map[string]*ast.FragmentDefinition
	memo      map[string]*shape // nil value: being measured (a cycle)
	roots     map[string]int
	cycle     string // the first fragment found spreading itself
}

func (m *measurer) measure(ss ast.SelectionSet) shape {
	var out shape
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			f := shape{fields: 1}
			if s.Alias != "" && s.Alias != s.Name {
				f.aliases = 1
			}
			child := m.measure(s.SelectionSet)
			f.fields, f.aliases, f.spreads = f.fields+child.fields, f.aliases+child.aliases, child.spreads
			if s.Name != "__schema" && s.Name != "__type" {
				// Introspection is answered locally from a finite schema.
				f.depth = 1 + child.depth
			}
			out.add(f)
		case *ast.InlineFragment:
			out.add(m.measure(s.SelectionSet))
		case *ast.FragmentSpread:
			out.add(m.fragment(s.Name))
			out.add(shape{spreads: 1})
		}
	}
	return out
}

func (m *measurer) fragment(name string) shape {
	if sh, seen := m.memo[name]; seen {
		if sh == nil {
			if m.cycle == "" {
				m.cycle = name
			}
			return shape{}
		}
		return *sh
	}
	f := m.fragments[name]
	if f == nil {
		return shape{}
	}
	m.memo[name] = nil
	sh := m.measure(f.SelectionSet)
	m.memo[name] = &sh
	return sh
}

// rootFields counts the root fields, each fragment counted once (memoized).
func (m *measurer) rootFields(ss ast.SelectionSet) int {
	n := 0
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += m.rootFields(s.SelectionSet)
		case *ast.FragmentSpread:
			n += m.rootFragment(s.Name)
		}
		n = min(n, ExpansionBudget+1)
	}
	return n
}

func (m *measurer) rootFragment(name string) int {
	if n, seen := m.roots[name]; seen {
		return n // a cycle reads 0 while it is being counted
	}
	f := m.fragments[name]
	if f == nil {
		return 0
	}
	m.roots[name] = 0
	n := m.rootFields(f.SelectionSet)
	m.roots[name] = n
	return n
}
