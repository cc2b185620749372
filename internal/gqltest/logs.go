package gqltest

import (
	"bytes"
	"log/slog"
	"sync"
)

// Quiet is a logger that discards, for services a test runs but whose logs
// it does not read.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// LogBuffer is where a service a test runs writes its log for the test to
// read back: the service's goroutines (or a process's stdout and stderr)
// write while the test reads, so every access holds the lock. The zero
// value is empty and ready.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
