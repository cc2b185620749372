// Package dbmetrics defines db_query_duration_seconds, the one database
// latency metric of every service, whatever its database: the PostgreSQL
// services record it through internal/postgres's query tracer, the user
// service through a MongoDB command monitor. One definition keeps the
// buckets and labels the same, so one dashboard panel reads every service.
package dbmetrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Systems, the system label.
const (
	PostgreSQL = "postgresql"
	MongoDB    = "mongodb"
)

// Outcomes, the outcome label.
const (
	OK    = "ok"
	Error = "error"
)

// Other is the query label of a statement without a known name.
const Other = "other"

// Buckets of db_query_duration_seconds: 100µs to 5s.
var Buckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// QueryDuration registers db_query_duration_seconds{system,query,outcome}
// on reg, or takes the one already registered there, and returns it with
// system set: what is left to label is query and outcome.
func QueryDuration(reg prometheus.Registerer, system string) (prometheus.ObserverVec, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "db_query_duration_seconds",
		Help:    "Database round trips by system (postgresql, mongodb), query (the sqlc query name, or the MongoDB command) and outcome (ok, error).",
		Buckets: Buckets,
	}, []string{"system", "query", "outcome"})
	if err := reg.Register(h); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, err
		}
		existing, ok := already.ExistingCollector.(*prometheus.HistogramVec)
		if !ok {
			return nil, err
		}
		h = existing
	}
	return h.CurryWith(prometheus.Labels{"system": system})
}

// OutcomeOf is the outcome label of a round trip that ended with err.
func OutcomeOf(err error) string {
	if err != nil {
		return Error
	}
	return OK
}
