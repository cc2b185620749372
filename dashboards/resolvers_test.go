package dashboards_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/virtual-store/virtual-store/dashboards"
)

// TestResolversDashboardCoversTheSupergraph: a panel for every field a
// subgraph resolves, in that subgraph's row, querying that field.
func TestResolversDashboardCoversTheSupergraph(t *testing.T) {
	root := dashboards.RepoRoot()
	sg, err := dashboards.ComposeSupergraph(root)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := dashboards.ResolverFields(root, sg)
	if err != nil {
		t.Fatal(err)
	}
	d := load(t, "resolvers.json")
	panels := map[string]map[string]string{} // subgraph → title → expr
	for _, pr := range d.Panels {
		if pr.RowPanel == nil || len(pr.RowPanel.Panels) == 0 {
			continue
		}
		sub, _, _ := strings.Cut(deref(pr.RowPanel.Title), " ")
		if !pr.RowPanel.Collapsed {
			t.Errorf("row %s is not collapsible", deref(pr.RowPanel.Title))
		}
		panels[sub] = map[string]string{}
		for _, p := range pr.RowPanel.Panels {
			if p.GridPos.W != 8 {
				t.Errorf("panel %s is %d wide, want 8 (3 a line)", deref(p.Title), p.GridPos.W)
			}
			var exprs []string
			for _, target := range p.Targets {
				exprs = append(exprs, target.(*prometheus.Dataquery).Expr)
			}
			panels[sub][deref(p.Title)] = strings.Join(exprs, "\n")
		}
	}
	total := 0
	for _, sub := range dashboards.Subgraphs {
		if len(fields[sub]) == 0 {
			t.Errorf("no resolver fields for %s", sub)
		}
		for _, f := range fields[sub] {
			total++
			expr, ok := panels[sub][f.Name()]
			if !ok {
				t.Errorf("no panel for %s in the %s row", f.Name(), sub)
				continue
			}
			for _, want := range []string{
				`service="` + sub + `"`, `field="` + f.Name() + `"`,
				"histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,",
				"graphql_resolver_duration_seconds_count",
			} {
				if !strings.Contains(expr, want) {
					t.Errorf("panel %s of %s: queries lack %s:\n%s", f.Name(), sub, want, expr)
				}
			}
		}
		if len(panels[sub]) != len(fields[sub]) {
			t.Errorf("%s row: %d panels for %d fields", sub, len(panels[sub]), len(fields[sub]))
		}
	}
	for sub, names := range map[string][]string{
		"product": {"Query.products", "Query.product", "Product.price", "Product.stock", "Category.products", "Mutation.setPrice", "Money.formatted", dashboards.EntitiesField},
		"order":   {"Mutation.checkout", "Query.cart", "Order.lines", "User.orders", "Cart.itemCount", "Money.formatted", dashboards.EntitiesField},
		"user":    {"Query.me", "Mutation.login", "User.email", "User.addresses", dashboards.EntitiesField},
	} {
		for _, name := range names {
			if _, ok := panels[sub][name]; !ok {
				t.Errorf("no panel for %s in the %s row", name, sub)
			}
		}
	}
	for sub, names := range map[string][]string{
		// Plain struct fields (never timed), another subgraph's fields,
		// introspection.
		"product": {"Product.name", "Product.id", "Query.me", "Query.__schema"},
		"order":   {"Product.name", "User.email", "CartLine.quantity"},
		// Money.formatted: the user subgraph has Money's resolvers (shared
		// types), but no field of its returns a Money.
		"user": {"User.orders", "User.name", "Money.formatted"},
	} {
		for _, name := range names {
			if _, ok := panels[sub][name]; ok {
				t.Errorf("a panel for %s in the %s row: the subgraph does not time it", name, sub)
			}
		}
	}
	t.Logf("%d resolver panels", total)
}

// TestTimedFieldsMatchTheResolverInterfaces checks the reading of the
// generated executors against gqlgen's resolver interfaces: every method of
// a <Type>Resolver interface is a timed Type.field.
func TestTimedFieldsMatchTheResolverInterfaces(t *testing.T) {
	for _, sub := range dashboards.Subgraphs {
		exec := filepath.Join(dashboards.RepoRoot(), "subgraphs", sub, "generated", "exec.go")
		timed, err := dashboards.TimedFields(exec)
		if err != nil {
			t.Fatal(err)
		}
		lower := map[string]bool{}
		for name := range timed {
			lower[strings.ToLower(name)] = true
		}
		file, err := parser.ParseFile(token.NewFileSet(), exec, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				typeName, ok := strings.CutSuffix(ts.Name.Name, "Resolver")
				iface, isIface := ts.Type.(*ast.InterfaceType)
				if !ok || !isIface || typeName == "Entity" || typeName == "" {
					continue
				}
				for _, m := range iface.Methods.List {
					for _, name := range m.Names {
						n++
						if !lower[strings.ToLower(typeName+"."+name.Name)] {
							t.Errorf("%s: %sResolver.%s is not among the timed fields", sub, typeName, name.Name)
						}
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no resolver interfaces found in %s", sub, exec)
		}
	}
}

// TestNewFieldGetsAPanel: a field added to a schema (and regenerated by
// gqlgen) gets its panel with no edit to this package. The repository is
// copied with one more Query field in the product schema and its field
// context in the product executor, as gqlgen writes it.
func TestNewFieldGetsAPanel(t *testing.T) {
	src := dashboards.RepoRoot()
	root := t.TempDir()
	copyFile := func(rel string, extra string) {
		b, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), append(b, extra...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("graph/schema/shared.graphqls", "")
	for _, sub := range dashboards.Subgraphs {
		schemaExtra, execExtra := "", ""
		if sub == "product" {
			schemaExtra = "\nextend type Query {\n  bestsellers(first: Int = 10): [Product!]!\n}\n"
			execExtra = "\nfunc (ec *executionContext) fieldContext_Query_bestsellers(ctx context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {\n" +
				"\tfc = &graphql.FieldContext{\n\t\tObject: \"Query\",\n\t\tField: field,\n\t\tIsMethod: true,\n\t\tIsResolver: true,\n\t}\n\treturn fc, nil\n}\n"
		}
		copyFile("subgraphs/"+sub+"/schema.graphqls", schemaExtra)
		copyFile("subgraphs/"+sub+"/generated/exec.go", execExtra)
	}
	ds, err := dashboards.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.File != "resolvers.json" {
			continue
		}
		for _, p := range d.Panels() {
			if p.Title == "Query.bestsellers" && strings.Contains(p.Queries[0].Expr, `service="product"`) {
				return
			}
		}
	}
	t.Error("no panel for the new field Query.bestsellers")
}
