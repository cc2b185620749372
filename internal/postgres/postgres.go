// Package postgres opens a service's PostgreSQL pool and brings its schema up to
// date with goose migrations embedded in the binary.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Open connects to url, applies every pending migration found in migrations
// (goose files at the root of that FS) and returns a ready pool. Migrations
// are serialized across replicas by a PostgreSQL advisory lock, so several
// pods starting together apply each migration once.
func Open(ctx context.Context, url string, migrations fs.FS, log *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	return OpenConfig(ctx, cfg, migrations, log)
}

// OpenConfig is Open for a prepared pool configuration (e.g. with a query tracer).
func OpenConfig(ctx context.Context, cfg *pgxpool.Config, migrations fs.FS, log *slog.Logger) (*pgxpool.Pool, error) {
	if err := Migrate(ctx, cfg.ConnConfig, migrations, log); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// Migrate applies pending migrations over a dedicated connection.
func Migrate(ctx context.Context, cc *pgx.ConnConfig, migrations fs.FS, log *slog.Logger) error {
	db := stdlib.OpenDB(*cc.Copy())
	defer db.Close()
	if err := waitReachable(ctx, db); err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("create migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// waitReachable retries the first connection briefly: in Kubernetes and in
// `make run` the database may come up a moment after the service.
func waitReachable(ctx context.Context, db *sql.DB) error {
	var err error
	for attempt := range 10 {
		if err = db.PingContext(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
	return fmt.Errorf("database unreachable: %w", err)
}

// Check is a readiness check for the pool.
func Check(pool *pgxpool.Pool) func(ctx context.Context) error {
	return func(ctx context.Context) error { return pool.Ping(ctx) }
}

// Beginner starts transactions: a *pgxpool.Pool, or a pgx.Tx (whose Begin
// opens a savepoint, so code written with InTx composes into a larger
// transaction, as the seed loader does).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InTx runs fn inside a transaction, committing when fn returns nil and
// rolling back otherwise (also on panic, via the deferred rollback).
func InTx(ctx context.Context, db Beginner, fn func(pgx.Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// Embedded is the directory dir of an embedded file system, for a
// migrations package (sql/<db>) whose go:embed pattern names the directory:
// a failure is a build mistake, so it panics.
func Embedded(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("embedded %s: %v", dir, err))
	}
	return sub
}
