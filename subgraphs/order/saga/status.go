package saga

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Event is the payload of an order.status_changed outbox event (and of its
// NOTIFY on order_events, which adds EventID).
type Event struct {
	EventID       int64     `json:"eventId,omitempty"`
	OrderID       uuid.UUID `json:"orderId"`
	UserID        string    `json:"userId"`
	From          string    `json:"from,omitempty"`
	To            string    `json:"to"`
	PaymentStatus string    `json:"paymentStatus"`
	Actor         string    `json:"actor"`
	Note          string    `json:"note,omitempty"`
	At            time.Time `json:"at"`
}

// TopicStatusChanged is the outbox topic of status changes.
const TopicStatusChanged = "order.status_changed"

// ChangeStatus moves o to a new status (checked by the state machine) and
// payment status, records the history entry and the outbox event, and
// notifies listeners on commit. mutate may set more columns.
func ChangeStatus(ctx context.Context, q *store.Queries, o *store.Order, to lifecycle.Status, pay lifecycle.PaymentStatus, actor, note string, mutate func(*store.SetStatusParams)) error {
	from := lifecycle.Status(o.Status)
	if from != to {
		if err := lifecycle.Check(from, to); err != nil {
			return err
		}
	}
	p := statusParams(o, mutate)
	p.Status, p.PaymentStatus = string(to), string(pay)
	if err := q.SetStatus(ctx, p); err != nil {
		return fmt.Errorf("set status: %w", err)
	}
	o.Status, o.PaymentStatus, o.FailureReason, o.TrackingNumber, o.PaymentID, o.StockCommitted =
		p.Status, p.PaymentStatus, p.FailureReason, p.TrackingNumber, p.PaymentID, p.StockCommitted
	return record(ctx, q, o, string(from), actor, note)
}

// record writes the history entry and the outbox event of o's current status,
// and notifies listeners of the event (with its id) on commit: one round trip.
func record(ctx context.Context, q *store.Queries, o *store.Order, from, actor, note string) error {
	var fromText pgtype.Text
	if from != "" {
		fromText = pgtype.Text{String: from, Valid: true}
	}
	ev := Event{OrderID: o.ID, UserID: o.UserID, From: from, To: o.Status, PaymentStatus: o.PaymentStatus, Actor: actor, Note: note, At: time.Now().UTC()}
	payload, _ := json.Marshal(ev)
	if _, err := q.RecordStatus(ctx, store.RecordStatusParams{OrderID: o.ID, FromStatus: fromText, ToStatus: o.Status,
		PaymentStatus: o.PaymentStatus, Actor: actor, Note: truncate(note, 500), Topic: TopicStatusChanged, Payload: payload}); err != nil {
		return fmt.Errorf("record the status change: %w", err)
	}
	return nil
}

func statusParams(o *store.Order, mutate func(*store.SetStatusParams)) store.SetStatusParams {
	p := store.SetStatusParams{ID: o.ID, Status: o.Status, PaymentStatus: o.PaymentStatus, FailureReason: o.FailureReason,
		TrackingNumber: o.TrackingNumber, PaymentID: o.PaymentID, StockCommitted: o.StockCommitted}
	if mutate != nil {
		mutate(&p)
	}
	return p
}

func setStep(ctx context.Context, q *store.Queries, o *store.Order, s Step) error {
	if err := q.SetSagaStep(ctx, store.SetSagaStepParams{ID: o.ID, SagaStep: string(s)}); err != nil {
		return fmt.Errorf("set saga step: %w", err)
	}
	o.SagaStep = string(s)
	return nil
}

// SetStep is setStep for callers outside the saga (a cancellation starts the refund).
func SetStep(ctx context.Context, q *store.Queries, o *store.Order, s Step) error {
	return setStep(ctx, q, o, s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// RecordCreated writes the history entry and event of a new order.
func RecordCreated(ctx context.Context, q *store.Queries, o *store.Order, actor string) error {
	return record(ctx, q, o, "", actor, "order placed")
}
