// Package tokens issues the store's access tokens (JWT, EdDSA over Ed25519),
// publishes their public keys as a JWKS, and makes opaque refresh tokens.
// lestrrat-go/jwx does the JOSE work (JWK thumbprints, JWKS encoding, JWT
// signing and validation): a well-reviewed library beats hand-rolled crypto
// plumbing here.
package tokens

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// KeySet is the signing key and every public key tokens may be verified with:
// the current one and previous ones kept published during a rotation, so
// tokens signed before the rotation stay valid until they expire.
type KeySet struct {
	signing jwk.Key
	public  jwk.Set
}

// KeyConfig says where the keys come from.
type KeyConfig struct {
	// SigningKeyFile is a PEM file with a PKCS#8 Ed25519 private key
	// (a Kubernetes Secret mounted as a file). Empty means development mode.
	SigningKeyFile string
	// PreviousKeyFiles are PEM files with earlier keys (private or public)
	// whose public halves stay in the JWKS.
	PreviousKeyFiles []string
	// DevDir keeps a generated key across restarts in development.
	DevDir string
}

// LoadKeys reads the configured keys. Without SigningKeyFile it uses (and on
// first start creates) DevDir/signing-key.pem.
func LoadKeys(cfg KeyConfig) (*KeySet, error) {
	path := cfg.SigningKeyFile
	if path == "" {
		if cfg.DevDir == "" {
			return nil, errors.New("no signing key: set a signing key file or a data directory")
		}
		path = filepath.Join(cfg.DevDir, "signing-key.pem")
		if err := ensureDevKey(path); err != nil {
			return nil, err
		}
	}
	priv, err := readKey(path)
	if err != nil {
		return nil, err
	}
	sk, ok := priv.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: want an Ed25519 private key, got %T", path, priv)
	}
	ks := &KeySet{public: jwk.NewSet()}
	if ks.signing, err = importKey(sk); err != nil {
		return nil, err
	}
	if err := ks.publish(sk.Public()); err != nil {
		return nil, err
	}
	for _, p := range cfg.PreviousKeyFiles {
		k, err := readKey(p)
		if err != nil {
			return nil, err
		}
		if priv, ok := k.(ed25519.PrivateKey); ok {
			k = priv.Public()
		}
		if err := ks.publish(k); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return ks, nil
}

// KeyID is the id (RFC 7638 thumbprint) of the signing key.
func (ks *KeySet) KeyID() string {
	kid, _ := ks.signing.KeyID()
	return kid
}

// Public is the JWKS: every public key tokens may be verified with.
func (ks *KeySet) Public() jwk.Set { return ks.public }

// JWKSHandler serves the public keys at /.well-known/jwks.json.
func (ks *KeySet) JWKSHandler() http.Handler {
	body, err := json.Marshal(ks.public)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err != nil {
			http.Error(w, "jwks unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		// Short caching: verifiers refetch on an unknown kid anyway.
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

func (ks *KeySet) publish(pub any) error {
	k, err := importKey(pub)
	if err != nil {
		return err
	}
	kid, _ := k.KeyID()
	if _, dup := ks.public.LookupKeyID(kid); dup {
		return nil
	}
	return ks.public.AddKey(k)
}

// importKey wraps a raw key as a JWK with its thumbprint as kid, alg EdDSA and use sig.
func importKey(raw any) (jwk.Key, error) {
	k, err := jwk.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("import key: %w", err)
	}
	if err := jwk.AssignKeyID(k); err != nil {
		return nil, fmt.Errorf("assign key id: %w", err)
	}
	if err := k.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
		return nil, err
	}
	if err := k.Set(jwk.KeyUsageKey, jwk.ForSignature); err != nil {
		return nil, err
	}
	return k, nil
}

func readKey(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	switch block.Type {
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	}
	return nil, fmt.Errorf("%s: unexpected PEM block %q", path, block.Type)
}

// ensureDevKey creates a development key file if there is none.
func ensureDevKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := GenerateKeyPEM()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// GenerateKeyPEM makes a new Ed25519 private key as PKCS#8 PEM, the format
// SigningKeyFile expects (also what `openssl genpkey -algorithm ed25519` writes).
func GenerateKeyPEM() ([]byte, error) {
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
