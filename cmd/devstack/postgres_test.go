package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Without a server to use, `make run` starts its own: initialised once,
// answering on loopback, its data kept across restarts, stopped cleanly.
func TestPrivatePostgres(t *testing.T) {
	if _, err := postgresBinaries(); err != nil {
		t.Skip(err) // the message make run prints; CI machines have the binaries
	}
	ctx := context.Background()
	tmp := t.TempDir()
	// As root the server runs as the postgres user, which must reach the
	// directory (a checkout's .data is reachable; a test's temp dir is 0700).
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(tmp, "data", "postgres")
	pg, err := startPrivatePostgres(ctx, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		pg.Stop()
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
	_ = conn.Close(ctx)
	pg.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := pgx.Connect(ctx, pg.URL); err == nil {
		_ = c.Close(ctx)
		t.Fatal("the server still answers after Stop")
	}

	again, err := startPrivatePostgres(ctx, dir, io.Discard) // a second run: no initdb, same data
	if err != nil {
		t.Fatal(err)
	}
	defer again.Stop()
	conn, err = pgx.Connect(ctx, again.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var x int
	if err := conn.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 42 {
		t.Fatalf("kept = %d (%v), want the first run's 42", x, err)
	}
	if got := withDatabase(again.URL, "virtual_store_order"); got[len(got)-len("/virtual_store_order?sslmode=disable"):] != "/virtual_store_order?sslmode=disable" {
		t.Fatalf("withDatabase = %s", got)
	}
}
