package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqlshape"
)

// Limits are a subgraph's own refusals of hostile requests, for when it is
// reached without the router in front (defence in depth behind mutual TLS).
// They are the router's checks with the router's codes; the defaults sit
// above the router's, so that nothing the router lets through is refused
// here. Zero means the default, a negative value no limit. Read from the
// environment with the service's prefix (PRODUCT_MAX_DEPTH, ...).
type Limits struct {
	// MaxBodyBytes caps a request body: HTTP 413, REQUEST_TOO_LARGE.
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES"`
	// MaxDepth caps the levels of fields, fragments spread (introspection
	// not counted): MAX_DEPTH_EXCEEDED.
	MaxDepth int `env:"MAX_DEPTH"`
	// MaxAliases caps the aliased fields, fragments spread: MAX_ALIASES_EXCEEDED.
	MaxAliases int `env:"MAX_ALIASES"`
}

// Defaults of Limits.
const (
	// DefaultMaxBodyBytes holds some 15,000 entity representations.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxDepth is above the router's max_depth (12): a subgraph fetch
	// is never deeper than the client's operation (`_entities` stands in for
	// the levels above the entity).
	DefaultMaxDepth = 15
	// DefaultMaxAliases is above the router's max_aliases (30), which counts
	// the client's aliases only: the router adds its own to fields of sibling
	// fragments whose types conflict in a subgraph.
	DefaultMaxAliases = 50
)

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAliases == 0 {
		l.MaxAliases = DefaultMaxAliases
	}
	return l
}

// shapeLimit refuses an operation too deep, with too many aliases, or
// expanding to too many fields (a fragment bomb), in one pass over the
// document in which each fragment is measured once. It must run before
// costLimit: gqlgen's complexity walk expands every fragment spread anew.
type shapeLimit struct{ maxDepth, maxAliases int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l shapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	sh := gqlshape.Measure(oc.Doc, oc.Operation)
	switch {
	case sh.Fields > gqlshape.ExpansionBudget:
		return refusal(errcode.TooCostly, "the operation expands to too many fields")
	case l.maxDepth > 0 && sh.Depth > l.maxDepth:
		return refusal(errcode.TooDeep, "the operation is deeper than %d levels", l.maxDepth)
	case l.maxAliases > 0 && sh.Aliases > l.maxAliases:
		return refusal(errcode.TooManyAliases, "the operation uses more than %d aliases", l.maxAliases)
	}
	return nil
}

// fragmentLimit refuses, before gqlgen validates a document, what would
// make validating it expensive: fragment cycles, and fragments that expand
// to more than the budget in all (a chain of n fragments costs a validator
// n²/2). The router never sends named fragments, so its requests skip the
// extra parse; anyone else's document with fragments is parsed twice.
type fragmentLimit struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = fragmentLimit{}

func (fragmentLimit) ExtensionName() string                   { return "FragmentLimit" }
func (fragmentLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (fragmentLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if !strings.Contains(p.Query, "fragment") {
		return nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil || len(doc.Operations) == 0 {
		return nil // gqlgen reports it
	}
	sh := gqlshape.Measure(doc, doc.Operations[0]) // the fragment figures are the document's
	switch {
	case sh.Cycle != "":
		return refusal(errcode.ValidationFailed, "fragment %s spreads itself", sh.Cycle)
	case sh.FragmentWork > gqlshape.ExpansionBudget:
		return refusal(errcode.TooCostly, "the document's fragments expand to too many fields")
	}
	return nil
}

func refusal(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// costLimit refuses an operation whose static cost, gqlgen's complexity
// made list-size aware by listCost, is over the limit.
type costLimit struct {
	limit int
	es    graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*costLimit)(nil)

func (*costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if cost := complexity.Calculate(ctx, c.es, oc.Operation, oc.Variables); cost > c.limit {
		return refusal(errcode.TooCostly, "the operation's estimated cost is %d; the limit is %d", cost, c.limit)
	}
	return nil
}

// listCost makes gqlgen's complexity count list sizes the way the router's
// cost does: a field with a size argument (`products(first: 50)`) costs its
// selection once per item it may return, and `_entities` once per
// representation. Other fields keep the schema's own complexity (gqlgen's
// default: 1 plus their selection).
type listCost struct{ graphql.ExecutableSchema }

func (s listCost) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	if n, ok := listSize(typeName, field, args); ok {
		return saturatingAdd(1, saturatingMul(n, childComplexity)), true
	}
	return s.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args)
}

func listSize(typeName, field string, args map[string]any) (int, bool) {
	if typeName == "Query" && field == "_entities" {
		reps, ok := args["representations"].([]any)
		return len(reps), ok
	}
	for _, name := range gqlshape.SizeArguments {
		if n, ok := count(args[name]); ok {
			return n, true
		}
	}
	return 0, false
}

// count reads a size argument: an int64 from a literal, a json.Number from
// the variables.
func count(v any) (int, bool) {
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			return 0, false
		}
		n = i
	case float64:
		n = int64(max(min(v, math.MaxInt32), 0))
	default:
		return 0, false
	}
	return int(max(min(n, math.MaxInt32), 0)), true
}

func saturatingMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

func saturatingAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}
