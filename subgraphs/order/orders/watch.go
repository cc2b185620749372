package orders

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/live"
)

// Watch follows an order: it sends the order as it is now, then again after
// every change of its status or payment status (each state once, in order),
// and closes the channel once the order can change no more, ctx ends, or the
// watcher fell far behind (a watcher that then watches again starts from
// the order as it is, so it misses no state). may decides whether the caller
// may see the order; an order it may not see is ErrNotFound, as one that
// does not exist.
func (s *Service) Watch(ctx context.Context, id uuid.UUID, may func(*Order) bool) (<-chan *Order, error) {
	if s.feed == nil {
		return nil, errors.New("order watching is not set up (no live feed)")
	}
	// Subscribe before reading, so no change falls between the two.
	sub := s.feed.Subscribe(id)
	o, err := s.OrderByID(ctx, id)
	if err == nil && !may(o) {
		err = ErrNotFound
	}
	if err != nil {
		sub.Close()
		return nil, err
	}
	out := make(chan *Order, 1)
	go func() {
		defer close(out)
		defer sub.Close()
		last := o
		if !send(ctx, out, o) || lifecycle.Terminal(o.Status) {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-sub.Events:
				if !ok {
					return // closed: it lagged
				}
			}
			now, err := s.OrderByID(ctx, id)
			if err != nil {
				return // ctx ended, or the database is gone: the watcher may watch again
			}
			if now.Status == last.Status && now.PaymentStatus == last.PaymentStatus {
				continue // a change already sent (the first read saw it)
			}
			last = now
			if !send(ctx, out, now) || lifecycle.Terminal(now.Status) {
				return
			}
		}
	}()
	return out, nil
}

func send(ctx context.Context, out chan<- *Order, o *Order) bool {
	select {
	case out <- o:
		return true
	case <-ctx.Done():
		return false
	}
}

// WithFeed makes Watch possible; the feed must run (live.Feed.Run).
func (s *Service) WithFeed(f *live.Feed) *Service {
	s.feed = f
	return s
}
