// Package compose builds a supergraph from subgraph SDLs (Apollo Federation
// v2 rules), emitting the same @link/join__ format that Apollo and Hive
// composition emit, so the router serves its own composition and theirs alike.
package compose

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Subgraph is one subgraph's name, URL and SDL (from `_service { sdl }`).
type Subgraph struct {
	Name string
	URL  string
	SDL  string
}

// Errors is every composition problem found.
type Errors []string

func (e Errors) Error() string { return "composition failed:\n  " + strings.Join(e, "\n  ") }

// graph is a parsed subgraph.
type graph struct {
	Subgraph
	enum  string
	types map[string]*ast.Definition // merged definition + extensions
	ext   map[string]bool            // declared only with `extend type` / @extends
	// composed are the custom directives the subgraph asks composition to
	// keep (@composeDirective), by name without "@", with their definitions
	// and the @link URL that imports them.
	composed map[string]*ast.DirectiveDefinition
	links    map[string]string
}

// typeInfo collects one type across subgraphs.
type typeInfo struct {
	name   string
	kind   ast.DefinitionKind
	desc   string
	graphs []*graph // in graph order
	defs   map[string]*ast.Definition
	// inInput and inOutput say where an enum is used (arguments and input
	// fields; field results): that decides how its values merge.
	inInput, inOutput bool
}

// Compose builds the supergraph SDL of subgraphs.
func Compose(subgraphs []Subgraph) (string, error) {
	if len(subgraphs) == 0 {
		return "", Errors{"no subgraphs"}
	}
	var errs Errors
	var graphs []*graph
	seen := map[string]bool{}
	for _, s := range subgraphs {
		g, err := parse(s)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if seen[g.enum] {
			errs = append(errs, fmt.Sprintf("two subgraphs named %q", s.Name))
			continue
		}
		seen[g.enum] = true
		graphs = append(graphs, g)
	}
	if len(errs) > 0 {
		return "", errs
	}
	sort.Slice(graphs, func(i, j int) bool { return graphs[i].Name < graphs[j].Name })

	types := map[string]*typeInfo{}
	for _, g := range graphs {
		for name, def := range g.types {
			ti := types[name]
			if ti == nil {
				ti = &typeInfo{name: name, kind: def.Kind, defs: map[string]*ast.Definition{}}
				types[name] = ti
			}
			if ti.kind != def.Kind {
				errs = append(errs, fmt.Sprintf("type %s is a %s in %s but a %s elsewhere", name, strings.ToLower(string(def.Kind)), g.Name, strings.ToLower(string(ti.kind))))
				continue
			}
			if ti.desc == "" {
				ti.desc = def.Description
			}
			ti.graphs = append(ti.graphs, g)
			ti.defs[g.enum] = def
		}
	}
	markEnumUsage(graphs, types)
	errs = append(errs, validate(types)...)
	if len(errs) > 0 {
		return "", errs
	}
	return emit(graphs, types), nil
}

// markEnumUsage records, for each enum, whether some subgraph takes it as
// input and whether some subgraph returns it.
func markEnumUsage(graphs []*graph, types map[string]*typeInfo) {
	mark := func(t *ast.Type, input bool) {
		ti := types[t.Name()]
		if ti == nil || ti.kind != ast.Enum {
			return
		}
		if input {
			ti.inInput = true
		} else {
			ti.inOutput = true
		}
	}
	for _, g := range graphs {
		for _, def := range g.types {
			for _, f := range def.Fields {
				mark(f.Type, def.Kind == ast.InputObject)
				for _, a := range f.Arguments {
					mark(a.Type, true)
				}
			}
		}
	}
}

// enumValues are the values an enum has in the supergraph: the union when it
// is only returned (a client may be sent any), the intersection when it is
// only taken as input (a subgraph must accept any a client sends); used both
// ways, validate requires the same values everywhere.
func enumValues(ti *typeInfo) (names []string, where map[string][]string) {
	where = map[string][]string{}
	for _, g := range ti.graphs {
		for _, v := range ti.defs[g.enum].EnumValues {
			if _, ok := where[v.Name]; !ok {
				names = append(names, v.Name)
			}
			where[v.Name] = append(where[v.Name], g.enum)
		}
	}
	if ti.inInput && !ti.inOutput {
		names = slices.DeleteFunc(names, func(n string) bool { return len(where[n]) != len(ti.graphs) })
	}
	return names, where
}

// hiddenValues are the enum values some subgraph marks @inaccessible: kept
// in the supergraph for the subgraphs, out of the API schema.
func hiddenValues(ti *typeInfo) map[string]bool {
	hidden := map[string]bool{}
	for _, g := range ti.graphs {
		for _, v := range ti.defs[g.enum].EnumValues {
			if hasDirective(v.Directives, "inaccessible") {
				hidden[v.Name] = true
			}
		}
	}
	return hidden
}

// inputFields are the fields of an input type in the supergraph: those every
// subgraph defining it has (a subgraph must accept any field a client sends).
func inputFields(ti *typeInfo) []string {
	return slices.DeleteFunc(fieldNames(ti), func(name string) bool {
		for _, g := range ti.graphs {
			if ti.defs[g.enum].Fields.ForName(name) == nil {
				return true
			}
		}
		return false
	})
}

var federationTypes = map[string]bool{"_Any": true, "_Service": true, "_Entity": true, "FieldSet": true, "_FieldSet": true,
	"link__Import": true, "link__Purpose": true, "federation__Scope": true, "federation__Policy": true, "federation__FieldSet": true}

func parse(s Subgraph) (*graph, error) {
	doc, err := parser.ParseSchema(&ast.Source{Name: s.Name, Input: s.SDL})
	if err != nil {
		return nil, fmt.Errorf("subgraph %s: %v", s.Name, err)
	}
	g := &graph{Subgraph: s, enum: enumName(s.Name), types: map[string]*ast.Definition{}, ext: map[string]bool{},
		composed: map[string]*ast.DirectiveDefinition{}, links: map[string]string{}}
	if err := g.readComposeDirectives(doc); err != nil {
		return nil, err
	}
	add := func(def *ast.Definition, extension bool) {
		if federationTypes[def.Name] {
			return
		}
		cur := g.types[def.Name]
		if cur == nil {
			c := *def
			c.Fields = append(ast.FieldList(nil), def.Fields...)
			c.Directives = append(ast.DirectiveList(nil), def.Directives...)
			c.EnumValues = append(ast.EnumValueList(nil), def.EnumValues...)
			g.types[def.Name] = &c
			g.ext[def.Name] = extension || def.Directives.ForName("extends") != nil
			return
		}
		if !extension {
			g.ext[def.Name] = false
		}
		cur.Fields = append(cur.Fields, def.Fields...)
		cur.Directives = append(cur.Directives, def.Directives...)
		cur.EnumValues = append(cur.EnumValues, def.EnumValues...)
		cur.Interfaces = append(cur.Interfaces, def.Interfaces...)
		cur.Types = append(cur.Types, def.Types...)
	}
	for _, d := range doc.Definitions {
		add(d, false)
	}
	for _, d := range doc.Extensions {
		add(d, true)
	}
	// The federation plumbing of the subgraph's Query type is not part of the graph.
	if q := g.types["Query"]; q != nil {
		q.Fields = slices.DeleteFunc(q.Fields, func(f *ast.FieldDefinition) bool { return f.Name == "_service" || f.Name == "_entities" })
		if len(q.Fields) == 0 {
			delete(g.types, "Query")
		}
	}
	return g, nil
}

// readComposeDirectives finds @composeDirective(name: "@x") on the schema and
// the definition of each x; the @link importing x gives its spec URL.
func (g *graph) readComposeDirectives(doc *ast.SchemaDocument) error {
	var schemaDirectives ast.DirectiveList
	for _, sd := range append(append(ast.SchemaDefinitionList(nil), doc.Schema...), doc.SchemaExtension...) {
		schemaDirectives = append(schemaDirectives, sd.Directives...)
	}
	imported := map[string]string{} // directive name → link URL
	for _, l := range schemaDirectives.ForNames("link") {
		url := directiveArg(l, "url")
		if a := l.Arguments.ForName("import"); a != nil && a.Value != nil {
			for _, c := range a.Value.Children {
				imported[strings.TrimPrefix(c.Value.Raw, "@")] = url
			}
		}
	}
	for _, d := range append(schemaDirectives.ForNames("composeDirective"), schemaDirectives.ForNames("federation__composeDirective")...) {
		name := strings.TrimPrefix(directiveArg(d, "name"), "@")
		def := doc.Directives.ForName(name)
		if def == nil {
			return fmt.Errorf("subgraph %s: @composeDirective names @%s, which it does not define", g.Name, name)
		}
		if isFederationDirective(name) {
			return fmt.Errorf("subgraph %s: @composeDirective cannot compose the federation directive @%s", g.Name, name)
		}
		g.composed[name] = def
		g.links[name] = imported[name]
	}
	return nil
}

func isFederationDirective(name string) bool {
	switch name {
	case "key", "requires", "provides", "external", "shareable", "override", "inaccessible", "tag", "extends",
		"interfaceObject", "composeDirective", "link", "authenticated", "requiresScopes", "policy", "context", "fromContext", "cost", "listSize":
		return true
	}
	return false
}

// enumName makes a join__Graph value from a subgraph name: "user-service" → USER_SERVICE.
func enumName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func hasDirective(ds ast.DirectiveList, name string) bool {
	return ds.ForName(name) != nil || ds.ForName("federation__"+name) != nil
}

func directiveArg(d *ast.Directive, name string) string {
	if d == nil {
		return ""
	}
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
		return a.Value.Raw
	}
	return ""
}
