package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	promql "github.com/prometheus/prometheus/promql/parser"

	"github.com/virtual-store/virtual-store/dashboards"
)

// proofPanels evaluates every query of every panel of every dashboard:
// each must return series.
func proofPanels(t *testing.T, api promAPI) {
	t.Helper()
	ds, err := dashboards.All()
	if err != nil {
		t.Fatal(err)
	}
	var panels, queries, emptyPanels int
	for _, d := range ds {
		for _, row := range d.Rows {
			for _, p := range row.Panels {
				panels++
				empty := false
				for i, q := range p.Queries {
					queries++
					expr := dashboards.Expand(q.Expr, proofRateInterval, nil)
					where := fmt.Sprintf("%s / %s / %q query %d (%s)", d.File, row.Title, p.Title, i+1, q.Legend)
					res, err := api.query(expr)
					switch {
					case err != nil:
						t.Errorf("%s: %v\n    %s", where, err, expr)
						empty = true
					case len(res) == 0:
						t.Errorf("%s: no series\n    %s", where, expr)
						empty = true
					}
				}
				if empty {
					emptyPanels++
				}
			}
		}
	}
	t.Logf("dashboards: %d dashboards, %d panels, %d queries evaluated; %d panels with an empty or failing query", len(ds), panels, queries, emptyPanels)
}

// selectorsWithoutSeries are the rule selectors that may select nothing in
// a healthy store, with the reason. Each still has to name a metric that
// exists, with the label it matches on.
var selectorsWithoutSeries = map[string]string{
	// The router's own failures (SERVICE_UNAVAILABLE: no supergraph loaded;
	// INTERNAL_SERVER_ERROR: a bug) spend the availability error budget. A
	// healthy router under load has none, and nothing a client sends causes
	// one: this test cannot produce them without breaking the router.
	`router_rejections_total{job="virtual-store",reason=~"INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE"}`: "the router's own failures: none in a healthy store",
}

// proofRuleExpressions evaluates every rule of ruleFiles and checks that
// each metric selector in it selects series. It returns the rule groups
// with their number of rules.
func proofRuleExpressions(t *testing.T, api promAPI, ruleFiles []string) map[string]int {
	t.Helper()
	type rule struct {
		Record, Alert, Expr string
	}
	var file struct {
		Groups []struct {
			Name  string
			Rules []rule
		}
	}
	var rules []rule
	groups := map[string]int{}
	for _, f := range ruleFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file.Groups = nil
		if err := yaml.Unmarshal(b, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range file.Groups {
			groups[g.Name] = len(g.Rules)
			rules = append(rules, g.Rules...)
		}
	}
	selectors := map[string][]string{} // selector -> the rules using it
	var alerts, records int
	for _, r := range rules {
		name := r.Record
		if r.Alert != "" {
			name, alerts = "alert "+r.Alert, alerts+1
		} else {
			records++
		}
		res, err := api.query(r.Expr)
		switch {
		case err != nil:
			t.Errorf("rule %s: %v\n    %s", name, err, r.Expr)
		case r.Record != "" && len(res) == 0:
			// A recording rule is a series the alerts and people read.
			t.Errorf("recording rule %s has no series\n    %s", name, r.Expr)
		}
		e, err := promql.NewParser(promql.Options{}).ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("rule %s: %v", name, err)
			continue
		}
		promql.Inspect(e, func(n promql.Node, _ []promql.Node) error {
			if vs, ok := n.(*promql.VectorSelector); ok {
				sel := vs.String()
				if !slices.Contains(selectors[sel], name) {
					selectors[sel] = append(selectors[sel], name)
				}
			}
			return nil
		})
	}
	var uses int
	for _, sel := range sortedKeys(selectors) {
		uses += len(selectors[sel])
		res, err := api.query("count(" + sel + ")")
		switch {
		case err != nil:
			t.Errorf("selector %s (in %s): %v", sel, strings.Join(selectors[sel], ", "), err)
		case len(res) > 0:
		case selectorsWithoutSeries[sel] != "":
			// Allowed to be empty, but its metric and its labels must exist.
			vs, _ := promql.NewParser(promql.Options{}).ParseExpr(sel)
			for _, m := range vs.(*promql.VectorSelector).LabelMatchers {
				if m.Name == "__name__" {
					continue
				}
				probe := fmt.Sprintf(`count by (%s) ({__name__=%q, %s!=""})`, m.Name, vs.(*promql.VectorSelector).Name, m.Name)
				if res, err := api.query(probe); err != nil || len(res) == 0 {
					t.Errorf("selector %s (in %s): no series of %s has a label %s (%v)", sel, strings.Join(selectors[sel], ", "), vs.(*promql.VectorSelector).Name, m.Name, err)
				}
			}
			t.Logf("selector %s selects nothing, as expected: %s", sel, selectorsWithoutSeries[sel])
		default:
			t.Errorf("selector %s (in %s) selects no series", sel, strings.Join(selectors[sel], ", "))
		}
	}
	t.Logf("rules: %d rules (%d recording, %d alerts) in %d groups evaluated; %d metric selectors (%d distinct) checked for series", len(rules), records, alerts, len(groups), uses, len(selectors))
	return groups
}

// proofRulesLoaded checks that Prometheus loaded every group and evaluates
// every rule without error.
func proofRulesLoaded(t *testing.T, api promAPI, groups map[string]int) {
	t.Helper()
	var loaded struct {
		Status string
		Data   struct {
			Groups []struct {
				Name  string
				File  string
				Rules []struct {
					Name      string
					Health    string
					LastError string `json:"lastError"`
				}
			}
		}
	}
	if err := api.get("api/v1/rules", nil, &loaded); err != nil || loaded.Status != "success" {
		t.Fatalf("/api/v1/rules: %v %s", err, loaded.Status)
	}
	seen := map[string]bool{}
	for _, g := range loaded.Data.Groups {
		seen[g.Name] = true
		if n, ok := groups[g.Name]; !ok || n != len(g.Rules) {
			t.Errorf("rule group %s: %d rules loaded, the files have %d", g.Name, len(g.Rules), n)
		}
		for _, r := range g.Rules {
			if r.Health != "ok" {
				t.Errorf("rule %s in group %s: health %q %s", r.Name, g.Name, r.Health, r.LastError)
			}
		}
	}
	for g := range groups {
		if !seen[g] {
			t.Errorf("rule group %s is not loaded", g)
		}
	}
}
