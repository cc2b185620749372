package kustomize_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"slices"
	"testing"

	"github.com/virtual-store/virtual-store/internal/pki"
)

// TLS: each service mounts its own certificate, and the certificates
// name the identities the services expect.

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

// Guard against the two lists of services drifting apart.
func TestServicesAreThePKIServices(t *testing.T) {
	if !slices.Equal(services, pki.Services) {
		t.Fatalf("services %v, pki.Services %v", services, pki.Services)
	}
}
