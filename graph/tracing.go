package graph

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/ravilushqa/otelgqlgen"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Tracing records what a subgraph ran, never the values it ran with.
// otelgqlgen (v0.4, the version served here) puts the raw query, every
// variable and every resolver argument on its spans, which would send
// passwords, refresh tokens and payment tokens to the trace backend. Its
// spans therefore go through a tracer that keeps only allow-listed
// attributes, replaces the query by its shape (every literal blanked), and
// blanks quoted values in error messages.
func Tracing(tp trace.TracerProvider) graphql.HandlerExtension {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return otelgqlgen.Middleware(otelgqlgen.WithTracerProvider(redactingProvider{tp: tp}))
}

// spanAttributes are the attributes otelgqlgen may record: names, paths
// and numbers chosen by the schema and the operation's shape.
var spanAttributes = map[attribute.Key]bool{
	"gql.request.complexityLimit":     true,
	"gql.request.operationComplexity": true,
	"gql.resolver.path":               true,
	"gql.resolver.object":             true,
	"gql.resolver.field":              true,
	"gql.resolver.alias":              true,
	"gql.resolver.hasError":           true,
}

func redactAttributes(kvs []attribute.KeyValue) []attribute.KeyValue {
	out := kvs[:0:0]
	for _, kv := range kvs {
		switch k := string(kv.Key); {
		case spanAttributes[kv.Key]:
			out = append(out, kv)
		case k == "gql.request.query":
			if shape, ok := QueryShape(kv.Value.AsString()); ok {
				out = append(out, attribute.String(k, shape))
			}
		case strings.HasPrefix(k, "gql.resolver.error.") && strings.HasSuffix(k, ".kind"):
			out = append(out, kv)
		case strings.HasPrefix(k, "gql.resolver.error.") && strings.HasSuffix(k, ".message"):
			out = append(out, attribute.String(k, redactQuoted(kv.Value.AsString())))
		}
	}
	return out
}

// QueryShape is query with every literal value blanked (strings "",
// numbers 0), keeping its operations, fields, arguments' names, variables
// and enum values; ok is false when query does not parse.
func QueryShape(query string) (string, bool) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return "", false
	}
	var blankValue func(v *ast.Value)
	blankValue = func(v *ast.Value) {
		if v == nil {
			return
		}
		switch v.Kind {
		case ast.StringValue, ast.BlockValue:
			v.Kind, v.Raw = ast.StringValue, ""
		case ast.IntValue, ast.FloatValue:
			v.Kind, v.Raw = ast.IntValue, "0"
		}
		for _, c := range v.Children {
			blankValue(c.Value)
		}
	}
	blankArgs := func(args ast.ArgumentList, dirs ast.DirectiveList) {
		for _, a := range args {
			blankValue(a.Value)
		}
		for _, d := range dirs {
			for _, a := range d.Arguments {
				blankValue(a.Value)
			}
		}
	}
	var blankSet func(ast.SelectionSet)
	blankSet = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				blankArgs(s.Arguments, s.Directives)
				blankSet(s.SelectionSet)
			case *ast.InlineFragment:
				blankArgs(nil, s.Directives)
				blankSet(s.SelectionSet)
			case *ast.FragmentSpread:
				blankArgs(nil, s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			blankValue(v.DefaultValue)
			blankArgs(nil, v.Directives)
		}
		blankArgs(nil, op.Directives)
		blankSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		blankArgs(nil, f.Directives)
		blankSet(f.SelectionSet)
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent(" ")).FormatQueryDocument(doc)
	return strings.Join(strings.Fields(b.String()), " "), true
}

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactQuoted blanks every quoted value in an error message: messages
// about input may quote it (`"x" is not a valid Currency`).
func redactQuoted(msg string) string { return quoted.ReplaceAllString(msg, `"…"`) }

type redactingProvider struct {
	embedded.TracerProvider
	tp trace.TracerProvider
}

func (p redactingProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return redactingTracer{t: p.tp.Tracer(name, opts...)}
}

type redactingTracer struct {
	embedded.Tracer
	t trace.Tracer
}

func (t redactingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, span := t.t.Start(ctx, name, opts...)
	rs := redactingSpan{Span: span}
	return trace.ContextWithSpan(ctx, rs), rs
}

// redactingSpan filters what is recorded on the span it wraps.
type redactingSpan struct{ trace.Span }

func (s redactingSpan) SetAttributes(kvs ...attribute.KeyValue) {
	s.Span.SetAttributes(redactAttributes(kvs)...)
}

func (s redactingSpan) SetStatus(code codes.Code, description string) {
	s.Span.SetStatus(code, redactQuoted(description))
}

func (s redactingSpan) RecordError(err error, opts ...trace.EventOption) {
	if err != nil {
		s.Span.RecordError(errors.New(redactQuoted(err.Error())), opts...)
	}
}
