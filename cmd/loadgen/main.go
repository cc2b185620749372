// Command loadgen simulates shoppers on the store through the router's
// GraphQL API: browsing with filters, sorting and pages, category pages,
// searching, product pages, registering and signing in, the account pages
// (profile, addresses, sessions, orders), carts, checkouts with a mix of
// cards (tok_visa mostly, some declined, now and then a processor error),
// cancellations; an admin restocking, shipping paid orders, working on the
// catalog and on staff roles; and clients' mistakes the store refuses (a
// stale token, a malformed link, a query nested too deep, a signed-out
// cart, a mistyped password), so that every panel of the store's dashboards
// has something to show.
//
//	loadgen -users 20 -duration 1m                 # closed model: 20 shoppers, think time between scenarios
//	loadgen -rate 10 -duration 5m                  # open model: 10 new scenarios a second, however slow the store
//	loadgen -users 5 -duration 20s -json > run.json
//	loadgen -mix '*=0,checkout=1' -users 4         # only checkouts (names: browse search product register signin account
//	                                               # cart checkout orders cancel restock fulfil catalog staff mistakes)
//
// It prints a progress line on stderr every second and a table per
// operation at the end (count, errors, p50, p95, p99, max), or with -json a
// JSON summary on stdout. An error is a failed request, a GraphQL error, or
// an answer the shopper did not expect (a userError other than the expected
// ones: a declined card's PAYMENT_DECLINED, a sold-out INSUFFICIENT_STOCK).
// It exits 1 if errors are more than -max-error-rate of the requests.
//
// The router allows 100 requests a second from one address by default
// (rate_limit.per_ip): beyond that it answers 429 RATE_LIMITED, counted as
// errors.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	url           string
	rate          float64
	users         int
	duration      time.Duration
	think         time.Duration
	maxInFlight   int
	timeout       time.Duration
	currency      string
	adminEmail    string
	adminPassword string
	mix           string
	maxErrorRate  float64
	json          bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://localhost:4000/graphql", "the router's GraphQL endpoint")
	flag.Float64Var(&o.rate, "rate", 0, "open model: start this many scenarios per second (excludes -users)")
	flag.IntVar(&o.users, "users", 0, "closed model: this many shoppers, each running scenarios one after another with think time (default 5 without -rate)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long to start new scenarios (running ones then finish)")
	flag.DurationVar(&o.think, "think", time.Second, "closed model: mean think time between a shopper's scenarios (exponential)")
	flag.IntVar(&o.maxInFlight, "max-in-flight", 200, "open model: scenarios running at once at most; starts beyond it are dropped and counted")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one request")
	flag.StringVar(&o.currency, "currency", "EUR", "the shoppers' currency (browsing also uses USD now and then)")
	flag.StringVar(&o.adminEmail, "admin-email", "admin@virtual-store.local", "the admin who restocks (make run's development admin by default)")
	flag.StringVar(&o.adminPassword, "admin-password", "admin-password-dev", "the admin's password")
	flag.StringVar(&o.mix, "mix", "", "scenario weights to change, e.g. checkout=30,restock=0 or *=0,checkout=1 (default "+defaultMix()+")")
	flag.Float64Var(&o.maxErrorRate, "max-error-rate", 0.05, "exit 1 when more than this share of requests fail")
	flag.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout (the table goes to stderr)")
	flag.Parse()

	code, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: "+err.Error())
	}
	os.Exit(code)
}

// run runs the load and prints the summary; it returns the exit code.
func run(o options) (int, error) {
	if o.rate > 0 && o.users > 0 {
		return 2, errors.New("-rate (open model) and -users (closed model) exclude each other")
	}
	if o.rate < 0 || o.users < 0 || o.duration <= 0 {
		return 2, errors.New("-rate, -users and -duration must be positive")
	}
	if o.rate == 0 && o.users == 0 {
		o.users = 5
	}
	m, err := parseMix(o.mix)
	if err != nil {
		return 2, err
	}

	// stop: no new scenarios (the duration is up, or Ctrl-C). abort: running
	// requests are cancelled (a second Ctrl-C, or scenarios that hang).
	stop, cancelStop := context.WithCancel(context.Background())
	defer cancelStop()
	abort, cancelAbort := context.WithCancel(context.Background())
	defer cancelAbort()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-signals:
			case <-abort.Done():
				return
			}
			if n == 0 {
				fmt.Fprintln(os.Stderr, "\nloadgen: stopping: running scenarios finish (Ctrl-C again cancels them)")
				cancelStop()
			} else {
				cancelAbort()
			}
		}
	}()

	st := newStats(time.Now())
	conns := max(o.users, min(o.maxInFlight, 256))
	sh := newShop(newClient(o.url, o.timeout, conns, st), o.currency, o.adminEmail, o.adminPassword)
	setup, cancelSetup := context.WithTimeout(stop, 30*time.Second)
	err = sh.load(setup)
	cancelSetup()
	if err != nil {
		return 2, fmt.Errorf("reading the catalog through %s: %w", o.url, err)
	}
	fmt.Fprintf(os.Stderr, "loadgen: %d products, %d categories at %s; %s for %s\n",
		len(sh.catalog.products), len(sh.catalog.categories), o.url, describeModel(o), o.duration)

	st.start = time.Now()
	if m.has("mistakes") {
		// Each kind of client mistake once, even in a short run (failures
		// are in the stats).
		_ = sh.mistakesOnce(abort)
	}
	timer := time.AfterFunc(o.duration, cancelStop)
	defer timer.Stop()
	var (
		wg        sync.WaitGroup
		started   atomic.Int64
		dropped   atomic.Int64
		inFlight  atomic.Int64
		doneTicks = make(chan struct{})
	)
	runOne := func() {
		started.Add(1)
		inFlight.Add(1)
		defer inFlight.Add(-1)
		_ = m.pick().Run(sh, abort) // failures are in the stats already
	}
	go printProgress(st, &inFlight, doneTicks)

	if o.rate > 0 {
		// Open model: scenarios start on a fixed schedule, whether or not the
		// earlier ones have finished.
		interval := time.Duration(float64(time.Second) / o.rate)
		next := time.Now()
	schedule:
		for {
			select {
			case <-stop.Done():
				break schedule
			case <-time.After(time.Until(next)):
			}
			next = next.Add(interval)
			if inFlight.Load() >= int64(o.maxInFlight) {
				dropped.Add(1)
				continue
			}
			wg.Go(runOne)
		}
	} else {
		// Closed model: each shopper runs a scenario, thinks, runs the next.
		for range o.users {
			wg.Go(func() {
				for stop.Err() == nil {
					runOne()
					think := min(time.Duration(rand.ExpFloat64()*float64(o.think)), 5*o.think)
					select {
					case <-stop.Done():
					case <-time.After(think):
					}
				}
			})
		}
		<-stop.Done()
	}
	sh.stopping.Store(true)
	// Running scenarios finish (their requests have -timeout each), unless
	// that takes too long or Ctrl-C comes again.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-abort.Done():
		<-finished
	case <-time.After(o.timeout + 5*time.Second):
		cancelAbort()
		<-finished
	}
	close(doneTicks)

	sum := st.summary(time.Now(), modelName(o), int(started.Load()))
	if n := dropped.Load(); n > 0 {
		sum.Outcomes[fmt.Sprintf("scenarios dropped (over -max-in-flight %d)", o.maxInFlight)] = int(n)
	}
	if o.json {
		sum.writeTable(os.Stderr)
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return 2, err
		}
	} else {
		sum.writeTable(os.Stdout)
	}
	switch {
	case sum.Requests == 0:
		return 1, errors.New("no request completed")
	case sum.ErrorRate > o.maxErrorRate:
		return 1, fmt.Errorf("%s of the requests failed, over -max-error-rate %s", pct(sum.Errors, sum.Requests), fmt.Sprintf("%g%%", 100*o.maxErrorRate))
	}
	return 0, nil
}

func modelName(o options) string {
	if o.rate > 0 {
		return "open"
	}
	return "closed"
}

func describeModel(o options) string {
	if o.rate > 0 {
		return fmt.Sprintf("%g scenarios/s (open model)", o.rate)
	}
	plural := "s"
	if o.users == 1 {
		plural = ""
	}
	return fmt.Sprintf("%d shopper%s thinking %s on average (closed model)", o.users, plural, o.think)
}

// printProgress writes the progress line to stderr every second until done:
// rewritten in place on a terminal, one line a second elsewhere.
func printProgress(st *stats, inFlight *atomic.Int64, done <-chan struct{}) {
	fi, _ := os.Stderr.Stat()
	tty := fi != nil && fi.Mode()&os.ModeCharDevice != 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := 0
	for {
		select {
		case <-done:
			if tty {
				fmt.Fprintln(os.Stderr)
			}
			return
		case now := <-tick.C:
			p := st.progress(now)
			line := p.line(float64(p.Requests-last)) + fmt.Sprintf("  %d running", inFlight.Load())
			last = p.Requests
			if tty {
				fmt.Fprint(os.Stderr, "\r"+line+"\033[K")
			} else {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
}
