package saga

import (
	"context"
	"sync"
	"time"
)

// RunWorker resumes every order whose saga has a due step — after a crash,
// a restart, or a failed attempt — every interval until ctx ends. Several
// replicas can run it: a step runs under the order's row lock, and rows
// locked by one worker are skipped by the others.
func (e *Engine) RunWorker(ctx context.Context, interval time.Duration, parallel int) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		e.ResumeDue(ctx, parallel)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ResumeDue advances every order with a due step once, parallel at a time.
func (e *Engine) ResumeDue(ctx context.Context, parallel int) {
	ids, err := e.q.DueOrders(ctx, 200)
	if err != nil {
		if ctx.Err() == nil {
			e.log.ErrorContext(ctx, "find due orders", "err", err)
		}
		return
	}
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := e.Advance(ctx, id, false); err != nil && ctx.Err() == nil {
				e.log.ErrorContext(ctx, "advance order", "order_id", id, "err", err)
			}
		})
	}
	wg.Wait()
}
