package order_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
)

const watchOrder = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status paymentStatus } }`

// A subscriber sees the order as it is, then each change once and in order,
// and the stream ends when the order can change no more.
func TestOrderStatusChangedFollowsTheOrderToItsEnd(t *testing.T) {
	o := paidOrder(t, 1)
	_, boss := admin()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := o.customer.Subscribe(ctx, watchOrder, map[string]any{"id": o.id})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	next := func(want string) {
		t.Helper()
		r, err := s.Next()
		if err != nil {
			t.Fatalf("waiting for %s: %v", want, err)
		}
		if len(r.Errors) > 0 || r.Dig("orderStatusChanged", "id") != o.id || r.Dig("orderStatusChanged", "status") != want {
			t.Fatalf("got %s, want %s", r.Raw, want)
		}
	}
	next("PAID")
	for _, step := range []struct{ mutation, status string }{
		{`mutation($id: ID!) { startFulfillment(id: $id) { userErrors { code } } }`, "FULFILLING"},
		{`mutation($id: ID!) { markShipped(id: $id, trackingNumber: "TRK-9") { userErrors { code } } }`, "SHIPPED"},
		{`mutation($id: ID!) { markDelivered(id: $id) { userErrors { code } } }`, "DELIVERED"},
	} {
		if r := boss.Do(t, step.mutation, map[string]any{"id": o.id}); len(r.Errors) > 0 || r.Data == nil {
			t.Fatalf("%s: %s", step.status, r.Raw)
		}
		next(step.status)
	}
	if r, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after DELIVERED: %s %v, want the end of the stream", r.Raw, err)
	}
}

// Only the order's customer and admins may watch it; to anyone else it does
// not exist.
func TestOrderStatusChangedIsTheOwnersAndTheAdmins(t *testing.T) {
	o := paidOrder(t, 1)
	_, stranger := customer()
	_, boss := admin()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := func(c gqltest.Client, id string) gqltest.Response {
		t.Helper()
		s, err := c.Subscribe(ctx, watchOrder, map[string]any{"id": id})
		if err != nil {
			var refused *gqltest.NotAStream
			if errors.As(err, &refused) {
				return refused.Response()
			}
			t.Fatal(err)
		}
		defer s.Close()
		r, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := first(boss, o.id); r.Dig("orderStatusChanged", "status") != "PAID" {
		t.Errorf("an admin watches: %s", r.Raw)
	}
	for _, tc := range []struct {
		who  string
		c    gqltest.Client
		id   string
		code string
	}{
		{"another customer", stranger, o.id, "NOT_FOUND"},
		{"an unknown order", o.customer, uuid.NewString(), "NOT_FOUND"},
		{"a malformed id", o.customer, "not-an-id", "BAD_USER_INPUT"},
		{"nobody signed in", router, o.id, "UNAUTHENTICATED"},
	} {
		r := first(tc.c, tc.id)
		if codes := r.Codes(); len(codes) != 1 || codes[0] != tc.code || r.Dig("orderStatusChanged") != nil {
			t.Errorf("%s: %s, want %s", tc.who, r.Raw, tc.code)
		}
	}
}
