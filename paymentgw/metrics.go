package paymentgw

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the ledger records: new payments by status and new
// refunds, once each (a repeated request answered from the ledger is not
// counted again). A nil *Metrics counts nothing.
type Metrics struct {
	payments *prometheus.CounterVec
	refunds  prometheus.Counter
}

// NewMetrics registers paymentgw_payments_total{status} and
// paymentgw_refunds_total on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paymentgw_payments_total",
			Help: "Payments the gateway recorded, by status: succeeded, failed (declined or a processing error). Idempotent repeats are not counted.",
		}, []string{"status"}),
		refunds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paymentgw_refunds_total",
			Help: "Refunds the gateway recorded. Idempotent repeats are not counted.",
		}),
	}
	m.payments.WithLabelValues("succeeded")
	m.payments.WithLabelValues("failed")
	for _, c := range []prometheus.Collector{m.payments, m.refunds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) payment(status string) {
	if m != nil {
		m.payments.WithLabelValues(status).Inc()
	}
}

func (m *Metrics) refund() {
	if m != nil {
		m.refunds.Inc()
	}
}
