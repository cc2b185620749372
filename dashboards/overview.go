package dashboards

import "fmt"

// The router's availability SLO (as kustomize/components/monitoring/rules
// defines it): 99.5% of GraphQL requests over 30 days answered without a
// server-side error.
const (
	SLOTarget      = 0.995
	SLOErrorBudget = 1 - SLOTarget // 0.005
	// Burn-rate thresholds of the multi-window alerts: 14.4x over 1h spends
	// 2% of a 30-day budget in an hour, 6x over 6h 5% in six hours.
	FastBurn = 14.4
	SlowBurn = 6.0
)

// sloRequests are the router's requests over window w: the ones that reached
// the engine and every refusal (router_rejections_total, also those before
// the engine), each once.
func sloRequests(w string) string {
	sel := selector("router")
	return fmt.Sprintf(`sum(rate(router_graphql_requests_total%s[%s]) or rate(router_rejections_total%s[%s]))`,
		selector("router", `outcome!="rejected"`), w, sel, w)
}

// sloErrors are the requests that spend the budget: answers without data
// and the router's own refusals (internal errors, no supergraph).
func sloErrors(w string) string {
	return fmt.Sprintf(`sum(rate(router_graphql_requests_total%s[%s]) or rate(router_rejections_total%s[%s]))`,
		selector("router", `outcome="error"`), w,
		selector("router", `reason=~"INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE"`), w)
}

// sloErrorRatio is the share of requests over w that spent the budget.
func sloErrorRatio(w string) string { return ratio(sloErrors(w), sloRequests(w)) }

// burnRate is how many times faster than sustainable the budget burns over w.
func burnRate(w string) string { return fmt.Sprintf("(%s) / %g", sloErrorRatio(w), SLOErrorBudget) }

// Overview is the shop's golden signals, checkout funnel, payments and the
// availability SLO's error budget.
func Overview() Dashboard {
	router := selector("router")
	all := selector("")
	routerRequests := rate("router_graphql_requests_total", router)
	return Dashboard{
		UID:         "virtual-store-overview",
		Title:       "virtual-store / overview",
		Description: "The shop at a glance: golden signals through the router, checkouts, payments, the availability SLO's error budget.",
		File:        "overview.json",
		Rows: []Row{
			{Title: "Golden signals (through the router)", Panels: []Panel{
				{Kind: Stat, Title: "Requests", Unit: "reqps", W: 4, H: 4, Thresholds: neutral,
					Queries: []Query{q(sloRequests("$__rate_interval"), "requests")}},
				{Kind: Stat, Title: "Error ratio", Unit: "percentunit", W: 4, H: 4, Thresholds: above(SLOErrorBudget, 0.05),
					Queries: []Query{q(sloErrorRatio("$__rate_interval"), "errors")}},
				{Kind: Stat, Title: "p99 latency", Unit: "s", W: 4, H: 4, Thresholds: above(0.5, 1),
					Queries: []Query{q(quantile(0.99, "router_graphql_request_duration_seconds", router), "p99")}},
				{Kind: Stat, Title: "Availability (30 days)", Unit: "percentunit", W: 4, H: 4, Thresholds: below(SLOTarget, 0.999),
					Description: fmt.Sprintf("Share of requests without a server-side error over 30 days; the SLO is %g%%.", SLOTarget*100),
					Queries:     []Query{q("1 - ("+sloErrorRatio("30d")+")", "availability")}},
				{Kind: Stat, Title: "Error budget left (30 days)", Unit: "percentunit", W: 4, H: 4, Thresholds: below(0, 0.25),
					Description: "What is left of the 30-day error budget (0.5% of requests): below 0 the SLO is missed.",
					Queries:     []Query{q(fmt.Sprintf("1 - (%s) / %g", sloErrorRatio("30d"), SLOErrorBudget), "budget left")}},
				{Kind: Stat, Title: "Targets down", Unit: "short", W: 4, H: 4,
					Thresholds:  Thresholds{Base: "green", Steps: []Step{{1, "red"}}},
					Description: "Service instances Prometheus cannot scrape.",
					Queries:     []Query{q("count(up"+all+" == 0) or vector(0)", "down")}},
				{Title: "Requests by outcome", Unit: "reqps", Thresholds: neutral, Min: num(0), Stack: true,
					Description: "success, partial (data and errors), error (no data), rejected (refused: parsing, validation, limits, authorization).",
					Queries:     []Query{q(sumBy(routerRequests, "outcome"), "{{outcome}}")}},
				{Title: "Error ratio", Unit: "percentunit", Thresholds: above(SLOErrorBudget, 0.05), Min: num(0),
					Description: "Requests without data or refused by the router's own fault, among all requests (the SLO's definition).",
					Queries:     []Query{q(sloErrorRatio("$__rate_interval"), "error ratio")}},
				{Title: "Latency", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
					Queries: quantiles("router_graphql_request_duration_seconds", router, "")},
			}},
			{Title: "Services", Panels: []Panel{
				{Title: "HTTP requests by service", Unit: "reqps", Thresholds: neutral, Min: num(0),
					Queries: []Query{q(sumBy(rate("http_requests_total", all), "service"), "{{service}}")}},
				{Title: "HTTP 5xx ratio by service", Unit: "percentunit", Thresholds: above(0.01, 0.05), Min: num(0),
					Queries: []Query{q(ratio(
						sumBy(rate("http_requests_total", selector("", `code=~"5.."`)), "service"),
						sumBy(rate("http_requests_total", all), "service")), "{{service}}")}},
				{Title: "HTTP p99 latency by service", Unit: "s", Thresholds: above(0.5, 1), Min: num(0),
					Queries: []Query{q(quantile(0.99, "http_request_duration_seconds", all, "service"), "{{service}}")}},
			}},
			checkoutRow(),
			orderPaymentsRow(true),
			{Title: fmt.Sprintf("Error budget (availability %g%% over 30 days)", SLOTarget*100), Panels: []Panel{
				{Title: "Burn rate", Unit: "short", Min: num(0), W: 12,
					Thresholds: Thresholds{Base: "green", Steps: []Step{{SlowBurn, "orange"}, {FastBurn, "red"}}},
					Description: fmt.Sprintf("Error ratio / %g (the budget): 1 spends the budget in exactly 30 days. "+
						"The alerts page at %gx over 1h (2%% of the budget in an hour) and %gx over 6h (5%% in six hours).",
						SLOErrorBudget, FastBurn, SlowBurn),
					Queries: []Query{q(burnRate("1h"), "1h window"), q(burnRate("6h"), "6h window")}},
				{Title: "Requests slower than 1 s", Unit: "percentunit", Min: num(0), W: 12, Thresholds: above(0.01, 0.05),
					Description: "The latency SLO: 99% of requests within 1 s.",
					Queries: []Query{q(fmt.Sprintf("1 - (%s / %s)",
						sumBy(rate("router_graphql_request_duration_seconds_bucket", selector("router", `le=~"1|1.0"`))),
						sumBy(rate("router_graphql_request_duration_seconds_count", router))), "slower than 1 s")}},
			}},
		},
	}
}
