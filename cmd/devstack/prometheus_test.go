package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	if err := localPromConfig(repoRules).Write(path); err != nil {
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
	if !strings.HasPrefix(string(body), "# Written by devstack (`make run`)") || !strings.Contains(string(body), "job_name: virtual-store") {
		t.Errorf("not devstack's configuration:\n%s", body)
	}
	for _, p := range stack {
		if want := fmt.Sprintf("127.0.0.1:%d", p.admin); !strings.Contains(string(body), want) {
			t.Errorf("no target %s for %s:\n%s", want, p.name, body)
		}
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
