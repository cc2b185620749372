package user_test

import (
	"testing"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/metricstest"
)

// scrape reads the admin port's /metrics, as Prometheus does.
func scrape(t *testing.T) metricstest.Samples {
	t.Helper()
	return metricstest.Scrape(t, adminSrv.URL+"/metrics")
}

// delta runs action and returns how much each series (name, then label
// pairs) grew meanwhile.
func delta(t *testing.T, action func(), series ...[]string) []float64 {
	t.Helper()
	before := scrape(t)
	action()
	after := scrape(t)
	out := make([]float64, len(series))
	for i, s := range series {
		if !after.Has(s[0], s[1:]...) {
			t.Fatalf("no %v on /metrics", s)
		}
		out[i] = after.Sum(s[0], s[1:]...) - before.Sum(s[0], s[1:]...)
	}
	return out
}

func TestAccountOutcomesAreCounted(t *testing.T) {
	signIn := func(outcome string) []string { return []string{"signins_total", "outcome", outcome} }
	registration := func(outcome string) []string { return []string{"registrations_total", "outcome", outcome} }
	refresh := func(outcome string) []string { return []string{"token_refreshes_total", "outcome", outcome} }
	// Every outcome is exported from the start.
	s := scrape(t)
	for _, want := range [][]string{signIn("ok"), signIn("failed"), signIn("throttled"), registration("ok"), registration("rejected"),
		refresh("ok"), refresh("reused"), refresh("invalid")} {
		if !s.Has(want[0], want[1:]...) {
			t.Errorf("no %v", want)
		}
	}

	var a account
	d := delta(t, func() {
		a = register(t, "metrics")
		r := anon.do(t, `mutation { register(input: {email: "not-an-email", password: "short", name: ""}) { userErrors { code } } }`, nil)
		if len(r.UserErrorCodes("register")) == 0 {
			t.Fatal("an invalid registration was accepted")
		}
	}, registration("ok"), registration("rejected"))
	if d[0] != 1 || d[1] != 1 {
		t.Errorf("registrations ok +%v, rejected +%v; want +1 each", d[0], d[1])
	}

	d = delta(t, func() {
		if r := login(t, a.email, a.password, uniqueIP()); r.Dig("login", "accessToken") == nil {
			t.Fatalf("login: %v", r.Data)
		}
		guesser := uniqueIP()
		for range 5 {
			login(t, a.email, "wrong passphrase!", guesser)
		}
		if got := login(t, a.email, a.password, guesser).UserErrorCodes("login"); !codesAre(got, graph.CodeRateLimited) {
			t.Fatalf("6th attempt: %v", got)
		}
	}, signIn("ok"), signIn("failed"), signIn("throttled"))
	if d[0] != 1 || d[1] != 5 || d[2] != 1 {
		t.Errorf("sign-ins ok +%v, failed +%v, throttled +%v; want +1, +5, +1", d[0], d[1], d[2])
	}

	d = delta(t, func() {
		if r := anon.do(t, refreshMutation, map[string]any{"t": a.refresh}); r.Dig("refreshToken", "refreshToken") == nil {
			t.Fatalf("refresh: %v", r.Data)
		}
		anon.do(t, refreshMutation, map[string]any{"t": a.refresh}) // reused
		anon.do(t, refreshMutation, map[string]any{"t": "garbage"}) // invalid
	}, refresh("ok"), refresh("reused"), refresh("invalid"))
	if d[0] != 1 || d[1] != 1 || d[2] != 1 {
		t.Errorf("refreshes ok +%v, reused +%v, invalid +%v; want +1 each", d[0], d[1], d[2])
	}
}

func TestMongoCommandsAreTimed(t *testing.T) {
	const h = "db_query_duration_seconds_count"
	d := delta(t, func() {
		a := register(t, "mongo-metrics")         // inserts the user and its refresh token
		login(t, a.email, a.password, uniqueIP()) // finds the user
	},
		[]string{h, "system", "mongodb", "query", "insert", "outcome", "ok"},
		[]string{h, "system", "mongodb", "query", "find", "outcome", "ok"})
	if d[0] < 1 || d[1] < 1 {
		t.Errorf("a registration and a sign-in added %v inserts and %v finds, want at least one each", d[0], d[1])
	}
	for _, q := range scrape(t).LabelValues(h, "query") {
		switch q {
		case "find", "insert", "update", "delete", "findAndModify", "aggregate", "count", "distinct", "getMore", "killCursors",
			"createIndexes", "listIndexes", "dropIndexes", "listCollections", "create", "drop", "ping", "endSessions", "bulkWrite", "other":
		default:
			t.Errorf("query label %q is not a known MongoDB command", q)
		}
	}
}
