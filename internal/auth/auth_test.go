package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSignedHeader(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := SignedHeader{Secret: []byte("k1"), Now: func() time.Time { return now }}
	valid, err := s.Sign(Claims{Subject: "u1", Roles: []string{RoleAdmin}, Expires: now.Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := s.Sign(Claims{Subject: "u1", Expires: now.Unix()})
	otherKey, _ := SignedHeader{Secret: []byte("k2")}.Sign(Claims{Subject: "u1", Expires: now.Add(time.Minute).Unix()})
	noSubject, _ := s.Sign(Claims{Expires: now.Add(time.Minute).Unix()})

	tests := []struct {
		name, header string
		wantErr      error
		wantAdmin    bool
	}{
		{"valid", valid, nil, true},
		{"absent", "", ErrNoCredentials, false},
		{"expired", expired, ErrInvalidCredentials, false},
		{"signed with another secret", otherKey, ErrInvalidCredentials, false},
		{"no subject", noSubject, ErrInvalidCredentials, false},
		{"garbage", "not-a-token", ErrInvalidCredentials, false},
		{"tampered payload", "eyJzdWIiOiJhZG1pbiJ9." + valid[len(valid)-43:], ErrInvalidCredentials, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			if tt.header != "" {
				r.Header.Set(IdentityHeader, tt.header)
			}
			c, err := s.Authenticate(r)
			if tt.wantErr != nil {
				if err == nil || !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.HasRole(RoleAdmin) != tt.wantAdmin {
				t.Fatalf("admin = %v, want %v", c.HasRole(RoleAdmin), tt.wantAdmin)
			}
		})
	}
}

func TestMiddlewareRefusesForgedIdentity(t *testing.T) {
	s := SignedHeader{Secret: []byte("k1")}
	var sawClaims bool
	h := Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sawClaims = FromContext(r.Context())
	}))

	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set(IdentityHeader, "forged.sig")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("forged: status %d, want 401", w.Code)
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
	if w.Code != http.StatusOK || sawClaims {
		t.Fatalf("anonymous: status %d claims %v, want 200 without claims", w.Code, sawClaims)
	}
}
