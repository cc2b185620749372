package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

	loadStart, loadEnd := proofShop(t, s)

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

	proofPanels(t, api)
	groups := proofRuleExpressions(t, api, ruleFiles)
	proofRulesLoaded(t, api, groups)
	t.Logf("proof took %s (store and Prometheus up in %s, load %s)", time.Since(began).Round(time.Second), ready.Sub(began).Round(time.Second), loadEnd.Sub(loadStart).Round(time.Second))
}

// proofShop is the load: shoppers and the admin through the router, with
// more of the rarer scenarios (cancellations, account pages, the back
// office, client mistakes) than the default mix, so that each happens a
// good number of times in a short run. It returns when the load began and
// ended.
func proofShop(t *testing.T, s *storefront) (loadStart, loadEnd time.Time) {
	t.Helper()
	load := exec.Command(filepath.Join(binDir, "loadgen"),
		"-url", s.router.url()+"/graphql",
		"-users", "12", "-think", "250ms", "-duration", proofLoad.String(), "-timeout", "20s",
		"-mix", "checkout=20,orders=6,account=6,cancel=6,restock=4,fulfil=4,catalog=3,staff=2,mistakes=2",
		"-admin-email", e2eAdminEmail, "-admin-password", e2eAdminPassword,
		"-json")
	var stdout, stderr bytes.Buffer
	load.Stdout, load.Stderr = &stdout, &stderr
	loadStart = time.Now()
	if err := load.Run(); err != nil {
		t.Fatalf("loadgen: %v\n%s\n%s", err, tail(stderr.String(), 40), stdout.String())
	}
	loadEnd = time.Now()
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
	return loadStart, loadEnd
}
