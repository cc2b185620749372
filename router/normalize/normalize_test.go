package normalize

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

const testSchema = `type Query { me: User node: Node }
interface Node { id: ID! }
type User implements Node { id: ID! name: String email: String }`

func normalized(t *testing.T, query string, vars map[string]any) string {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	op, err := Normalize(schema, doc, doc.Operations[0], vars)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("")).FormatQueryDocument(&ast.QueryDocument{
		Operations: ast.OperationList{{Operation: op.Kind, SelectionSet: op.SelectionSet}}})
	return strings.Join(strings.Fields(b.String()), " ")
}

func TestPasses(t *testing.T) {
	tests := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"named fragments inlined (and flattened on their own type)", `{ me { ...F } } fragment F on User { name }`, nil, `query { me { name } }`},
		{"named fragments on an implementation inlined", `{ node { ...F } } fragment F on User { name }`, nil, `query { node { ... on User { name } } }`},
		{"skip true drops", `query($s: Boolean!) { me { name @skip(if: $s) email } }`, map[string]any{"s": true}, `query { me { email } }`},
		{"include false drops", `{ me { name @include(if: false) email } }`, nil, `query { me { email } }`},
		{"kept fields lose the directives", `query($s: Boolean!) { me { name @skip(if: $s) } }`, map[string]any{"s": false}, `query { me { name } }`},
		{"fragment on the parent type flattened", `{ me { ... on User { name } } }`, nil, `query { me { name } }`},
		{"fragment on an implementation kept", `{ node { id ... on User { name } } }`, nil, `query { node { id ... on User { name } } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalized(t, tt.query, tt.vars); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// BenchmarkNormalize runs every pass over an operation with nested named
// fragments, @skip/@include and same-type inline fragments (paid once per
// operation shape: plans are cached).
func BenchmarkNormalize(b *testing.B) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	doc, errs := gqlparser.LoadQuery(schema, `query($s: Boolean!) {
  me { ...U ... on User { email @skip(if: $s) } }
  node { id ...U ... on User { ...U name } }
}
fragment U on User { id name @include(if: $s) ...V }
fragment V on User { email }`)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	vars := map[string]any{"s": true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize(schema, doc, doc.Operations[0], vars); err != nil {
			b.Fatal(err)
		}
	}
}
