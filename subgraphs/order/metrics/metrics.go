// Package metrics is the order service's business metrics: checkouts and
// their duration, payment declines (counted by saga.Engine through its
// Metrics interface), payment gateway requests (timed by paymentapi.Client
// through its Metrics interface), and the orders{status} gauge, counted in
// the database at every scrape. server.go wires them.
package metrics

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// ScrapeTimeout bounds the database query behind orders{status} at scrape time.
const ScrapeTimeout = 2 * time.Second

// Checkout records checkouts and payment requests; it is a saga.Metrics
// and a paymentapi.Metrics.
type Checkout struct {
	checkouts *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	declines  *prometheus.CounterVec
	payments  *prometheus.HistogramVec
}

var (
	_ saga.Metrics       = (*Checkout)(nil)
	_ paymentapi.Metrics = (*Checkout)(nil)
)

// DeclineReasons are the failureReason values of a PAYMENT_FAILED order
// (the reason label of payment_declines_total), exported from zero.
var DeclineReasons = []string{lifecycle.ReasonCardDeclined, lifecycle.ReasonInsufficientFunds, lifecycle.ReasonProcessingError,
	lifecycle.ReasonPaymentRefused, lifecycle.ReasonPaymentMismatch, lifecycle.ReasonPaymentKeyConflict, lifecycle.ReasonRejected, "UNKNOWN"}

// NewCheckout registers checkouts_total{outcome},
// checkout_duration_seconds{outcome}, payment_declines_total{reason} and
// payment_request_duration_seconds{operation,outcome} on reg.
func NewCheckout(reg prometheus.Registerer) (*Checkout, error) {
	c := &Checkout{
		checkouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "checkouts_total",
			Help: "Checkouts by result, once per order when its checkout ended: paid, payment_failed, cancelled (out of stock, or the reservation lapsed).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "checkout_duration_seconds",
			Help:    "Time from an order being placed to its checkout result, by outcome (retries and worker resumption included).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}, []string{"outcome"}),
		declines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payment_declines_total",
			Help: "Checkouts that ended PAYMENT_FAILED, by the order's failureReason.",
		}, []string{"reason"}),
		payments: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "payment_request_duration_seconds",
			Help:    "Requests to the payment gateway by operation (charge, lookup, refund) and outcome (ok, declined, refused, unavailable).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "outcome"}),
	}
	for _, o := range []string{saga.CheckoutPaid, saga.CheckoutPaymentFailed, saga.CheckoutCancelled} {
		c.checkouts.WithLabelValues(o)
	}
	for _, r := range DeclineReasons {
		c.declines.WithLabelValues(r)
	}
	for _, col := range []prometheus.Collector{c.checkouts, c.duration, c.declines, c.payments} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Checkout implements saga.Metrics.
func (c *Checkout) Checkout(outcome string, took time.Duration) {
	c.checkouts.WithLabelValues(outcome).Inc()
	c.duration.WithLabelValues(outcome).Observe(took.Seconds())
}

// PaymentDeclined implements saga.Metrics.
func (c *Checkout) PaymentDeclined(reason string) { c.declines.WithLabelValues(reason).Inc() }

// PaymentRequest implements paymentapi.Metrics.
func (c *Checkout) PaymentRequest(operation, outcome string, took time.Duration) {
	c.payments.WithLabelValues(operation, outcome).Observe(took.Seconds())
}

// Statuses are every order status, the status label of orders (lower case).
var Statuses = []lifecycle.Status{lifecycle.Pending, lifecycle.AwaitingPayment, lifecycle.Paid, lifecycle.Fulfilling,
	lifecycle.Shipped, lifecycle.Delivered, lifecycle.Cancelled, lifecycle.PaymentFailed, lifecycle.Refunded}

// RegisterOrders registers orders{status} on reg: how many orders are in
// each status, counted with one GROUP BY at every scrape (at most
// ScrapeTimeout; left out of a scrape when the database does not answer).
// Every status is exported, at zero when no order has it.
func RegisterOrders(reg prometheus.Registerer, q *store.Queries, log *slog.Logger) error {
	return reg.Register(service.ScrapeGauge(prometheus.GaugeOpts{
		Name: "orders",
		Help: "Orders by status (pending, awaiting_payment, paid, fulfilling, shipped, delivered, cancelled, payment_failed, refunded), counted in the database at scrape time.",
	}, []string{"status"}, ScrapeTimeout, log, func(ctx context.Context) ([]service.GaugeValue, error) {
		rows, err := q.CountOrdersByStatus(ctx)
		if err != nil {
			return nil, err
		}
		count := make(map[lifecycle.Status]int64, len(rows))
		for _, r := range rows {
			count[lifecycle.Status(r.Status)] = r.Orders
		}
		out := make([]service.GaugeValue, len(Statuses))
		for i, st := range Statuses {
			out[i] = service.GaugeValue{Value: float64(count[st]), Labels: []string{strings.ToLower(string(st))}}
		}
		return out, nil
	}))
}
