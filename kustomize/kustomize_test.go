// Package kustomize_test renders the Kubernetes overlays in-process (the same
// kustomize as `kubectl kustomize`, v5) and checks what a reviewer would:
// production habits on every container, selectors that select something,
// network policies that allow exactly the store's calls, images and tags,
// scaling in production, the secrets each overlay needs, the certificates,
// and the router's configuration as the router itself would load it.
package kustomize_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/virtual-store/virtual-store/internal/pki"
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
