package dashboards

import "fmt"

// Rows shared by the service dashboards and the router's.

// statsRow is the at-a-glance row of a service: instances up, HTTP request
// rate, 5xx ratio and p99 latency.
func statsRow(service string) Row {
	sel := selector(service)
	return Row{Title: "At a glance", Panels: []Panel{
		{Kind: Stat, Title: "Instances up", Unit: "short", W: 6, H: 4,
			Description: "Instances Prometheus scrapes successfully (up == 1).",
			Thresholds:  atLeastOne,
			Queries:     []Query{q(sumBy("up"+sel), "up")}},
		{Kind: Stat, Title: "HTTP requests", Unit: "reqps", W: 6, H: 4,
			Thresholds: neutral,
			Queries:    []Query{q(sumBy(rate("http_requests_total", sel)), "requests")}},
		{Kind: Stat, Title: "HTTP 5xx ratio", Unit: "percentunit", W: 6, H: 4,
			Thresholds: above(0.01, 0.05),
			Queries: []Query{q(ratio(
				sumBy(rate("http_requests_total", selector(service, `code=~"5.."`))),
				sumBy(rate("http_requests_total", sel))), "5xx")}},
		{Kind: Stat, Title: "HTTP p99 latency", Unit: "s", W: 6, H: 4,
			Thresholds: above(0.5, 1),
			Queries:    []Query{q(quantile(0.99, "http_request_duration_seconds", sel), "p99")}},
	}}
}

// httpRow is RED for a service's HTTP server (internal/service.HTTPMetrics):
// http_requests_total{route,method,code}, http_request_duration_seconds{route,method}.
func httpRow(service string) Row {
	sel := selector(service)
	return Row{Title: "HTTP", Panels: []Panel{
		{Title: "Requests by route", Unit: "reqps", Thresholds: neutral, Min: num(0),
			Queries: []Query{q(sumBy(rate("http_requests_total", sel), "route", "method"), "{{method}} {{route}}")}},
		{Title: "Responses by status code", Unit: "reqps", Thresholds: neutral, Min: num(0), Stack: true,
			Queries: []Query{q(sumBy(rate("http_requests_total", sel), "code"), "{{code}}")}},
		{Title: "5xx ratio by route", Unit: "percentunit", Thresholds: above(0.01, 0.05), Min: num(0),
			Description: "Share of responses with a 5xx status, per route.",
			Queries: []Query{q(ratio(
				sumBy(rate("http_requests_total", selector(service, `code=~"5.."`)), "route"),
				sumBy(rate("http_requests_total", sel), "route")), "{{route}}")}},
		{Title: "Latency (all routes)", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
			Queries: quantiles("http_request_duration_seconds", sel, "")},
		{Title: "p95 latency by route", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
			Queries: []Query{q(quantile(0.95, "http_request_duration_seconds", sel, "route"), "{{route}}")}},
		{Title: "p99 latency by route", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
			Queries: []Query{q(quantile(0.99, "http_request_duration_seconds", sel, "route"), "{{route}}")}},
	}}
}

// graphqlRow is a subgraph's GraphQL operations (graph.Metrics):
// graphql_operations_total{type,name,outcome},
// graphql_operation_duration_seconds{type,name}.
func graphqlRow(service string) Row {
	sel := selector(service)
	return Row{Title: "GraphQL operations", Panels: []Panel{
		{Title: "Operations by outcome", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Queries: []Query{q(sumBy(rate("graphql_operations_total", sel), "outcome"), "{{outcome}}")}},
		{Title: "Operations by name", Unit: "ops", Thresholds: neutral, Min: num(0),
			Queries: []Query{q(sumBy(rate("graphql_operations_total", sel), "type", "name"), "{{type}} {{name}}")}},
		{Title: "Error ratio by operation", Unit: "percentunit", Thresholds: above(0.01, 0.05), Min: num(0),
			Description: "Share of operations answered with errors, per operation name.",
			Queries: []Query{q(ratio(
				sumBy(rate("graphql_operations_total", selector(service, `outcome="error"`)), "name"),
				sumBy(rate("graphql_operations_total", sel), "name")), "{{name}}")}},
		{Title: "Operation latency", Unit: "s", Thresholds: above(0.25, 1), Min: num(0),
			Queries: quantiles("graphql_operation_duration_seconds", sel, "")},
		{Title: "p95 latency by operation", Unit: "s", Thresholds: above(0.25, 1), Min: num(0),
			Queries: []Query{q(quantile(0.95, "graphql_operation_duration_seconds", sel, "type", "name"), "{{type}} {{name}}")}},
		{Title: "p99 latency by operation", Unit: "s", Thresholds: above(0.25, 1), Min: num(0),
			Queries: []Query{q(quantile(0.99, "graphql_operation_duration_seconds", sel, "type", "name"), "{{type}} {{name}}")}},
	}}
}

// databaseRow is a service's database: db_query_duration_seconds{system,query,outcome}
// (internal/dbmetrics) and, for a PostgreSQL pool (internal/postgres),
// db_pool_connections{state}, db_pool_acquire_wait_seconds_total,
// db_pool_acquires_total and db_pool_empty_acquires_total.
func databaseRow(service string, pool bool) Row {
	sel := selector(service)
	r := Row{Title: "Database", Panels: []Panel{
		{Title: "Queries by name", Unit: "ops", Thresholds: neutral, Min: num(0),
			Queries: []Query{q(sumBy(rate("db_query_duration_seconds_count", sel), "query"), "{{query}}")}},
		{Title: "Query latency (all queries)", Unit: "s", Thresholds: above(0.05, 0.25), Min: num(0),
			Queries: quantiles("db_query_duration_seconds", sel, "")},
		{Title: "Query errors by name", Unit: "ops", Thresholds: above(0.01, 1), Min: num(0),
			Description: "Queries the database failed (none: no error).",
			Queries:     []Query{q(orNone(sumBy(rate("db_query_duration_seconds_count", selector(service, `outcome="error"`)), "query"), "query"), "{{query}}")}},
		{Title: "p95 query latency by name", Unit: "s", Thresholds: above(0.05, 0.25), Min: num(0),
			Queries: []Query{q(quantile(0.95, "db_query_duration_seconds", sel, "query"), "{{query}}")}},
		{Title: "p99 query latency by name", Unit: "s", Thresholds: above(0.1, 0.5), Min: num(0),
			Queries: []Query{q(quantile(0.99, "db_query_duration_seconds", sel, "query"), "{{query}}")}},
	}}
	if !pool {
		return r
	}
	r.Panels = append(r.Panels,
		Panel{Title: "Connection pool", Unit: "short", Thresholds: neutral, Min: num(0),
			Description: "Connections in use, idle, and the pool's limit (max), summed over the instances.",
			Queries:     []Query{q(sumBy("db_pool_connections"+sel, "state"), "{{state}}")}},
		Panel{Title: "Pool saturation", Unit: "percentunit", Thresholds: above(0.8, 0.95), Min: num(0), Max: num(1),
			Description: "Connections in use over the pool's limit, per instance: near 100% requests queue for a connection.",
			Queries: []Query{q(fmt.Sprintf("max by (instance) (db_pool_connections%s) / max by (instance) (db_pool_connections%s)",
				selector(service, `state="in_use"`), selector(service, `state="max"`)), "{{instance}}")}},
		Panel{Title: "Pool acquire wait", Unit: "s", Thresholds: above(0.005, 0.05), Min: num(0),
			Description: "Average time to get a connection from the pool.",
			Queries: []Query{q(fmt.Sprintf("%s / %s",
				sumBy(rate("db_pool_acquire_wait_seconds_total", sel)), sumBy(rate("db_pool_acquires_total", sel))), "wait per acquire")}},
		Panel{Title: "Acquires that waited", Unit: "percentunit", Thresholds: above(0.1, 0.5), Min: num(0),
			Description: "Share of acquires that found no idle connection: the pool is too small or connections are held long.",
			Queries: []Query{q(ratio(
				sumBy(rate("db_pool_empty_acquires_total", sel)), sumBy(rate("db_pool_acquires_total", sel))), "waited")}},
	)
	return r
}

// runtimeRow is the Go runtime and process of a service, per instance.
func runtimeRow(service string) Row {
	sel := selector(service)
	return Row{Title: "Go runtime", Collapsed: false, Panels: []Panel{
		{Title: "Goroutines", Unit: "short", Thresholds: above(5000, 20000), Min: num(0),
			Queries: []Query{q("go_goroutines"+sel, "{{instance}}")}},
		{Title: "Heap", Unit: "bytes", Thresholds: neutral, Min: num(0),
			Description: "Heap spans in use, and the bytes of live and not yet collected objects in them (allocated).",
			Queries: []Query{q("go_memstats_heap_inuse_bytes"+sel, "{{instance}} in use"),
				q("go_memstats_heap_alloc_bytes"+sel, "{{instance}} allocated")}},
		{Title: "Resident memory", Unit: "bytes", Thresholds: neutral, Min: num(0),
			Queries: []Query{q("process_resident_memory_bytes"+sel, "{{instance}}")}},
		{Title: "GC pauses", Unit: "s", Thresholds: above(0.01, 0.05), Min: num(0),
			Description: "Stop-the-world pause per GC cycle: the average over the interval, and the longest of the recent cycles.",
			Queries: []Query{q(fmt.Sprintf("%s / %s",
				rate("go_gc_duration_seconds_sum", sel), rate("go_gc_duration_seconds_count", sel)), "{{instance}} average"),
				// "1" in the text format, "1.0" when scraped as
				// OpenMetrics (Prometheus 2 by default) or stored by
				// Prometheus 3, which normalises quantile and le values.
				q("go_gc_duration_seconds"+selector(service, `quantile=~"1|1.0"`), "{{instance}} max")}},
		{Title: "GC cycles", Unit: "ops", Thresholds: neutral, Min: num(0),
			Queries: []Query{q(rate("go_gc_duration_seconds_count", sel), "{{instance}}")}},
		{Title: "CPU", Unit: "short", Thresholds: neutral, Min: num(0),
			Description: "CPU time used per second (1 = one core busy).",
			Queries:     []Query{q(rate("process_cpu_seconds_total", sel), "{{instance}}")}},
	}}
}
