package dashboards_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	promql "github.com/prometheus/prometheus/promql/parser"

	"github.com/virtual-store/virtual-store/dashboards"
)

// Validity: every dashboard is well-formed Grafana, its variables and
// queries refer to what exists, and its panels fit the grid.

var wantUIDs = map[string]string{
	"overview.json":  "virtual-store-overview",
	"router.json":    "virtual-store-router",
	"user.json":      "virtual-store-user",
	"product.json":   "virtual-store-product",
	"order.json":     "virtual-store-order",
	"paymentgw.json": "virtual-store-paymentgw",
	"resolvers.json": "virtual-store-resolvers",
}

// serviceOf is the service label every query of a dashboard selects.
var serviceOf = map[string]string{
	"router.json": "router", "user.json": "user", "product.json": "product",
	"order.json": "order", "paymentgw.json": "paymentgw",
}

// builtins are Grafana's variables a query may use besides the dashboard's.
var builtins = []string{"__rate_interval", "__interval", "__range", "__all"}

var variableRef = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z0-9_]+))`)

func TestDashboardsAreValid(t *testing.T) {
	for file, uid := range wantUIDs {
		t.Run(file, func(t *testing.T) {
			d := load(t, file)
			if d.Uid == nil || *d.Uid != uid {
				t.Errorf("uid %v, want %s", d.Uid, uid)
			}
			if !slices.Contains(d.Tags, dashboards.Tag) {
				t.Errorf("tags %v lack %s", d.Tags, dashboards.Tag)
			}
			if d.Time == nil || d.Time.From != "now-1h" || d.Time.To != "now" {
				t.Errorf("time %+v, want now-1h to now", d.Time)
			}
			if d.Refresh == nil || *d.Refresh != "30s" {
				t.Errorf("refresh %v, want 30s", d.Refresh)
			}
			if len(d.Links) == 0 || d.Links[0].Type != dashboard.DashboardLinkTypeDashboards || !slices.Contains(d.Links[0].Tags, dashboards.Tag) {
				t.Errorf("no link to the other dashboards by tag: %+v", d.Links)
			}
			defined := checkVariables(t, d, serviceOf[file])

			ids := map[uint32]bool{}
			var top []dashboard.GridPos
			for _, pr := range d.Panels {
				switch {
				case pr.RowPanel != nil:
					row := pr.RowPanel
					checkID(t, ids, row.Id, "row "+deref(row.Title))
					if row.GridPos == nil {
						t.Fatalf("row %s has no gridPos", deref(row.Title))
					}
					top = append(top, *row.GridPos)
					if !row.Collapsed && len(row.Panels) > 0 {
						t.Errorf("open row %s nests panels: Grafana drops them", deref(row.Title))
					}
					var nested []dashboard.GridPos
					for _, p := range row.Panels {
						checkPanel(t, ids, p, defined, serviceOf[file])
						if p.GridPos.Y <= row.GridPos.Y {
							t.Errorf("panel %s is not below its row %s", deref(p.Title), deref(row.Title))
						}
						nested = append(nested, *p.GridPos)
					}
					checkGrid(t, "row "+deref(row.Title), nested)
				case pr.Panel != nil:
					checkPanel(t, ids, *pr.Panel, defined, serviceOf[file])
					top = append(top, *pr.Panel.GridPos)
				}
			}
			checkGrid(t, "dashboard", top)
		})
	}
}

// checkVariables checks the template variables and returns their names.
func checkVariables(t *testing.T, d dashboard.Dashboard, service string) map[string]bool {
	t.Helper()
	defined := map[string]bool{}
	byName := map[string]dashboard.VariableModel{}
	for _, v := range d.Templating.List {
		defined[v.Name] = true
		byName[v.Name] = v
	}
	for _, name := range dashboards.Variables {
		if !defined[name] {
			t.Errorf("variable %s is missing", name)
		}
	}
	if ds := byName["datasource"]; ds.Type != dashboard.VariableTypeDatasource || ds.Query == nil || ds.Query.String == nil || *ds.Query.String != "prometheus" {
		t.Errorf("datasource variable is not a prometheus data source variable: %+v", ds)
	}
	for _, name := range []string{"namespace", "instance"} {
		v := byName[name]
		if v.Type != dashboard.VariableTypeQuery || v.IncludeAll == nil || !*v.IncludeAll ||
			v.AllValue == nil || *v.AllValue != ".*" || v.Current == nil || !slices.Equal(v.Current.Value.ArrayOfString, []string{"$__all"}) {
			t.Errorf("variable %s: want a query variable with All (.*) selected: %+v", name, v)
			continue
		}
		query := *v.Query.String
		inner, ok := strings.CutPrefix(query, "label_values(")
		inner, ok2 := strings.CutSuffix(inner, ", "+name+")")
		if !ok || !ok2 {
			t.Errorf("variable %s: query %q is not label_values(<selector>, %s)", name, query, name)
			continue
		}
		matchers, err := promql.NewParser(promql.Options{}).ParseMetricSelector(dashboards.Expand(inner, "1m", nil))
		if err != nil {
			t.Errorf("variable %s: %q: %v", name, inner, err)
		}
		if !hasMatcher(matchers, "job", labels.MatchEqual, dashboards.Job) {
			t.Errorf("variable %s: %q does not select job=%q", name, inner, dashboards.Job)
		}
		if name == "instance" && service != "" && !hasMatcher(matchers, "service", labels.MatchEqual, service) {
			t.Errorf("variable instance: %q does not select service=%q", inner, service)
		}
		checkVariableRefs(t, "variable "+name, query, defined)
	}
	return defined
}

func checkPanel(t *testing.T, ids map[uint32]bool, p dashboard.Panel, defined map[string]bool, service string) {
	t.Helper()
	title := deref(p.Title)
	if p.Id == nil {
		t.Errorf("panel %s has no id", title)
	} else {
		checkID(t, ids, *p.Id, "panel "+title)
	}
	if title == "" {
		t.Errorf("panel %d has no title", deref(p.Id))
	}
	if p.Type != "timeseries" && p.Type != "stat" {
		t.Errorf("panel %s: type %s", title, p.Type)
	}
	if p.GridPos == nil {
		t.Fatalf("panel %s has no gridPos", title)
	}
	if p.FieldConfig == nil || p.FieldConfig.Defaults.Unit == nil || *p.FieldConfig.Defaults.Unit == "" {
		t.Errorf("panel %s has no unit", title)
	}
	if p.FieldConfig == nil || p.FieldConfig.Defaults.Thresholds == nil || len(p.FieldConfig.Defaults.Thresholds.Steps) == 0 ||
		p.FieldConfig.Defaults.Thresholds.Mode != dashboard.ThresholdsModeAbsolute || p.FieldConfig.Defaults.Thresholds.Steps[0].Value != nil {
		t.Errorf("panel %s: thresholds not set (absolute, from a base color): %+v", title, p.FieldConfig.Defaults.Thresholds)
	}
	if p.Datasource == nil || deref(p.Datasource.Uid) != "${datasource}" {
		t.Errorf("panel %s does not query the datasource variable", title)
	}
	if len(p.Targets) == 0 {
		t.Errorf("panel %s has no query", title)
	}
	refs := map[string]bool{}
	for _, target := range p.Targets {
		pq, ok := target.(*prometheus.Dataquery)
		if !ok {
			t.Errorf("panel %s: target %T is not a Prometheus query", title, target)
			continue
		}
		ref := deref(pq.RefId)
		if ref == "" || refs[ref] {
			t.Errorf("panel %s: refId %q empty or repeated", title, ref)
		}
		refs[ref] = true
		checkExpr(t, title, pq.Expr, defined, service)
	}
}

// checkExpr: the query is PromQL once Grafana's variables are substituted,
// uses only defined variables, and every series it selects is the store's,
// filtered by the dashboard's variables (and of the dashboard's service).
func checkExpr(t *testing.T, title, expr string, defined map[string]bool, service string) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("panel %s has an empty query", title)
		return
	}
	checkVariableRefs(t, "panel "+title, expr, defined)
	parsed, err := promql.NewParser(promql.Options{}).ParseExpr(dashboards.Expand(expr, "1m", nil))
	if err != nil {
		t.Errorf("panel %s: %q does not parse as PromQL: %v", title, expr, err)
		return
	}
	promql.Inspect(parsed, func(node promql.Node, _ []promql.Node) error {
		vs, ok := node.(*promql.VectorSelector)
		if !ok {
			return nil
		}
		for _, want := range []struct {
			name string
			typ  labels.MatchType
			val  string
		}{{"job", labels.MatchEqual, dashboards.Job}, {"namespace", labels.MatchRegexp, ".*"}, {"instance", labels.MatchRegexp, ".*"}} {
			if !hasMatcher(vs.LabelMatchers, want.name, want.typ, want.val) {
				t.Errorf("panel %s: %s does not select %s (filtered by the variables): %s", title, vs, want.name, expr)
			}
		}
		if service != "" && !hasMatcher(vs.LabelMatchers, "service", labels.MatchEqual, service) {
			t.Errorf("panel %s: %s is not the %s service's", title, vs, service)
		}
		return nil
	})
}

func checkVariableRefs(t *testing.T, where, s string, defined map[string]bool) {
	t.Helper()
	for _, m := range variableRef.FindAllStringSubmatch(s, -1) {
		name := m[1] + m[2]
		if !defined[name] && !slices.Contains(builtins, name) {
			t.Errorf("%s uses $%s, which is not defined", where, name)
		}
	}
}

func hasMatcher(ms []*labels.Matcher, name string, typ labels.MatchType, value string) bool {
	for _, m := range ms {
		if m.Name == name && m.Type == typ && m.Value == value {
			return true
		}
	}
	return false
}

func checkID(t *testing.T, ids map[uint32]bool, id uint32, what string) {
	t.Helper()
	if id == 0 || ids[id] {
		t.Errorf("%s: id %d is zero or taken", what, id)
	}
	ids[id] = true
}

// checkGrid: every item is within the 24 columns, has a size, and overlaps
// no other.
func checkGrid(t *testing.T, where string, items []dashboard.GridPos) {
	t.Helper()
	for i, a := range items {
		if a.W == 0 || a.H == 0 || a.X+a.W > dashboards.GridWidth {
			t.Errorf("%s: item %d at %+v is empty or beyond %d columns", where, i, a, dashboards.GridWidth)
		}
		for j := i + 1; j < len(items); j++ {
			b := items[j]
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("%s: items %d %+v and %d %+v overlap", where, i, a, j, b)
			}
		}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
