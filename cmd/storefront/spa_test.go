package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/clientip"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/service"
)

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// A transport that leaves Accept-Encoding to the test.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestClientRoutesGetTheAppAndAssetsAreCachedForAYear(t *testing.T) {
	_, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	for _, route := range []string{"/", "/products/7b1f", "/orders/42", "/admin", "/signin?next=%2Fcart"} {
		resp, body := get(t, sf.URL+route)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<div id="root">`) {
			t.Errorf("%s: %d %.80q; want index.html", route, resp.StatusCode, body)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q; want no-cache (a new build is seen at once)", route, cc)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", route, csp)
		}
	}
	resp, body := get(t, sf.URL+"/assets/index-abc123.js")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, `console.log("storefront")`) {
		t.Fatalf("asset: %d %.40q", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != immutable {
		t.Errorf("asset Cache-Control %q; want %q", cc, immutable)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("asset Content-Type %q", ct)
	}
	// Gzipped for clients that take it; revalidation by ETag.
	resp, body = get(t, sf.URL+"/assets/index-abc123.js", "Accept-Encoding", "gzip, br")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); !strings.HasPrefix(string(plain), `console.log("storefront")`) {
		t.Errorf("gzipped asset decodes to %.40q", plain)
	}
	resp, _ = get(t, sf.URL+"/")
	etag := resp.Header.Get("ETag")
	if resp, _ := get(t, sf.URL+"/", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d; want 304", etag, resp.StatusCode)
	}
	if resp, _ := get(t, sf.URL+"/robots.txt"); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("robots.txt: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	// A missing file is a 404, not the app: an old asset must not come
	// back as HTML.
	for _, missing := range []string{"/assets/index-old.js", "/favicon.png"} {
		if resp, _ := get(t, sf.URL+missing); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d; want 404", missing, resp.StatusCode)
		}
	}
	if resp, body := get(t, sf.URL+"/auth/unknown"); resp.StatusCode < 400 || strings.Contains(body, "root") {
		t.Errorf("/auth/unknown: %d %.60q; want a refusal, not the app", resp.StatusCode, body)
	}
	if resp, _ := get(t, sf.URL+"/"); resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
}

func TestABinaryWithoutTheBuildSaysSo(t *testing.T) {
	docs, err := parseTrustedDocuments(webDocuments(t))
	if err != nil {
		t.Fatal(err)
	}
	ips, _ := clientip.New(nil)
	h, err := newHandler(handlerConfig{RouterURL: "http://127.0.0.1:1/graphql", RouterTimeout: time.Second, Documents: docs,
		Secure: func(*http.Request) bool { return true }, ClientIP: ips, Log: gqltest.Quiet(), Registry: service.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "make build") {
		t.Errorf("unbuilt: %d %q", resp.StatusCode, body)
	}
}
