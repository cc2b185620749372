package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/loopback"
)

// privatePostgres is a PostgreSQL server `make run` started itself, because
// none answered: a cluster under .data/postgres on a free loopback port,
// stopped with the store. Its data stays for the next run.
type privatePostgres struct {
	URL  string // a URL of the server's postgres database
	cmd  *exec.Cmd
	done chan struct{}
}

// startPrivatePostgres initialises dir (once) and starts a server on it.
// PostgreSQL refuses to run as root, so as root the server runs as the
// system's postgres user (which owns dir).
func startPrivatePostgres(ctx context.Context, dir string, log io.Writer) (*privatePostgres, error) {
	bindir, err := postgresBinaries()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		// The server's user must reach its directory through .data.
		if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(log, "initialising a private PostgreSQL cluster in %s\n", dir)
		initdb := exec.CommandContext(ctx, filepath.Join(bindir, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := initdb.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb %s: %v\n%s", dir, err, out)
		}
	}
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bindir, "postgres"), "-D", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir, "-c", "max_connections=200")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p := &privatePostgres{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(cctx, p.URL)
		cancel()
		if err == nil {
			_ = conn.Close(ctx)
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("the private PostgreSQL server exited while starting (its log is above)")
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("the private PostgreSQL server did not answer within 30s: %v", err)
		}
	}
}

// Stop shuts the server down (fast shutdown: sessions end, data is safe).
func (p *privatePostgres) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// errNoPostgres says what to do when no server answers and none can be started.
var errNoPostgres = errors.New("no PostgreSQL server binaries (initdb, postgres) found to start a private one; " +
	"install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) " +
	"or point DEVSTACK_POSTGRES_URL at a running server")

// postgresBinaries finds initdb and postgres: on PATH, or in Debian's
// versioned directories (newest first).
func postgresBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errNoPostgres
}

// serverCredential is who the server runs as: the caller, or the postgres
// system user when the caller is root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("PostgreSQL does not run as root and there is no postgres user to run it as; run `make run` as a normal user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
