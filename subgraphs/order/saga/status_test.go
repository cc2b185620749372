package saga_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
)

// Every status change of a checkout is one outbox event, notified on
// order_events with that event's id, in the order the saga made them, and
// only once its transaction committed: what the live order status feeds on.
func TestStatusChangesAreNotifiedWithTheirOutboxEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := orderPool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN order_events"); err != nil {
		t.Fatal(err)
	}
	product := newProduct(t, 5, 1250)
	o := placeOrder(t, product, 2)
	e := newEnv(t)
	e.finish(t, o.ID)

	rows, err := orderPool.Query(ctx, "SELECT id, payload FROM outbox WHERE aggregate_id = $1 ORDER BY id", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	var want []saga.Event
	for rows.Next() {
		var id int64
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		var ev saga.Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.EventID != 0 {
			t.Errorf("the stored event %d carries an event id %d", id, ev.EventID)
		}
		ev.EventID = id
		want = append(want, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) < 3 || want[len(want)-1].To != "PAID" {
		t.Fatalf("outbox of the order: %+v, want PENDING ... PAID", want)
	}
	for i := 0; i < len(want); {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("notification %d of %d: %v", i+1, len(want), err)
		}
		var got saga.Event
		if err := json.Unmarshal([]byte(n.Payload), &got); err != nil {
			t.Fatalf("notification %q: %v", n.Payload, err)
		}
		if got.OrderID != o.ID {
			continue // another test's order
		}
		if got.EventID != want[i].EventID || got.To != want[i].To || got.From != want[i].From || got.UserID != o.UserID {
			t.Errorf("notification %d: %+v, want %+v", i+1, got, want[i])
		}
		i++
	}
}
