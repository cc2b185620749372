// Package kustomize_test renders the Kubernetes overlays in-process (the same
// kustomize as `kubectl kustomize`, v5) and checks what a reviewer would:
// production habits on every container, selectors that select something,
// network policies that allow exactly the store's calls, images and tags,
// scaling in production, the secrets each overlay needs, the certificates,
// and the router's configuration as the router itself would load it.
package kustomize_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/router/config"
)

const namespace = "virtual-store"

// services are the store's own workloads, each an image virtual-store/<name>.
var services = []string{"router", "user", "product", "order", "paymentgw"}

// servicePorts are each service's service port (mutual TLS; the router's is
// public plain HTTP) and admin port (health, metrics).
var servicePorts = map[string][2]int{
	"router": {4000, 4100}, "user": {4001, 4101}, "product": {4002, 4102},
	"order": {4003, 4103}, "paymentgw": {4010, 4110},
}

var overlays = []string{"dev", "prod"}

type obj = map[string]any

// ---------------------------------------------------------------- rendering

var (
	renderOnce  = map[string]*sync.Once{"dev": {}, "prod": {}}
	renderedObj = map[string][]obj{}
	renderErr   = map[string]error{}
)

// render builds an overlay once per test binary. The dev overlay reads
// certificates from overlays/dev/pki (git-ignored); they are made first the
// way `make k8s-dev-certs` makes them (`router pki init`), kept if current.
func render(t *testing.T, overlay string) []obj {
	t.Helper()
	renderOnce[overlay].Do(func() {
		dir := filepath.Join("overlays", overlay)
		if overlay == "dev" {
			if _, err := pki.Ensure(filepath.Join(dir, "pki"), namespace, pki.Services, pki.DefaultCertTTL); err != nil {
				renderErr[overlay] = fmt.Errorf("dev certificates: %w", err)
				return
			}
		}
		m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			renderErr[overlay] = err
			return
		}
		for _, r := range m.Resources() {
			o, err := r.Map()
			if err != nil {
				renderErr[overlay] = err
				return
			}
			renderedObj[overlay] = append(renderedObj[overlay], o)
		}
	})
	if err := renderErr[overlay]; err != nil {
		t.Fatalf("kustomize build overlays/%s: %v", overlay, err)
	}
	return renderedObj[overlay]
}

func eachOverlay(t *testing.T, f func(t *testing.T, overlay string, objs []obj)) {
	for _, o := range overlays {
		t.Run(o, func(t *testing.T) { f(t, o, render(t, o)) })
	}
}

// ------------------------------------------------------------ map helpers

func at(o any, keys ...string) any {
	for _, k := range keys {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[k]
	}
	return o
}

func mapAt(o any, keys ...string) map[string]any {
	m, _ := at(o, keys...).(map[string]any)
	return m
}

func listAt(o any, keys ...string) []any {
	l, _ := at(o, keys...).([]any)
	return l
}

func strAt(o any, keys ...string) string {
	switch v := at(o, keys...).(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

func intAt(o any, keys ...string) (int, bool) {
	switch v := at(o, keys...).(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	}
	return 0, false
}

func boolAt(o any, keys ...string) (value, set bool) {
	b, ok := at(o, keys...).(bool)
	return b, ok
}

func strMap(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func kind(o obj) string { return strAt(o, "kind") }
func name(o obj) string { return strAt(o, "metadata", "name") }

func find(objs []obj, k, n string) obj {
	for _, o := range objs {
		if kind(o) == k && name(o) == n {
			return o
		}
	}
	return nil
}

func ofKind(objs []obj, k string) []obj {
	var out []obj
	for _, o := range objs {
		if kind(o) == k {
			out = append(out, o)
		}
	}
	return out
}

// ------------------------------------------------------------ pod templates

type podTemplate struct {
	owner  obj // the Deployment, StatefulSet, ...
	what   string
	labels map[string]string
	spec   map[string]any
}

func podTemplates(objs []obj) []podTemplate {
	var out []podTemplate
	for _, o := range objs {
		var tpl map[string]any
		switch kind(o) {
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
			tpl = mapAt(o, "spec", "template")
		case "CronJob":
			tpl = mapAt(o, "spec", "jobTemplate", "spec", "template")
		case "Pod":
			tpl = o
		default:
			continue
		}
		out = append(out, podTemplate{owner: o, what: kind(o) + "/" + name(o),
			labels: strMap(mapAt(tpl, "metadata", "labels")), spec: mapAt(tpl, "spec")})
	}
	return out
}

func containers(spec map[string]any, withInit bool) []map[string]any {
	var out []map[string]any
	keys := []string{"containers"}
	if withInit {
		keys = append(keys, "initContainers")
	}
	for _, k := range keys {
		for _, c := range listAt(spec, k) {
			out = append(out, c.(map[string]any))
		}
	}
	return out
}

// ours returns the pod template of one of the store's services (its Deployment).
func ours(t *testing.T, objs []obj, svc string) (podTemplate, map[string]any) {
	t.Helper()
	for _, p := range podTemplates(objs) {
		if kind(p.owner) == "Deployment" && name(p.owner) == svc {
			for _, c := range containers(p.spec, false) {
				if strAt(c, "name") == svc {
					return p, c
				}
			}
			t.Fatalf("Deployment %s has no container %s", svc, svc)
		}
	}
	t.Fatalf("no Deployment %s", svc)
	return podTemplate{}, nil
}

// env is a container's environment as the kubelet would set it from
// ConfigMaps and literal values (valueFrom entries are left out).
func env(objs []obj, c map[string]any) map[string]string {
	out := map[string]string{}
	for _, ef := range listAt(c, "envFrom") {
		if n := strAt(ef, "configMapRef", "name"); n != "" {
			for k, v := range strMap(mapAt(find(objs, "ConfigMap", n), "data")) {
				out[strAt(ef, "prefix")+k] = v
			}
		}
	}
	for _, e := range listAt(c, "env") {
		if v, ok := at(e, "value").(string); ok {
			out[strAt(e, "name")] = v
		} else if at(e, "valueFrom") == nil {
			out[strAt(e, "name")] = ""
		}
	}
	return out
}

func envVar(c map[string]any, n string) map[string]any {
	for _, e := range listAt(c, "env") {
		if strAt(e, "name") == n {
			return e.(map[string]any)
		}
	}
	return nil
}

// ------------------------------------------------------------ selectors

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

// ------------------------------------------------------------ quantities

var quantityRE = regexp.MustCompile(`^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$`)

// quantity parses a Kubernetes resource quantity ("230Mi", "500m", "2").
func quantity(t *testing.T, s string) float64 {
	t.Helper()
	m := quantityRE.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("quantity %q: not understood", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("quantity %q: %v", s, err)
	}
	mult := map[string]float64{"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[m[2]]
	return v * mult
}

// goByteCount parses a GOMEMLIMIT value the way the Go runtime does.
func goByteCount(t *testing.T, s string) float64 {
	t.Helper()
	for suffix, mult := range map[string]float64{"TiB": 1 << 40, "GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10, "B": 1} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				t.Fatalf("GOMEMLIMIT %q: %v", s, err)
			}
			return v * mult
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("GOMEMLIMIT %q: %v", s, err)
	}
	return v
}

// ================================================================= checks

func TestEveryObjectIsInTheNamespace(t *testing.T) {
	clusterScoped := map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "ClusterIssuer": true}
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		if len(objs) < 20 {
			t.Fatalf("only %d objects rendered", len(objs))
		}
		for _, o := range objs {
			if clusterScoped[kind(o)] {
				continue
			}
			if ns := strAt(o, "metadata", "namespace"); ns != namespace {
				t.Errorf("%s/%s: namespace %q, want %q", kind(o), name(o), ns, namespace)
			}
		}
		ns := find(objs, "Namespace", namespace)
		if ns == nil {
			t.Fatalf("no Namespace %s", namespace)
		}
		if got := strAt(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"); got != "restricted" {
			t.Errorf("Namespace: pod-security.kubernetes.io/enforce = %q, want restricted", got)
		}
	})
}

func TestEveryContainerHasProductionHabits(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		pods := podTemplates(objs)
		if len(pods) < len(services) {
			t.Fatalf("%d pod templates", len(pods))
		}
		for _, p := range pods {
			podSC := mapAt(p.spec, "securityContext")
			for _, c := range containers(p.spec, true) {
				where := p.what + " container " + strAt(c, "name")
				isInit := slices.ContainsFunc(listAt(p.spec, "initContainers"), func(x any) bool { return strAt(x, "name") == strAt(c, "name") })
				if !isInit {
					for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
						if mapAt(c, probe) == nil {
							t.Errorf("%s: no %s", where, probe)
						}
					}
				}
				for _, kind := range []string{"requests", "limits"} {
					for _, res := range []string{"cpu", "memory"} {
						if strAt(c, "resources", kind, res) == "" {
							t.Errorf("%s: no %s.%s", where, kind, res)
						}
					}
				}
				if r, l := strAt(c, "resources", "requests", "memory"), strAt(c, "resources", "limits", "memory"); r != "" && l != "" && quantity(t, r) > quantity(t, l) {
					t.Errorf("%s: memory request %s above the limit %s", where, r, l)
				}
				sc := mapAt(c, "securityContext")
				if v, set := boolAt(sc, "runAsNonRoot"); !(v || !set && at(podSC, "runAsNonRoot") == true) {
					t.Errorf("%s: runAsNonRoot is not true", where)
				}
				if v, _ := boolAt(sc, "readOnlyRootFilesystem"); !v {
					t.Errorf("%s: readOnlyRootFilesystem is not true", where)
				}
				if v, set := boolAt(sc, "allowPrivilegeEscalation"); v || !set {
					t.Errorf("%s: allowPrivilegeEscalation is not false", where)
				}
				if drop := listAt(sc, "capabilities", "drop"); !slices.Contains(drop, any("ALL")) {
					t.Errorf("%s: capabilities.drop = %v, want ALL", where, drop)
				}
				if add := listAt(sc, "capabilities", "add"); len(add) > 0 {
					t.Errorf("%s: adds capabilities %v", where, add)
				}
				seccomp := strAt(sc, "seccompProfile", "type")
				if seccomp == "" {
					seccomp = strAt(podSC, "seccompProfile", "type")
				}
				if seccomp != "RuntimeDefault" {
					t.Errorf("%s: seccompProfile %q, want RuntimeDefault", where, seccomp)
				}
				if v, _ := boolAt(sc, "privileged"); v {
					t.Errorf("%s: privileged", where)
				}
			}
			if v, _ := boolAt(p.spec, "hostNetwork"); v {
				t.Errorf("%s: hostNetwork", p.what)
			}
		}
	})
}

func TestGoServicesSetGOMEMLIMITUnderTheirLimit(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		for _, svc := range services {
			_, c := ours(t, objs, svc)
			limit := quantity(t, strAt(c, "resources", "limits", "memory"))
			e := envVar(c, "GOMEMLIMIT")
			if e == nil {
				t.Errorf("%s: no GOMEMLIMIT", svc)
				continue
			}
			var v float64
			if ref := mapAt(e, "valueFrom", "resourceFieldRef"); ref != nil {
				if cn := strAt(ref, "containerName"); cn != "" && cn != svc {
					t.Errorf("%s: GOMEMLIMIT from container %q's resources", svc, cn)
				}
				res := strAt(ref, "resource")
				if res != "limits.memory" && res != "requests.memory" {
					t.Errorf("%s: GOMEMLIMIT from %s, want a memory quantity", svc, res)
					continue
				}
				if d := strAt(ref, "divisor"); d != "" && d != "1" {
					t.Errorf("%s: GOMEMLIMIT divisor %s: Go reads a plain number as bytes", svc, d)
				}
				v = quantity(t, strAt(c, append([]string{"resources"}, strings.Split(res, ".")...)...))
			} else {
				v = goByteCount(t, strAt(e, "value"))
			}
			// A soft limit with headroom under the hard one: 80–95%.
			if ratio := v / limit; ratio < 0.80 || ratio > 0.95 {
				t.Errorf("%s: GOMEMLIMIT is %.0f%% of the memory limit, want 80–95%%", svc, 100*ratio)
			}
		}
	})
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

func TestImagesAreOursWithPinnedTags(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		for _, p := range podTemplates(objs) {
			for _, c := range containers(p.spec, true) {
				img := strAt(c, "image")
				repo, tag := img, ""
				if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
					repo, tag = img[:i], img[i+1:]
				}
				if tag == "" || tag == "latest" {
					t.Errorf("%s: image %q has no pinned tag", p.what, img)
				}
				if !strings.HasPrefix(repo, "virtual-store/") {
					continue
				}
				if !slices.Contains(services, strings.TrimPrefix(repo, "virtual-store/")) {
					t.Errorf("%s: image %q is not one of virtual-store/{%s}", p.what, img, strings.Join(services, ","))
				}
				switch overlay {
				case "dev":
					if tag != "dev" {
						t.Errorf("%s: image %q, want tag dev", p.what, img)
					}
				case "prod":
					if !regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(tag) {
						t.Errorf("%s: image %q, want a release version tag", p.what, img)
					}
				}
			}
		}
		for _, svc := range services {
			_, c := ours(t, objs, svc)
			if img := strAt(c, "image"); !strings.HasPrefix(img, "virtual-store/"+svc+":") {
				t.Errorf("Deployment %s runs %q", svc, img)
			}
		}
	})
}

func TestServicesRunWithoutAPIToken(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		for _, svc := range services {
			p, _ := ours(t, objs, svc)
			saName := strAt(p.spec, "serviceAccountName")
			sa := find(objs, "ServiceAccount", saName)
			if saName == "" || saName == "default" || sa == nil {
				t.Errorf("%s: service account %q is not its own", svc, saName)
				continue
			}
			if v, set := boolAt(sa, "automountServiceAccountToken"); !set || v {
				t.Errorf("ServiceAccount %s mounts its token", saName)
			}
			if v, set := boolAt(p.spec, "automountServiceAccountToken"); set && v {
				t.Errorf("%s: the pod mounts its token", svc)
			}
		}
	})
}

func TestGracefulShutdownFitsTheGracePeriod(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		for _, svc := range services {
			p, c := ours(t, objs, svc)
			drain, err := time.ParseDuration(env(objs, c)["SHUTDOWN_TIMEOUT"])
			if err != nil {
				drain = 15 * time.Second // the default
			}
			pause, _ := intAt(c, "lifecycle", "preStop", "sleep", "seconds")
			grace, ok := intAt(p.spec, "terminationGracePeriodSeconds")
			if !ok {
				grace = 30
			}
			if need := drain + time.Duration(pause)*time.Second + time.Second; time.Duration(grace)*time.Second < need {
				t.Errorf("%s: terminationGracePeriodSeconds %d < preStop %ds + SHUTDOWN_TIMEOUT %s + 1s", svc, grace, pause, drain)
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

// ------------------------------------------------------------ secrets

// documentedProdSecrets are what the production overlay expects to exist
// (kustomize/README.md says how to create each).
var documentedProdSecrets = []string{
	"user-database", "product-database", "order-database", "paymentgw-database",
	"merchant-api-key", "user-signing-key", "grafana-admin", "router-ingress-tls", "virtual-store-ca",
}

type secretRef struct {
	name, where string
	optional    bool
}

func secretRefs(objs []obj) []secretRef {
	var refs []secretRef
	for _, p := range podTemplates(objs) {
		for _, v := range listAt(p.spec, "volumes") {
			if n := strAt(v, "secret", "secretName"); n != "" {
				opt, _ := boolAt(v, "secret", "optional")
				refs = append(refs, secretRef{n, p.what + " volume " + strAt(v, "name"), opt})
			}
			for _, src := range listAt(v, "projected", "sources") {
				if n := strAt(src, "secret", "name"); n != "" {
					opt, _ := boolAt(src, "secret", "optional")
					refs = append(refs, secretRef{n, p.what + " volume " + strAt(v, "name"), opt})
				}
			}
		}
		for _, c := range containers(p.spec, true) {
			for _, e := range listAt(c, "env") {
				if n := strAt(e, "valueFrom", "secretKeyRef", "name"); n != "" {
					opt, _ := boolAt(e, "valueFrom", "secretKeyRef", "optional")
					refs = append(refs, secretRef{n, p.what + " env " + strAt(e, "name"), opt})
				}
			}
			for _, ef := range listAt(c, "envFrom") {
				if n := strAt(ef, "secretRef", "name"); n != "" {
					opt, _ := boolAt(ef, "secretRef", "optional")
					refs = append(refs, secretRef{n, p.what + " envFrom", opt})
				}
			}
		}
	}
	for _, ing := range ofKind(objs, "Ingress") {
		for _, tls := range listAt(ing, "spec", "tls") {
			refs = append(refs, secretRef{strAt(tls, "secretName"), "Ingress/" + name(ing), false})
		}
	}
	for _, iss := range append(ofKind(objs, "Issuer"), ofKind(objs, "ClusterIssuer")...) {
		if n := strAt(iss, "spec", "ca", "secretName"); n != "" {
			refs = append(refs, secretRef{n, kind(iss) + "/" + name(iss), false})
		}
	}
	return refs
}

func TestEverySecretIsMadeOrDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		made := map[string]string{}
		for _, s := range ofKind(objs, "Secret") {
			made[name(s)] = "rendered"
		}
		for _, c := range ofKind(objs, "Certificate") {
			made[strAt(c, "spec", "secretName")] = "Certificate/" + name(c)
		}
		missing := map[string]bool{}
		for _, r := range secretRefs(objs) {
			if made[r.name] == "" && !r.optional {
				missing[r.name] = true
				if overlay == "dev" {
					t.Errorf("%s: Secret %s is not rendered; dev must apply with no other step", r.where, r.name)
				} else if !slices.Contains(documentedProdSecrets, r.name) {
					t.Errorf("%s: Secret %s is neither rendered nor documented", r.where, r.name)
				}
			}
		}
		if overlay == "prod" {
			for _, n := range documentedProdSecrets {
				if !missing[n] {
					t.Errorf("documented Secret %s is not used (or is generated) in prod: update the list and the README", n)
				}
				if !strings.Contains(string(readme), n) {
					t.Errorf("kustomize/README.md does not say how to create Secret %s", n)
				}
			}
		}
	})
}

func TestProdSecretsReachTheServices(t *testing.T) {
	objs := render(t, "prod")
	secretKey := func(svc, variable string) string {
		_, c := ours(t, objs, svc)
		e := envVar(c, variable)
		ref := mapAt(e, "valueFrom", "secretKeyRef")
		if ref == nil {
			t.Errorf("%s: %s does not come from a Secret", svc, variable)
			return ""
		}
		return strAt(ref, "name") + "/" + strAt(ref, "key")
	}
	if a, b := secretKey("paymentgw", "PAYMENTGW_API_KEY"), secretKey("order", "ORDER_PAYMENT_API_KEY"); a == "" || a != b {
		t.Errorf("the merchant key: gateway reads %q, order sends %q", a, b)
	}
	for svc, v := range map[string]string{"user": "USER_MONGO_URI", "product": "PRODUCT_DATABASE_URL", "order": "ORDER_DATABASE_URL", "paymentgw": "PAYMENTGW_DATABASE_URL"} {
		if got := secretKey(svc, v); got != svc+"-database/url" {
			t.Errorf("%s: %s from %q, want %s-database/url", svc, v, got, svc)
		}
	}
	p, c := ours(t, objs, "user")
	keyFile := env(objs, c)["USER_SIGNING_KEY_FILE"]
	found := false
	for _, m := range listAt(c, "volumeMounts") {
		if filepath.Dir(keyFile) == strAt(m, "mountPath") {
			for _, v := range listAt(p.spec, "volumes") {
				if strAt(v, "name") == strAt(m, "name") && strAt(v, "secret", "secretName") == "user-signing-key" {
					found = filepath.Base(keyFile) == "signing-key.pem"
				}
			}
		}
	}
	if !found {
		t.Errorf("user: USER_SIGNING_KEY_FILE=%q is not signing-key.pem of the mounted Secret user-signing-key", keyFile)
	}
	for _, svc := range services {
		_, c := ours(t, objs, svc)
		if e := env(objs, c)["ENVIRONMENT"]; e != "" && e != "production" {
			t.Errorf("%s: ENVIRONMENT=%q in prod", svc, e)
		}
	}
}

func TestDevRunsInDevelopment(t *testing.T) {
	objs := render(t, "dev")
	for _, svc := range services {
		_, c := ours(t, objs, svc)
		if e := env(objs, c)["ENVIRONMENT"]; e != "development" {
			t.Errorf("%s: ENVIRONMENT=%q, want development", svc, e)
		}
		if n, _ := intAt(find(objs, "Deployment", svc), "spec", "replicas"); n != 1 {
			t.Errorf("%s: %d replicas in dev, want 1", svc, n)
		}
	}
}

// ------------------------------------------------------------ TLS

func TestEveryServiceMountsItsCertificate(t *testing.T) {
	eachOverlay(t, func(t *testing.T, overlay string, objs []obj) {
		for _, svc := range services {
			p, c := ours(t, objs, svc)
			dir := ""
			for _, m := range listAt(c, "volumeMounts") {
				for _, v := range listAt(p.spec, "volumes") {
					if strAt(v, "name") == strAt(m, "name") && strAt(v, "secret", "secretName") == svc+"-tls" {
						dir = strAt(m, "mountPath")
						if ro, _ := boolAt(m, "readOnly"); !ro {
							t.Errorf("%s: %s-tls mounted writable", svc, svc)
						}
					}
				}
			}
			if dir == "" {
				t.Errorf("%s: Secret %s-tls not mounted", svc, svc)
				continue
			}
			if svc == "router" {
				continue // tls.dir in its YAML: TestRouterConfiguration
			}
			if got := env(objs, c)["TLS_DIR"]; got != dir {
				t.Errorf("%s: TLS_DIR=%q, the Secret is at %q", svc, got, dir)
			}
		}
	})
}

func TestProdCertificatesMatchTheIdentities(t *testing.T) {
	objs := render(t, "prod")
	for _, svc := range services {
		c := find(objs, "Certificate", svc)
		if c == nil {
			t.Errorf("no Certificate %s", svc)
			continue
		}
		if got := strAt(c, "spec", "secretName"); got != svc+"-tls" {
			t.Errorf("Certificate %s: secretName %q", svc, got)
		}
		if got := fmt.Sprint(listAt(c, "spec", "uris")); got != fmt.Sprint([]string{pki.SPIFFEID(svc)}) {
			t.Errorf("Certificate %s: uris %s, want [%s]", svc, got, pki.SPIFFEID(svc))
		}
		if got, want := fmt.Sprint(listAt(c, "spec", "dnsNames")), fmt.Sprint(pki.DNSNames(svc, strAt(c, "metadata", "namespace"))); got != want {
			t.Errorf("Certificate %s: dnsNames %s, want %s", svc, got, want)
		}
		if alg, size := strAt(c, "spec", "privateKey", "algorithm"), strAt(c, "spec", "privateKey", "size"); alg != "ECDSA" || size != "256" {
			t.Errorf("Certificate %s: key %s %s, want ECDSA 256", svc, alg, size)
		}
		usages := listAt(c, "spec", "usages")
		for _, u := range []string{"server auth", "client auth"} {
			if !slices.Contains(usages, any(u)) {
				t.Errorf("Certificate %s: usages %v lack %q", svc, usages, u)
			}
		}
		ref := mapAt(c, "spec", "issuerRef")
		if k := strAt(ref, "kind"); find(objs, k, strAt(ref, "name")) == nil && k != "ClusterIssuer" {
			t.Errorf("Certificate %s: issuer %s/%s is not rendered", svc, k, strAt(ref, "name"))
		}
	}
}

func TestDevCertificatesMatchTheIdentities(t *testing.T) {
	objs := render(t, "dev")
	for _, svc := range services {
		s := find(objs, "Secret", svc+"-tls")
		if s == nil {
			t.Errorf("no Secret %s-tls", svc)
			continue
		}
		if got := strAt(s, "type"); got != "kubernetes.io/tls" {
			t.Errorf("Secret %s-tls: type %q", svc, got)
		}
		pemOf := func(key string) []byte {
			b, err := base64.StdEncoding.DecodeString(strAt(s, "data", key))
			if err != nil {
				t.Fatalf("Secret %s-tls %s: %v", svc, key, err)
			}
			return b
		}
		blk, _ := pem.Decode(pemOf("tls.crt"))
		if blk == nil {
			t.Errorf("Secret %s-tls: tls.crt is not PEM", svc)
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if id, ok := pki.IdentityOf(cert); !ok || id != svc {
			t.Errorf("Secret %s-tls: certificate of %q", svc, id)
		}
		if want := pki.DNSNames(svc, namespace); fmt.Sprint(cert.DNSNames) != fmt.Sprint(want) {
			t.Errorf("Secret %s-tls: DNS names %v, want %v", svc, cert.DNSNames, want)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(pemOf("ca.crt"))
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("Secret %s-tls: %v", svc, err)
		}
		if len(pemOf("tls.key")) == 0 {
			t.Errorf("Secret %s-tls: no tls.key", svc)
		}
	}
}

// ------------------------------------------------------------ scaling

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

// ------------------------------------------------------------ the router

// routerConfig loads the router's configuration from the rendered objects
// exactly as the router would: the mounted YAML at ROUTER_CONFIG, then the
// environment (ConfigMaps and literal values) over it.
func routerConfig(t *testing.T, objs []obj) (config.Config, map[string]any) {
	p, c := ours(t, objs, "router")
	vars := env(objs, c)
	file := vars["ROUTER_CONFIG"]
	if file == "" {
		t.Fatal("router: no ROUTER_CONFIG")
	}
	var content string
	for _, m := range listAt(c, "volumeMounts") {
		if filepath.Dir(file) != strAt(m, "mountPath") {
			continue
		}
		for _, v := range listAt(p.spec, "volumes") {
			if strAt(v, "name") == strAt(m, "name") {
				cm := find(objs, "ConfigMap", strAt(v, "configMap", "name"))
				content = strAt(cm, "data", filepath.Base(file))
			}
		}
	}
	if content == "" {
		t.Fatalf("router: ROUTER_CONFIG=%s is no file of a mounted ConfigMap", file)
	}
	tmp := filepath.Join(t.TempDir(), "router.yaml")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only the pod's environment: none of this process's.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ROUTER_") || strings.HasPrefix(k, "TLS_") || k == "REDIS_URL" || k == "SHUTDOWN_TIMEOUT" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range vars {
		if k != "ROUTER_CONFIG" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.Load(tmp)
	if err != nil {
		t.Fatalf("router configuration: %v", err)
	}
	return cfg, c
}

func TestRouterConfiguration(t *testing.T) {
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			objs := render(t, overlay)
			cfg, c := routerConfig(t, objs)
			switch overlay {
			case "prod":
				if cfg.Playground || cfg.Introspection {
					t.Errorf("prod router: playground %v, introspection %v; want both off", cfg.Playground, cfg.Introspection)
				}
			case "dev":
				if !cfg.Playground {
					t.Error("dev router: no playground")
				}
			}
			if cfg.AllowPlaintextSubgraphs {
				t.Error("router allows plain-HTTP subgraphs")
			}
			want := "user=https://user:4001/graphql,product=https://product:4002/graphql,order=https://order:4003/graphql"
			if cfg.Subgraphs != want {
				t.Errorf("router subgraphs %q, want %q", cfg.Subgraphs, want)
			}
			if cfg.Auth.JWKSURL != "https://user:4001/.well-known/jwks.json" {
				t.Errorf("router JWKS %q", cfg.Auth.JWKSURL)
			}
			if cfg.TLS.Dir != "/etc/virtual-store/tls" {
				t.Errorf("router tls.dir %q", cfg.TLS.Dir)
			}
			if cfg.Listen != ":4000" || cfg.AdminListen != ":4100" {
				t.Errorf("router listens on %s, admin %s", cfg.Listen, cfg.AdminListen)
			}
			if !cfg.RateLimit.Enabled {
				t.Error("router rate limits off")
			}
			// Tokens the user service issues must verify at the router.
			_, uc := ours(t, objs, "user")
			if iss := env(objs, uc)["USER_JWT_ISSUER"]; !slices.Contains(cfg.Auth.Issuers, iss) {
				t.Errorf("user issues tokens as %q; the router accepts %v", iss, cfg.Auth.Issuers)
			}
			// Shared rate limits: REDIS_URL from a Secret this overlay makes.
			ref := mapAt(envVar(c, "REDIS_URL"), "valueFrom", "secretKeyRef")
			s := find(objs, "Secret", strAt(ref, "name"))
			url, _ := base64.StdEncoding.DecodeString(strAt(s, "data", strAt(ref, "key")))
			if !strings.HasPrefix(string(url), "redis") {
				t.Errorf("router REDIS_URL from %v: %q", ref, url)
			}
		})
	}
}

// ------------------------------------------------------------ network policies

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

// ------------------------------------------------------------ monitoring

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

// Guard against the two lists of services drifting apart.
func TestServicesAreThePKIServices(t *testing.T) {
	if !slices.Equal(services, pki.Services) {
		t.Fatalf("services %v, pki.Services %v", services, pki.Services)
	}
}
