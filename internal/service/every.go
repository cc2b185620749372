package service

import (
	"context"
	"time"
)

// Every calls job every interval until ctx ends, and returns nil then: the
// shape of every periodic background job (sweepers, purges, pollers). A job
// that fails logs and waits for its next turn; it does not stop the process.
func Every(ctx context.Context, interval time.Duration, job func(ctx context.Context)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			job(ctx)
		}
	}
}
