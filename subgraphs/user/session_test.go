package user_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/subgraphs/user"
)

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	a := register(t, "refresh")
	r := anon.do(t, refreshMutation, map[string]any{"t": a.refresh})
	second := r.Dig("refreshToken", "refreshToken")
	if second == nil || second == a.refresh || r.Dig("refreshToken", "user", "id") != a.id {
		t.Fatalf("rotation: %v %+v", r.Data, r.Errors)
	}
	// The first token again: theft suspected, the whole family dies.
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeTokenReused) {
		t.Fatalf("reuse: %v", got)
	}
	if got := anon.do(t, refreshMutation, map[string]any{"t": second}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeInvalidToken) {
		t.Fatalf("descendant after reuse: %v", got)
	}
	for _, bad := range []string{"", "garbage", "vsr_" + strings.Repeat("A", 43)} {
		if got := anon.do(t, refreshMutation, map[string]any{"t": bad}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeInvalidToken) {
			t.Fatalf("token %q: %v", bad, got)
		}
	}
}

// One refresh token presented eight times at once is a replay: the sign-in
// is revoked, whichever request won the rotation. At most one answer
// carries new tokens, and nothing handed out works afterwards (a winner
// whose token was made during the revocation is caught after its insert).
func TestConcurrentRefreshOfOneTokenIsAReplay(t *testing.T) {
	a := register(t, "race")
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	var handedOut []string
	for range 8 {
		wg.Go(func() {
			r := anon.do(t, refreshMutation, map[string]any{"t": a.refresh})
			key := "OK"
			if codes := r.UserErrorCodes("refreshToken"); len(codes) > 0 {
				key = codes[0]
			}
			mu.Lock()
			defer mu.Unlock()
			outcomes[key]++
			if tok, _ := r.Dig("refreshToken", "refreshToken").(string); tok != "" {
				handedOut = append(handedOut, tok)
			}
		})
	}
	wg.Wait()
	if outcomes["OK"] > 1 || outcomes[string(graph.CodeTokenReused)] == 0 || outcomes["OK"]+outcomes[string(graph.CodeTokenReused)]+outcomes[string(graph.CodeInvalidToken)]+outcomes[string(graph.CodeConflict)] != 8 {
		t.Fatalf("outcomes %v, want at most one success and the replay detected", outcomes)
	}
	for _, tok := range handedOut {
		if got := anon.do(t, refreshMutation, map[string]any{"t": tok}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeInvalidToken) {
			t.Fatalf("a token handed out during the replay still works: %v", got)
		}
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	a := register(t, "expiry")
	restore := svc.Accounts.Now
	svc.Accounts.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	defer func() { svc.Accounts.Now = restore }()
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeTokenExpired) {
		t.Fatalf("expired: %v", got)
	}
}

func TestLogout(t *testing.T) {
	a := register(t, "logout")
	for range 2 { // idempotent
		r := anon.do(t, `mutation($t: String!) { logout(refreshToken: $t) { ok userErrors { code } } }`, map[string]any{"t": a.refresh})
		if r.Dig("logout", "ok") != true {
			t.Fatalf("logout: %v %+v", r.Data, r.Errors)
		}
	}
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).UserErrorCodes("refreshToken"); !codesAre(got, graph.CodeInvalidToken) {
		t.Fatalf("refresh after logout: %v", got)
	}
}

// Signing out, changing the password and a replayed refresh token put the
// session on the list the router polls, so its access tokens stop working
// before they expire; other users' sessions are not on it.
func TestRevokedSessionsAreListedForTheRouter(t *testing.T) {
	revoked := func() map[string]bool {
		t.Helper()
		resp, err := router.Get(srv.URL + user.RevokedSessionsPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Sessions []string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("revoked sessions: %d %v", resp.StatusCode, err)
		}
		out := map[string]bool{}
		for _, s := range body.Sessions {
			out[s] = true
		}
		return out
	}
	sid := func(access string) string {
		t.Helper()
		parts := strings.Split(access, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct{ Sid string }
		if err := json.Unmarshal(payload, &c); err != nil || c.Sid == "" {
			t.Fatalf("no sid in the access token: %s", payload)
		}
		return c.Sid
	}
	leaving, changing, bystander := register(t, "leaving"), register(t, "changing"), register(t, "bystander")
	second := login(t, changing.email, changing.password, uniqueIP()) // a second session of the same user
	secondSid := sid(second.Dig("login", "accessToken").(string))
	if secondSid == sid(changing.access) {
		t.Fatal("two sign-ins share a session id")
	}

	anon.do(t, `mutation($t: String!) { logout(refreshToken: $t) { ok } }`, map[string]any{"t": leaving.refresh})
	replayed := register(t, "replayed")
	anon.do(t, refreshMutation, map[string]any{"t": replayed.refresh})
	anon.do(t, refreshMutation, map[string]any{"t": replayed.refresh}) // the same token again
	r := call{bearer: changing.access}.do(t, `mutation { changePassword(input: {currentPassword: "a long passphrase", newPassword: "another long passphrase"}) { userErrors { code } } }`, nil)
	if got := r.UserErrorCodes("changePassword"); len(got) != 0 {
		t.Fatalf("changePassword: %v", got)
	}
	list := revoked()
	for name, s := range map[string]string{"signed out": sid(leaving.access), "password changed": sid(changing.access), "the other session of that user": secondSid,
		"a refresh token replayed": sid(replayed.access)} {
		if !list[s] {
			t.Errorf("%s: session %s is not listed", name, s)
		}
	}
	if list[sid(bystander.access)] {
		t.Error("a bystander's session is listed")
	}
	// Only the router may read it.
	if resp, err := kit.Client(t, pki.Order).Get(srv.URL + user.RevokedSessionsPath); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the order service reading the list: %v %v", resp.StatusCode, err)
	}
}
