package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// File names of an identity's directory: the layout of a Kubernetes TLS
// Secret (and of cert-manager's, which adds ca.crt), so a mounted Secret is
// a directory the services read as it is.
const (
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
	CAFile   = "ca.crt"
	// CAKeyFile is the CA's private key, kept only where certificates are issued.
	CAKeyFile = "ca.key"
)

// Lifetimes of what `make run` and `router pki` issue unless told otherwise.
const (
	DefaultCATTL   = 10 * 365 * 24 * time.Hour
	DefaultCertTTL = 90 * 24 * time.Hour
)

// CA issues the store's certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	PEM  []byte
}

// NewCA makes a self-signed CA (ECDSA P-256) valid for ttl.
func NewCA(commonName string, ttl time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{TrustDomain}},
		NotBefore:             now.Add(-time.Hour), // tolerate clock skew between machines
		NotAfter:              now.Add(ttl),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		URIs:                  []*url.URL{{Scheme: "spiffe", Host: TrustDomain}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, PEM: pemBlock("CERTIFICATE", der)}, nil
}

// LoadCA reads dir/ca.crt and dir/ca.key.
func LoadCA(dir string) (*CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", filepath.Join(dir, CAFile))
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, CAFile), err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, CAKeyFile), err)
	}
	return &CA{Cert: cert, Key: key, PEM: certPEM}, nil
}

// Save writes the CA's certificate and key into dir (the key readable by
// the owner only).
func (ca *CA) Save(dir string) error {
	keyPEM, err := marshalKey(ca.Key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, CAKeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, CAFile), ca.PEM, 0o644)
}

// Issue makes a certificate for service name, usable as a TLS server and
// client certificate: its identity in a URI SAN, dnsNames (and loopback
// addresses when "localhost" is among them) as further SANs.
func (ca *CA) Issue(name string, dnsNames []string, ttl time.Duration) (certPEM, keyPEM []byte, err error) {
	if !validName.MatchString(name) {
		return nil, nil, fmt.Errorf("identity name %q: want 1-63 of a-z, 0-9 and '-'", name)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id, _ := url.Parse(SPIFFEID(name))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, Organization: []string{TrustDomain}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{id},
		DNSNames:     dnsNames,
	}
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter // never outlive the issuer
	}
	for _, d := range dnsNames {
		if d == "localhost" {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue certificate for %s: %w", name, err)
	}
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), keyPEM, nil
}

var validName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// DNSNames are the names service name answers to: in a Kubernetes namespace
// its Service names (short, namespaced and fully qualified); without one, on
// a laptop, localhost. Never both: in a cluster, a certificate valid for
// localhost would let any pod's key pass for a local endpoint.
func DNSNames(name, namespace string) []string {
	if namespace == "" {
		return []string{name, "localhost"}
	}
	return []string{name, name + "." + namespace, name + "." + namespace + ".svc", name + "." + namespace + ".svc.cluster.local"}
}

// WriteIdentity issues a certificate for name and writes dir/name/ in the
// Secret layout (tls.crt, tls.key, ca.crt). The key is written before the
// certificate, so a process re-reading the files never pairs a new
// certificate with an old key for long (Source retries a mismatched pair).
func (ca *CA) WriteIdentity(dir, name string, dnsNames []string, ttl time.Duration) error {
	certPEM, keyPEM, err := ca.Issue(name, dnsNames, ttl)
	if err != nil {
		return err
	}
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(d, CAFile), ca.PEM, 0o644); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(d, KeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(d, CertFile), certPEM, 0o644)
}

// Ensure makes dir hold a CA (created if missing) and a certificate for each
// of names, issuing the missing ones and those past two thirds of their
// lifetime or from another CA. It returns the names it (re)issued. `make run`
// calls it at every start (and then hourly), so local certificates never
// expire under a running store.
func Ensure(dir, namespace string, names []string, ttl time.Duration) ([]string, error) {
	ca, err := LoadCA(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if ca, err = NewCA(TrustDomain+" development CA", DefaultCATTL); err != nil {
			return nil, err
		}
		if err = ca.Save(dir); err != nil {
			return nil, fmt.Errorf("save CA: %w", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load CA from %s: %w", dir, err)
	}
	var issued []string
	for _, name := range names {
		if current(filepath.Join(dir, name), ca) {
			continue
		}
		if err := ca.WriteIdentity(dir, name, DNSNames(name, namespace), ttl); err != nil {
			return issued, err
		}
		issued = append(issued, name)
	}
	return issued, nil
}

// current reports whether dir holds a certificate of ca with a third or
// more of its lifetime left.
func current(dir string, ca *CA) bool {
	m, err := load(Files{Cert: filepath.Join(dir, CertFile), Key: filepath.Join(dir, KeyFile), CA: filepath.Join(dir, CAFile)})
	if err != nil || m.leaf.CheckSignatureFrom(ca.Cert) != nil {
		return false
	}
	life := m.leaf.NotAfter.Sub(m.leaf.NotBefore)
	return time.Until(m.leaf.NotAfter) > life/3
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func marshalKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pemBlock("PRIVATE KEY", der), nil
}

func parseKey(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM private key")
	}
	var (
		k   any
		err error
	)
	switch blk.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q", blk.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("key cannot sign")
	}
	return s, nil
}

// writeAtomic replaces path with data in one rename, so readers see the old
// file or the new one, never half of it.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
