package playground

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The page loads nothing from the internet: every script and stylesheet is
// served by the router itself, with a fitting content type.
func TestPageIsSelfContained(t *testing.T) {
	srv := httptest.NewServer(Handler("/playground", "/graphql"))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), "http://") || strings.Contains(string(page), "https://") {
		t.Fatalf("the page refers to another site:\n%s", page)
	}
	if !strings.Contains(string(page), `url: "/graphql"`) {
		t.Fatalf("the page does not call /graphql:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) != 4 {
		t.Fatalf("%d assets referenced, want 4 (React, ReactDOM, GraphiQL JS and CSS)", len(refs))
	}
	for _, ref := range refs {
		resp, err := http.Get(srv.URL + ref[1])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != 200 || len(body) < 1000 || !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Errorf("%s: %d, %d bytes, %s", ref[1], resp.StatusCode, len(body), ct)
		}
	}
}

func TestWantsHTML(t *testing.T) {
	for _, tt := range []struct {
		method, url, accept string
		want                bool
	}{
		{http.MethodGet, "/graphql", "text/html,application/xhtml+xml", true},
		{http.MethodGet, "/graphql?query={__typename}", "text/html", false},
		{http.MethodGet, "/graphql", "application/json", false},
		{http.MethodPost, "/graphql", "text/html", false},
	} {
		r := httptest.NewRequest(tt.method, tt.url, nil)
		r.Header.Set("Accept", tt.accept)
		if got := WantsHTML(r); got != tt.want {
			t.Errorf("%s %s Accept %s: %v, want %v", tt.method, tt.url, tt.accept, got, tt.want)
		}
	}
}
