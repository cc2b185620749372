package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// authPost posts body to the storefront's /auth route as the storefront's
// page does (JSON, the CSRF header), with the refresh cookie if given;
// edit changes the request before it goes.
func authPost(t *testing.T, sf storefront, route, body string, cookie *http.Cookie, edit func(*http.Request)) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, sf.URL+route, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(csrfHeader, "1")
	req.Header.Set("Origin", sf.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if cookie != nil {
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer map[string]any
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatalf("%s answered %d with no JSON: %s", route, resp.StatusCode, raw)
	}
	return resp, answer
}

func refreshCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == refreshCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie set; Set-Cookie: %q", refreshCookie, resp.Header.Values("Set-Cookie"))
	return nil
}

func signIn(t *testing.T, sf storefront) *http.Cookie {
	t.Helper()
	resp, answer := authPost(t, sf, "/auth/login", `{"email":"`+shopperEmail+`","password":"`+shopperPassword+`"}`, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %v", resp.StatusCode, answer)
	}
	return refreshCookieOf(t, resp)
}

func userErrorCode(answer map[string]any) string {
	errs, _ := answer["userErrors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	first, _ := errs[0].(map[string]any)
	code, _ := first["code"].(string)
	return code
}

func TestSignInKeepsTheRefreshTokenInAnHttpOnlyStrictCookie(t *testing.T) {
	_, router := newFakeRouter(t)
	for _, secure := range []bool{true, false} {
		sf := newStorefront(t, router.URL+"/graphql", secure)
		resp, answer := authPost(t, sf, "/auth/login", `{"email":"`+shopperEmail+`","password":"`+shopperPassword+`"}`, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-in: %d %v", resp.StatusCode, answer)
		}
		if tok, _ := answer["accessToken"].(string); !strings.HasPrefix(tok, "access-") || answer["expiresAt"] == nil {
			t.Errorf("answer %v: want the access token and its expiry", answer)
		}
		if _, ok := answer["refreshToken"]; ok {
			t.Errorf("the refresh token reached the page: %v", answer)
		}
		c := refreshCookieOf(t, resp)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/auth" || c.Secure != secure || c.MaxAge != 30*24*3600 {
			t.Errorf("secure=%v: cookie %q: want HttpOnly, SameSite=Strict, Path=/auth, Secure=%v, Max-Age 30 days", secure, resp.Header.Get("Set-Cookie"), secure)
		}
		if !strings.HasPrefix(c.Value, "refresh-") {
			t.Errorf("cookie value %q: want the refresh token", c.Value)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q: want no-store", cc)
		}
	}
}

func TestSignInAndRegisterPassOnUserErrors(t *testing.T) {
	_, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	resp, answer := authPost(t, sf, "/auth/login", `{"email":"`+shopperEmail+`","password":"wrong password"}`, nil, nil)
	if resp.StatusCode != http.StatusBadRequest || userErrorCode(answer) != "INVALID_CREDENTIALS" {
		t.Errorf("wrong password: %d %v; want 400 INVALID_CREDENTIALS", resp.StatusCode, answer)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("a failed sign-in set %q", resp.Header.Values("Set-Cookie"))
	}
	resp, answer = authPost(t, sf, "/auth/register", `{"name":"Shopper","email":"new@example.com","password":"short"}`, nil, nil)
	errs, _ := answer["userErrors"].([]any)
	if resp.StatusCode != http.StatusBadRequest || len(errs) != 1 {
		t.Fatalf("weak password: %d %v", resp.StatusCode, answer)
	}
	if field := errs[0].(map[string]any)["field"]; len(field.([]any)) != 2 || field.([]any)[1] != "password" {
		t.Errorf("field %v: want [input password], for the form to show it next to the password", field)
	}
	resp, _ = authPost(t, sf, "/auth/register", `{"name":"Shopper","email":"new@example.com","password":"a long password"}`, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("register: %d", resp.StatusCode)
	}
	refreshCookieOf(t, resp)
}

func TestRefreshRotatesTheCookieAndAReusedTokenSignsOut(t *testing.T) {
	_, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	first := signIn(t, sf)

	resp, answer := authPost(t, sf, "/auth/refresh", `{}`, first, nil)
	if resp.StatusCode != http.StatusOK || answer["accessToken"] == nil {
		t.Fatalf("refresh: %d %v", resp.StatusCode, answer)
	}
	second := refreshCookieOf(t, resp)
	if second.Value == first.Value || second.MaxAge <= 0 {
		t.Fatalf("refresh kept the cookie %q (or cleared it): want a new token", second.Value)
	}

	// The first token again (a stolen copy): refused, the cookie cleared,
	// and the sign-in revoked, so the second token fails too.
	resp, answer = authPost(t, sf, "/auth/refresh", `{}`, first, nil)
	if resp.StatusCode != http.StatusUnauthorized || userErrorCode(answer) != "TOKEN_REUSED" {
		t.Errorf("reused token: %d %v; want 401 TOKEN_REUSED", resp.StatusCode, answer)
	}
	if c := refreshCookieOf(t, resp); c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("reused token: cookie %q: want it cleared", resp.Header.Get("Set-Cookie"))
	}
	if resp, _ := authPost(t, sf, "/auth/refresh", `{}`, second, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after reuse, the rotated token still refreshed: %d", resp.StatusCode)
	}
	if resp, answer := authPost(t, sf, "/auth/refresh", `{}`, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh without a cookie: %d %v; want 401", resp.StatusCode, answer)
	}
}

func TestLogoutRevokesAndClearsTheCookie(t *testing.T) {
	fake, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	c := signIn(t, sf)
	resp, answer := authPost(t, sf, "/auth/logout", `{}`, c, nil)
	if resp.StatusCode != http.StatusOK || answer["ok"] != true {
		t.Fatalf("logout: %d %v", resp.StatusCode, answer)
	}
	cleared := refreshCookieOf(t, resp)
	if cleared.Value != "" || cleared.MaxAge >= 0 || cleared.Path != "/auth" || !cleared.HttpOnly {
		t.Errorf("logout: Set-Cookie %q: want the cookie cleared at Path=/auth", resp.Header.Get("Set-Cookie"))
	}
	fake.mu.Lock()
	ops := append([]string(nil), fake.lastOps...)
	fake.mu.Unlock()
	if ops[len(ops)-1] != "StorefrontLogout" {
		t.Errorf("the router saw %v: want the sign-out recorded", ops)
	}
	if resp, _ := authPost(t, sf, "/auth/refresh", `{}`, c, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the signed-out token still refreshed: %d", resp.StatusCode)
	}
}

func TestAuthRoutesRefuseCrossSiteRequests(t *testing.T) {
	fake, router := newFakeRouter(t)
	sf := newStorefront(t, router.URL+"/graphql", true)
	body := `{"email":"` + shopperEmail + `","password":"` + shopperPassword + `"}`
	for _, tc := range []struct {
		name string
		edit func(*http.Request)
		want int
	}{
		{"no CSRF header", func(r *http.Request) { r.Header.Del(csrfHeader) }, http.StatusForbidden},
		{"a form post", func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, http.StatusUnsupportedMediaType},
		{"text/plain", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, http.StatusUnsupportedMediaType},
		{"another origin", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, http.StatusForbidden},
		{"cross-site fetch", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"same-site subdomain", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, http.StatusForbidden},
	} {
		resp, answer := authPost(t, sf, "/auth/login", body, nil, tc.edit)
		if resp.StatusCode != tc.want || len(resp.Cookies()) != 0 {
			t.Errorf("%s: %d %v (cookies %q); want %d and no cookie", tc.name, resp.StatusCode, answer, resp.Header.Values("Set-Cookie"), tc.want)
		}
	}
	resp, err := http.Get(sf.URL + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /auth/login: %d; want a refusal (403 or 405), never the page", resp.StatusCode)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.lastOps) != 0 {
		t.Errorf("refused requests reached the router: %v", fake.lastOps)
	}
}

func TestAuthAnswersWhenTheRouterIsDown(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL + "/graphql"
	down.Close()
	sf := newStorefront(t, url, true)
	resp, answer := authPost(t, sf, "/auth/login", `{"email":"a@example.com","password":"a long password"}`, nil, nil)
	if resp.StatusCode != http.StatusBadGateway || answer["error"] == nil {
		t.Errorf("router down: %d %v; want 502 with an error", resp.StatusCode, answer)
	}
	// Sign-out still clears the cookie.
	resp, _ = authPost(t, sf, "/auth/logout", `{}`, &http.Cookie{Name: refreshCookie, Value: "refresh-1"}, nil)
	if c := refreshCookieOf(t, resp); resp.StatusCode != http.StatusOK || c.MaxAge >= 0 {
		t.Errorf("logout with the router down: %d %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
}
