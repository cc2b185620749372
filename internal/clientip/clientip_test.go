package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	r, err := New([]string{"127.0.0.1/32", "10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer, xff, want string
	}{
		{"direct client, header ignored", "203.0.113.7:5000", "1.2.3.4", "203.0.113.7"},
		{"through a trusted proxy", "127.0.0.1:5000", "198.51.100.9", "198.51.100.9"},
		{"client spoofs a leading hop", "127.0.0.1:5000", "6.6.6.6, 198.51.100.9", "198.51.100.9"},
		{"chain of trusted proxies", "10.0.0.2:5000", "198.51.100.9, 10.0.0.5", "198.51.100.9"},
		{"trusted proxy, no header", "10.0.0.2:5000", "", "10.0.0.2"},
		{"garbled hop stops the walk", "127.0.0.1:5000", "198.51.100.9, nonsense", "127.0.0.1"},
		{"IPv6 loopback proxy", "[::1]:5000", "2001:db8::1", "2001:db8::1"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.peer
		if tt.xff != "" {
			req.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := r.Of(req).String(); got != tt.want {
			t.Errorf("%s: Of = %s, want %s", tt.name, got, tt.want)
		}
	}
	if _, err := New([]string{"not-a-cidr"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestBucket(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":             "203.0.113.7",
		"::ffff:203.0.113.7":      "203.0.113.7",
		"2001:db8:1:2:aaaa::1":    "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb:cc::9": "2001:db8:1:2::/64", // the same client rotating its address
	} {
		if got := Bucket(netip.MustParseAddr(in)); got != want {
			t.Errorf("Bucket(%s) = %q, want %q", in, got, want)
		}
	}
	if got := Bucket(netip.Addr{}); got != "" {
		t.Errorf("Bucket(zero) = %q", got)
	}
}
