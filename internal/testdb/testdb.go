// Package testdb gives integration tests a fresh PostgreSQL database on the real
// server: no mocks, and no test ever sees another package's rows.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdminURL is the server the tests create databases on. TEST_DATABASE_URL
// overrides the default, which matches the machines' local trust-auth server.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// New creates an empty database named after the test, drops it when the test
// (or, from TestMain via Create, the package) finishes, and returns its URL.
func New(tb testing.TB) string {
	tb.Helper()
	url, drop, err := Create(context.Background(), tb.Name())
	if err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Logf("drop test database: %v", err)
		}
	})
	return url
}

// Create makes a fresh database whose name starts with label and returns its
// URL and a function that drops it. Use it from TestMain for one database per
// test package.
func Create(ctx context.Context, label string) (string, func() error, error) {
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s (is PostgreSQL running?): %w", AdminURL(), err)
	}
	defer admin.Close(ctx)
	name := "vs_test_" + sanitize(label) + "_" + randomSuffix()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	cfg, err := pgx.ParseConfig(AdminURL())
	if err != nil {
		return "", nil, err
	}
	url := replaceDatabase(AdminURL(), cfg.Database, name)
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	}
	return url, drop, nil
}

func replaceDatabase(url, from, to string) string {
	if i := strings.LastIndex(url, "/"+from); i >= 0 {
		return url[:i] + "/" + to + url[i+1+len(from):]
	}
	return url
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RunPackage is a TestMain body: it creates one fresh database for the test
// package, hands its URL to setup, runs the tests and drops the database.
// Without a reachable PostgreSQL it fails loudly instead of skipping: these
// are the tests that prove the SQL.
func RunPackage(m *testing.M, label string, setup func(url string) (teardown func(), err error)) int {
	url, drop, err := Create(context.Background(), label)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testdb:", err)
		return 1
	}
	defer func() {
		if err := drop(); err != nil {
			fmt.Fprintln(os.Stderr, "testdb: drop:", err)
		}
	}()
	teardown, err := setup(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testdb: setup:", err)
		return 1
	}
	defer teardown()
	return m.Run()
}
