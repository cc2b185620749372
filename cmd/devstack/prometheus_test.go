package main

import (
	"encoding/json"
	"fmt"
	"net"
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
)

// The repository's rules, as `make run` finds them from the checkout's root.
const repoRules = "../../kustomize/components/monitoring/rules"

const installHint = "apt-get install prometheus (scripts/promtool-test.sh installs it)"

// The configuration `make run` writes is one Prometheus accepts, rule files
// included: promtool checks it and every rule file its glob finds.
func TestLocalPrometheusConfigPassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed: " + installHint)
	}
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := localPromConfig(repoRules).write(path); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "config", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	rules, _ := filepath.Glob(filepath.Join(repoRules, "*.yml"))
	if len(rules) == 0 || !strings.Contains(string(out), fmt.Sprintf("SUCCESS: %d rule files found", len(rules))) {
		t.Errorf("promtool did not check the %d rule files:\n%s", len(rules), out)
	}
	body, _ := os.ReadFile(path)
	for _, p := range stack {
		if want := fmt.Sprintf("127.0.0.1:%d", p.admin); !strings.Contains(string(body), want) {
			t.Errorf("no target %s for %s:\n%s", want, p.name, body)
		}
	}
}

// A real Prometheus, started the way `make run` starts it, scrapes a real
// /metrics endpoint under job virtual-store with the service label, loads
// the repository's rules without errors and evaluates them.
func TestLocalPrometheusScrapesAndEvaluatesTheRules(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed: " + installHint)
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

	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(target.URL, "http://")
	cfg := promConfig{
		ScrapeInterval: time.Second, EvalInterval: time.Second, RulesDir: repoRules,
		Listen:  fmt.Sprintf("127.0.0.1:%d", port),
		Targets: []promTarget{{Service: "router", Addr: addr}, {Service: "product", Addr: "127.0.0.1:1"}},
	}
	dir := t.TempDir()
	p, err := startPrometheus(bin, dir, cfg)
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
	case <-p.done:
	default:
		t.Error("prometheus still running after Stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Errorf("no TSDB in the data directory: %v", err)
	}
}

// Without the binary, or with the port taken, the store starts without
// Prometheus and the banner says why in one line.
func TestMonitoringIsOptional(t *testing.T) {
	p, note := startMonitoring("no-such-prometheus-binary", repoRules)
	if p != nil || !strings.Contains(note, "apt-get install prometheus") {
		t.Errorf("missing binary: %v %q", p, note)
	}
	if ln, err := net.Listen("tcp", promListen); err == nil {
		defer ln.Close()
	} // else something listens there already: taken all the same
	p, note = startMonitoring("true", repoRules)
	if p != nil || !strings.Contains(note, promListen+" is taken") {
		t.Errorf("port taken: %v %q", p, note)
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
