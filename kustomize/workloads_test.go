package kustomize_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Workloads: what every container of the store runs with.

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
