package dashboards

import (
	"fmt"
	"strings"
)

// Resolvers is per-resolver latency: a row per subgraph with a panel per
// field the subgraph resolves (see ResolverFields), from
// graphql_resolver_duration_seconds{field="Type.field"} (graph.Metrics).
func Resolvers(fields map[string][]ResolverField) Dashboard {
	services := strings.Join(Subgraphs, "|")
	sel := selector("", `service=~"`+services+`"`)
	d := Dashboard{
		UID:   "virtual-store-resolvers",
		Title: "virtual-store / resolvers",
		Description: "Latency of every GraphQL field a subgraph resolves with code of its own, " +
			"generated from the composed supergraph: a new resolver gets its panel with `make dashboards`.",
		File:    "resolvers.json",
		Service: services,
		Rows: []Row{{Title: "Slowest and busiest resolvers", Panels: []Panel{
			{Title: "Slowest resolvers (p99, top 10)", Unit: "s", Thresholds: above(0.1, 0.5), Min: num(0), W: 12,
				Queries: []Query{q("topk(10, "+quantile(0.99, "graphql_resolver_duration_seconds", sel, "service", "field")+")", "{{service}} {{field}}")}},
			{Title: "Busiest resolvers (top 10)", Unit: "ops", Thresholds: neutral, Min: num(0), W: 12,
				Queries: []Query{q("topk(10, "+sumBy(rate("graphql_resolver_duration_seconds_count", sel), "service", "field")+")", "{{service}} {{field}}")}},
		}}},
	}
	for _, sub := range Subgraphs {
		row := Row{Title: fmt.Sprintf("%s subgraph: %d resolvers", sub, len(fields[sub])), Collapsed: true}
		for _, f := range fields[sub] {
			row.Panels = append(row.Panels, resolverPanel(f))
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

func resolverPanel(f ResolverField) Panel {
	sel := selector(f.Subgraph, `field="`+f.Name()+`"`)
	qs := quantiles("graphql_resolver_duration_seconds", sel, "")
	qs = append(qs, Query{RefID: "D", Expr: sumBy(rate("graphql_resolver_duration_seconds_count", sel)), Legend: "calls/s"})
	desc := strings.TrimSpace(f.Description)
	if desc != "" {
		desc += "\n\n"
	}
	desc += fmt.Sprintf("Resolved by the %s subgraph. p50/p95/p99 of graphql_resolver_duration_seconds{field=%q} (left axis), calls per second (right axis).", f.Subgraph, f.Name())
	return Panel{
		Title:       f.Name(),
		Description: desc,
		Unit:        "s",
		Min:         num(0),
		Thresholds:  above(0.1, 0.5),
		Queries:     qs,
		RightAxis:   map[string]string{"D": "ops"},
	}
}
