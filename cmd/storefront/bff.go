package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The backend-for-frontend: sign-in, sign-up, refresh and sign-out for the
// browser. The storefront's server calls the router's auth mutations and
// keeps the refresh token in a cookie the page's scripts cannot read
// (HttpOnly), sent only to /auth (Path) and only from this site
// (SameSite=Strict); the browser gets the short-lived access token and
// keeps it in memory. Each refresh rotates the cookie (the user service
// accepts a refresh token once).
//
// CSRF: besides SameSite=Strict, every /auth request must be a JSON POST
// carrying the X-Storefront-CSRF header, which a cross-site form cannot
// send and a cross-site fetch cannot without a CORS preflight this server
// never grants; an Origin or Sec-Fetch-Site naming another site is refused.

// refreshCookie is the refresh token's cookie.
const refreshCookie = "vs_refresh"

// csrfHeader must be on every /auth request.
const csrfHeader = "X-Storefront-CSRF"

// maxAuthBody bounds an /auth request body.
const maxAuthBody = 16 << 10

type bff struct {
	router *routerClient
	secure func(*http.Request) bool
	maxAge time.Duration
	log    *slog.Logger
}

func newBFF(cfg handlerConfig, target *url.URL) (*bff, error) {
	return &bff{
		router: newRouterClient(target.String(), cfg.RouterTimeout, cfg.Documents, cfg.ClientIP),
		secure: cfg.Secure, maxAge: cfg.CookieMaxAge, log: cfg.Log,
	}, nil
}

// userError is the router's UserError, passed on as it is.
type userError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// authPayload is what the auth mutations answer (SessionTokens).
type authPayload struct {
	AccessToken  *string     `json:"accessToken"`
	RefreshToken *string     `json:"refreshToken"`
	ExpiresAt    *string     `json:"expiresAt"`
	UserErrors   []userError `json:"userErrors"`
}

// session is what the browser gets: never the refresh token.
type session struct {
	AccessToken string `json:"accessToken"`
	ExpiresAt   string `json:"expiresAt"`
}

type problem struct {
	Error      string      `json:"error,omitempty"`
	UserErrors []userError `json:"userErrors,omitempty"`
}

func (b *bff) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	var out struct {
		Login authPayload `json:"login"`
	}
	vars := map[string]any{"input": map[string]any{"email": in.Email, "password": in.Password}}
	if b.call(w, r, "StorefrontLogin", vars, &out) {
		b.signedIn(w, r, out.Login, http.StatusBadRequest)
	}
}

func (b *bff) register(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	var out struct {
		Register authPayload `json:"register"`
	}
	vars := map[string]any{"input": map[string]any{"name": in.Name, "email": in.Email, "password": in.Password}}
	if b.call(w, r, "StorefrontRegister", vars, &out) {
		b.signedIn(w, r, out.Register, http.StatusBadRequest)
	}
}

// refresh exchanges the cookie's refresh token for new tokens; the cookie
// rotates. A token the user service refuses (expired, revoked, used twice)
// clears the cookie: 401, sign in again.
func (b *bff) refresh(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(refreshCookie)
	if err != nil || c.Value == "" {
		writeJSON(w, http.StatusUnauthorized, problem{Error: "not signed in"})
		return
	}
	var out struct {
		RefreshToken authPayload `json:"refreshToken"`
	}
	if b.call(w, r, "StorefrontRefresh", map[string]any{"token": c.Value}, &out) {
		b.signedIn(w, r, out.RefreshToken, http.StatusUnauthorized)
	}
}

// logout revokes the cookie's sign-in at the user service and clears the
// cookie, also when the router cannot be reached (the token then expires
// on its own).
func (b *bff) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(refreshCookie); err == nil && c.Value != "" {
		var out struct {
			Logout struct {
				OK bool `json:"ok"`
			} `json:"logout"`
		}
		if err := b.router.do(r.Context(), r, "StorefrontLogout", map[string]any{"refreshToken": c.Value}, &out); err != nil {
			b.log.Warn("sign-out not recorded by the user service", "err", err)
		}
	}
	b.clearCookie(w, r)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// call runs op, answering the browser itself when the router fails.
func (b *bff) call(w http.ResponseWriter, r *http.Request, op string, vars map[string]any, out any) bool {
	err := b.router.do(r.Context(), r, op, vars, out)
	if err == nil {
		return true
	}
	var re *routerError
	if !errors.As(err, &re) {
		re = &routerError{Status: http.StatusBadGateway, Message: "the store cannot answer right now", Err: err}
	}
	b.log.Warn("auth call failed", "operation", op, "status", re.Status, "err", re.Err)
	if re.RetryAfter != "" {
		w.Header().Set("Retry-After", re.RetryAfter)
	}
	writeJSON(w, re.Status, problem{Error: re.Message})
	return false
}

// signedIn sets the cookie and answers the session, or the userErrors
// with failStatus (clearing the cookie).
func (b *bff) signedIn(w http.ResponseWriter, r *http.Request, p authPayload, failStatus int) {
	if p.AccessToken == nil || p.RefreshToken == nil || p.ExpiresAt == nil || len(p.UserErrors) > 0 {
		if failStatus == http.StatusUnauthorized {
			b.clearCookie(w, r)
		}
		if len(p.UserErrors) == 0 {
			p.UserErrors = []userError{{Code: "INVALID_INPUT", Message: "the request was not accepted"}}
		}
		writeJSON(w, failStatus, problem{UserErrors: p.UserErrors})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: refreshCookie, Value: *p.RefreshToken, Path: "/auth",
		MaxAge: int(b.maxAge / time.Second), HttpOnly: true, Secure: b.secure(r), SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, session{AccessToken: *p.AccessToken, ExpiresAt: *p.ExpiresAt})
}

func (b *bff) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: refreshCookie, Value: "", Path: "/auth", MaxAge: -1,
		HttpOnly: true, Secure: b.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

// csrfGuard admits only same-site JSON POSTs that carry the CSRF header.
func csrfGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
			writeJSON(w, http.StatusForbidden, problem{Error: "cross-site request refused"})
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || !strings.EqualFold(u.Host, r.Host) {
				writeJSON(w, http.StatusForbidden, problem{Error: "cross-site request refused"})
				return
			}
		}
		if r.Header.Get(csrfHeader) == "" {
			writeJSON(w, http.StatusForbidden, problem{Error: "missing " + csrfHeader + " header"})
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeJSON(w, http.StatusUnsupportedMediaType, problem{Error: "send application/json"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decode reads a JSON body (an empty one is {}), answering 400 itself.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAuthBody))
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, problem{Error: "the body must be a JSON object"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
