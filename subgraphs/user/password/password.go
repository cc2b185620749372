// Package password hashes passwords with argon2id and enforces the password
// policy. Hashes are PHC strings that carry their own parameters
// ($argon2id$v=19$m=65536,t=3,p=2$salt$hash), so parameters can be raised
// later: old hashes still verify, and NeedsRehash tells when to upgrade one.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	MemoryKiB uint32 // memory in KiB
	Time      uint32 // iterations
	Threads   uint8
}

// DefaultParams follow the OWASP recommendation's stronger end for servers.
var DefaultParams = Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
	// MinLength is the shortest password accepted (in characters).
	MinLength = 10
	// MaxLength bounds the work an attacker can make us do per attempt.
	MaxLength = 256
)

// ErrMismatch is returned by Verify for a wrong password.
var ErrMismatch = errors.New("password does not match")

// Hasher hashes with fixed parameters, at most as many at once as its Gate
// allows (nil: no bound).
type Hasher struct {
	Params Params
	Gate   *Gate
}

// Hash returns the PHC string of password with a fresh random salt. It
// fails with ErrBusy when the gate's queue is full or the wait too long.
func (h Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	p := h.Params
	var key []byte
	if err := h.Gate.do(ctx, func() { key = argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen) }); err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against a PHC hash made by Hash, in constant time.
// It fails with ErrBusy like Hash.
func (h Hasher) Verify(ctx context.Context, password, encoded string) error {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return err
	}
	var got []byte
	if err := h.Gate.do(ctx, func() { got = argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key))) }); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether encoded was made with other parameters than h's.
func (h Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h.Params
}

var b64 = base64.RawStdEncoding

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errors.New("unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, fmt.Errorf("malformed argon2 parameters: %w", err)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, errors.New("malformed salt")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return Params{}, nil, nil, errors.New("malformed hash")
	}
	return p, salt, key, nil
}

// CheckPolicy returns why password is not acceptable for the account with
// email, or "" if it is.
func CheckPolicy(password, email string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinLength:
		return fmt.Sprintf("password must be at least %d characters", MinLength)
	case n > MaxLength:
		return fmt.Sprintf("password must be at most %d characters", MaxLength)
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)):
		return "password must not be the email address"
	case strings.TrimSpace(password) == "":
		return "password must not be blank"
	}
	return ""
}
