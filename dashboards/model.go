// Package dashboards generates the store's Grafana dashboards from Go code
// with the Grafana Foundation SDK: an overview of the shop, one dashboard per
// service (user, product, order, paymentgw), the router's, and per-resolver
// latency generated from the composed supergraph. The JSON files next to
// this source are its output (`go run ./cmd/dashboards -out dashboards`,
// `make dashboards`); dashboards_test.go fails when they drift.
//
// Every dashboard has the tag virtual-store, a Prometheus data source
// variable `datasource`, the variables `namespace` and `instance` (All by
// default), and links to the others. Every query selects
// job="virtual-store" (the scrape job of kustomize/components/monitoring
// and of `make run`), the service's `service` label, and
// namespace=~"$namespace", instance=~"$instance".
package dashboards

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Tag is on every dashboard; the dashboard links list the dashboards by it.
const Tag = "virtual-store"

// Job is the Prometheus scrape job of every service.
const Job = "virtual-store"

// Dashboard is one dashboard: what the SDK renders (Grafana) and what a test
// can evaluate against a real Prometheus (the panels' queries).
type Dashboard struct {
	UID         string
	Title       string
	Description string
	// File is the JSON file name, e.g. "overview.json".
	File string
	// Service is the `service` label the instance variable lists, "" for
	// every service.
	Service string
	Rows    []Row
}

// Row is a dashboard row. Collapsed rows hold their panels inside (Grafana
// loads their queries only when opened).
type Row struct {
	Title     string
	Collapsed bool
	Panels    []Panel
	// ID and Y are set by layout.
	ID uint32
	Y  uint32
}

// PanelKind is a Grafana panel plugin id.
type PanelKind string

const (
	TimeSeries PanelKind = "timeseries"
	Stat       PanelKind = "stat"
)

// Panel is one panel.
type Panel struct {
	Kind        PanelKind
	Title       string
	Description string
	// Unit is a Grafana unit id (s, reqps, percentunit, bytes, short, ...).
	Unit       string
	Min, Max   *float64
	Thresholds Thresholds
	Queries    []Query
	// RightAxis gives queries (by RefID) their own unit on a right axis,
	// e.g. the request rate next to latency quantiles.
	RightAxis map[string]string
	// Stack stacks the series (shares of a whole, e.g. requests by outcome).
	Stack bool
	// W and H are the size in grid units (24 columns); zero means 8x8.
	W, H uint32
	// ID, X and Y are set by layout.
	ID   uint32
	X, Y uint32
}

// Query is one Prometheus query. Expr uses Grafana's variables: $namespace,
// $instance, $__rate_interval (see Expand).
type Query struct {
	RefID   string
	Expr    string
	Legend  string
	Instant bool
}

// Thresholds are absolute thresholds: Base is the color below the first
// step.
type Thresholds struct {
	Base  string
	Steps []Step
}

// Step is a threshold step: from Value up, Color.
type Step struct {
	Value float64
	Color string
}

// neutral is for panels without a good or bad level (traffic, counts).
var neutral = Thresholds{Base: "green"}

// above: higher is worse (latency, errors): orange from warn, red from crit.
func above(warn, crit float64) Thresholds {
	return Thresholds{Base: "green", Steps: []Step{{warn, "orange"}, {crit, "red"}}}
}

// below: lower is worse (hit ratios, instances up): red under crit, orange
// under warn.
func below(crit, warn float64) Thresholds {
	return Thresholds{Base: "red", Steps: []Step{{crit, "orange"}, {warn, "green"}}}
}

// atLeastOne: red at 0 (no instance up), green from 1.
var atLeastOne = Thresholds{Base: "red", Steps: []Step{{1, "green"}}}

// Panels lists every panel of the dashboard, rows in order.
func (d *Dashboard) Panels() []Panel {
	var out []Panel
	for _, r := range d.Rows {
		out = append(out, r.Panels...)
	}
	return out
}

// Variables are the dashboard's template variables besides the built-in
// ones, by name: what Expand substitutes.
var Variables = []string{"datasource", "namespace", "instance"}

// Expand substitutes Grafana's variables in expr as Grafana does with their
// default values (All: .*), $__rate_interval with rateInterval (Grafana
// uses max(4 x scrape interval, step + scrape interval); 1m suits a 15s
// scrape), and any of vars (name without $) given.
func Expand(expr, rateInterval string, vars map[string]string) string {
	r := []string{"$__rate_interval", rateInterval}
	for _, name := range []string{"namespace", "instance"} {
		v, ok := vars[name]
		if !ok {
			v = ".*"
		}
		r = append(r, "${"+name+"}", v, "$"+name, v)
	}
	// Longer names first, so that $foobar is not read as $foo + "bar".
	names := slices.SortedFunc(maps.Keys(vars), func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	for _, name := range names {
		if name != "namespace" && name != "instance" {
			r = append(r, "${"+name+"}", vars[name], "$"+name, vars[name])
		}
	}
	return strings.NewReplacer(r...).Replace(expr)
}

// ---------------------------------------------------------------- PromQL

// selector is a PromQL label selector for a service's series, filtered by
// the dashboard variables, with extra matchers (`code=~"5.."`).
func selector(service string, extra ...string) string {
	m := []string{`job="` + Job + `"`}
	if service != "" {
		m = append(m, `service="`+service+`"`)
	}
	m = append(m, `namespace=~"$namespace"`, `instance=~"$instance"`)
	m = append(m, extra...)
	return "{" + strings.Join(m, ", ") + "}"
}

// rate is `rate(metric{sel}[$__rate_interval])`.
func rate(metric, sel string) string {
	return fmt.Sprintf("rate(%s%s[$__rate_interval])", metric, sel)
}

// sumBy is `sum by (labels) (expr)`, or `sum(expr)` without labels.
func sumBy(expr string, labels ...string) string {
	if len(labels) == 0 {
		return "sum(" + expr + ")"
	}
	return fmt.Sprintf("sum by (%s) (%s)", strings.Join(labels, ", "), expr)
}

// ratio is `(num or 0 * den) / den`: 0, not nothing, while num has no series.
func ratio(num, den string) string {
	return fmt.Sprintf("(%s or 0 * %s) / %s", num, den, den)
}

// orNone is expr, or, while expr has no series, one series of value 0
// labelled label="none": for counters of rare events (refusals, errors)
// whose series appear with their first event, so that the panel shows 0
// rather than "No data" (the usual `or vector(0)`; `on()` leaves the 0 out
// as soon as expr has any series, whatever its labels).
func orNone(expr, label string) string {
	return fmt.Sprintf(`%s or on() label_replace(vector(0), %q, "none", "", "")`, expr, label)
}

// quantile is histogram_quantile over a histogram's buckets, by labels.
func quantile(q float64, histogram, sel string, labels ...string) string {
	return fmt.Sprintf("histogram_quantile(%g, %s)", q,
		sumBy(rate(histogram+"_bucket", sel), append([]string{"le"}, labels...)...))
}

// quantiles are the p50, p95 and p99 queries of a histogram, by labels.
func quantiles(histogram, sel string, legendPrefix string, labels ...string) []Query {
	var out []Query
	for _, q := range []float64{0.5, 0.95, 0.99} {
		legend := fmt.Sprintf("p%g", q*100)
		if legendPrefix != "" {
			legend = legendPrefix + " " + legend
		}
		out = append(out, Query{Expr: quantile(q, histogram, sel, labels...), Legend: legend})
	}
	return out
}

func q(expr, legend string) Query { return Query{Expr: expr, Legend: legend} }

func num(v float64) *float64 { return &v }
