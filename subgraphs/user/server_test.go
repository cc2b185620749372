package user_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gjwt "github.com/golang-jwt/jwt/v5"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/devmongo"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/user"
	"github.com/virtual-store/virtual-store/subgraphs/user/password"
	"github.com/virtual-store/virtual-store/subgraphs/user/store"
)

const (
	adminEmail    = "root@shop.test"
	adminPassword = "root-password-123"
)

var (
	testCfg  user.Config // the package's service configuration
	mongoURI string
	srv      *httptest.Server // the service port, mutual TLS
	adminSrv *httptest.Server // the admin port
	kit      *pkitest.Kit
	router   *http.Client // speaks as the router, the service's only caller
	svc      *user.Service
	logs     syncBuffer
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMain runs the package against a fresh embedded MongoDB-compatible server.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "user-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	mongo, err := devmongo.Start(ctx, dir+"/mongo", log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer mongo.Stop()
	cfg := user.Config{
		MongoURI: mongo.URI, Database: "user_test", DataDir: dir,
		JWTIssuer: "http://user.test", JWTAudience: "virtual-store",
		AccessTokenTTL: 15 * time.Minute, RefreshTokenTTL: 720 * time.Hour,
		Argon2MemoryKiB: 8 * 1024, Argon2Time: 1, Argon2Threads: 1, // fast hashes for tests
		LoginWindow: 15 * time.Minute, LoginMaxPerIP: 20, LoginMaxPerPair: 5, LoginSlowAfter: 5,
		LoginMaxGap: 10 * time.Second, LoginKnownFor: 24 * time.Hour,
		RegisterWindow: time.Hour, RegisterMaxPerIP: 20,
		BootstrapAdminEmail: adminEmail, BootstrapAdminPassword: adminPassword,
		ComplexityLimit: 2000,
	}
	mongoURI, testCfg = mongo.URI, cfg
	svc, err = user.New(ctx, cfg, service.Common{Environment: service.EnvDevelopment}, log, service.NewRegistry())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer svc.Close()
	if kit, err = pkitest.Make(dir + "/pki"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	src, err := kit.Load(pki.User)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rs, err := kit.Load(pki.Router)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	router = pkitest.ClientOf(rs)
	srv = pkitest.Listen(src, svc.Handler)
	defer srv.Close()
	adminSrv = httptest.NewServer(svc.Admin)
	defer adminSrv.Close()
	return m.Run()
}

type result struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	status int
}

func (r result) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// userErrorCodes returns the codes of the userErrors of a mutation payload.
func (r result) userErrorCodes(field string) []string {
	var out []string
	for _, ue := range dig(r.Data, field, "userErrors").([]any) {
		out = append(out, dig(ue, "code").(string))
	}
	return out
}

// call is a request as the router forwards it: the caller's access token
// verified into claims, and the client's address, in the router's statement.
type call struct {
	bearer, clientAddr string
}

func (c call) do(t *testing.T, query string, vars map[string]any) result {
	t.Helper()
	st := auth.Statement{Claims: auth.Claims{Expires: time.Now().Add(time.Minute).Unix()}, Audience: pki.User, ClientAddr: cmp.Or(c.clientAddr, "192.0.2.1")}
	if c.bearer != "" {
		claims, err := svc.Tokens.Verify(c.bearer) // what the router does with the JWKS
		if err != nil {
			t.Fatalf("the router would refuse this token: %v", err)
		}
		st.Claims = claims
	}
	ident, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.IdentityHeader, ident)
	resp, err := router.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r result
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode: %v", err)
	}
	r.status = resp.StatusCode
	return r
}

var anon = call{}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

const authFields = `accessToken refreshToken expiresAt user { id email roles } userErrors { code field message }`

var seq int

// uniqueIP is a client address no other test (or repeated run) has used.
func uniqueIP() string {
	seq++
	n := int(time.Now().UnixNano()/1e3%60000) + seq
	return fmt.Sprintf("100.64.%d.%d", n/250%250, n%250+1)
}

func uniqueEmail(prefix string) string {
	seq++
	return fmt.Sprintf("%s-%d-%d@shop.test", prefix, time.Now().UnixNano()%1e6, seq)
}

type account struct {
	id, email, password, access, refresh string
}

func register(t *testing.T, prefix string) account {
	t.Helper()
	a := account{email: uniqueEmail(prefix), password: "a long passphrase"}
	// From an address of its own: registrations are throttled per address.
	r := call{clientAddr: uniqueIP()}.do(t, `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p, name: "Test"}) { `+authFields+` } }`,
		map[string]any{"e": a.email, "p": a.password})
	if codes := r.userErrorCodes("register"); len(codes) > 0 || len(r.Errors) > 0 {
		t.Fatalf("register: %v %+v", codes, r.Errors)
	}
	a.id = dig(r.Data, "register", "user", "id").(string)
	a.access = dig(r.Data, "register", "accessToken").(string)
	a.refresh = dig(r.Data, "register", "refreshToken").(string)
	return a
}

func login(t *testing.T, email, password, ip string) result {
	t.Helper()
	return call{clientAddr: ip}.do(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { `+authFields+` } }`,
		map[string]any{"e": email, "p": password})
}

func TestRegister(t *testing.T) {
	a := register(t, "reg")
	r := call{bearer: a.access}.do(t, `{ me { id email roles name } }`, nil)
	if dig(r.Data, "me", "id") != a.id || dig(r.Data, "me", "roles", 0) != "CUSTOMER" {
		t.Fatalf("me = %v %+v", r.Data, r.Errors)
	}
	reg := `mutation($e: String!, $p: String!, $n: String!) { register(input: {email: $e, password: $p, name: $n}) { accessToken userErrors { code field } } }`
	tests := []struct {
		name, email, password, userName string
		want                            []string
	}{
		{"email taken, other case", strings.ToUpper(a.email), "another passphrase", "X", []string{"EMAIL_TAKEN"}},
		{"malformed email", "not-an-email", "another passphrase", "X", []string{"INVALID_EMAIL"}},
		{"display-name email", "Ann <ann@shop.test>", "another passphrase", "X", []string{"INVALID_EMAIL"}},
		{"short password", uniqueEmail("r"), "short", "X", []string{"WEAK_PASSWORD"}},
		{"password is the email", "same-as-password@shop.test", "same-as-password@shop.test", "X", []string{"WEAK_PASSWORD"}},
		{"no name", uniqueEmail("r"), "another passphrase", "  ", []string{"INVALID_INPUT"}},
		{"everything wrong", "x", "y", "", []string{"INVALID_EMAIL", "WEAK_PASSWORD", "INVALID_INPUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := anon.do(t, reg, map[string]any{"e": tt.email, "p": tt.password, "n": tt.userName})
			if got := r.userErrorCodes("register"); strings.Join(got, ",") != strings.Join(tt.want, ",") || dig(r.Data, "register", "accessToken") != nil {
				t.Fatalf("userErrors = %v, want %v (data %v)", got, tt.want, r.Data)
			}
		})
	}
}

func TestLoginNeverRevealsWhetherEmailExists(t *testing.T) {
	a := register(t, "login")
	wrong := login(t, a.email, "wrong passphrase!", uniqueIP())
	unknown := login(t, uniqueEmail("nobody"), "wrong passphrase!", uniqueIP())
	w, u := dig(wrong.Data, "login", "userErrors", 0), dig(unknown.Data, "login", "userErrors", 0)
	if dig(w, "code") != "INVALID_CREDENTIALS" || fmt.Sprint(w) != fmt.Sprint(u) {
		t.Fatalf("wrong password %v vs unknown email %v: must be identical INVALID_CREDENTIALS", w, u)
	}
	ok := login(t, strings.ToUpper(a.email), a.password, uniqueIP())
	if dig(ok.Data, "login", "user", "id") != a.id || dig(ok.Data, "login", "accessToken") == nil {
		t.Fatalf("login with other-case email: %v", ok.Data)
	}
	if strings.Contains(logs.String(), "$argon2id") || strings.Contains(logs.String(), a.password) {
		t.Fatal("a password or hash reached the logs")
	}
}

// A guesser at one address is refused on that account, but the owner at
// another address still signs in: an account under attack is only slowed
// down, and not at all from where its owner signed in before.
func TestFailedSignInsNeverLockOutTheOwner(t *testing.T) {
	a := register(t, "throttle")
	guesser, owner, elsewhere := uniqueIP(), uniqueIP(), uniqueIP()
	for i := range 5 {
		r := login(t, a.email, "wrong passphrase!", guesser)
		if got := r.userErrorCodes("login"); len(got) != 1 || got[0] != "INVALID_CREDENTIALS" {
			t.Fatalf("attempt %d: %v", i+1, got)
		}
	}
	r := login(t, a.email, a.password, guesser) // even the right password
	if got := r.userErrorCodes("login"); len(got) != 1 || got[0] != "RATE_LIMITED" || dig(r.Data, "login", "accessToken") != nil {
		t.Fatalf("6th attempt from the guessing address: %v", got)
	}
	if msg := dig(r.Data, "login", "userErrors", 0, "message").(string); !strings.Contains(msg, "try again in") {
		t.Fatalf("message %q does not say when to retry", msg)
	}
	if r := login(t, a.email, a.password, owner); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("the owner at another address: %v", r.userErrorCodes("login"))
	}
	// The account is paced (one try per second after 5 failures): right
	// after the owner's sign-in, a third address waits its turn...
	clock := time.Now()
	svc.Accounts.Now = func() time.Time { return clock }
	defer func() { svc.Accounts.Now = time.Now }()
	if got := login(t, a.email, a.password, elsewhere).userErrorCodes("login"); len(got) != 1 || got[0] != "RATE_LIMITED" {
		t.Fatalf("a new address right after another try: %v, want RATE_LIMITED (paced)", got)
	}
	// ...but where the owner signed in before is never paced,
	if r := login(t, a.email, a.password, owner); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("the owner's known address: %v", r.userErrorCodes("login"))
	}
	// and the new address gets its turn two seconds later.
	clock = clock.Add(2 * time.Second)
	if r := login(t, a.email, a.password, elsewhere); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("a new address after the gap: %v", r.userErrorCodes("login"))
	}
	// The window passing frees the guessing address too.
	clock = clock.Add(16 * time.Minute)
	if r := login(t, a.email, a.password, guesser); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("after the window: %v", r.userErrorCodes("login"))
	}
}

// The gap between tries of an account under attack doubles with every
// failure and stops growing at the maximum.
func TestSignInGapGrows(t *testing.T) {
	th := svc.Accounts.Throttle
	for n, want := range map[int64]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 8: 8 * time.Second, 9: 10 * time.Second, 1_000_000: 10 * time.Second} {
		if got := th.Gap(n); got != want {
			t.Errorf("gap after %d failures = %v, want %v", n, got, want)
		}
	}
}

// Registrations are counted per client address.
func TestRegisterThrottlePerClientIP(t *testing.T) {
	ip := uniqueIP()
	reg := func(from string) []string {
		r := call{clientAddr: from}.do(t, `mutation($e: String!) { register(input: {email: $e, password: "a long passphrase", name: "Bulk"}) { accessToken userErrors { code } } }`,
			map[string]any{"e": uniqueEmail("bulk")})
		return r.userErrorCodes("register")
	}
	for i := range 20 {
		if got := reg(ip); len(got) != 0 {
			t.Fatalf("registration %d: %v", i+1, got)
		}
	}
	if got := reg(ip); len(got) != 1 || got[0] != "RATE_LIMITED" {
		t.Fatalf("21st registration from one address: %v, want RATE_LIMITED", got)
	}
	if got := reg(uniqueIP()); len(got) != 0 {
		t.Fatalf("another address: %v", got)
	}
}

func TestLoginThrottlePerClientIP(t *testing.T) {
	ip := uniqueIP()
	for i := range 20 {
		r := login(t, uniqueEmail("spray"), "wrong passphrase!", ip)
		if got := r.userErrorCodes("login"); got[0] != "INVALID_CREDENTIALS" {
			t.Fatalf("attempt %d: %v", i+1, got)
		}
	}
	a := register(t, "victim")
	if got := login(t, a.email, a.password, ip).userErrorCodes("login"); len(got) != 1 || got[0] != "RATE_LIMITED" {
		t.Fatalf("21st attempt from the address: %v", got)
	}
	if r := login(t, a.email, a.password, uniqueIP()); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("another address is not throttled: %v", r.Data)
	}
}

const refreshMutation = `mutation($t: String!) { refreshToken(token: $t) { ` + authFields + ` } }`

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	a := register(t, "refresh")
	r := anon.do(t, refreshMutation, map[string]any{"t": a.refresh})
	second := dig(r.Data, "refreshToken", "refreshToken")
	if second == nil || second == a.refresh || dig(r.Data, "refreshToken", "user", "id") != a.id {
		t.Fatalf("rotation: %v %+v", r.Data, r.Errors)
	}
	// The first token again: theft suspected, the whole family dies.
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "TOKEN_REUSED" {
		t.Fatalf("reuse: %v", got)
	}
	if got := anon.do(t, refreshMutation, map[string]any{"t": second}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "INVALID_TOKEN" {
		t.Fatalf("descendant after reuse: %v", got)
	}
	for _, bad := range []string{"", "garbage", "vsr_" + strings.Repeat("A", 43)} {
		if got := anon.do(t, refreshMutation, map[string]any{"t": bad}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "INVALID_TOKEN" {
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
			if codes := r.userErrorCodes("refreshToken"); len(codes) > 0 {
				key = codes[0]
			}
			mu.Lock()
			defer mu.Unlock()
			outcomes[key]++
			if tok, _ := dig(r.Data, "refreshToken", "refreshToken").(string); tok != "" {
				handedOut = append(handedOut, tok)
			}
		})
	}
	wg.Wait()
	if outcomes["OK"] > 1 || outcomes["TOKEN_REUSED"] == 0 || outcomes["OK"]+outcomes["TOKEN_REUSED"]+outcomes["INVALID_TOKEN"]+outcomes["CONFLICT"] != 8 {
		t.Fatalf("outcomes %v, want at most one success and the replay detected", outcomes)
	}
	for _, tok := range handedOut {
		if got := anon.do(t, refreshMutation, map[string]any{"t": tok}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "INVALID_TOKEN" {
			t.Fatalf("a token handed out during the replay still works: %v", got)
		}
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	a := register(t, "expiry")
	restore := svc.Accounts.Now
	svc.Accounts.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	defer func() { svc.Accounts.Now = restore }()
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "TOKEN_EXPIRED" {
		t.Fatalf("expired: %v", got)
	}
}

func TestLogout(t *testing.T) {
	a := register(t, "logout")
	for range 2 { // idempotent
		r := anon.do(t, `mutation($t: String!) { logout(refreshToken: $t) { ok userErrors { code } } }`, map[string]any{"t": a.refresh})
		if dig(r.Data, "logout", "ok") != true {
			t.Fatalf("logout: %v %+v", r.Data, r.Errors)
		}
	}
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "INVALID_TOKEN" {
		t.Fatalf("refresh after logout: %v", got)
	}
}

func TestProfileAndAddresses(t *testing.T) {
	a := register(t, "profile")
	me := call{bearer: a.access}
	if got := anon.do(t, `mutation { updateProfile(input: {name: "X"}) { user { id } } }`, nil).codes(); len(got) != 1 || got[0] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous update: %v", got)
	}
	r := me.do(t, `mutation { updateProfile(input: {name: " Ann Lee ", phone: "+49 30 1234567"}) { user { name phone } userErrors { code } } }`, nil)
	if dig(r.Data, "updateProfile", "user", "name") != "Ann Lee" || dig(r.Data, "updateProfile", "user", "phone") != "+49 30 1234567" {
		t.Fatalf("update profile: %v %+v", r.Data, r.Errors)
	}
	r = me.do(t, `mutation { updateProfile(input: {phone: "call me maybe"}) { user { phone } userErrors { code field } } }`, nil)
	if got := r.userErrorCodes("updateProfile"); len(got) != 1 || got[0] != "INVALID_INPUT" {
		t.Fatalf("bad phone: %v", got)
	}

	add := `mutation($in: AddressInput!) { addAddress(input: $in) { user { addresses { id city isDefaultShipping } defaultShippingAddress { id } } userErrors { code field } } }`
	home := map[string]any{"label": "Home", "fullName": "Ann Lee", "line1": "Main St 1", "city": "Berlin", "postalCode": "10115", "country": "de"}
	r = me.do(t, add, map[string]any{"in": home})
	first := dig(r.Data, "addAddress", "user", "addresses", 0, "id")
	if first == nil || dig(r.Data, "addAddress", "user", "addresses", 0, "isDefaultShipping") != true {
		t.Fatalf("first address is not the default: %v %+v", r.Data, r.Errors)
	}
	office := map[string]any{"fullName": "Ann Lee", "line1": "Work Rd 5", "city": "Munich", "postalCode": "80331", "country": "DE", "makeDefault": true}
	r = me.do(t, add, map[string]any{"in": office})
	second := dig(r.Data, "addAddress", "user", "addresses", 1, "id")
	if dig(r.Data, "addAddress", "user", "defaultShippingAddress", "id") != second {
		t.Fatalf("makeDefault: %v", r.Data)
	}
	bad := map[string]any{"fullName": "", "line1": "x", "city": "x", "postalCode": "x", "country": "XX"}
	if got := me.do(t, add, map[string]any{"in": bad}).userErrorCodes("addAddress"); len(got) != 2 || got[0] != "INVALID_INPUT" {
		t.Fatalf("invalid address: %v", got)
	}

	r = me.do(t, `mutation($id: ID!, $in: AddressInput!) { updateAddress(id: $id, input: $in) { user { addresses { id city } } userErrors { code } } }`,
		map[string]any{"id": first, "in": map[string]any{"fullName": "Ann Lee", "line1": "New St 2", "city": "Hamburg", "postalCode": "20095", "country": "DE"}})
	if dig(r.Data, "updateAddress", "user", "addresses", 0, "city") != "Hamburg" {
		t.Fatalf("update address: %v %+v", r.Data, r.Errors)
	}
	r = me.do(t, `mutation($id: ID!) { setDefaultShippingAddress(id: $id) { user { defaultShippingAddress { id } } } }`, map[string]any{"id": first})
	if dig(r.Data, "setDefaultShippingAddress", "user", "defaultShippingAddress", "id") != first {
		t.Fatalf("set default: %v", r.Data)
	}
	remove := `mutation($id: ID!) { removeAddress(id: $id) { user { addresses { id } defaultShippingAddress { id } } userErrors { code } } }`
	r = me.do(t, remove, map[string]any{"id": first})
	if dig(r.Data, "removeAddress", "user", "defaultShippingAddress", "id") != second || len(dig(r.Data, "removeAddress", "user", "addresses").([]any)) != 1 {
		t.Fatalf("removing the default moves it: %v", r.Data)
	}
	if got := me.do(t, remove, map[string]any{"id": first}).userErrorCodes("removeAddress"); len(got) != 1 || got[0] != "NOT_FOUND" {
		t.Fatalf("remove twice: %v", got)
	}
	if got := me.do(t, `mutation { setDefaultShippingAddress(id: "nope") { userErrors { code } } }`, nil).userErrorCodes("setDefaultShippingAddress"); len(got) != 1 || got[0] != "NOT_FOUND" {
		t.Fatalf("default unknown: %v", got)
	}
}

func TestChangePasswordSignsOutEverywhere(t *testing.T) {
	a := register(t, "pw")
	me := call{bearer: a.access}
	change := `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) { user { id } userErrors { code field } } }`
	if got := me.do(t, change, map[string]any{"c": "wrong passphrase", "n": "brand new passphrase"}).userErrorCodes("changePassword"); len(got) != 1 || got[0] != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong current: %v", got)
	}
	if got := me.do(t, change, map[string]any{"c": a.password, "n": "short"}).userErrorCodes("changePassword"); len(got) != 1 || got[0] != "WEAK_PASSWORD" {
		t.Fatalf("weak new: %v", got)
	}
	if r := me.do(t, change, map[string]any{"c": a.password, "n": "brand new passphrase"}); dig(r.Data, "changePassword", "user", "id") != a.id {
		t.Fatalf("change: %v %+v", r.Data, r.Errors)
	}
	if got := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}).userErrorCodes("refreshToken"); len(got) != 1 || got[0] != "INVALID_TOKEN" {
		t.Fatalf("old session survived the password change: %v", got)
	}
	if got := login(t, a.email, a.password, uniqueIP()).userErrorCodes("login"); got[0] != "INVALID_CREDENTIALS" {
		t.Fatalf("old password still works: %v", got)
	}
	if r := login(t, a.email, "brand new passphrase", uniqueIP()); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("new password: %v", r.Data)
	}
}

func TestRolesAndPrivacy(t *testing.T) {
	adm := login(t, adminEmail, adminPassword, uniqueIP())
	adminToken, _ := dig(adm.Data, "login", "accessToken").(string)
	if dig(adm.Data, "login", "user", "roles") == nil || !strings.Contains(fmt.Sprint(dig(adm.Data, "login", "user", "roles")), "ADMIN") {
		t.Fatalf("bootstrap admin: %v", adm.Data)
	}
	a, b := register(t, "alice"), register(t, "bob")
	grant := `mutation($u: ID!) { grantRole(userId: $u, role: ADMIN) { user { roles } userErrors { code } } }`
	if got := (call{bearer: a.access}).do(t, grant, map[string]any{"u": a.id}).codes(); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Fatalf("customer grants: %v", got)
	}
	// Bob sees Alice's public name, not her email.
	r := call{bearer: b.access}.do(t, `query($u: ID!) { user(id: $u) { name email } }`, map[string]any{"u": a.id})
	if got := r.codes(); len(got) != 1 || got[0] != "FORBIDDEN" {
		t.Fatalf("bob reads alice: %v %v", got, r.Data)
	}
	r = anon.do(t, `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "User", "id": a.id}, map[string]any{"__typename": "User", "id": "missing"}, map[string]any{"__typename": "User", "id": b.id}}})
	ents := r.Data["_entities"].([]any)
	if len(ents) != 3 || dig(ents, 0, "name") != "Test" || dig(ents, 0, "email") != nil || ents[1] != nil || dig(ents, 2, "id") != b.id {
		t.Fatalf("entities: %v", ents)
	}
	if got := r.codes(); len(got) != 2 || got[0] != "FORBIDDEN" {
		t.Fatalf("anonymous entity email: %v", got)
	}
	// The admin reads and promotes.
	r = call{bearer: adminToken}.do(t, `query($u: ID!) { user(id: $u) { email } }`, map[string]any{"u": a.id})
	if dig(r.Data, "user", "email") != a.email {
		t.Fatalf("admin reads alice: %v %+v", r.Data, r.Errors)
	}
	r = call{bearer: adminToken}.do(t, grant, map[string]any{"u": a.id})
	if fmt.Sprint(dig(r.Data, "grantRole", "user", "roles")) != "[ADMIN CUSTOMER]" {
		t.Fatalf("grant: %v %+v", r.Data, r.Errors)
	}
	revoke := `mutation($u: ID!) { revokeRole(userId: $u, role: ADMIN) { user { roles } userErrors { code } } }`
	r = call{bearer: adminToken}.do(t, revoke, map[string]any{"u": a.id})
	if fmt.Sprint(dig(r.Data, "revokeRole", "user", "roles")) != "[CUSTOMER]" {
		t.Fatalf("revoke: %v", r.Data)
	}
	adminID := dig(adm.Data, "login", "user", "id")
	if got := (call{bearer: adminToken}).do(t, revoke, map[string]any{"u": adminID}).userErrorCodes("revokeRole"); len(got) != 1 || got[0] != "CONFLICT" {
		t.Fatalf("last admin: %v", got)
	}
	if got := (call{bearer: adminToken}).do(t, grant, map[string]any{"u": "nobody"}).userErrorCodes("grantRole"); len(got) != 1 || got[0] != "NOT_FOUND" {
		t.Fatalf("grant to nobody: %v", got)
	}
}

// Only the router may speak for a caller, and only to this subgraph: the
// same statement from another service's certificate, one meant for another
// subgraph, or a bearer token sent here directly gets nowhere.
func TestIdentityOnlyFromTheRouter(t *testing.T) {
	a := register(t, "ident")
	me := func(client *http.Client, header, value string) (int, result) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(header, value)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out result
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, out := me(router, auth.IdentityHeader, pkitest.Says(pki.User, a.id, auth.RoleCustomer)); code != http.StatusOK || dig(out.Data, "me", "id") != a.id {
		t.Fatalf("router's statement: %d %v", code, out.Data)
	}
	if code, out := me(kit.Client(t, pki.Order), auth.IdentityHeader, pkitest.Says(pki.User, a.id, auth.RoleCustomer)); code != http.StatusForbidden || fmt.Sprint(out.codes()) != "[CALLER_NOT_ALLOWED]" {
		t.Fatalf("order service relaying a statement: %d %v", code, out.codes())
	}
	if code, _ := me(router, auth.IdentityHeader, pkitest.Says(pki.Product, a.id, auth.RoleCustomer)); code != http.StatusUnauthorized {
		t.Fatalf("statement for product replayed here: %d", code)
	}
	if code, out := me(router, "Authorization", "Bearer "+a.access); code != http.StatusOK || out.Data["me"] != nil {
		t.Fatalf("bearer token sent directly: %d %v; want it ignored (anonymous)", code, out.Data)
	}
	if _, err := svc.Tokens.Verify(a.access[:len(a.access)-4] + "AAAA"); err == nil {
		t.Fatal("tampered token verified")
	}
	if r := anon.do(t, `{ me { id } }`, nil); r.Data["me"] != nil || len(r.Errors) > 0 {
		t.Fatalf("anonymous me: %v %+v", r.Data, r.Errors)
	}
}

func TestIssuedTokenVerifiesAgainstServedJWKS(t *testing.T) {
	a := register(t, "jwks")
	if resp, err := kit.Client(t, pki.Order).Get(srv.URL + "/.well-known/jwks.json"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("JWKS for the order service: %v %v; want 403", resp, err)
	}
	resp, err := router.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid, X string } `json:"keys"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	tok, err := gjwt.Parse(a.access, func(tk *gjwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tk.Header["kid"] {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, fmt.Errorf("kid %v not in JWKS", tk.Header["kid"])
	}, gjwt.WithValidMethods([]string{"EdDSA"}), gjwt.WithIssuer("http://user.test"), gjwt.WithAudience("virtual-store"))
	if err != nil || !tok.Valid {
		t.Fatalf("token does not verify against the served JWKS: %v", err)
	}
	if sub, _ := tok.Claims.GetSubject(); sub != a.id {
		t.Fatalf("sub = %s", sub)
	}
}

// A restart opens the store over existing collections and indexes (the
// embedded FerretDB once crashed on re-creating existing indexes).
func TestStoreReopensOverExistingData(t *testing.T) {
	for range 2 {
		st, err := store.Open(context.Background(), mongoURI, "user_test")
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		_ = st.Close(context.Background())
	}
}

// The configured admin email was registered first by someone else, with
// their own password: the bootstrap used to promote that account to ADMIN.
// It only creates; an existing account stops the start instead.
func TestBootstrapNeverPromotesAnExistingAccount(t *testing.T) {
	ctx := context.Background()
	dev := service.Common{Environment: service.EnvDevelopment}
	quiet := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := testCfg
	cfg.Database = fmt.Sprintf("bootstrap_takeover_%d", time.Now().UnixNano())
	cfg.BootstrapAdminEmail, cfg.BootstrapAdminPassword = "", ""
	first, err := user.New(ctx, cfg, dev, quiet, service.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Accounts.Register(ctx, "boss@shop.test", "the squatter's password", "Squatter", netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	first.Close()

	cfg.BootstrapAdminEmail, cfg.BootstrapAdminPassword = "Boss@shop.test", "the operator's password"
	if _, err := user.New(ctx, cfg, dev, quiet, service.NewRegistry()); err == nil || !strings.Contains(err.Error(), "never promotes") {
		t.Fatalf("start with a squatted admin email: err = %v, want a refusal", err)
	}
	st, err := store.Open(ctx, mongoURI, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if n, err := st.CountWithRole(ctx, auth.RoleAdmin); err != nil || n != 0 {
		t.Fatalf("admins after the refused bootstrap: %d (%v), want none", n, err)
	}
}

// Password hashes run in bounded slots: with every slot taken and no room
// to wait, register, login and changePassword answer BUSY (and a login
// that could not be checked is not a failed sign-in), never an error or
// another 64 MiB hash.
func TestHashingAtCapacityAnswersBusy(t *testing.T) {
	a := register(t, "busy")
	gate := svc.Accounts.Hasher.Gate
	svc.Accounts.Hasher.Gate = password.NewGate(1, 0, 0)
	defer func() { svc.Accounts.Hasher.Gate = gate }()
	release, err := svc.Accounts.Hasher.Gate.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ip := uniqueIP()
	for range 6 { // more than the per-pair limit: BUSY is not a failure
		if got := login(t, a.email, "wrong passphrase!", ip).userErrorCodes("login"); fmt.Sprint(got) != "[BUSY]" {
			t.Fatalf("login at capacity: %v, want [BUSY]", got)
		}
	}
	r := anon.do(t, `mutation($e: String!) { register(input: {email: $e, password: "a long passphrase", name: "Late"}) { accessToken userErrors { code message } } }`,
		map[string]any{"e": uniqueEmail("late")})
	if got := r.userErrorCodes("register"); fmt.Sprint(got) != "[BUSY]" || len(r.Errors) > 0 {
		t.Fatalf("register at capacity: %v %+v, want [BUSY]", got, r.Errors)
	}
	if msg, _ := dig(r.Data, "register", "userErrors", 0, "message").(string); !strings.Contains(msg, "try again in") {
		t.Fatalf("BUSY message %q does not say when to retry", msg)
	}
	r = call{bearer: a.access}.do(t, `mutation { changePassword(input: {currentPassword: "a long passphrase", newPassword: "another long passphrase"}) { userErrors { code } } }`, nil)
	if got := r.userErrorCodes("changePassword"); fmt.Sprint(got) != "[BUSY]" {
		t.Fatalf("changePassword at capacity: %v %+v", got, r.Errors)
	}
	release()
	if r := login(t, a.email, a.password, ip); dig(r.Data, "login", "accessToken") == nil {
		t.Fatalf("login with a free slot: %v", r.userErrorCodes("login"))
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
	secondSid := sid(dig(second.Data, "login", "accessToken").(string))
	if secondSid == sid(changing.access) {
		t.Fatal("two sign-ins share a session id")
	}

	anon.do(t, `mutation($t: String!) { logout(refreshToken: $t) { ok } }`, map[string]any{"t": leaving.refresh})
	replayed := register(t, "replayed")
	anon.do(t, refreshMutation, map[string]any{"t": replayed.refresh})
	anon.do(t, refreshMutation, map[string]any{"t": replayed.refresh}) // the same token again
	r := call{bearer: changing.access}.do(t, `mutation { changePassword(input: {currentPassword: "a long passphrase", newPassword: "another long passphrase"}) { userErrors { code } } }`, nil)
	if got := r.userErrorCodes("changePassword"); len(got) != 0 {
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

// Guesses sent all at once are counted like guesses sent one by one: each
// is recorded before the count that admits it.
func TestConcurrentGuessesAreCounted(t *testing.T) {
	a := register(t, "concurrent")
	ip := uniqueIP()
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for range 30 {
		wg.Go(func() {
			got := login(t, a.email, "wrong passphrase!", ip).userErrorCodes("login")
			mu.Lock()
			defer mu.Unlock()
			outcomes[fmt.Sprint(got)]++
		})
	}
	wg.Wait()
	if n := outcomes["[INVALID_CREDENTIALS]"]; n > 5 || n+outcomes["[RATE_LIMITED]"] != 30 { // all may be refused: each counts the others in flight
		t.Fatalf("30 concurrent guesses from one address: %v, want at most 5 checked", outcomes)
	}
}

// changePassword checks the current password like a sign-in does: a
// stolen access token is no unlimited password oracle.
func TestChangePasswordGuessesAreThrottled(t *testing.T) {
	a := register(t, "oracle")
	ip := uniqueIP()
	change := func(current string) []string {
		return call{bearer: a.access, clientAddr: ip}.do(t, `mutation($c: String!) { changePassword(input: {currentPassword: $c, newPassword: "another long passphrase"}) { userErrors { code } } }`,
			map[string]any{"c": current}).userErrorCodes("changePassword")
	}
	for i := range 5 {
		if got := change("wrong passphrase!"); fmt.Sprint(got) != "[INVALID_CREDENTIALS]" {
			t.Fatalf("guess %d: %v", i+1, got)
		}
	}
	if got := change(a.password); fmt.Sprint(got) != "[RATE_LIMITED]" {
		t.Fatalf("the 6th try, even right: %v, want [RATE_LIMITED]", got)
	}
}
