// Command devstack runs the whole store on a laptop: it checks that
// PostgreSQL is there, creates the databases, issues the development CA and
// the services' certificates (mutual TLS on every internal hop, renewed
// before they expire), starts every service as its own process with
// colored, prefixed logs, waits until each is ready, starts a Prometheus
// on the admin ports with the store's alert rules (when one is installed),
// prints the URLs, and stops everything cleanly on Ctrl-C. `make run` calls it.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/localprom"
	"github.com/virtual-store/virtual-store/internal/pki"
)

func main() {
	binDir := flag.String("bin", "bin", "directory with the service binaries")
	pkiDir := flag.String("pki", ".data/pki", "directory of the development CA and the services' certificates")
	pgURL := flag.String("postgres", envOr("DEVSTACK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the databases on (env DEVSTACK_POSTGRES_URL)")
	promBin := flag.String("prometheus", "prometheus", "Prometheus binary to start after the services (found on PATH; \"\" starts none)")
	rulesDir := flag.String("rules", "kustomize/components/monitoring/rules", "directory of the alert and recording rules (*.yml) the local Prometheus loads")
	writeProm := flag.String("write-prometheus-config", "", "only write the local Prometheus configuration to this file and exit")
	flag.Parse()
	if *writeProm != "" {
		if err := localPromConfig(*rulesDir).Write(*writeProm); err != nil {
			fmt.Fprintln(os.Stderr, red("devstack: "+err.Error()))
			os.Exit(1)
		}
		return
	}
	if err := run(*binDir, *pkiDir, *pgURL, *promBin, *rulesDir); err != nil {
		fmt.Fprintln(os.Stderr, red("devstack: "+err.Error()))
		os.Exit(1)
	}
}

func run(binDir, pkiDir, pgURL, promBin, rulesDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pgURL, stopPostgres, err := reachPostgres(ctx, pgURL)
	if err != nil {
		return err
	}
	defer stopPostgres()
	if err := preparePostgres(ctx, pgURL); err != nil {
		return err
	}
	if err := issueCertificates(pkiDir); err != nil {
		return err
	}
	dropMissingOptional(binDir)
	for _, p := range stack {
		for _, port := range []int{p.port, p.admin} {
			if err := portFree(port); err != nil {
				return fmt.Errorf("%s cannot start: port %d is taken (%v); stop whatever listens there, e.g. an earlier `make run`", p.name, port, err)
			}
		}
		if _, err := os.Stat(filepath.Join(binDir, p.binary)); err != nil {
			return fmt.Errorf("%s: binary missing in %s (run `make build`): %w", p.name, binDir, err)
		}
	}

	// The merchant key between the order service and the payment gateway
	// (the second factor besides the order service's certificate): a new
	// random one per run, never a key that works anywhere else.
	key := make([]byte, 24)
	_, _ = rand.Read(key)
	merchantKey := "sk_dev_" + hex.EncodeToString(key)
	secrets := map[string][]string{
		"paymentgw": {"PAYMENTGW_API_KEY=" + merchantKey},
		"order":     {"ORDER_PAYMENT_API_KEY=" + merchantKey},
	}
	var (
		wg      sync.WaitGroup
		exited  = make(chan string, len(stack))
		running []*exec.Cmd
	)
	for i, p := range stack {
		cmd := exec.Command(filepath.Join(binDir, p.binary))
		cmd.Env = append(os.Environ(), "ENVIRONMENT=development")
		if !p.noTLS {
			cmd.Env = append(cmd.Env, "TLS_DIR="+filepath.Join(pkiDir, p.name))
		}
		cmd.Env = append(append(cmd.Env, p.env...), secrets[p.name]...)
		for _, db := range p.databases {
			cmd.Env = append(cmd.Env, strings.ToUpper(p.name)+"_DATABASE_URL="+withDatabase(pgURL, db))
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches devstack only; it stops children in order
		out := prefixWriter(p.name, colors[i%len(colors)])
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			stopAll(running, &wg)
			return fmt.Errorf("start %s: %w", p.name, err)
		}
		running = append(running, cmd)
		wg.Go(func() {
			err := cmd.Wait()
			exited <- fmt.Sprintf("%s exited (%v)", p.name, err)
		})
	}

	if err := waitReady(ctx, exited); err != nil {
		stopAll(running, &wg)
		return err
	}
	prom, promNote := startMonitoring(promBin, rulesDir)
	printBanner(pkiDir, prom, promNote)

	var failure error
	renew := time.NewTicker(time.Hour)
	defer renew.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			fmt.Println(bold("\nstopping the store..."))
			break wait
		case msg := <-exited:
			failure = errors.New(msg + "; stopping the rest")
			break wait
		case <-renew.C:
			// The services re-read renewed certificates on their own.
			if err := issueCertificates(pkiDir); err != nil {
				fmt.Fprintln(os.Stderr, red("devstack: renewing certificates: "+err.Error()))
			}
		}
	}
	if prom != nil {
		prom.Stop()
	}
	stopAll(running, &wg)
	return failure
}

// dropMissingOptional takes the optional processes whose binary is not in
// binDir out of the stack (a tool's own bin directory without the
// storefront): the store runs without them, and the banner says so.
func dropMissingOptional(binDir string) {
	kept := stack[:0:0]
	for _, p := range stack {
		if _, err := os.Stat(filepath.Join(binDir, p.binary)); err != nil && p.optional {
			fmt.Println(bold(fmt.Sprintf("%s not started: no %s binary in %s (make build makes it)", p.name, p.binary, binDir)))
			continue
		}
		kept = append(kept, p)
	}
	stack = kept
}

// issueCertificates makes the development CA and a certificate per service
// under dir on the first start, and renews the ones near expiry afterwards.
func issueCertificates(dir string) error {
	var names []string
	for _, p := range stack {
		if !p.noTLS {
			names = append(names, p.name)
		}
	}
	issued, err := pki.Ensure(dir, "", names, pki.DefaultCertTTL)
	if err != nil {
		return fmt.Errorf("development certificates in %s: %w", dir, err)
	}
	if len(issued) > 0 {
		fmt.Println(bold(fmt.Sprintf("issued development certificates in %s for: %s", dir, strings.Join(issued, " "))))
	}
	return nil
}

// reachPostgres returns the server to use: the one at url if it answers,
// else a private one started under .data/postgres (stopped by the returned
// function), else an error that says what to install or start.
func reachPostgres(ctx context.Context, url string) (string, func(), error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, url)
	cancel()
	if err == nil {
		_ = conn.Close(ctx)
		return url, func() {}, nil
	}
	fmt.Println(bold(fmt.Sprintf("PostgreSQL does not answer at %s (%v); starting a private server under .data/postgres", url, err)))
	pg, perr := startPrivatePostgres(ctx, ".data/postgres", prefixWriter("postgres", "90"))
	if perr != nil {
		return "", nil, fmt.Errorf("PostgreSQL is not reachable at %s: %v\n"+
			"  and no private server could be started: %v\n"+
			"  start one with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
			"  or point DEVSTACK_POSTGRES_URL at another server", url, err, perr)
	}
	fmt.Println(bold("private PostgreSQL server at " + pg.URL + " (data in .data/postgres; stopped with the store)"))
	return pg.URL, pg.Stop, nil
}

// withDatabase is url with its database replaced by db.
func withDatabase(raw, db string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	return u.String()
}

// preparePostgres creates the missing databases.
func preparePostgres(ctx context.Context, url string) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, url)
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s: %w", url, err)
	}
	defer conn.Close(ctx)
	for _, p := range stack {
		for _, db := range p.databases {
			var exists bool
			if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
				return fmt.Errorf("look up database %s: %w", db, err)
			}
			if exists {
				continue
			}
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
				return fmt.Errorf("create database %s: %w", db, err)
			}
			fmt.Println(bold("created database " + db))
		}
	}
	return nil
}

func portFree(port int) error {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	return ln.Close()
}

// waitReady polls every service's /readyz (on its admin port) until all answer 200.
func waitReady(ctx context.Context, exited <-chan string) error {
	deadline := time.After(90 * time.Second)
	for _, p := range stack {
		url := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.admin)
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-ctx.Done():
				return errors.New("interrupted while starting")
			case msg := <-exited:
				return errors.New(msg + " while starting; see its log above")
			case <-deadline:
				return fmt.Errorf("%s did not become ready within 90s", p.name)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// stopAll sends SIGTERM to every process (reverse start order) and waits for
// them to drain; any still running after 20 seconds is killed.
func stopAll(cmds []*exec.Cmd, wg *sync.WaitGroup) {
	for i := len(cmds) - 1; i >= 0; i-- {
		_ = cmds[i].Process.Signal(syscall.SIGTERM)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
		<-done
	}
}

func printBanner(pkiDir string, prom *localprom.Server, promNote string) {
	fmt.Println(bold("\nvirtual-store is running:"))
	for _, p := range stack {
		scheme := "https"
		if p.public {
			scheme = "http"
		}
		for _, u := range p.urls {
			fmt.Printf("  %-10s %s://localhost:%d%s\n", p.name, scheme, p.port, u)
		}
	}
	fmt.Println("  metrics    http://localhost:{3100,4100,4101,4102,4103,4110}/metrics (admin ports: /healthz /readyz /metrics)")
	if prom != nil {
		fmt.Printf("  prometheus %s (every admin port each 5s; the store's rules: /alerts; config %s, log %s)\n",
			strings.Replace(prom.URL, "127.0.0.1", "localhost", 1), filepath.Join(promDir, "prometheus.yml"), prom.LogFile)
	} else {
		fmt.Println("  " + promNote)
	}
	fmt.Printf("  mutual TLS between the services; certificates in %s (the CA: %s)\n", pkiDir, filepath.Join(pkiDir, pki.CAFile))
	fmt.Printf("  admin sign-in: %s / %s (local development only)\n", DevAdminEmail, DevAdminPassword)
	fmt.Println(bold("Press Ctrl-C to stop.\n"))
}

// prefixWriter prints each line a process writes, prefixed with its colored name.
func prefixWriter(name, color string) io.Writer {
	r, w := io.Pipe()
	prefix := fmt.Sprintf("\033[%sm%-8s|\033[0m ", color, name)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Println(prefix + sc.Text())
		}
	}()
	return w
}

var colors = []string{"36", "35", "33", "32", "34", "91"}

func bold(s string) string { return "\033[1m" + s + "\033[0m" }
func red(s string) string  { return "\033[31m" + s + "\033[0m" }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
