package pki

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"
)

// Files name a service's certificate, its private key and the CA
// certificate(s) it trusts (PEM; a bundle may hold an old and a new CA
// during a CA rotation).
type Files struct {
	Cert string `env:"TLS_CERT_FILE"`
	Key  string `env:"TLS_KEY_FILE"`
	CA   string `env:"TLS_CA_FILE"`
}

// InDir names the Secret layout's files in dir (tls.crt, tls.key, ca.crt).
func InDir(dir string) Files {
	return Files{Cert: filepath.Join(dir, CertFile), Key: filepath.Join(dir, KeyFile), CA: filepath.Join(dir, CAFile)}
}

// OrIn fills in the files not named from dir in the Secret layout (nothing
// when dir is empty).
func (f Files) OrIn(dir string) Files {
	if dir == "" {
		return f
	}
	d := InDir(dir)
	return Files{Cert: cmp.Or(f.Cert, d.Cert), Key: cmp.Or(f.Key, d.Key), CA: cmp.Or(f.CA, d.CA)}
}

// Configured reports whether any file is named.
func (f Files) Configured() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

func (f Files) check() error {
	var missing []string
	for name, v := range map[string]string{"TLS_CERT_FILE": f.Cert, "TLS_KEY_FILE": f.Key, "TLS_CA_FILE": f.CA} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("mutual TLS needs a certificate, its key and the CA: set %v (or TLS_DIR to a directory with tls.crt, tls.key and ca.crt; `router pki init` issues them)", missing)
	}
	return nil
}

// material is one consistent reading of the files.
type material struct {
	cert  *tls.Certificate
	leaf  *x509.Certificate
	id    string
	roots *x509.CertPool
	stamp string // what the files looked like when read
}

func load(f Files) (*material, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	stamp := stampOf(f)
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s with key %s: %w", f.Cert, f.Key, err)
	}
	leaf := cert.Leaf
	id, ok := IdentityOf(leaf)
	if !ok {
		return nil, fmt.Errorf("%s carries no %s identity (a spiffe://%s/<service> URI SAN)", f.Cert, TrustDomain, TrustDomain)
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no PEM certificate", f.CA)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%s is not valid under the CA in %s: %w", f.Cert, f.CA, err)
	}
	return &material{cert: &cert, leaf: leaf, id: id, roots: roots, stamp: stamp}, nil
}

// stampOf changes whenever one of the files is replaced or rewritten
// (Kubernetes swaps a Secret's files through a symlink; os.Stat follows it).
func stampOf(f Files) string {
	s := ""
	for _, p := range []string{f.Cert, f.Key, f.CA} {
		fi, err := os.Stat(p)
		if err != nil {
			s += "missing|"
			continue
		}
		s += fmt.Sprintf("%d:%d|", fi.ModTime().UnixNano(), fi.Size())
	}
	return s
}

// Source is a service's certificate, key and CA, kept current: Run re-reads
// the files when they change, and every new TLS handshake (as server or
// client) uses what was read last. Connections already open keep the
// certificate they were made with, so in-flight requests finish undisturbed.
type Source struct {
	files    Files
	cur      atomic.Pointer[material]
	log      *slog.Logger
	reloads  atomic.Int64
	Interval time.Duration // how often Run looks at the files; 5 s when zero
}

// Load reads the files once; the service fails to start if they are
// missing, mismatched or not issued by the CA.
func Load(f Files, log *slog.Logger) (*Source, error) {
	m, err := load(f)
	if err != nil {
		return nil, err
	}
	s := &Source{files: f, log: log}
	s.cur.Store(m)
	return s, nil
}

// Identity is the service identity of the current certificate.
func (s *Source) Identity() string { return s.cur.Load().id }

// Leaf is the current certificate.
func (s *Source) Leaf() *x509.Certificate { return s.cur.Load().leaf }

// Certificate is the current certificate with its key.
func (s *Source) Certificate() *tls.Certificate { return s.cur.Load().cert }

// Reloads counts the successful re-reads since Load.
func (s *Source) Reloads() int64 { return s.reloads.Load() }

// Reload re-reads the files if they changed. A failed reading (a
// half-replaced pair, a certificate of another CA) keeps the current
// material and is returned; the next call tries again.
func (s *Source) Reload() (bool, error) {
	old := s.cur.Load()
	if stampOf(s.files) == old.stamp {
		return false, nil
	}
	m, err := load(s.files)
	if err != nil {
		return false, err
	}
	if m.id != old.id {
		return false, fmt.Errorf("the new certificate speaks for %q, not %q; keeping the current one", m.id, old.id)
	}
	s.cur.Store(m)
	s.reloads.Add(1)
	return true, nil
}

// Run re-reads the files every Interval until ctx ends, and warns while the
// certificate is close to expiry (a renewal that never came).
func (s *Source) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var warned time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		changed, err := s.Reload()
		switch {
		case err != nil:
			s.log.Warn("TLS files changed but cannot be used yet; keeping the current certificate", "err", err)
		case changed:
			leaf := s.Leaf()
			s.log.Info("TLS certificate reloaded", "identity", s.Identity(), "serial", leaf.SerialNumber.Text(16), "not_after", leaf.NotAfter)
		}
		leaf := s.Leaf()
		if left := time.Until(leaf.NotAfter); left < leaf.NotAfter.Sub(leaf.NotBefore)/10 && time.Since(warned) > time.Hour {
			warned = time.Now()
			s.log.Warn("TLS certificate expires soon and has not been renewed", "file", s.files.Cert, "not_after", leaf.NotAfter)
		}
	}
}

// ServerTLS is the configuration of an internal server: TLS 1.3, the current
// certificate, and a client certificate from the current CA required in the
// handshake. Which identity may call which endpoint is decided by Only.
func (s *Source) ServerTLS() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			m := s.cur.Load()
			return &tls.Config{
				MinVersion:   tls.VersionTLS13,
				NextProtos:   []string{"h2", "http/1.1"},
				Certificates: []tls.Certificate{*m.cert},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    m.roots,
			}, nil
		},
	}
}

// ClientTLS is the configuration of a client of internal services: TLS 1.3,
// the current certificate presented when asked, and the server verified
// against the current CA and the host name dialled. With servers named, the
// server must moreover carry one of those identities (order's client of
// the payment gateway accepts only the paymentgw identity, whatever DNS says).
func (s *Source) ClientTLS(servers ...string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return s.cur.Load().cert, nil
		},
		// The built-in verification would pin the roots of the moment the
		// transport was made; VerifyConnection does the same checks against
		// the CA as last read, so a rotated CA needs no new transport.
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyServer(cs, s.cur.Load().roots, servers)
		},
	}
}

// ErrWrongServer is a server whose certificate carries another identity
// than the client expects.
var ErrWrongServer = errors.New("server has another identity")

func verifyServer(cs tls.ConnectionState, roots *x509.CertPool, servers []string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	leaf := cs.PeerCertificates[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cs.ServerName,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("verify server certificate: %w", err)
	}
	if len(servers) == 0 {
		return nil
	}
	id, _ := IdentityOf(leaf)
	if !slices.Contains(servers, id) {
		return fmt.Errorf("%w: %s answered as %q, want %v", ErrWrongServer, cs.ServerName, id, servers)
	}
	return nil
}
