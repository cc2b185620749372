package pki_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
)

func refuse(w http.ResponseWriter, _ *http.Request, msg string) {
	http.Error(w, msg, http.StatusForbidden)
}

// An endpoint for the order service only, served by the product service:
// who may call is decided by the certificate, over real sockets.
func TestOnlyItsOneCaller(t *testing.T) {
	kit := pkitest.New(t)
	foreign := pkitest.New(t) // another CA with the same identity names
	srv := kit.Serve(t, pki.Product, pki.Only(refuse, pki.Order)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := pki.Peer(r)
		fmt.Fprint(w, "hello "+id)
	})))

	tests := []struct {
		name       string
		client     *http.Client
		wantStatus int // 0: the handshake must fail
	}{
		{"the order service", kit.Client(t, pki.Order), http.StatusOK},
		{"another service of the store", kit.Client(t, pki.Router), http.StatusForbidden},
		{"the payment gateway", kit.Client(t, pki.PaymentGW), http.StatusForbidden},
		{"no client certificate", kit.Plain(t), 0},
		{"order's name from another CA", foreign.Client(t, pki.Order), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Get(srv.URL)
			if tt.wantStatus == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("status %d, want a failed handshake", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK && string(body) != "hello order" {
				t.Fatalf("body %q", body)
			}
		})
	}
}

func TestClientChecksTheServerIdentity(t *testing.T) {
	kit := pkitest.New(t)
	srv := kit.Serve(t, pki.Product, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	_, err := kit.Client(t, pki.Order, pki.PaymentGW).Get(srv.URL)
	if !errors.Is(err, pki.ErrWrongServer) {
		t.Fatalf("order expecting the payment gateway reached product: err = %v", err)
	}
	resp, err := kit.Client(t, pki.Order, pki.Product).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A server certificate from another CA is refused by every client.
	other := pkitest.New(t).Serve(t, pki.Product, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if _, err := kit.Client(t, pki.Order).Get(other.URL); err == nil {
		t.Fatal("a server of another CA was trusted")
	}
}

// The certificate is swapped under a running server: a request in flight on
// the old connection finishes, and a new connection gets the new certificate.
func TestRotationWithoutRestart(t *testing.T) {
	kit := pkitest.New(t)
	src := kit.Source(t, pki.Product)
	src.Interval = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = src.Run(ctx) }()

	release := make(chan struct{})
	srv := pkitest.ServeWith(t, src, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		fmt.Fprint(w, "ok")
	}))
	before := src.Leaf().SerialNumber

	inflight := make(chan error, 1)
	slowClient := kit.Client(t, pki.Order)
	go func() {
		resp, err := slowClient.Get(srv.URL + "/slow")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "ok" {
				err = fmt.Errorf("in-flight body %q", b)
			}
		}
		inflight <- err
	}()
	time.Sleep(50 * time.Millisecond) // the slow request is on its connection

	if err := kit.CA.WriteIdentity(kit.Dir, pki.Product, pki.DNSNames(pki.Product, ""), time.Hour); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for src.Reloads() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the new certificate was not picked up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := src.Leaf().SerialNumber
	if after.Cmp(before) == 0 {
		t.Fatal("serial unchanged after rotation")
	}

	resp, err := kit.Client(t, pki.Order).Get(srv.URL) // a new client: a new connection
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.TLS.PeerCertificates[0].SerialNumber; got.Cmp(after) != 0 {
		t.Fatalf("new connection saw serial %x, want the new %x", got, after)
	}

	close(release)
	if err := <-inflight; err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
}

func TestReloadKeepsWorkingMaterialOnBadFiles(t *testing.T) {
	kit := pkitest.New(t)
	src := kit.Source(t, pki.Product)
	before := src.Leaf().SerialNumber
	// A certificate of another identity (a wrong Secret mounted) is refused.
	other := pkitest.New(t)
	b, _ := os.ReadFile(other.Files(pki.Order).Cert)
	_ = os.WriteFile(kit.Files(pki.Product).Cert, b, 0o644)
	if changed, err := src.Reload(); changed || err == nil {
		t.Fatalf("reload of a mismatched pair: changed=%v err=%v", changed, err)
	}
	if src.Leaf().SerialNumber.Cmp(before) != 0 {
		t.Fatal("the working certificate was replaced by a broken one")
	}
}

func TestLoadSaysWhatIsMissing(t *testing.T) {
	_, err := pki.Load(pki.Files{Cert: "x"}, gqltest.Quiet())
	if err == nil || !strings.Contains(err.Error(), "TLS_CA_FILE") || !strings.Contains(err.Error(), "TLS_KEY_FILE") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnsureIssuesOnceAndRenews(t *testing.T) {
	dir := t.TempDir()
	issued, err := pki.Ensure(dir, "shop", pki.Services, time.Hour)
	if err != nil || len(issued) != len(pki.Services) {
		t.Fatalf("first run issued %v, %v", issued, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, pki.Order, pki.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	src, err := pki.Load(pki.InDir(filepath.Join(dir, pki.Product)), gqltest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	leaf := src.Leaf()
	if src.Identity() != pki.Product || leaf.URIs[0].String() != "spiffe://virtual-store/product" {
		t.Fatalf("identity %q, URIs %v", src.Identity(), leaf.URIs)
	}
	for _, name := range []string{"product", "product.shop.svc", "product.shop.svc.cluster.local"} {
		if leaf.VerifyHostname(name) != nil {
			t.Errorf("certificate does not cover %s (DNS names %v)", name, leaf.DNSNames)
		}
	}
	if leaf.VerifyHostname("localhost") == nil || leaf.VerifyHostname("127.0.0.1") == nil {
		t.Errorf("a cluster certificate covers localhost (DNS names %v)", leaf.DNSNames)
	}
	if ca, err := pki.LoadCA(dir); err != nil {
		t.Fatal(err)
	} else if _, _, err := ca.Issue("../x", nil, time.Hour); err == nil {
		t.Error("a name with a path was issued")
	}
	if issued, err := pki.Ensure(dir, "shop", pki.Services, time.Hour); err != nil || len(issued) != 0 {
		t.Fatalf("second run issued %v, %v; want nothing", issued, err)
	}
	// A certificate past two thirds of its life is renewed.
	ca, err := pki.LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteIdentity(dir, pki.Order, pki.DNSNames(pki.Order, "shop"), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// Issued with 1h of back-dating: 10 minutes left of 70 is less than a third.
	if issued, err := pki.Ensure(dir, "shop", pki.Services, time.Hour); err != nil || len(issued) != 1 || issued[0] != pki.Order {
		t.Fatalf("renewal issued %v, %v; want [order]", issued, err)
	}
}
