package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	promql "github.com/prometheus/prometheus/promql/parser"

	"github.com/virtual-store/virtual-store/dashboards"
	"github.com/virtual-store/virtual-store/internal/localprom"
)

// The observability proof: every dashboard panel and every rule means
// something. The whole store runs (five services and the router, real
// binaries), a real Prometheus scrapes their admin ports with the
// configuration `make run` uses (internal/localprom) and the repository's
// rules, the load generator shops for a while through the router, and then
//
//   - every query of every panel of every dashboard (dashboards.All(), the
//     variables at their defaults) must evaluate without error and return at
//     least one series;
//   - every rule expression must evaluate without error, a recording rule's
//     to at least one series, and every metric selector in a rule must
//     select at least one series (an alert's expression is normally empty:
//     it is a condition, but the series it compares must exist, so a
//     misspelt metric or label fails here);
//   - every rule group must be loaded and every rule healthy (/api/v1/rules).
//
// A panel that has no series after a realistic load is a dashboard bug (a
// misspelt metric, a label the service does not set) or a panel of rare
// events that must say 0 rather than nothing; fix the dashboard, not this
// test.
//
// It needs the prometheus binary (Debian: apt-get install prometheus; `make
// promtool`, part of `make test`, installs it). Without it the test is
// skipped, unless OBSERVABILITY_PROOF is set (`make verify-observability`):
// then a missing binary is a failure. It takes about 35 s (20 s of load).

// proofRules is the directory of the rule files the proof loads: the
// Kubernetes monitoring component's, as `make run` loads them.
var proofRules = filepath.Join("..", "kustomize", "components", "monitoring", "rules")

const (
	// proofScrape is the scrape and rule evaluation interval.
	proofScrape = time.Second
	// proofRateInterval stands for Grafana's $__rate_interval: at least
	// 4 scrapes (Grafana's minimum is 4 x the scrape interval), so every
	// rate() has samples to work with.
	proofRateInterval = "15s"
	// proofLoad is how long the load generator starts new scenarios.
	proofLoad = 20 * time.Second
)

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

func TestObservabilityProof(t *testing.T) {
	required := os.Getenv("OBSERVABILITY_PROOF") != ""
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		if required {
			t.Fatalf("OBSERVABILITY_PROOF is set but the prometheus binary is not installed (%v): apt-get install --no-install-recommends prometheus", err)
		}
		t.Skip("the prometheus binary is not installed (apt-get install --no-install-recommends prometheus; make promtool installs it); OBSERVABILITY_PROOF=1 makes this a failure")
	}
	if imageTag != "" {
		t.Skip("the proof runs the binaries (make verify-observability), not the images")
	}
	began := time.Now()

	// The store: a seeded catalog to shop from; the router's per-IP rate
	// limit lifted, since every shopper comes from the load generator's one
	// address.
	s := newStorefrontWith(t, extraEnv{product: []string{"PRODUCT_SEED=true"}, router: []string{"ROUTER_RATE_LIMIT=false"}})

	// Prometheus, configured as `make run` configures it, on free ports.
	cfg := localprom.Config{
		ScrapeInterval: proofScrape, EvalInterval: proofScrape, RulesDir: proofRules,
		Listen: "127.0.0.1:" + strconv.Itoa(freePort(t)),
		Header: "# Written by the e2e observability proof.\n",
	}
	for _, p := range []*proc{s.router, s.user, s.product, s.order, s.gateway} {
		cfg.Targets = append(cfg.Targets, localprom.Target{Service: p.name, Addr: "127.0.0.1:" + strconv.Itoa(p.admin)})
	}
	ruleFiles, err := cfg.RuleFiles()
	if err != nil || len(ruleFiles) == 0 {
		t.Fatalf("no rule files in %s: %v", proofRules, err)
	}
	prom, err := localprom.Start(promBin, t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		prom.Stop()
		if t.Failed() {
			t.Logf("--- prometheus log (tail) ---\n%s", localprom.Tail(prom.LogFile, 20))
		}
	})
	api := promAPI{base: prom.URL}
	waitUntil(t, 30*time.Second, "every target up", func() (bool, string) {
		res, err := api.query(`up{job="virtual-store"} == 1`)
		return err == nil && len(res) == len(cfg.Targets), fmt.Sprintf("%d of %d targets up (%v)", len(res), len(cfg.Targets), err)
	})
	ready := time.Now()

	// The load: shoppers and the admin through the router, with more of the
	// rarer scenarios (cancellations, account pages, the back office, client
	// mistakes) than the default mix, so that each happens a good number of
	// times in a short run.
	load := exec.Command(filepath.Join(binDir, "loadgen"),
		"-url", s.router.url()+"/graphql",
		"-users", "12", "-think", "250ms", "-duration", proofLoad.String(), "-timeout", "20s",
		"-mix", "checkout=20,orders=6,account=6,cancel=6,restock=4,fulfil=4,catalog=3,staff=2,mistakes=2",
		"-admin-email", e2eAdminEmail, "-admin-password", e2eAdminPassword,
		"-json")
	var stdout, stderr bytes.Buffer
	load.Stdout, load.Stderr = &stdout, &stderr
	loadStart := time.Now()
	if err := load.Run(); err != nil {
		t.Fatalf("loadgen: %v\n%s\n%s", err, tail(stderr.String(), 40), stdout.String())
	}
	loadEnd := time.Now()
	var sum struct {
		Requests   int
		Errors     int
		RPS        float64 `json:"requests_per_second"`
		Scenarios  int
		Operations []struct {
			Operation string
			Count     int
			Errors    int
		}
		Outcomes map[string]int
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("loadgen -json: %v\n%s", err, stdout.String())
	}
	t.Logf("load: %d scenarios, %d requests (%.0f/s), %d errors in %s", sum.Scenarios, sum.Requests, sum.RPS, sum.Errors, loadEnd.Sub(loadStart).Round(time.Second))
	ops := map[string]int{}
	var counts []string
	for _, o := range sum.Operations {
		ops[o.Operation] = o.Count
		counts = append(counts, fmt.Sprintf("%s %d", o.Operation, o.Count))
	}
	t.Logf("load: operations: %s", strings.Join(counts, ", "))
	t.Logf("load: outcomes: %v", sum.Outcomes)
	// The scenarios the dashboards' shop panels are about did happen.
	for _, op := range []string{"BrowseProducts", "CategoryPage", "SearchProducts", "ProductPage", "Register", "Login",
		"AddToCart", "ClearCart", "Checkout", "OrderDetails", "CancelOrder", "AddAddress", "RefreshToken", "ChangePassword", "Logout",
		"Restock", "StartFulfillment", "MarkDelivered", "CreateProduct", "RestoreProduct", "GrantRole",
		"StaleSession", "BrokenOrderLink", "TooDeep"} {
		if ops[op] == 0 {
			t.Errorf("the load ran no %s: %v", op, ops)
		}
	}
	declined := 0
	for k, n := range sum.Outcomes {
		if strings.HasPrefix(k, "Checkout tok_") && strings.HasSuffix(k, " PAYMENT_FAILED") {
			declined += n
		}
	}
	if declined == 0 {
		t.Errorf("no checkout was declined: %v", sum.Outcomes)
	}

	// Prometheus has scraped every target twice since the load ended, and
	// evaluated the rules after that.
	waitUntil(t, 30*time.Second, "scrapes after the load", func() (bool, string) {
		res, err := api.query(`min(timestamp(up{job="virtual-store"}))`)
		if err != nil || len(res) == 0 {
			return false, fmt.Sprint(err)
		}
		last := res[0].time()
		return last.After(loadEnd.Add(2 * proofScrape)), fmt.Sprintf("last scrape of every target at %s, load ended %s", last.Format(time.TimeOnly), loadEnd.Format(time.TimeOnly))
	})
	time.Sleep(2 * proofScrape) // a rule evaluation after those scrapes

	// 1. Every panel query of every dashboard.
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

	// 2. Every rule: its expression evaluates, and each metric selector in
	// it selects series.
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

	// 3. Prometheus loaded every group and evaluates every rule without error.
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
	t.Logf("proof took %s (store and Prometheus up in %s, load %s)", time.Since(began).Round(time.Second), ready.Sub(began).Round(time.Second), loadEnd.Sub(loadStart).Round(time.Second))
}

// promAPI is Prometheus' HTTP API.
type promAPI struct{ base string }

type sample struct {
	Metric map[string]string
	Value  [2]any // [unix seconds, "value"]
}

func (s sample) time() time.Time {
	f, _ := s.Value[0].(float64)
	return time.UnixMilli(int64(f * 1000))
}

// query runs an instant query at the current time: its series, or the
// error Prometheus answered.
func (a promAPI) query(expr string) ([]sample, error) {
	var r struct {
		Status    string
		ErrorType string
		Error     string
		Data      struct {
			ResultType string
			Result     json.RawMessage
		}
	}
	if err := a.get("api/v1/query", url.Values{"query": {expr}}, &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	switch r.Data.ResultType {
	case "vector":
		var out []sample
		err := json.Unmarshal(r.Data.Result, &out)
		return out, err
	case "scalar":
		var v [2]any
		err := json.Unmarshal(r.Data.Result, &v)
		return []sample{{Value: v}}, err
	default:
		return nil, fmt.Errorf("result type %s", r.Data.ResultType)
	}
}

func (a promAPI) get(path string, q url.Values, into any) error {
	u := a.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	resp, err := httpClient.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Errors (400, 422, 503) are JSON too: {"status": "error", "error": ...}.
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("%s (%s): %w", path, resp.Status, err)
	}
	return nil
}

// waitUntil polls ok until it holds, failing the test after within with
// ok's last word.
func waitUntil(t *testing.T, within time.Duration, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done, state := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, within, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
