package compose

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// composedSet is every custom directive some subgraph composes
// (@composeDirective): its definition and spec URL. The supergraph keeps
// their definitions and every application of them; the API schema shows them.
type composedSet struct {
	defs  map[string]*ast.DirectiveDefinition
	links map[string]string // name → URL
}

func composedDirectives(graphs []*graph) composedSet {
	c := composedSet{defs: map[string]*ast.DirectiveDefinition{}, links: map[string]string{}}
	for _, g := range graphs {
		for name, def := range g.composed {
			if c.defs[name] == nil {
				c.defs[name] = def
			}
			if c.links[name] == "" {
				c.links[name] = g.links[name]
			}
		}
	}
	return c
}

// writeLinks writes the @link of each composed directive's spec.
func (c composedSet) writeLinks(b *strings.Builder) {
	byURL := map[string][]string{}
	for name, url := range c.links {
		if url != "" {
			byURL[url] = append(byURL[url], strconv.Quote("@"+name))
		}
	}
	for _, url := range slices.Sorted(maps.Keys(byURL)) {
		imports := byURL[url]
		slices.Sort(imports)
		fmt.Fprintf(b, "  @link(url: %s, import: [%s])\n", strconv.Quote(url), strings.Join(imports, ", "))
	}
}

// writeDefinitions writes each composed directive's definition.
func (c composedSet) writeDefinitions(b *strings.Builder) {
	for _, name := range slices.Sorted(maps.Keys(c.defs)) {
		d := c.defs[name]
		b.WriteString("\ndirective @" + name + formatArguments(d.Arguments))
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		locs := make([]string, len(d.Locations))
		for i, l := range d.Locations {
			locs[i] = string(l)
		}
		b.WriteString(" on " + strings.Join(locs, " | ") + "\n")
	}
}

// writeApplications writes the applications of composed directives on one
// element across graphs, each distinct application once.
func (c composedSet) writeApplications(b *strings.Builder, graphs []*graph, of func(*graph) ast.DirectiveList, indent, end string) {
	if len(c.defs) == 0 {
		return
	}
	var seen []string
	for _, g := range graphs {
		for _, d := range of(g) {
			if c.defs[d.Name] == nil {
				continue
			}
			app := "@" + d.Name
			if len(d.Arguments) > 0 {
				var args []string
				for _, a := range d.Arguments {
					args = append(args, a.Name+": "+a.Value.String())
				}
				app += "(" + strings.Join(args, ", ") + ")"
			}
			if !slices.Contains(seen, app) {
				seen = append(seen, app)
				b.WriteString(indent + app + end)
			}
		}
	}
}
