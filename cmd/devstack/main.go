// Command devstack runs the whole store on a laptop: it checks that
// PostgreSQL is there, creates the databases, starts every service as its own
// process with colored, prefixed logs, waits until each is ready, prints the
// URLs, and stops everything cleanly on Ctrl-C. `make run` calls it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	binDir := flag.String("bin", "bin", "directory with the service binaries")
	pgURL := flag.String("postgres", envOr("DEVSTACK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the databases on (env DEVSTACK_POSTGRES_URL)")
	flag.Parse()
	if err := run(*binDir, *pgURL); err != nil {
		fmt.Fprintln(os.Stderr, red("devstack: "+err.Error()))
		os.Exit(1)
	}
}

func run(binDir, pgURL string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := preparePostgres(ctx, pgURL); err != nil {
		return err
	}
	for _, p := range stack {
		if err := portFree(p.port); err != nil {
			return fmt.Errorf("%s cannot start: port %d is taken (%v); stop whatever listens there, e.g. an earlier `make run`", p.name, p.port, err)
		}
		if _, err := os.Stat(filepath.Join(binDir, p.binary)); err != nil {
			return fmt.Errorf("%s: binary missing in %s (run `make build`): %w", p.name, binDir, err)
		}
	}

	var (
		wg      sync.WaitGroup
		exited  = make(chan string, len(stack))
		running []*exec.Cmd
	)
	for i, p := range stack {
		cmd := exec.Command(filepath.Join(binDir, p.binary))
		cmd.Env = append(os.Environ(), p.env...)
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
	printBanner()

	var failure error
	select {
	case <-ctx.Done():
		fmt.Println(bold("\nstopping the store..."))
	case msg := <-exited:
		failure = errors.New(msg + "; stopping the rest")
	}
	stopAll(running, &wg)
	return failure
}

// preparePostgres checks the server and creates missing databases.
func preparePostgres(ctx context.Context, url string) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, url)
	if err != nil {
		return fmt.Errorf("PostgreSQL is not reachable at %s: %v\n"+
			"  start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
			"  or point DEVSTACK_POSTGRES_URL at another server", url, err)
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

// waitReady polls every service's /readyz until all answer 200.
func waitReady(ctx context.Context, exited <-chan string) error {
	deadline := time.After(90 * time.Second)
	for _, p := range stack {
		url := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.port)
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

func printBanner() {
	fmt.Println(bold("\nvirtual-store is running:"))
	for _, p := range stack {
		for _, u := range p.urls {
			fmt.Printf("  %-10s http://localhost:%d%s\n", p.name, p.port, u)
		}
	}
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
