package compose

import (
	"os"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/router/schema"
	"github.com/virtual-store/virtual-store/router/supergraph"
)

// storeSubgraphs are the virtual-store subgraphs' SDLs as their `_service { sdl }` serves them.
func storeSubgraphs(t testing.TB) []Subgraph {
	t.Helper()
	shared, err := os.ReadFile("../../graph/schema/shared.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	var out []Subgraph
	for _, name := range []string{"user", "product", "order"} {
		b, err := os.ReadFile("../../subgraphs/" + name + "/schema.graphqls")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Subgraph{Name: name, URL: "http://" + name + "/graphql", SDL: string(shared) + "\n" + string(b)})
	}
	return out
}

func TestComposeTheStore(t *testing.T) {
	sdl, err := Compose(storeSubgraphs(t))
	if err != nil {
		t.Fatal(err)
	}
	sg, api, err := schema.Load(sdl)
	if err != nil {
		t.Fatalf("our own supergraph does not load: %v\n%s", err, sdl)
	}
	for _, want := range []string{"me: User", "products(", "checkout(input: CheckoutInput!): CheckoutPayload!", "orders(first: Int = 20, after: String): OrderConnection!"} {
		if !strings.Contains(api.SDL, want) {
			t.Errorf("API schema lacks %q", want)
		}
	}
	user := sg.Type("User")
	if keys := user.In["USER"].ResolvableKeys(); len(keys) != 1 || keys[0].Fields != "id" {
		t.Errorf("User keys in user: %+v", keys)
	}
	if g := user.Fields["orders"].ResolvingGraphs(); len(g) != 1 || g[0] != "ORDER" {
		t.Errorf("User.orders resolved by %v, want ORDER", g)
	}
	if g := sg.Type("Product").Fields["name"].ResolvingGraphs(); len(g) != 1 || g[0] != "PRODUCT" {
		t.Errorf("Product.name resolved by %v", g)
	}
	if keys := sg.Type("Product").In["ORDER"].Keys; len(keys) != 1 || keys[0].Resolvable {
		t.Errorf("Product key in order must be resolvable: false, got %+v", keys)
	}
	if g := sg.Type("Money").Fields["amount"].ResolvingGraphs(); len(g) != 3 {
		t.Errorf("shareable Money.amount resolved by %v, want all three", g)
	}
	if strings.Contains(api.SDL, "join__") || strings.Contains(api.SDL, "_entities") || strings.Contains(api.SDL, "_service") {
		t.Error("federation machinery leaked into the API schema")
	}
}

func TestCompositionErrors(t *testing.T) {
	const link = "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.7\", import: [\"@key\", \"@shareable\"])\n"
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{"conflicting field types",
			link + `type Query { a: Int } type T @key(fields: "id") { id: ID! n: Int }`,
			link + `type Query { b: T } type T @key(fields: "id") { id: ID! n: String }`,
			"conflicting types"},
		{"non-shareable field in two subgraphs",
			link + `type Query { a: T } type T @key(fields: "id") { id: ID! name: String }`,
			link + `type Query { b: T } type T @key(fields: "id") { id: ID! name: String }`,
			"non-shareable field T.name"},
		{"field unreachable without a key",
			link + `type Query { a: T } type T @key(fields: "id") { id: ID! }`,
			link + `type Query { b: T } type T { id: ID! @shareable extra: String }`,
			"no resolvable @key"},
		{"kind mismatch",
			link + `type Query { a: T } type T { id: ID! }`,
			link + `type Query { b: Int } interface T { id: ID! }`,
			"is a interface"},
		{"unknown type",
			link + `type Query { a: Missing }`,
			link + `type Query { b: Int }`,
			"unknown type Missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compose([]Subgraph{{Name: "a", URL: "http://a", SDL: tt.a}, {Name: "b", URL: "http://b", SDL: tt.b}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// Access directives reach the supergraph, merged across subgraphs (scopes
// AND-ed: every subgraph's requirement must hold), and stay out of the API schema.
func TestAccessDirectivesAreComposed(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@authenticated", "@requiresScopes"])
`
	sdl, err := Compose([]Subgraph{
		{Name: "a", URL: "http://a", SDL: link + `type Query { secret: Note @authenticated }
type Note @key(fields: "id") @requiresScopes(scopes: [["notes:read"]]) { id: ID! body: String @shareable @requiresScopes(scopes: [["x"], ["y"]]) }`},
		{Name: "b", URL: "http://b", SDL: link + `type Note @key(fields: "id") { id: ID! body: String @shareable @requiresScopes(scopes: [["z"]]) }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`secret: Note @authenticated`,
		`@requiresScopes(scopes: [["notes:read"]])`,
		`@requiresScopes(scopes: [["x", "z"], ["y", "z"]])`,
		`@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)`,
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("supergraph lacks %s:\n%s", want, sdl)
		}
	}
	_, api, err := schema.Load(sdl)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(api.SDL, "requiresScopes") || strings.Contains(api.SDL, "authenticated") {
		t.Errorf("the API schema shows access directives:\n%s", api.SDL)
	}
}

// Input types keep the fields every subgraph has; enums merge by use.
func TestInputAndEnumMerging(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
`
	compose := func(a, b string) (string, error) {
		return Compose([]Subgraph{{Name: "a", URL: "http://a", SDL: link + a}, {Name: "b", URL: "http://b", SDL: link + b}})
	}
	sdl, err := compose(
		`type Query { a(f: Filter, s: Sort): Color } input Filter { q: String tag: String } enum Sort { NAME PRICE } enum Color { RED }`,
		`type Query { b(f: Filter, s: Sort): Color } input Filter { q: String } enum Sort { NAME } enum Color { BLUE }`)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	filter, sort, color := sg.Schema.Types["Filter"], sg.Schema.Types["Sort"], sg.Schema.Types["Color"]
	if filter.Fields.ForName("tag") != nil || filter.Fields.ForName("q") == nil {
		t.Errorf("input Filter: %v, want only the common field q", filter.Fields)
	}
	if sort.EnumValues.ForName("PRICE") != nil || sort.EnumValues.ForName("NAME") == nil {
		t.Errorf("input-only enum Sort: %v, want the intersection", sort.EnumValues)
	}
	if color.EnumValues.ForName("RED") == nil || color.EnumValues.ForName("BLUE") == nil {
		t.Errorf("output-only enum Color: %v, want the union", color.EnumValues)
	}

	for name, sdls := range map[string][2]string{
		"required input field missing elsewhere": {`type Query { a(f: F): Int } input F { q: String! }`, `type Query { b(f: F): Int } input F { other: Int }`},
		"enum both ways with different values":   {`type Query { a(c: C): C } enum C { X Y }`, `type Query { b(c: C): C } enum C { X }`},
	} {
		if _, err := compose(sdls[0], sdls[1]); err == nil {
			t.Errorf("%s: composed", name)
		}
	}
}

// Subgraphs Apollo composition accepts compose here to the same supergraph
// facts (each found by a federation audit suite the plan goldens replay).
func TestComposeAsApolloDoes(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@inaccessible"])
`
	tests := []struct {
		name string
		a, b string
		want []string
	}{
		{"@external on a type marks its fields (requires-with-argument-conflict)",
			`type Query { p: P } type P @key(fields: "id") { id: ID! c: C } type C { avg: Int }`,
			`type P @key(fields: "id") { id: ID! c: C @external x: Int @requires(fields: "c { avg }") } type C @external { avg: Int }`,
			[]string{`avg: Int @join__field(graph: A) @join__field(graph: B, external: true)`}},
		{"an extension's @external key field is resolved all the same (mysterious-external)",
			`type Query { ps: [P] } type P @key(fields: "id") { id: ID! name: String }`,
			`type Query { cheapest: P } extend type P @key(fields: "id") { id: ID! @external price: Int }`,
			[]string{"  id: ID!\n"}},
		{"output types merge to the most nullable, each subgraph's own type kept (child-type-mismatch)",
			`type Query { u: U } type U { id: ID @shareable }`,
			`type Query { v: U } type U @key(fields: "id") { id: ID! name: String }`,
			[]string{`id: ID @join__field(graph: A) @join__field(graph: B, type: "ID!")`}},
		{"an @inaccessible enum value need not be everywhere (enum-intersection)",
			`type Query { a: Kind } enum Kind { REGULAR }`,
			`type Query { b(k: Kind): Kind } enum Kind { HIDDEN @inaccessible REGULAR }`,
			[]string{`HIDDEN @join__enumValue(graph: B) @inaccessible`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sdl, err := Compose([]Subgraph{{Name: "a", URL: "http://a", SDL: link + tt.a}, {Name: "b", URL: "http://b", SDL: link + tt.b}})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(sdl, want) {
					t.Errorf("supergraph lacks %q:\n%s", want, sdl)
				}
			}
			if _, _, err := schema.Load(sdl); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A directive a subgraph composes survives into the supergraph and the API
// schema: its spec link, its definition and its applications.
func TestComposeDirective(t *testing.T) {
	a := `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"])
  @link(url: "https://example.com/audit/v1.0", import: ["@audited"])
  @composeDirective(name: "@audited")
directive @audited(level: Int = 1) on OBJECT | FIELD_DEFINITION
type Query { order: Order @audited(level: 2) }
type Order @key(fields: "id") @audited { id: ID! }
`
	b := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Order @key(fields: "id") { id: ID! total: Int }
`
	sdl, err := Compose([]Subgraph{{Name: "a", URL: "http://a", SDL: a}, {Name: "b", URL: "http://b", SDL: b}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`@link(url: "https://example.com/audit/v1.0", import: ["@audited"])`,
		`directive @audited(level: Int = 1) on OBJECT | FIELD_DEFINITION`, `order: Order @audited(level: 2)`, "  @audited\n"} {
		if !strings.Contains(sdl, want) {
			t.Errorf("supergraph lacks %s:\n%s", want, sdl)
		}
	}
	_, api, err := schema.Load(sdl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(api.SDL, "directive @audited") || !strings.Contains(api.SDL, "@audited(level: 2)") {
		t.Errorf("API schema lacks the composed directive:\n%s", api.SDL)
	}
	if _, err := Compose([]Subgraph{{Name: "a", URL: "http://a", SDL: strings.Replace(a, "directive @audited(level: Int = 1) on OBJECT | FIELD_DEFINITION", "", 1)}}); err == nil {
		t.Error("composed a @composeDirective without a definition")
	}
}

// BenchmarkComposeStore composes the store's three subgraphs (the router
// does this at start and on every poll that sees a changed schema).
func BenchmarkComposeStore(b *testing.B) {
	subgraphs := storeSubgraphs(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compose(subgraphs); err != nil {
			b.Fatal(err)
		}
	}
}
