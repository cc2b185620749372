package kustomize_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

// Network policies: the store's calls are allowed, and nothing else.

type endpoint struct {
	name     string
	ns       string
	nsLabels map[string]string
	labels   map[string]string
	ports    map[string]int // named container ports
	numbers  []int
	ip       netip.Addr // external endpoints only
}

func (e endpoint) String() string { return e.name }

type netpol struct {
	name             string
	pods             *selector
	ingress, egress  bool
	inRules, egRules []any
}

type network struct {
	policies []netpol
	nsLabels map[string]string
}

func networkOf(t *testing.T, objs []obj) network {
	n := network{nsLabels: strMap(mapAt(find(objs, "Namespace", namespace), "metadata", "labels"))}
	n.nsLabels["kubernetes.io/metadata.name"] = namespace
	for _, np := range ofKind(objs, "NetworkPolicy") {
		p := netpol{name: name(np), pods: selectorOf(mapAt(np, "spec", "podSelector"))}
		if p.pods == nil {
			t.Errorf("NetworkPolicy %s: no podSelector", p.name)
			p.pods = &selector{}
		}
		types := listAt(np, "spec", "policyTypes")
		p.ingress = slices.Contains(types, any("Ingress")) || len(types) == 0
		p.egress = slices.Contains(types, any("Egress")) || len(types) == 0 && at(np, "spec", "egress") != nil
		p.inRules, p.egRules = listAt(np, "spec", "ingress"), listAt(np, "spec", "egress")
		n.policies = append(n.policies, p)
	}
	return n
}

func (n network) peerMatches(peer any, e endpoint) bool {
	if cidr := strAt(peer, "ipBlock", "cidr"); cidr != "" {
		// This model takes ipBlock for addresses outside the cluster (what
		// the API documents it for); some CNIs apply it to pods as well.
		pfx, err := netip.ParsePrefix(cidr)
		if err != nil || !e.ip.IsValid() || !pfx.Contains(e.ip) {
			return false
		}
		for _, ex := range listAt(peer, "ipBlock", "except") {
			if p, err := netip.ParsePrefix(fmt.Sprint(ex)); err == nil && p.Contains(e.ip) {
				return false
			}
		}
		return true
	}
	if e.ip.IsValid() {
		return false
	}
	nsSel, podSel := selectorOf(mapAt(peer, "namespaceSelector")), selectorOf(mapAt(peer, "podSelector"))
	if nsSel == nil && e.ns != namespace || nsSel != nil && !nsSel.matches(e.nsLabels) {
		return false
	}
	return podSel == nil || podSel.matches(e.labels)
}

func portMatches(rule any, dst endpoint, port int, proto string) bool {
	ports := listAt(rule, "ports")
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if pr := strAt(p, "protocol"); (pr == "" && proto != "TCP") || (pr != "" && pr != proto) {
			continue
		}
		switch v := at(p, "port").(type) {
		case nil:
			return true
		case string:
			if dst.ports[v] == port {
				return true
			}
		default:
			n, _ := intAt(p, "port")
			end, hasEnd := intAt(p, "endPort")
			if n == port || hasEnd && port >= n && port <= end {
				return true
			}
		}
	}
	return false
}

// allowed says whether src may open a connection to dst's port: dst's
// ingress and src's egress must both allow it (where policies select them).
func (n network) allowed(src, dst endpoint, port int, proto string) bool {
	side := func(self, other endpoint, ingress bool) bool {
		if self.ns != namespace || self.ip.IsValid() {
			return true // not governed by this namespace's policies
		}
		selected := false
		for _, p := range n.policies {
			if !p.pods.matches(self.labels) || (ingress && !p.ingress) || (!ingress && !p.egress) {
				continue
			}
			selected = true
			rules, peerKey := p.egRules, "to"
			if ingress {
				rules, peerKey = p.inRules, "from"
			}
			for _, r := range rules {
				peers := listAt(r, peerKey)
				peerOK := len(peers) == 0
				for _, pe := range peers {
					peerOK = peerOK || n.peerMatches(pe, other)
				}
				if peerOK && portMatches(r, dst, port, proto) {
					return true
				}
			}
		}
		return !selected
	}
	return side(dst, src, true) && side(src, dst, false)
}

func endpoints(objs []obj, nsLabels map[string]string) map[string]endpoint {
	out := map[string]endpoint{}
	for _, p := range podTemplates(objs) {
		e := endpoint{name: p.labels["app.kubernetes.io/name"], ns: namespace, nsLabels: nsLabels, labels: p.labels, ports: map[string]int{}}
		for _, c := range containers(p.spec, false) {
			for _, cp := range listAt(c, "ports") {
				n, _ := intAt(cp, "containerPort")
				e.numbers = append(e.numbers, n)
				if pn := strAt(cp, "name"); pn != "" {
					e.ports[pn] = n
				}
			}
		}
		out[e.name] = e
	}
	return out
}

type flow struct {
	from, to string
	port     int
}

func TestNetworkPoliciesAllowExactlyTheStoresCalls(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		net := networkOf(t, objs)
		pods := podTemplates(objs)
		eps := endpoints(objs, net.nsLabels)

		// Default deny: one policy selecting every pod, both directions, no rule.
		deny := false
		for _, p := range net.policies {
			deny = deny || p.pods.empty() && p.ingress && p.egress && len(p.inRules) == 0 && len(p.egRules) == 0
		}
		if !deny {
			t.Error("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")
		}
		// Every selector selects something.
		for _, p := range net.policies {
			if len(selects(p.pods, pods)) == 0 {
				t.Errorf("NetworkPolicy %s: podSelector selects no pod", p.name)
			}
			for _, r := range append(append([]any{}, p.inRules...), p.egRules...) {
				for _, pe := range append(listAt(r, "from"), listAt(r, "to")...) {
					if at(pe, "namespaceSelector") != nil || at(pe, "ipBlock") != nil {
						continue // another namespace or outside the cluster
					}
					if sel := selectorOf(mapAt(pe, "podSelector")); sel != nil && len(selects(sel, pods)) == 0 {
						t.Errorf("NetworkPolicy %s: peer %v selects no pod", p.name, sel.matchLabels)
					}
				}
			}
		}

		// The store's calls, and nothing else between its pods.
		want := map[flow]bool{
			{"router", "user", 4001}: true, {"router", "product", 4002}: true, {"router", "order", 4003}: true,
			{"order", "product", 4002}: true, {"order", "paymentgw", 4010}: true,
			{"router", "redis", 6379}:       true,
			{"grafana", "prometheus", 9090}: true,
		}
		for _, svc := range services {
			want[flow{"prometheus", svc, servicePorts[svc][1]}] = true
		}
		if overlay == "dev" {
			for f := range map[flow]bool{{"user", "mongodb", 27017}: true, {"product", "postgres-product", 5432}: true,
				{"order", "postgres-order", 5432}: true, {"paymentgw", "postgres-paymentgw", 5432}: true} {
				want[f] = true
			}
		}
		for f := range want {
			src, okS := eps[f.from]
			dst, okD := eps[f.to]
			if !okS || !okD {
				t.Errorf("%s -> %s:%d: no such pods", f.from, f.to, f.port)
				continue
			}
			if !net.allowed(src, dst, f.port, "TCP") {
				t.Errorf("%s -> %s:%d is blocked", f.from, f.to, f.port)
			}
		}
		for _, src := range eps {
			for _, dst := range eps {
				for _, port := range dst.numbers {
					if net.allowed(src, dst, port, "TCP") && !want[flow{src.name, dst.name, port}] && !(dst.name == "router" && port == 4000) {
						t.Errorf("%s -> %s:%d is allowed, and is none of the store's calls", src.name, dst.name, port)
					}
				}
			}
		}

		// From outside: the router's public port only.
		outside := endpoint{name: "internet", ip: netip.MustParseAddr("203.0.113.7")}
		for _, dst := range eps {
			for _, port := range dst.numbers {
				if got, want := net.allowed(outside, dst, port, "TCP"), dst.name == "router" && port == 4000; got != want {
					t.Errorf("outside -> %s:%d allowed=%v, want %v", dst.name, port, got, want)
				}
			}
		}
		// DNS for every pod; nothing else out, except each service's own
		// external database in prod and Prometheus' view of the API server.
		dns := endpoint{name: "kube-dns", ns: "kube-system", nsLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}, labels: map[string]string{"k8s-app": "kube-dns"}}
		db := endpoint{name: "database", ip: netip.MustParseAddr("198.51.100.20")}
		ownDB := map[string]int{}
		if overlay == "prod" {
			ownDB = map[string]int{"user": 27017, "product": 5432, "order": 5432, "paymentgw": 5432}
		}
		for _, src := range eps {
			for _, proto := range []string{"UDP", "TCP"} {
				if !net.allowed(src, dns, 53, proto) {
					t.Errorf("%s -> kube-dns:53/%s is blocked", src.name, proto)
				}
			}
			for _, port := range []int{80, 443, 5432, 6379, 27017} {
				want := ownDB[src.name] == port || src.name == "prometheus" && port == 443
				if got := net.allowed(src, db, port, "TCP"); got != want {
					t.Errorf("%s -> outside:%d allowed=%v, want %v", src.name, port, got, want)
				}
			}
		}
	})
}
