package dashboards

import "fmt"

// Router is the federation router's dashboard (router/server.Metrics).
func Router() Dashboard {
	const svc = "router"
	sel := selector(svc)
	requests := rate("router_graphql_requests_total", sel)
	return Dashboard{
		UID:         "virtual-store-router",
		Title:       "virtual-store / router",
		Description: "The federation router: GraphQL requests, subgraph fetches, plan cache, refusals, supergraph.",
		File:        "router.json",
		Service:     svc,
		Rows: []Row{
			{Title: "At a glance", Panels: []Panel{
				{Kind: Stat, Title: "Instances up", Unit: "short", W: 4, H: 4, Thresholds: atLeastOne,
					Queries: []Query{q(sumBy("up"+sel), "up")}},
				{Kind: Stat, Title: "GraphQL requests", Unit: "reqps", W: 4, H: 4, Thresholds: neutral,
					Queries: []Query{q(sumBy(requests), "requests")}},
				{Kind: Stat, Title: "Error ratio", Unit: "percentunit", W: 4, H: 4, Thresholds: above(SLOErrorBudget, 0.05),
					Description: "Answers without data and the router's own refusals among all requests (the availability SLO's definition).",
					Queries:     []Query{q(sloErrorRatio("$__rate_interval"), "errors")}},
				{Kind: Stat, Title: "p99 latency", Unit: "s", W: 4, H: 4, Thresholds: above(0.5, 1),
					Queries: []Query{q(quantile(0.99, "router_graphql_request_duration_seconds", sel), "p99")}},
				{Kind: Stat, Title: "Plan cache hit ratio", Unit: "percentunit", W: 4, H: 4, Thresholds: below(0.5, 0.9),
					Min: num(0), Max: num(1),
					Queries: []Query{q(planCacheHitRatio(sel, svc), "hit ratio")}},
				{Kind: Stat, Title: "Supergraph age", Unit: "s", W: 4, H: 4, Thresholds: neutral,
					Description: "Time since the oldest instance loaded the supergraph it serves.",
					Queries:     []Query{q("max(time() - router_supergraph_loaded_timestamp_seconds"+sel+")", "age")}},
			}},
			{Title: "Requests", Panels: []Panel{
				{Title: "Requests by outcome", Unit: "reqps", Thresholds: neutral, Min: num(0), Stack: true,
					Description: "success, partial (data and errors), error (no data), rejected (parsing, validation, limits, authorization).",
					Queries:     []Query{q(sumBy(requests, "outcome"), "{{outcome}}")}},
				{Title: "Requests by operation type", Unit: "reqps", Thresholds: neutral, Min: num(0), Stack: true,
					Queries: []Query{q(sumBy(requests, "type"), "{{type}}")}},
				{Title: "Top operations", Unit: "reqps", Thresholds: neutral, Min: num(0),
					Description: "The 10 busiest operation names (names beyond the router's cap count as other).",
					Queries:     []Query{q("topk(10, "+sumBy(requests, "operation")+")", "{{operation}}")}},
				{Title: "Latency", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
					Queries: quantiles("router_graphql_request_duration_seconds", sel, "")},
				{Title: "p95 latency by operation (top 10)", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
					Queries: []Query{q("topk(10, "+quantile(0.95, "router_graphql_request_duration_seconds", sel, "operation")+")", "{{operation}}")}},
				{Title: "Errors and partial answers by operation", Unit: "percentunit", Thresholds: above(0.01, 0.05), Min: num(0),
					Description: "Share of each operation's requests answered with errors (outcome error or partial).",
					Queries: []Query{q(ratio(
						sumBy(rate("router_graphql_requests_total", selector(svc, `outcome=~"error|partial"`)), "operation"),
						sumBy(requests, "operation")), "{{operation}}")}},
			}},
			{Title: "Subgraph fetches", Panels: []Panel{
				{Title: "Fetches by subgraph", Unit: "reqps", Thresholds: neutral, Min: num(0),
					Queries: []Query{q(sumBy(rate("router_subgraph_fetch_duration_seconds_count", sel), "subgraph", "outcome"), "{{subgraph}} {{outcome}}")}},
				{Title: "p95 fetch latency by subgraph", Unit: "s", Thresholds: above(0.25, 1), Min: num(0),
					Queries: []Query{q(quantile(0.95, "router_subgraph_fetch_duration_seconds", sel, "subgraph"), "{{subgraph}}")}},
				{Title: "p99 fetch latency by subgraph", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
					Queries: []Query{q(quantile(0.99, "router_subgraph_fetch_duration_seconds", sel, "subgraph"), "{{subgraph}}")}},
				{Title: "Fetch errors by subgraph", Unit: "reqps", Thresholds: above(0.01, 1), Min: num(0),
					Description: "Round trips to a subgraph that failed (transport_error) or answered errors (graphql_error), by subgraph (none: no failure).",
					Queries:     []Query{q(orNone(sumBy(rate("router_subgraph_fetch_errors_total", sel), "subgraph", "outcome"), "subgraph"), "{{subgraph}} {{outcome}}")}},
				{Title: "Fetch error ratio by subgraph", Unit: "percentunit", Thresholds: above(0.01, 0.05), Min: num(0),
					Queries: []Query{q(ratio(
						sumBy(rate("router_subgraph_fetch_errors_total", sel), "subgraph"),
						sumBy(rate("router_subgraph_fetch_duration_seconds_count", sel), "subgraph")), "{{subgraph}}")}},
				{Title: "p50 fetch latency by subgraph", Unit: "s", Thresholds: above(0.1, 0.5), Min: num(0),
					Queries: []Query{q(quantile(0.5, "router_subgraph_fetch_duration_seconds", sel, "subgraph"), "{{subgraph}}")}},
			}},
			{Title: "Plan cache, refusals and authentication", Panels: []Panel{
				{Title: "Plan cache hit ratio", Unit: "percentunit", Thresholds: below(0.5, 0.9), Min: num(0), Max: num(1),
					Queries: []Query{q(planCacheHitRatio(sel, svc), "hit ratio")}},
				{Title: "Plan cache lookups", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
					Queries: []Query{q(sumBy(rate("router_plan_cache_lookups_total", sel), "result"), "{{result}}")}},
				{Title: "Rejections by reason", Unit: "reqps", Thresholds: neutral, Min: num(0), Stack: true,
					Description: "Requests refused before or instead of execution, by error code (none: nothing refused).",
					Queries:     []Query{q(orNone(sumBy(rate("router_rejections_total", sel), "reason"), "reason"), "{{reason}}")}},
				{Title: "Rate limited by scope", Unit: "reqps", Thresholds: above(0.1, 10), Min: num(0), Stack: true,
					Description: "Requests refused by a rate limit bucket (global, ip, user; none: nothing refused).",
					Queries:     []Query{q(orNone(sumBy(rate("router_rate_limited_total", sel), "scope"), "scope"), "{{scope}}")}},
				{Title: "Authentication failures", Unit: "reqps", Thresholds: above(0.1, 5), Min: num(0), Stack: true,
					Description: "Requests whose credentials did not verify, by reason (none: no failure).",
					Queries:     []Query{q(orNone(sumBy(rate("router_auth_failures_total", sel), "reason"), "reason"), "{{reason}}")}},
				{Title: "Supergraph age", Unit: "s", Thresholds: neutral, Min: num(0),
					Description: "Time since each instance loaded the supergraph it serves: a drop is a reload.",
					Queries:     []Query{q("time() - router_supergraph_loaded_timestamp_seconds"+sel, "{{instance}}")}},
			}},
			httpRow(svc),
			runtimeRow(svc),
		},
	}
}

func planCacheHitRatio(sel, svc string) string {
	return fmt.Sprintf("%s / %s",
		sumBy(rate("router_plan_cache_lookups_total", selector(svc, `result="hit"`))),
		sumBy(rate("router_plan_cache_lookups_total", sel)))
}
