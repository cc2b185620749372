package dashboards

// Services are the services with a dashboard of their own.
var Services = []string{"user", "product", "order", "paymentgw"}

// Service is the dashboard of one of the store's services: at a glance,
// HTTP, GraphQL operations (subgraphs), database, its business metrics, Go
// runtime. Every query selects the service's series only.
func Service(name string) Dashboard {
	d := Dashboard{
		UID:     "virtual-store-" + name,
		Service: name,
		File:    name + ".json",
	}
	rows := []Row{statsRow(name), httpRow(name)}
	switch name {
	case "user":
		d.Title = "virtual-store / user"
		d.Description = "The user subgraph: accounts, sign-in, tokens (MongoDB)."
		rows = append(rows, graphqlRow(name), databaseRow(name, false), accountsRow())
	case "product":
		d.Title = "virtual-store / product"
		d.Description = "The product subgraph: catalog, prices, stock and reservations (PostgreSQL)."
		rows = append(rows, graphqlRow(name), databaseRow(name, true), stockRow())
	case "order":
		d.Title = "virtual-store / order"
		d.Description = "The order subgraph: carts, the checkout saga, orders (PostgreSQL)."
		rows = append(rows, graphqlRow(name), databaseRow(name, true), checkoutRow(), orderPaymentsRow(false))
	case "paymentgw":
		d.Title = "virtual-store / payment gateway"
		d.Description = "The mock payment gateway: payments and refunds (REST, PostgreSQL)."
		rows = append(rows, databaseRow(name, true), gatewayRow())
	default:
		panic("dashboards: no service " + name)
	}
	d.Rows = append(rows, runtimeRow(name))
	return d
}

// checkoutRow is the checkout funnel, counted by the order service's saga:
// checkouts_total{outcome}, checkout_duration_seconds{outcome} and the
// orders{status} gauge.
func checkoutRow() Row {
	sel := selector("order")
	checkouts := rate("checkouts_total", sel)
	return Row{Title: "Checkout funnel", Panels: []Panel{
		{Title: "Checkouts by outcome", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "Checkouts by result, once per order when its checkout ended: paid, payment_failed, cancelled (out of stock, or the reservation lapsed).",
			Queries:     []Query{q(sumBy(checkouts, "outcome"), "{{outcome}}")}},
		{Title: "Checkouts paid", Unit: "percentunit", Thresholds: below(0.5, 0.75), Min: num(0), Max: num(1),
			Description: "Share of checkouts that ended paid.",
			Queries: []Query{q(ratio(
				sumBy(rate("checkouts_total", selector("order", `outcome="paid"`))),
				sumBy(checkouts)), "paid")}},
		{Title: "Checkout duration", Unit: "s", Thresholds: above(2.5, 10), Min: num(0),
			Description: "From an order being placed to its checkout result (retries and worker resumption included).",
			Queries:     quantiles("checkout_duration_seconds", sel, "")},
		{Title: "Checkout duration by outcome (p95)", Unit: "s", Thresholds: above(2.5, 10), Min: num(0),
			Queries: []Query{q(quantile(0.95, "checkout_duration_seconds", sel, "outcome"), "{{outcome}}")}},
		{Title: "Orders by status", Unit: "short", Thresholds: neutral, Min: num(0),
			Description: "Orders in the database by status, counted at scrape time (every replica counts the same database: max).",
			Queries:     []Query{q("max by (status) (orders"+sel+")", "{{status}}")}},
		{Title: "Orders placed", Unit: "short", Thresholds: neutral, Min: num(0),
			Description: "Orders whose checkout ended in the interval, by outcome.",
			Queries:     []Query{q(sumBy("increase(checkouts_total"+sel+"[$__rate_interval])", "outcome"), "{{outcome}}")}},
	}}
}

// orderPaymentsRow is payments as the order service sees them: the gateway's
// latency (payment_request_duration_seconds{operation,outcome}), declines
// (payment_declines_total{reason}) and answers it did not trust
// (order_payment_mismatches_total{kind}). The overview leaves the mismatches
// to the order dashboard.
func orderPaymentsRow(overview bool) Row {
	sel := selector("order")
	charge := selector("order", `operation="charge"`)
	r := Row{Title: "Payments", Panels: []Panel{
		{Title: "Payment latency (charges)", Unit: "s", Thresholds: above(0.5, 2), Min: num(0),
			Description: "The order service's charge requests to the payment gateway, every outcome.",
			Queries:     quantiles("payment_request_duration_seconds", charge, "")},
		{Title: "Declines by reason", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "Checkouts that ended PAYMENT_FAILED, by the order's failureReason.",
			Queries:     []Query{q(sumBy(rate("payment_declines_total", sel), "reason"), "{{reason}}")}},
		{Title: "Declines per checkout", Unit: "percentunit", Thresholds: above(0.1, 0.25), Min: num(0),
			Description: "The payment failure alert fires above 25% (with at least one checkout a minute).",
			Queries: []Query{q(ratio(
				sumBy(rate("payment_declines_total", sel)),
				sumBy(rate("checkouts_total", sel))), "declines per checkout")}},
		{Title: "Gateway requests by outcome", Unit: "reqps", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "ok, declined (a failed payment), refused (unprocessed or for good), unavailable (no definitive answer: timeout, 5xx, 429).",
			Queries:     []Query{q(sumBy(rate("payment_request_duration_seconds_count", sel), "operation", "outcome"), "{{operation}} {{outcome}}")}},
		{Title: "Gateway availability (as checkout sees it)", Unit: "percentunit", Thresholds: below(0.95, 0.99), Min: num(0), Max: num(1),
			Description: "Requests to the gateway with a definitive answer (not unavailable: timeout, connection error, 5xx, 429).",
			Queries: []Query{q(ratio(
				sumBy(rate("payment_request_duration_seconds_count", selector("order", `outcome!="unavailable"`))),
				sumBy(rate("payment_request_duration_seconds_count", sel))), "available")}},
		{Title: "Gateway latency by operation (p95)", Unit: "s", Thresholds: above(0.5, 2), Min: num(0),
			Queries: []Query{q(quantile(0.95, "payment_request_duration_seconds", sel, "operation"), "{{operation}}")}},
	}}
	if !overview {
		r.Panels = append(r.Panels, Panel{Title: "Payment mismatches", Unit: "ops", Thresholds: above(0.0001, 0.001), Min: num(0),
			Description: "Gateway answers checkout did not trust, by kind: any is worth a human's look (see the error logs of the moment).",
			Queries:     []Query{q(sumBy(rate("order_payment_mismatches_total", sel), "kind"), "{{kind}}")}})
	}
	return r
}

// gatewayRow is the payment gateway's ledger: paymentgw_payments_total{status},
// paymentgw_refunds_total, and its payment endpoint's latency.
func gatewayRow() Row {
	sel := selector("paymentgw")
	payments := rate("paymentgw_payments_total", sel)
	return Row{Title: "Payments and refunds", Panels: []Panel{
		{Title: "Payments by status", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "Payments the gateway recorded: succeeded, failed (declined or a processing error). Idempotent repeats are not counted.",
			Queries:     []Query{q(sumBy(payments, "status"), "{{status}}")}},
		{Title: "Failed payments", Unit: "percentunit", Thresholds: above(0.1, 0.25), Min: num(0),
			Queries: []Query{q(ratio(
				sumBy(rate("paymentgw_payments_total", selector("paymentgw", `status="failed"`))),
				sumBy(payments)), "failed")}},
		{Title: "Refunds", Unit: "ops", Thresholds: neutral, Min: num(0),
			Queries: []Query{q(sumBy(rate("paymentgw_refunds_total", sel)), "refunds")}},
		{Title: "Payment endpoint latency", Unit: "s", Thresholds: above(0.5, 2), Min: num(0),
			Description: "POST /v1/payments as the gateway serves it.",
			Queries:     quantiles("http_request_duration_seconds", selector("paymentgw", `route="/v1/payments"`, `method="POST"`), "")},
	}}
}

// accountsRow is the user service's sign-ins, registrations and token
// refreshes.
func accountsRow() Row {
	sel := selector("user")
	signins := rate("signins_total", sel)
	return Row{Title: "Accounts", Panels: []Panel{
		{Title: "Sign-ins by outcome", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "ok, failed (wrong email or password), throttled (refused by sign-in throttling).",
			Queries:     []Query{q(sumBy(signins, "outcome"), "{{outcome}}")}},
		{Title: "Failed sign-ins", Unit: "percentunit", Thresholds: above(0.25, 0.5), Min: num(0),
			Description: "Share of sign-ins that failed or were throttled: a rise is mistyped passwords at scale or credential stuffing.",
			Queries: []Query{q(ratio(
				sumBy(rate("signins_total", selector("user", `outcome!="ok"`))),
				sumBy(signins)), "failed or throttled")}},
		{Title: "Registrations by outcome", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "ok, rejected (invalid input or the email taken).",
			Queries:     []Query{q(sumBy(rate("registrations_total", sel), "outcome"), "{{outcome}}")}},
		{Title: "Token refreshes by outcome", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "ok, reused (an already rotated token: its sign-in is revoked), invalid.",
			Queries:     []Query{q(sumBy(rate("token_refreshes_total", sel), "outcome"), "{{outcome}}")}},
	}}
}

// stockRow is the product service's stock: stockouts_total,
// reservations_active, reservations_expired_total, inventory_restocks_total{kind}.
func stockRow() Row {
	sel := selector("product")
	return Row{Title: "Stock and reservations", Panels: []Panel{
		{Title: "Active reservations", Unit: "short", Thresholds: above(50, 100), Min: num(0),
			Description: "Reservations holding stock now, counted in the database at scrape time (every replica counts the same database: max). The backlog alert fires above 100 for 15 minutes.",
			Queries:     []Query{q("max(reservations_active"+sel+")", "active")}},
		{Title: "Reservations expired (30 min)", Unit: "short", Thresholds: above(1, 5), Min: num(0),
			Description: "Reservations the sweeper released because their order neither committed nor released them in time, over the last 30 minutes (the alert fires above 5).",
			Queries:     []Query{q(sumBy("increase(reservations_expired_total"+sel+"[30m])"), "expired")}},
		{Title: "Stockouts", Unit: "ops", Thresholds: neutral, Min: num(0),
			Description: "Reservations refused for too little stock (INSUFFICIENT_STOCK).",
			Queries:     []Query{q(sumBy(rate("stockouts_total", sel)), "stockouts")}},
		{Title: "Restocks by kind", Unit: "ops", Thresholds: neutral, Min: num(0), Stack: true,
			Description: "adjustment (an admin added stock), return (a cancelled paid order's units came back).",
			Queries:     []Query{q(sumBy(rate("inventory_restocks_total", sel), "kind"), "{{kind}}")}},
	}}
}
