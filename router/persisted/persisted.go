// Package persisted resolves persisted queries: the Automatic Persisted
// Queries protocol (a client sends extensions.persistedQuery.sha256Hash
// instead of the document, and registers the document on a miss), and a
// safelist of trusted operations loaded from a manifest, under which the
// router runs nothing else.
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/router/config"
)

// Error is a refused persisted query.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Message }

// Queries resolves hashes to documents.
type Queries struct {
	apq      bool
	safelist bool
	cache    *byteLRU
	manifest map[string]string // sha256 hex (or manifest id) → document
	trusted  map[string]bool   // sha256 hex of every manifest document
}

// New loads the manifest (if configured) and prepares the APQ cache.
func New(cfg config.Persisted) (*Queries, error) {
	q := &Queries{apq: cfg.APQ && !cfg.Safelist, safelist: cfg.Safelist, manifest: map[string]string{}, trusted: map[string]bool{}}
	if q.apq {
		q.cache = newByteLRU(max(cfg.APQCacheBytes, 1))
	}
	if cfg.Manifest != "" {
		if err := q.load(cfg.Manifest); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// manifest is the Apollo persisted query manifest format.
type manifest struct {
	Format     string `json:"format"`
	Operations []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Body string `json:"body"`
	} `json:"operations"`
}

func (q *Queries) load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("persisted query manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err == nil && m.Operations != nil {
		for _, op := range m.Operations {
			q.add(op.ID, op.Body)
		}
		return nil
	}
	var flat map[string]string // {"<id>": "<document>"}
	if err := json.Unmarshal(b, &flat); err != nil {
		return fmt.Errorf("persisted query manifest %s: neither {\"operations\":[...]} nor {\"id\":\"document\"}: %w", path, err)
	}
	for id, body := range flat {
		q.add(id, body)
	}
	return nil
}

func (q *Queries) add(id, body string) {
	h := Hash(body)
	q.manifest[h] = body
	if id != "" {
		q.manifest[id] = body
	}
	q.trusted[h] = true
}

// Hash is the APQ hash of a document: lowercase hex SHA-256.
func Hash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// Len is the number of manifest documents.
func (q *Queries) Len() int { return len(q.trusted) }

// Resolve returns the document to run for a request's query and extensions.
func (q *Queries) Resolve(ctx context.Context, query string, extensions map[string]any) (string, *Error) {
	hash, err := requestedHash(extensions)
	if err != nil {
		return "", err
	}
	switch {
	case hash == "" && query == "":
		return "", &Error{errcode.BadRequest, "the request has no query"}
	case hash == "":
		if q.safelist && !q.trusted[Hash(query)] {
			return "", &Error{errcode.PersistedQueryNotInList, "this operation is not in the router's list of trusted operations"}
		}
		return query, nil
	case query == "":
		if doc, ok := q.manifest[hash]; ok {
			return doc, nil
		}
		if q.safelist {
			return "", &Error{errcode.PersistedQueryNotInList, "no trusted operation has this id"}
		}
		if !q.apq {
			return "", &Error{errcode.PersistedQueryNotSupported, "PersistedQueryNotSupported"}
		}
		if doc, ok := q.cache.Get(strings.ToLower(hash)); ok {
			return doc, nil
		}
		return "", &Error{errcode.PersistedQueryNotFound, "PersistedQueryNotFound"}
	}
	// Both: the client registers the document under its hash.
	if Hash(query) != strings.ToLower(hash) {
		return "", &Error{errcode.PersistedQueryHashMismatch, "provided sha256Hash does not match the query"}
	}
	if q.safelist {
		if !q.trusted[Hash(query)] {
			return "", &Error{errcode.PersistedQueryNotInList, "this operation is not in the router's list of trusted operations"}
		}
		return query, nil
	}
	if !q.apq {
		return "", &Error{errcode.PersistedQueryNotSupported, "PersistedQueryNotSupported"}
	}
	return query, nil
}

// Register keeps an APQ document under its hash for later requests. The
// router calls it only once the document has passed the limits and
// validation, so a document it refuses is never stored. Requests that named
// no hash, or with APQ off, register nothing.
func (q *Queries) Register(query string, extensions map[string]any) {
	if !q.apq || query == "" {
		return
	}
	hash, err := requestedHash(extensions)
	if err != nil || hash == "" || Hash(query) != strings.ToLower(hash) {
		return
	}
	q.cache.Add(strings.ToLower(hash), query)
}

// CacheBytes is what the registered APQ documents weigh.
func (q *Queries) CacheBytes() int {
	if q.cache == nil {
		return 0
	}
	return q.cache.Bytes()
}

func requestedHash(ext map[string]any) (string, *Error) {
	pq, ok := ext["persistedQuery"]
	if !ok {
		return "", nil
	}
	m, ok := pq.(map[string]any)
	if !ok {
		return "", &Error{errcode.BadRequest, "extensions.persistedQuery must be an object"}
	}
	if v := fmt.Sprint(m["version"]); v != "1" {
		return "", &Error{errcode.BadRequest, "unsupported persistedQuery version " + v}
	}
	h, _ := m["sha256Hash"].(string)
	if h == "" {
		return "", &Error{errcode.BadRequest, "extensions.persistedQuery.sha256Hash is required"}
	}
	return h, nil
}
