package kustomize_test

import (
	"slices"
	"testing"
)

// Scaling: production runs enough replicas, spread out and protected from
// voluntary disruptions.

func TestProdScalesAndSurvivesDisruptions(t *testing.T) {
	objs := render(t, "prod")
	pods := podTemplates(objs)
	for _, svc := range services {
		minWant := 2
		if svc == "router" {
			minWant = 3
		}
		replicas, _ := intAt(find(objs, "Deployment", svc), "spec", "replicas")
		if replicas < minWant {
			t.Errorf("%s: %d replicas, want >= %d", svc, replicas, minWant)
		}
		var hpa obj
		for _, h := range ofKind(objs, "HorizontalPodAutoscaler") {
			if strAt(h, "spec", "scaleTargetRef", "kind") == "Deployment" && strAt(h, "spec", "scaleTargetRef", "name") == svc {
				hpa = h
			}
		}
		if hpa == nil {
			t.Errorf("%s: no HorizontalPodAutoscaler", svc)
		} else {
			if v := strAt(hpa, "apiVersion"); v != "autoscaling/v2" {
				t.Errorf("HPA %s: %s", name(hpa), v)
			}
			lo, _ := intAt(hpa, "spec", "minReplicas")
			hi, _ := intAt(hpa, "spec", "maxReplicas")
			if lo < minWant || hi <= lo || replicas < lo {
				t.Errorf("HPA %s: min %d max %d (Deployment %d), want min >= %d < max, Deployment >= min", name(hpa), lo, hi, replicas, minWant)
			}
			cpu := false
			for _, m := range listAt(hpa, "spec", "metrics") {
				cpu = cpu || strAt(m, "resource", "name") == "cpu"
			}
			if !cpu {
				t.Errorf("HPA %s: no CPU metric", name(hpa))
			}
		}
		var pdb obj
		for _, b := range ofKind(objs, "PodDisruptionBudget") {
			sel := selectorOf(mapAt(b, "spec", "selector"))
			if sel != nil && !sel.empty() && slices.Contains(selects(sel, pods), "Deployment/"+svc) {
				pdb = b
			}
		}
		if pdb == nil {
			t.Errorf("%s: no PodDisruptionBudget", svc)
			continue
		}
		minAvail, hasMin := intAt(pdb, "spec", "minAvailable")
		maxUnavail, hasMax := intAt(pdb, "spec", "maxUnavailable")
		if !(hasMin && minAvail >= 1 && minAvail < minWant || hasMax && maxUnavail == 1) {
			t.Errorf("PDB %s: minAvailable %v maxUnavailable %v: want one pod at a time", name(pdb), at(pdb, "spec", "minAvailable"), at(pdb, "spec", "maxUnavailable"))
		}
	}
	ing := find(objs, "Ingress", "router")
	if ing == nil {
		t.Fatal("no Ingress for the router")
	}
	tls := listAt(ing, "spec", "tls")
	if len(tls) != 1 || strAt(tls[0], "secretName") != "router-ingress-tls" || !slices.Contains(listAt(tls[0], "hosts"), any("shop.example.com")) {
		t.Errorf("Ingress router: tls %v", tls)
	}
	for _, r := range listAt(ing, "spec", "rules") {
		for _, p := range listAt(r, "http", "paths") {
			if b := mapAt(p, "backend", "service"); strAt(b, "name") != "router" || (strAt(b, "port", "name") != "http" && strAt(b, "port", "number") != "4000") {
				t.Errorf("Ingress router: path %s goes to %v", strAt(p, "path"), b)
			}
		}
	}
}
