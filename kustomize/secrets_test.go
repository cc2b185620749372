package kustomize_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Secrets: every Secret a workload reads is made by the overlay, or
// documented for production and reaching the services that need it.

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
