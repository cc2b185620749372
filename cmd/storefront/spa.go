package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// site serves the built single-page application from memory: files by
// path, index.html for every client-side route (a path without an
// extension), hashed assets cached for a year, everything else revalidated.
// Text files are gzipped once at start.
type site struct {
	built bool
	files map[string]*file // by path, "/index.html", "/assets/index-abc.js"
}

type file struct {
	body, gzipped []byte
	etag, ctype   string
}

// immutable is the cache policy of content-hashed files: their name changes
// with their content.
const immutable = "public, max-age=31536000, immutable"

// pageCSP is the pages' Content-Security-Policy: scripts, styles and
// connections (GraphQL over HTTP and WebSocket) from this origin only;
// product images may come from any HTTPS host.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"connect-src 'self' %s; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func newSite(fsys fs.FS, built bool) (*site, error) {
	s := &site{built: built, files: map[string]*file{}}
	if !built {
		return s, nil
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := &file{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: mime.TypeByExtension(path.Ext(p))}
		if f.ctype == "" {
			f.ctype = http.DetectContentType(body)
		}
		if compressible(f.ctype) && len(body) > 512 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if buf.Len() < len(body) {
				f.gzipped = buf.Bytes()
			}
		}
		s.files["/"+p] = f
		return nil
	})
	return s, err
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if strings.HasPrefix(p, "/auth/") || p == "/auth" {
		http.NotFound(w, r)
		return
	}
	if !s.built {
		notBuilt(w)
		return
	}
	if f, ok := s.files[p]; ok && p != "/index.html" {
		cache := "no-cache"
		if strings.HasPrefix(p, "/assets/") {
			cache = immutable
		}
		s.send(w, r, f, cache)
		return
	}
	// A client-side route (/products/42, /orders): the app. A missing
	// file (an old asset, /favicon.png) is a real 404.
	if path.Ext(p) != "" {
		http.NotFound(w, r)
		return
	}
	index := s.files["/index.html"]
	w.Header().Set("Content-Security-Policy", strings.Replace(pageCSP, "%s", "ws://"+r.Host+" wss://"+r.Host, 1))
	s.send(w, r, index, "no-cache")
}

// send writes f (gzipped when the client takes it), answering 304 to a
// matching If-None-Match.
func (s *site) send(w http.ResponseWriter, r *http.Request, f *file, cache string) {
	h := w.Header()
	h.Set("Cache-Control", cache)
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	body := f.body
	if f.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			h.Set("ETag", strings.TrimSuffix(f.etag, `"`)+`-gz"`)
			body = f.gzipped
		}
	}
	// ServeContent handles If-None-Match, HEAD and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// notBuilt answers for a binary compiled without the web build.
func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Storefront not built</title>` +
		`<h1>The storefront is not built into this binary</h1>` +
		`<p>Build it with <code>make build</code> (it runs <code>make web</code>: npm ci and the Vite build), then start it again.</p></html>`))
}
