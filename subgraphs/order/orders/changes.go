package orders

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Cancel cancels an order: by its customer until it ships, by an admin too.
// A paid order is refunded and its stock returned (by the saga). Someone
// else's order is NOT_FOUND to a customer, as if it did not exist.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, by Actor, reason string) (*Order, error) {
	err := s.transition(ctx, id, func(q *store.Queries, o *store.Order) error {
		if !by.Admin && o.UserID != by.UserID {
			return errNoSuchOrder
		}
		st := lifecycle.Status(o.Status)
		if !lifecycle.CustomerCancellable(st) {
			return userErr(graph.CodeConflict, fmt.Sprintf("an order that is %s cannot be cancelled", st), "id")
		}
		failure := lifecycle.ReasonCancelledByCustomer
		if by.Admin {
			failure = lifecycle.ReasonCancelledByAdmin
		}
		if err := saga.ChangeStatus(ctx, q, o, lifecycle.Cancelled, lifecycle.PaymentStatus(o.PaymentStatus), by.String(), reason, func(p *store.SetStatusParams) {
			p.FailureReason = failure
		}); err != nil {
			return err
		}
		return saga.SetStep(ctx, q, o, saga.StepRefund)
	})
	if err != nil {
		return nil, err
	}
	if err := s.advance(ctx, id); err != nil {
		return nil, err
	}
	return s.OrderByID(ctx, id)
}

// StartFulfillment marks a paid order as being picked and packed (admin).
func (s *Service) StartFulfillment(ctx context.Context, id uuid.UUID, by Actor) (*Order, error) {
	return s.changeStatus(ctx, id, lifecycle.Fulfilling, by, "", nil)
}

// MarkShipped records the carrier's tracking number (admin).
func (s *Service) MarkShipped(ctx context.Context, id uuid.UUID, tracking string, by Actor) (*Order, error) {
	tracking = strings.TrimSpace(tracking)
	if tracking == "" || len(tracking) > 100 {
		return nil, userErr(graph.CodeInvalidInput, "trackingNumber must be 1-100 characters", "trackingNumber")
	}
	return s.changeStatus(ctx, id, lifecycle.Shipped, by, "tracking "+tracking, func(p *store.SetStatusParams) {
		p.TrackingNumber = tracking
	})
}

// MarkDelivered closes a shipped order (admin).
func (s *Service) MarkDelivered(ctx context.Context, id uuid.UUID, by Actor) (*Order, error) {
	return s.changeStatus(ctx, id, lifecycle.Delivered, by, "", nil)
}

// errNoSuchOrder is a change's answer for an order that does not exist (or
// is not the customer's).
var errNoSuchOrder = userErr(graph.CodeNotFound, "no such order", "id")

// changeStatus moves a finished order to status, its payment unchanged,
// and returns it as changed.
func (s *Service) changeStatus(ctx context.Context, id uuid.UUID, to lifecycle.Status, by Actor, note string, mutate func(*store.SetStatusParams)) (*Order, error) {
	var changed store.Order
	err := s.transition(ctx, id, func(q *store.Queries, o *store.Order) error {
		if err := saga.ChangeStatus(ctx, q, o, to, lifecycle.PaymentStatus(o.PaymentStatus), by.String(), note, mutate); err != nil {
			return err
		}
		changed = *o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.loadedAlone(changed)
}

// transition applies change to an order whose checkout saga is finished,
// under its row lock, turning state machine refusals into CONFLICT.
func (s *Service) transition(ctx context.Context, id uuid.UUID, change func(*store.Queries, *store.Order) error) error {
	return postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		o, err := q.LockOrderWait(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoSuchOrder
		}
		if err != nil {
			return fmt.Errorf("lock order: %w", err)
		}
		if saga.Step(o.SagaStep) != saga.StepDone {
			return userErr(graph.CodeConflict, "the order is still being processed; try again in a moment", "id")
		}
		if err := change(q, &o); err != nil {
			var te *lifecycle.TransitionError
			if errors.As(err, &te) {
				return userErr(graph.CodeConflict, te.Error(), "id")
			}
			return err
		}
		return nil
	})
}
