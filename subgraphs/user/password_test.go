package user_test

import (
	"testing"

	"github.com/virtual-store/virtual-store/graph"
)

func TestChangePasswordSignsOutEverywhere(t *testing.T) {
	a := register(t, "pw")
	me := call{bearer: a.access}
	change := `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) { user { id } userErrors { code field } } }`
	if got := me.do(t, change, map[string]any{"c": "wrong passphrase", "n": "brand new passphrase"}).UserErrorCodes("changePassword"); !codesAre(got, graph.CodeInvalidCredentials) {
		t.Fatalf("wrong current: %v", got)
	}
	if got := me.do(t, change, map[string]any{"c": a.password, "n": "short"}).UserErrorCodes("changePassword"); !codesAre(got, graph.CodeWeakPassword) {
		t.Fatalf("weak new: %v", got)
	}
	if r := me.do(t, change, map[string]any{"c": a.password, "n": "brand new passphrase"}); r.Dig("changePassword", "user", "id") != a.id {
		t.Fatalf("change: %v %+v", r.Data, r.Errors)
	}
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeInvalidToken) {
		t.Fatalf("old session survived the password change: %v", got)
	}
	if got := login(t, a.email, a.password, uniqueIP()).UserErrorCodes("login"); got[0] != string(graph.CodeInvalidCredentials) {
		t.Fatalf("old password still works: %v", got)
	}
	if r := login(t, a.email, "brand new passphrase", uniqueIP()); r.Dig("login", "accessToken") == nil {
		t.Fatalf("new password: %v", r.Data)
	}
}

// changePassword checks the current password like a sign-in does: a
// stolen access token is no unlimited password oracle.
func TestChangePasswordGuessesAreThrottled(t *testing.T) {
	a := register(t, "oracle")
	ip := uniqueIP()
	change := func(current string) []string {
		return call{bearer: a.access, clientAddr: ip}.do(t, `mutation($c: String!) { changePassword(input: {currentPassword: $c, newPassword: "another long passphrase"}) { userErrors { code } } }`,
			map[string]any{"c": current}).UserErrorCodes("changePassword")
	}
	for i := range 5 {
		if got := change("wrong passphrase!"); !codesAre(got, graph.CodeInvalidCredentials) {
			t.Fatalf("guess %d: %v", i+1, got)
		}
	}
	if got := change(a.password); !codesAre(got, graph.CodeRateLimited) {
		t.Fatalf("the 6th try, even right: %v, want [%s]", got, graph.CodeRateLimited)
	}
}
