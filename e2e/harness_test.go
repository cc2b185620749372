// Package e2e tests the store as it runs: real binaries as separate
// processes, real PostgreSQL databases, talking over HTTP. These are the
// tests that may kill -9 a service mid-checkout.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/loopback"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/testdb"
)

var (
	binDir string
	// kit is the test run's CA and service certificates; every service
	// process gets its identity from it.
	kit *pkitest.Kit
	// routerClient speaks as the router: the only caller the subgraphs answer.
	routerClient *http.Client
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vs-e2e-bin-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if kit, err = pkitest.Make(filepath.Join(dir, "pki")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: certificates:", err)
		return 1
	}
	if imageTag != "" {
		stop, err := prepareImages(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: images:", err)
			return 1
		}
		defer stop()
	}
	src, err := kit.Load(pki.Router)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: certificates:", err)
		return 1
	}
	routerClient = pkitest.ClientOf(src)
	routerClient.Timeout = 60 * time.Second
	if imageTag != "" {
		return m.Run() // the services run from their images (images_test.go)
	}
	// Build the binaries once for the package, as `make build` would (the
	// storefront embeds web/dist/site as `make web` left it: make test runs
	// make web first).
	cmd := exec.Command("go", "build", "-tags", "embedmongo", "-o", dir+"/", "../cmd/user", "../cmd/product", "../cmd/order", "../cmd/paymentgw", "../cmd/router", "../cmd/loadgen", "../cmd/storefront")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build:", err)
		return 1
	}
	return m.Run()
}

// proc is one running service binary.
type proc struct {
	t     *testing.T
	name  string
	env   []string
	port  int // the service port: mutual TLS (the router's: plain HTTP)
	admin int // the admin port: health and metrics
	cmd   *exec.Cmd
	logs  *gqltest.LogBuffer // both output streams, across restarts
	done  chan struct{}
}

// url is the service port's base URL (https://localhost:… for the
// services, whose certificates name localhost; http:// for the router and
// the storefront).
func (p *proc) url() string {
	if p.name == "router" || p.name == "storefront" {
		return "http://127.0.0.1:" + strconv.Itoa(p.port)
	}
	return "https://localhost:" + strconv.Itoa(p.port)
}

func (p *proc) adminURL() string { return "http://127.0.0.1:" + strconv.Itoa(p.admin) }

// audiences names the service behind each base URL, for identity statements.
var audiences sync.Map

// start launches a service binary with env and waits for its /readyz.
func start(t *testing.T, name string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, env: env, port: freePort(t), admin: freePort(t), logs: &gqltest.LogBuffer{}}
	audiences.Store(p.url(), name)
	p.launch()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- %s log (tail) ---\n%s", name, tail(p.logText(), 40))
		}
	})
	return p
}

func (p *proc) launch() {
	p.t.Helper()
	prefix := strings.ToUpper(p.name) + "_"
	env := []string{"LOG_LEVEL=info",
		prefix + "HTTP_ADDR=127.0.0.1:" + strconv.Itoa(p.port), prefix + "ADMIN_ADDR=127.0.0.1:" + strconv.Itoa(p.admin),
		"SHUTDOWN_TIMEOUT=2s", "ROUTER_LISTEN=127.0.0.1:" + strconv.Itoa(p.port), "ROUTER_ADMIN_LISTEN=127.0.0.1:" + strconv.Itoa(p.admin),
		"STOREFRONT_LISTEN=127.0.0.1:" + strconv.Itoa(p.port), "STOREFRONT_ADMIN_LISTEN=127.0.0.1:" + strconv.Itoa(p.admin)}
	if imageTag != "" {
		p.cmd = containerCommand(p.name, append(env, p.env...))
	} else {
		p.cmd = exec.Command(filepath.Join(binDir, p.name))
		p.cmd.Env = append(append(append(os.Environ(), "ENVIRONMENT=development"), env...), kit.Env(p.name)...)
		p.cmd.Env = append(p.cmd.Env, p.env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(p.cmd, p.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.adminURL() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("%s exited while starting:\n%s", p.name, tail(p.logText(), 30))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after 30s:\n%s", p.name, tail(p.logText(), 30))
		}
	}
}

// kill9 kills the process without any chance to clean up.
func (p *proc) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// restart starts the same binary with the same configuration again.
func (p *proc) restart() { p.launch() }

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.kill9()
	}
}

func (p *proc) logText() string { return p.logs.String() }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// database creates a fresh database for one service of one test and returns
// its URL and a pool for the test's own checks.
func database(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := testdb.New(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return url, pool
}

// identity names a caller as the router would state it to a subgraph
// (client addresses the statement to the subgraph it calls).
func identity(sub string, roles ...string) string {
	return "as " + sub + " " + strings.Join(roles, ",")
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

// client is GraphQL at a service's base url as the given caller: an
// identity (to a subgraph, as the router sends it: with its certificate
// and its statement for that subgraph; to the router, a client forging a
// statement, which it drops), "Bearer <token>" (for the router), or ""
// (no one).
func client(url, ident string) gqltest.Client {
	c := gqltest.Client{URL: url + "/graphql", HTTP: httpClient}
	if strings.HasPrefix(url, "https://") {
		c.HTTP = routerClient
	}
	switch {
	case strings.HasPrefix(ident, "Bearer "):
		return c.With("Authorization", ident)
	case ident != "":
		aud, _ := audiences.Load(url)
		var sub string
		var roles []string
		if rest, ok := strings.CutPrefix(ident, "as "); ok {
			var list string
			sub, list, _ = strings.Cut(rest, " ")
			roles = strings.Split(list, ",")
		}
		return c.With(auth.IdentityHeader, pkitest.Says(aud.(string), sub, roles...))
	}
	return c
}

// gql posts a GraphQL operation to url as ident (see client). Any GraphQL
// error is an error too, naming the codes a test looks for; the answer
// comes back with it. It never fails the test itself: shoppers call it
// from goroutines.
func gql(url, ident, query string, vars map[string]any) (gqltest.Response, error) {
	r, err := client(url, ident).Post(context.Background(), query, vars)
	if err == nil && len(r.Errors) > 0 {
		err = fmt.Errorf("graphql errors: %v", r.Errors)
	}
	return r, err
}

// usage is what a process has used, read from /proc.
type usage struct {
	cpu  time.Duration // user + system
	rss  int64         // VmRSS, bytes
	peak int64         // VmHWM: the peak RSS, bytes
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTick = 10 * time.Millisecond

func (p *proc) usage(t *testing.T) usage {
	t.Helper()
	pid := p.cmd.Process.Pid
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	// The command name may hold spaces; the fields after it are fixed.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64) // field 14 of proc(5)
	stime, _ := strconv.ParseInt(fields[12], 10, 64) // field 15
	u := usage{cpu: time.Duration(utime+stime) * clockTick}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case err != nil:
		case name == "VmRSS":
			u.rss = kb << 10
		case name == "VmHWM":
			u.peak = kb << 10
		}
	}
	if u.peak == 0 {
		t.Fatalf("%s: no VmHWM in /proc/%d/status", p.name, pid)
	}
	return u
}
