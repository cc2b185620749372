// Package metrics is the user service's Prometheus metrics beyond HTTP and
// GraphQL: what happens to accounts (signins_total, registrations_total,
// token_refreshes_total, counted by account.Service through its Metrics
// interface) and the latency of MongoDB commands
// (db_query_duration_seconds{system="mongodb"}). server.go wires both.
package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/virtual-store/virtual-store/internal/dbmetrics"
	"github.com/virtual-store/virtual-store/subgraphs/user/account"
)

// Accounts counts account outcomes; it is an account.Metrics.
type Accounts struct {
	signIns, registrations, refreshes *prometheus.CounterVec
}

var _ account.Metrics = (*Accounts)(nil)

// NewAccounts registers signins_total{outcome}, registrations_total{outcome}
// and token_refreshes_total{outcome} on reg, every outcome exported from
// zero so that rate() and alerts work from the start.
func NewAccounts(reg prometheus.Registerer) (*Accounts, error) {
	a := &Accounts{
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signins_total",
			Help: "Sign-ins by outcome: ok, failed (wrong email or password), throttled (refused by sign-in throttling).",
		}, []string{"outcome"}),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "registrations_total",
			Help: "Registrations by outcome: ok, rejected (invalid input or the email taken), throttled (too many from the client address).",
		}, []string{"outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "token_refreshes_total",
			Help: "Refresh token exchanges by outcome: ok, reused (an already rotated token: its sign-in is revoked), invalid (malformed, unknown, revoked or expired).",
		}, []string{"outcome"}),
	}
	for vec, outcomes := range map[*prometheus.CounterVec][]string{
		a.signIns:       {account.OutcomeOK, account.OutcomeFailed, account.OutcomeThrottled},
		a.registrations: {account.OutcomeOK, account.OutcomeRejected, account.OutcomeThrottled},
		a.refreshes:     {account.OutcomeOK, account.OutcomeReused, account.OutcomeInvalid},
	} {
		for _, o := range outcomes {
			vec.WithLabelValues(o)
		}
		if err := reg.Register(vec); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// SignIn implements account.Metrics.
func (a *Accounts) SignIn(outcome string) { a.signIns.WithLabelValues(outcome).Inc() }

// Registration implements account.Metrics.
func (a *Accounts) Registration(outcome string) { a.registrations.WithLabelValues(outcome).Inc() }

// TokenRefresh implements account.Metrics.
func (a *Accounts) TokenRefresh(outcome string) { a.refreshes.WithLabelValues(outcome).Inc() }

// commands are the MongoDB commands with a query label of their own; any
// other is "other", so the label stays bounded whatever the driver sends.
var commands = map[string]bool{
	"find": true, "insert": true, "update": true, "delete": true, "findAndModify": true,
	"aggregate": true, "count": true, "distinct": true, "getMore": true, "killCursors": true,
	"createIndexes": true, "listIndexes": true, "dropIndexes": true, "listCollections": true,
	"create": true, "drop": true, "ping": true, "endSessions": true, "bulkWrite": true,
}

// CommandMonitor returns a MongoDB command monitor recording every command
// in db_query_duration_seconds{system="mongodb",query=<command name>,outcome}
// on reg. A command that fails (network, server error) is outcome error; a
// write error inside a successful reply (a duplicate key) is ok at this level.
func CommandMonitor(reg prometheus.Registerer) (*event.CommandMonitor, error) {
	h, err := dbmetrics.QueryDuration(reg, dbmetrics.MongoDB)
	if err != nil {
		return nil, err
	}
	observe := func(e event.CommandFinishedEvent, outcome string) {
		name := e.CommandName
		if !commands[name] {
			name = dbmetrics.Other
		}
		h.WithLabelValues(name, outcome).Observe(e.Duration.Seconds())
	}
	return &event.CommandMonitor{
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) { observe(e.CommandFinishedEvent, dbmetrics.OK) },
		Failed:    func(_ context.Context, e *event.CommandFailedEvent) { observe(e.CommandFinishedEvent, dbmetrics.Error) },
	}, nil
}
