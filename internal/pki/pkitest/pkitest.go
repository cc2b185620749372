// Package pkitest is the test kit for mutual TLS: a throwaway CA with a
// certificate for every store identity, TLS servers that require client
// certificates exactly as the services do, and clients speaking as any
// identity. Tests of every package share it, so they exercise the real
// handshake and the real authorization, never a faked peer.
package pkitest

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/pki"
)

// Kit is a CA and the store's identities under a temporary directory.
type Kit struct {
	Dir string
	CA  *pki.CA
}

// New makes a CA and a certificate for every identity in pki.Services.
func New(t testing.TB) *Kit {
	t.Helper()
	k, err := Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Make is New in dir, for a TestMain (which has no testing.TB).
func Make(dir string) (*Kit, error) {
	if _, err := pki.Ensure(dir, "", pki.Services, time.Hour); err != nil {
		return nil, err
	}
	ca, err := pki.LoadCA(dir)
	if err != nil {
		return nil, err
	}
	return &Kit{Dir: dir, CA: ca}, nil
}

// Says is the identity statement the router would send to subgraph
// audience for a caller (sub empty: anonymous) signed in with a token for
// roles (so with their scopes), from client address 192.0.2.1, valid for a
// minute.
func Says(audience, sub string, roles ...string) string {
	c := auth.Claims{Subject: sub, Roles: roles, Scopes: auth.ScopesFor(roles), Expires: time.Now().Add(time.Minute).Unix()}
	v, err := auth.Statement{Claims: c,
		Audience: audience, ClientAddr: "192.0.2.1"}.Encode()
	if err != nil {
		panic(err)
	}
	return v
}

// Files are the certificate, key and CA files of identity name.
func (k *Kit) Files(name string) pki.Files { return pki.InDir(filepath.Join(k.Dir, name)) }

// Env is the environment a service binary reads its TLS files from.
func (k *Kit) Env(name string) []string {
	return []string{"TLS_DIR=" + filepath.Join(k.Dir, name)}
}

// Source loads identity name's files.
func (k *Kit) Source(t testing.TB, name string) *pki.Source {
	t.Helper()
	s, err := k.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Load is Source for a TestMain.
func (k *Kit) Load(name string) (*pki.Source, error) {
	return pki.Load(k.Files(name), gqltest.Quiet())
}

// Listen runs h over mutual TLS with src's certificate, for a TestMain
// (close it when done).
func Listen(src *pki.Source, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = src.ServerTLS()
	srv.StartTLS()
	return srv
}

// Client is an HTTP client presenting identity name's certificate; with
// servers named, it accepts only servers carrying one of those identities.
func (k *Kit) Client(t testing.TB, name string, servers ...string) *http.Client {
	t.Helper()
	return ClientOf(k.Source(t, name), servers...)
}

// ClientOf is an HTTP client over src's identity.
func ClientOf(src *pki.Source, servers ...string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = src.ClientTLS(servers...)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Serve runs h over mutual TLS as identity name (closed with the test).
func (k *Kit) Serve(t testing.TB, name string, h http.Handler) *httptest.Server {
	t.Helper()
	return ServeWith(t, k.Source(t, name), h)
}

// ServeWith runs h over mutual TLS with src's certificate and CA.
func ServeWith(t testing.TB, src *pki.Source, h http.Handler) *httptest.Server {
	t.Helper()
	srv := Listen(src, h)
	t.Cleanup(srv.Close)
	return srv
}

// Plain is an HTTP client with no client certificate that trusts the kit's
// CA (what a stranger on the network with the CA certificate has).
func (k *Kit) Plain(t testing.TB) *http.Client {
	t.Helper()
	src := k.Source(t, pki.Router)
	cfg := src.ClientTLS()
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &tls.Certificate{}, nil }
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
