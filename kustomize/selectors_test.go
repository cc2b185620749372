package kustomize_test

import (
	"fmt"
	"slices"
	"testing"
)

// Selectors and labels: each Service and policy selects the pods it means.

type selector struct {
	matchLabels map[string]string
	exprs       []any
}

func selectorOf(m map[string]any) *selector {
	if m == nil {
		return nil
	}
	return &selector{matchLabels: strMap(mapAt(m, "matchLabels")), exprs: listAt(m, "matchExpressions")}
}

func (s *selector) empty() bool { return len(s.matchLabels) == 0 && len(s.exprs) == 0 }

func (s *selector) matches(labels map[string]string) bool {
	for k, v := range s.matchLabels {
		if labels[k] != v {
			return false
		}
	}
	for _, e := range s.exprs {
		v, has := labels[strAt(e, "key")]
		var values []string
		for _, x := range listAt(e, "values") {
			values = append(values, fmt.Sprint(x))
		}
		switch strAt(e, "operator") {
		case "In":
			if !has || !slices.Contains(values, v) {
				return false
			}
		case "NotIn":
			if has && slices.Contains(values, v) {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func selects(s *selector, pods []podTemplate) []string {
	var out []string
	for _, p := range pods {
		if s.matches(p.labels) {
			out = append(out, p.what)
		}
	}
	return out
}

func TestServicesSelectPodsAndPorts(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		pods := podTemplates(objs)
		for _, s := range ofKind(objs, "Service") {
			sel := &selector{matchLabels: strMap(mapAt(s, "spec", "selector"))}
			if sel.empty() {
				t.Errorf("Service %s: no selector", name(s))
				continue
			}
			var matched []podTemplate
			for _, p := range pods {
				if sel.matches(p.labels) {
					matched = append(matched, p)
				}
			}
			if len(matched) == 0 {
				t.Errorf("Service %s: selector %v matches no pod template", name(s), sel.matchLabels)
				continue
			}
			for _, sp := range listAt(s, "spec", "ports") {
				target := at(sp, "targetPort")
				if target == nil {
					target = at(sp, "port")
				}
				for _, p := range matched {
					found := false
					for _, c := range containers(p.spec, false) {
						for _, cp := range listAt(c, "ports") {
							if fmt.Sprint(target) == strAt(cp, "name") || fmt.Sprint(target) == strAt(cp, "containerPort") {
								found = true
							}
						}
					}
					if !found {
						t.Errorf("Service %s port %s: target %v is no container port of %s", name(s), strAt(sp, "name"), target, p.what)
					}
				}
			}
		}
		for _, svc := range services {
			s := find(objs, "Service", svc)
			if s == nil {
				t.Errorf("no Service %s", svc)
				continue
			}
			want := map[string]int{"https": servicePorts[svc][0], "admin": servicePorts[svc][1]}
			if svc == "router" {
				want = map[string]int{"http": servicePorts[svc][0], "admin": servicePorts[svc][1]}
			}
			got := map[string]int{}
			for _, sp := range listAt(s, "spec", "ports") {
				got[strAt(sp, "name")], _ = intAt(sp, "port")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Service %s ports %v, want %v", svc, got, want)
			}
		}
	})
}

func TestLabels(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		check := func(what string, labels map[string]string) {
			for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/component"} {
				if labels[k] == "" {
					t.Errorf("%s: no label %s", what, k)
				}
			}
			if labels["app.kubernetes.io/part-of"] != "virtual-store" {
				t.Errorf("%s: app.kubernetes.io/part-of = %q", what, labels["app.kubernetes.io/part-of"])
			}
		}
		for _, p := range podTemplates(objs) {
			check(p.what+" (pod template)", p.labels)
			check(p.what, strMap(mapAt(p.owner, "metadata", "labels")))
		}
		for _, s := range ofKind(objs, "Service") {
			check("Service/"+name(s), strMap(mapAt(s, "metadata", "labels")))
		}
	})
}
