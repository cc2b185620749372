package user_test

import (
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/auth"
)

func TestRegister(t *testing.T) {
	a := register(t, "reg")
	r := call{bearer: a.access}.do(t, `{ me { id email roles name } }`, nil)
	if r.Dig("me", "id") != a.id || r.Dig("me", "roles", 0) != auth.RoleCustomer {
		t.Fatalf("me = %v %+v", r.Data, r.Errors)
	}
	reg := `mutation($e: String!, $p: String!, $n: String!) { register(input: {email: $e, password: $p, name: $n}) { accessToken userErrors { code field } } }`
	tests := []struct {
		name, email, password, userName string
		want                            []graph.UserErrorCode
	}{
		{"email taken, other case", strings.ToUpper(a.email), "another passphrase", "X", []graph.UserErrorCode{graph.CodeEmailTaken}},
		{"malformed email", "not-an-email", "another passphrase", "X", []graph.UserErrorCode{graph.CodeInvalidEmail}},
		{"display-name email", "Ann <ann@shop.test>", "another passphrase", "X", []graph.UserErrorCode{graph.CodeInvalidEmail}},
		{"short password", uniqueEmail("r"), "short", "X", []graph.UserErrorCode{graph.CodeWeakPassword}},
		{"password is the email", "same-as-password@shop.test", "same-as-password@shop.test", "X", []graph.UserErrorCode{graph.CodeWeakPassword}},
		{"no name", uniqueEmail("r"), "another passphrase", "  ", []graph.UserErrorCode{graph.CodeInvalidInput}},
		{"everything wrong", "x", "y", "", []graph.UserErrorCode{graph.CodeInvalidEmail, graph.CodeWeakPassword, graph.CodeInvalidInput}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := anon.do(t, reg, map[string]any{"e": tt.email, "p": tt.password, "n": tt.userName})
			if got := r.UserErrorCodes("register"); !codesAre(got, tt.want...) || r.Dig("register", "accessToken") != nil {
				t.Fatalf("userErrors = %v, want %v (data %v)", got, tt.want, r.Data)
			}
		})
	}
}

// Registrations are counted per client address.
func TestRegisterThrottlePerClientIP(t *testing.T) {
	ip := uniqueIP()
	reg := func(from string) []string {
		r := call{clientAddr: from}.do(t, `mutation($e: String!) { register(input: {email: $e, password: "a long passphrase", name: "Bulk"}) { accessToken userErrors { code } } }`,
			map[string]any{"e": uniqueEmail("bulk")})
		return r.UserErrorCodes("register")
	}
	for i := range 20 {
		if got := reg(ip); len(got) != 0 {
			t.Fatalf("registration %d: %v", i+1, got)
		}
	}
	if got := reg(ip); !codesAre(got, graph.CodeRateLimited) {
		t.Fatalf("21st registration from one address: %v, want %s", got, graph.CodeRateLimited)
	}
	if got := reg(uniqueIP()); len(got) != 0 {
		t.Fatalf("another address: %v", got)
	}
}
