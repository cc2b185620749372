// Package limits refuses hostile operations before they are planned: too
// many bytes or tokens (checked on the source, before parsing), too deep,
// too many aliases or root fields (checked on the parsed document, before
// validation), and a static cost over budget (checked with the schema's
// types and the request's variables). Each limit has its own error code, and
// each check stops as soon as a limit is crossed, so a hostile query costs
// microseconds to refuse.
package limits

import (
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqlshape"
	"github.com/virtual-store/virtual-store/router/config"
)

// Error is a refused operation.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Checker applies one set of limits.
type Checker struct {
	config.Limits
	// Schema tells object types from abstract ones in type conditions (cost).
	Schema *ast.Schema
}

// CheckSource counts bytes and lexer tokens, stopping at the limit.
func (c Checker) CheckSource(query string) *Error {
	if c.MaxDocumentBytes > 0 && len(query) > c.MaxDocumentBytes {
		return &Error{errcode.DocumentTooLarge, fmt.Sprintf("the document has %d bytes; the limit is %d", len(query), c.MaxDocumentBytes)}
	}
	if c.MaxTokens <= 0 {
		return nil
	}
	lx := lexer.New(&ast.Source{Input: query})
	for n := 0; ; n++ {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // syntax errors are the parser's to report
		}
		if n >= c.MaxTokens {
			return &Error{errcode.TooManyTokens, fmt.Sprintf("the document has more than %d tokens", c.MaxTokens)}
		}
	}
}

// expansionBudget bounds the fields an operation expands to (fragments
// spread out), so a "fragment bomb" (each fragment spreading the next
// several times) is refused without being expanded.
const expansionBudget = gqlshape.ExpansionBudget

// CheckShape measures depth, aliases and root fields of op with fragments
// expanded, before validation (see gqlshape: linear in the document's size
// however the fragments nest; cyclic fragments are left to validation).
func (c Checker) CheckShape(doc *ast.QueryDocument, op *ast.OperationDefinition) *Error {
	sh := gqlshape.Measure(doc, op)
	switch {
	case c.MaxRootFields > 0 && sh.RootFields > c.MaxRootFields:
		return &Error{errcode.TooManyRootFields, fmt.Sprintf("the operation selects %d root fields; the limit is %d", sh.RootFields, c.MaxRootFields)}
	case sh.Cycle != "":
		// The validator would refuse it too, after walking the cycle from
		// every fragment on it.
		return &Error{errcode.ValidationFailed, fmt.Sprintf("fragment %s spreads itself", sh.Cycle)}
	case sh.Fields > expansionBudget:
		return &Error{errcode.TooCostly, "the operation expands to too many fields"}
	case sh.FragmentWork > expansionBudget:
		return &Error{errcode.TooCostly, "the document's fragments expand to too many fields"}
	case c.MaxDepth > 0 && sh.Depth > c.MaxDepth:
		return &Error{errcode.TooDeep, fmt.Sprintf("the operation is deeper than %d levels", c.MaxDepth)}
	case c.MaxAliases > 0 && sh.Aliases > c.MaxAliases:
		return &Error{errcode.TooManyAliases, fmt.Sprintf("the operation uses more than %d aliases", c.MaxAliases)}
	}
	return nil
}

// Cost is the static cost of a validated operation: each field costs 1 times
// the product of the list sizes above it. A list's size comes from a size
// argument on its field (or, for connections, on the field above:
// `products(first: 10) { edges { node } }`), else DefaultListSize.
func (c Checker) Cost(op *ast.OperationDefinition, vars map[string]any) int {
	w := costWalker{c: c, vars: vars}
	return w.walk(op.SelectionSet, 1, false)
}

// CheckCost refuses an operation whose cost is over MaxCost.
func (c Checker) CheckCost(op *ast.OperationDefinition, vars map[string]any) *Error {
	if c.MaxCost <= 0 {
		return nil
	}
	if cost := c.Cost(op, vars); cost > c.MaxCost {
		return &Error{errcode.TooCostly, fmt.Sprintf("the operation's estimated cost is %d; the limit is %d", cost, c.MaxCost)}
	}
	return nil
}

type costWalker struct {
	c       Checker
	vars    map[string]any
	visited int
}

// saturate keeps products from overflowing: anything this large is refused anyway.
const saturate = 1 << 40

// walk costs a selection set. Fragments on different object types are
// alternatives (an object is one of them), so only the costliest counts;
// fragments on interfaces and unions may all apply and are added.
func (w *costWalker) walk(ss ast.SelectionSet, mult int, sized bool) int {
	total := 0
	var branches map[string]int // by object type condition
	branch := func(cond string, cost int) {
		if cond == "" || w.c.Schema == nil || w.c.Schema.Types[cond] == nil || w.c.Schema.Types[cond].Kind != ast.Object {
			total += cost
			return
		}
		if branches == nil {
			branches = map[string]int{}
		}
		branches[cond] += cost
	}
	for _, s := range ss {
		w.visited++
		if w.visited > expansionBudget || total > saturate {
			return saturate
		}
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" || s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			total += mult
			childMult, childSized := mult, false
			if n, ok := w.size(s); ok {
				childMult, childSized = mult*n, true
			} else if s.Definition != nil && s.Definition.Type.Elem != nil && !sized {
				childMult = mult * max(w.c.DefaultListSize, 1)
			}
			if childMult > saturate {
				childMult = saturate
			}
			total += w.walk(s.SelectionSet, childMult, childSized)
		case *ast.InlineFragment:
			branch(s.TypeCondition, w.walk(s.SelectionSet, mult, sized))
		case *ast.FragmentSpread:
			if s.Definition != nil {
				branch(s.Definition.TypeCondition, w.walk(s.Definition.SelectionSet, mult, sized))
			}
		}
	}
	costliest := 0
	for _, c := range branches {
		costliest = max(costliest, c)
	}
	return min(total+costliest, saturate)
}

// size reads a list size argument, literal or from a variable.
func (w *costWalker) size(f *ast.Field) (int, bool) {
	for _, name := range gqlshape.SizeArguments {
		a := f.Arguments.ForName(name)
		if a == nil {
			continue
		}
		v, err := a.Value.Value(w.vars)
		if err != nil || v == nil {
			continue
		}
		switch n := v.(type) {
		case int64:
			return max(int(n), 0), true
		case int:
			return max(n, 0), true
		case float64:
			return max(int(n), 0), true
		case interface{ String() string }: // json.Number
			if i, err := strconv.Atoi(n.String()); err == nil {
				return max(i, 0), true
			}
		}
	}
	return 0, false
}
