// Package metrics is the product service's stock metrics: stockouts_total,
// reservations_expired_total and inventory_restocks_total{kind}, counted by
// inventory.Inventory through its Metrics interface, and the
// reservations_active gauge, counted in the database at every scrape.
// server.go wires them.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

// ScrapeTimeout bounds the database query behind a gauge at scrape time.
const ScrapeTimeout = 2 * time.Second

// Stock counts stock events; it is an inventory.Metrics.
type Stock struct {
	stockouts prometheus.Counter
	expired   prometheus.Counter
	restocks  *prometheus.CounterVec
}

var _ inventory.Metrics = (*Stock)(nil)

// NewStock registers stockouts_total, reservations_expired_total and
// inventory_restocks_total{kind} on reg, and reservations_active, which
// asks inv at every scrape.
func NewStock(reg prometheus.Registerer, inv *inventory.Inventory, log *slog.Logger) (*Stock, error) {
	s := &Stock{
		stockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stockouts_total",
			Help: "Reservations refused because a product had too little stock (INSUFFICIENT_STOCK), one per refused reservation.",
		}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reservations_expired_total",
			Help: "Reservations the expiry sweeper released because their order neither committed nor released them in time.",
		}),
		restocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inventory_restocks_total",
			Help: "Times units came back on hand, by kind: adjustment (an admin added stock), return (a paid order's units returned after its cancellation).",
		}, []string{"kind"}),
	}
	s.restocks.WithLabelValues(inventory.RestockAdjustment)
	s.restocks.WithLabelValues(inventory.RestockReturn)
	active := service.ScrapeGauge(prometheus.GaugeOpts{
		Name: "reservations_active",
		Help: "Reservations holding stock now (ACTIVE), counted in the database at scrape time.",
	}, nil, ScrapeTimeout, log, func(ctx context.Context) ([]service.GaugeValue, error) {
		n, err := inv.ActiveReservations(ctx)
		return []service.GaugeValue{{Value: float64(n)}}, err
	})
	for _, c := range []prometheus.Collector{s.stockouts, s.expired, s.restocks, active} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Stockout implements inventory.Metrics.
func (s *Stock) Stockout() { s.stockouts.Inc() }

// ReservationsExpired implements inventory.Metrics.
func (s *Stock) ReservationsExpired(n int) { s.expired.Add(float64(n)) }

// Restocked implements inventory.Metrics.
func (s *Stock) Restocked(kind string) { s.restocks.WithLabelValues(kind).Inc() }
