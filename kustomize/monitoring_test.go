package kustomize_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// Monitoring: the Prometheus configuration and rules the overlays ship.

func TestMonitoringConfiguration(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		cmData := func(prefix string) map[string]string {
			for _, cm := range ofKind(objs, "ConfigMap") {
				if strings.HasPrefix(name(cm), prefix+"-") || name(cm) == prefix {
					return strMap(mapAt(cm, "data"))
				}
			}
			t.Fatalf("no ConfigMap %s", prefix)
			return nil
		}
		var prom struct {
			RuleFiles     []string `yaml:"rule_files"`
			ScrapeConfigs []struct {
				JobName string `yaml:"job_name"`
			} `yaml:"scrape_configs"`
		}
		if err := yaml.Unmarshal([]byte(cmData("prometheus-config")["prometheus.yml"]), &prom); err != nil {
			t.Fatal(err)
		}
		if len(prom.ScrapeConfigs) == 0 || prom.ScrapeConfigs[0].JobName != "virtual-store" || len(prom.RuleFiles) == 0 {
			t.Errorf("prometheus.yml: %+v", prom)
		}
		var rules struct {
			Groups []struct {
				Rules []struct {
					Alert string `yaml:"alert"`
					Expr  string `yaml:"expr"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		for file, content := range cmData("prometheus-rules") {
			if err := yaml.Unmarshal([]byte(content), &rules); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if ok, _ := filepath.Match(prom.RuleFiles[0], "/etc/prometheus/rules/"+file); !ok {
				t.Errorf("rule file %s is not matched by rule_files %v", file, prom.RuleFiles)
			}
		}
		var exprs []string
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				exprs = append(exprs, r.Expr)
			}
		}
		all := strings.Join(exprs, "\n")
		if !strings.Contains(all, `up{job="virtual-store"} == 0`) || !strings.Contains(all, `code=~"5.."`) {
			t.Errorf("alert rules lack target-down or 5xx: %v", exprs)
		}
		// One ConfigMap per dashboard, each small enough for kubectl apply's
		// last-applied annotation (256 KiB, with the JSON escaped once more).
		dashboards := map[string]string{}
		for _, d := range []string{"overview", "router", "user", "product", "order", "paymentgw", "resolvers"} {
			for file, content := range cmData("grafana-dashboard-" + d) {
				dashboards[file] = content
				if escaped, _ := json.Marshal(content); len(escaped) > 200<<10 {
					t.Errorf("dashboard %s is %d bytes escaped: too close to the 256 KiB annotation limit", file, len(escaped))
				}
			}
		}
		for file, content := range dashboards {
			var d struct {
				UID    string            `json:"uid"`
				Title  string            `json:"title"`
				Panels []json.RawMessage `json:"panels"`
			}
			if err := json.Unmarshal([]byte(content), &d); err != nil || d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
				t.Errorf("dashboard %s: %v %+v", file, err, d)
			}
		}
	})
}
