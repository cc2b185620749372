package localprom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/virtual-store/virtual-store/internal/loopback"
)

// The repository's rules (kustomize/components/monitoring/rules).
const repoRules = "../../kustomize/components/monitoring/rules"

func TestConfigYAML(t *testing.T) {
	c := Config{ScrapeInterval: 5 * time.Second, EvalInterval: 15 * time.Second, RulesDir: repoRules, Listen: "127.0.0.1:9",
		Header: "# hello\n", Targets: []Target{{Service: "router", Addr: "127.0.0.1:4100"}}}
	b, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(repoRules)
	for _, want := range []string{"# hello\n", "scrape_interval: 5s", "scrape_timeout: 4s", "evaluation_interval: 15s",
		"job_name: virtual-store", "127.0.0.1:4100", "service: router", "job_name: prometheus", "127.0.0.1:9", filepath.Join(abs, "*.yml")} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %q in\n%s", want, b)
		}
	}
	files, err := c.RuleFiles()
	if err != nil || len(files) == 0 {
		t.Errorf("rule files: %v %v", files, err)
	}
	if got := Duration(1500 * time.Millisecond); got != "1500ms" {
		t.Errorf("Duration(1.5s) = %s", got)
	}
	// A 1 s scrape gets a 500 ms timeout, not 0.
	c.ScrapeInterval = time.Second
	if b, _ := c.YAML(); !strings.Contains(string(b), "scrape_timeout: 500ms") {
		t.Errorf("1s scrape:\n%s", b)
	}
}

// A real Prometheus, started as `make run` and the e2e proof start it, scrapes a real
// /metrics endpoint under job virtual-store with the service label, loads
// the repository's rules without errors and evaluates them.
func TestStartScrapesAndEvaluatesTheRules(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed: apt-get install prometheus (scripts/promtool-test.sh installs it)")
	}
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "router_graphql_requests_total"}, []string{"operation", "type", "outcome"})
	reg.MustRegister(requests)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.WithLabelValues("Products", "query", "success").Add(10)
		requests.WithLabelValues("Checkout", "mutation", "error").Add(1)
		metrics.ServeHTTP(w, r)
	}))
	defer target.Close()

	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(target.URL, "http://")
	cfg := Config{
		ScrapeInterval: time.Second, EvalInterval: time.Second, RulesDir: repoRules,
		Listen:  fmt.Sprintf("127.0.0.1:%d", port),
		Targets: []Target{{Service: "router", Addr: addr}, {Service: "product", Addr: "127.0.0.1:1"}},
	}
	dir := t.TempDir()
	p, err := Start(bin, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	query := func(q string) []map[string]any {
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []map[string]any `json:"result"`
			} `json:"data"`
		}
		get(t, p.URL+"api/v1/query?query="+url.QueryEscape(q), &r)
		return r.Data.Result
	}
	// Scraped with its labels; the target that does not answer is down.
	waitFor(t, `up{job="virtual-store"} of both targets`, func() bool {
		up := query(`up{job="virtual-store"}`)
		values := map[string]string{}
		for _, s := range up {
			m := s["metric"].(map[string]any)
			values[fmt.Sprint(m["service"])] = fmt.Sprint(s["value"].([]any)[1])
		}
		return len(up) == 2 && values["router"] == "1" && values["product"] == "0"
	})
	// A recording rule from the repository's file has a value: 1 error in 11.
	waitFor(t, "router:graphql_requests:error_ratio_rate5m", func() bool {
		r := query(`router:graphql_requests:error_ratio_rate5m`)
		return len(r) == 1 && strings.HasPrefix(fmt.Sprint(r[0]["value"].([]any)[1]), "0.0909")
	})
	// Every rule group of the file is loaded and no rule fails to evaluate.
	var rules struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	get(t, p.URL+"api/v1/rules", &rules)
	groups := map[string]bool{}
	for _, g := range rules.Data.Groups {
		groups[g.Name] = true
		for _, r := range g.Rules {
			if r.Health == "err" {
				t.Errorf("rule %s in %s: %s", r.Name, g.File, r.LastError)
			}
		}
	}
	for _, want := range []string{"virtual-store", "virtual-store-router-slo", "virtual-store-services.recording"} {
		if !groups[want] {
			t.Errorf("rule group %s not loaded; loaded: %v", want, groups)
		}
	}
	p.Stop()
	select {
	case <-p.Done():
	default:
		t.Error("prometheus still running after Stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Errorf("no TSDB in the data directory: %v", err)
	}
}

func get(t *testing.T, u string, into any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
