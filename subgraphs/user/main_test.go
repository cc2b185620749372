package user_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/devmongo"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/user"
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
	logs     gqltest.LogBuffer // the service's log
)

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

// call is a request as the router forwards it: the caller's access token
// verified into claims, and the client's address, in the router's statement.
type call struct {
	bearer, clientAddr string
}

func (c call) do(t *testing.T, query string, vars map[string]any) gqltest.Response {
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
	return gqltest.Client{URL: srv.URL + "/graphql", HTTP: router}.With(auth.IdentityHeader, ident).Do(t, query, vars)
}

var anon = call{}

// codesAre reports whether got (the error or user error codes of an
// answer) are exactly want, in order.
func codesAre[C ~string](got []string, want ...C) bool {
	return slices.EqualFunc(got, want, func(g string, w C) bool { return g == string(w) })
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
	if codes := r.UserErrorCodes("register"); len(codes) > 0 || len(r.Errors) > 0 {
		t.Fatalf("register: %v %+v", codes, r.Errors)
	}
	a.id = r.Dig("register", "user", "id").(string)
	a.access = r.Dig("register", "accessToken").(string)
	a.refresh = r.Dig("register", "refreshToken").(string)
	return a
}

func login(t *testing.T, email, password, ip string) gqltest.Response {
	t.Helper()
	return call{clientAddr: ip}.do(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { `+authFields+` } }`,
		map[string]any{"e": email, "p": password})
}

const refreshMutation = `mutation($t: String!) { refreshToken(token: $t) { ` + authFields + ` } }`
