// Package devmongo runs an embedded MongoDB-compatible server (FerretDB v1
// over SQLite) inside the process, for `make run` and the tests on machines
// where no MongoDB server can be installed. It speaks the real wire protocol,
// so the driver code under test is the code that runs against MongoDB in
// production. Production binaries do not link it (see cmd/user).
package devmongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Server is a running embedded server.
type Server struct {
	URI  string
	stop context.CancelFunc
	done chan error
}

// Start serves a MongoDB-compatible endpoint on a free loopback port, keeping
// its data as SQLite files under dir, and returns once it accepts connections.
func Start(ctx context.Context, dir string, log *slog.Logger) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// FerretDB logs every unsupported command (such as the driver's endSessions
	// on disconnect) as a warning with a full wire dump; only errors matter here.
	quiet := slog.New(log.Handler().WithAttrs([]slog.Attr{slog.String("component", "ferretdb")}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    slog.New(levelFilter{quiet.Handler(), slog.LevelError}),
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- f.Run(runCtx) }()

	// MongoDBURI is known only once the listener is bound.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if uri := f.MongoDBURI(); uri != "" && !errors.Is(ctx.Err(), context.Canceled) {
			s.URI = uri
			return s, nil
		}
		select {
		case err := <-s.done:
			cancel()
			return nil, fmt.Errorf("embedded FerretDB stopped: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, errors.New("embedded FerretDB did not start within 30s")
		}
	}
}

// Stop shuts the server down and waits for it.
func (s *Server) Stop() {
	s.stop()
	<-s.done
}

// levelFilter drops records below min.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (l levelFilter) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.Handler.Enabled(ctx, lv)
}

func (l levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{l.Handler.WithAttrs(a), l.min}
}

func (l levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{l.Handler.WithGroup(name), l.min}
}
