package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// stats collects every request's latency by operation, the errors, and the
// business outcomes the scenarios report (checkout PAID, a declined card...).
// Latencies are kept exactly: a run of an hour at a few hundred requests a
// second is a few million durations, tens of megabytes.
type stats struct {
	mu       sync.Mutex
	start    time.Time
	ops      map[string]*opStats
	all      []time.Duration // every request, for the progress line
	errors   int
	outcomes map[string]int
}

type opStats struct {
	latencies []time.Duration
	errors    int
	samples   []string // the first few distinct error messages
}

const maxErrorSamples = 3

func newStats(start time.Time) *stats {
	return &stats{start: start, ops: map[string]*opStats{}, outcomes: map[string]int{}}
}

func (s *stats) op(name string) *opStats {
	o := s.ops[name]
	if o == nil {
		o = &opStats{}
		s.ops[name] = o
	}
	return o
}

// record adds one request of op that took d and failed with err (nil: it did not).
func (s *stats) record(op string, d time.Duration, err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.op(op)
	o.latencies = append(o.latencies, d)
	s.all = append(s.all, d)
	if err != nil {
		s.failLocked(o, err)
	}
}

// fail counts an error for a request of op already recorded (a payload that
// answered, but not what the shopper expected).
func (s *stats) fail(op string, err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(s.op(op), err)
}

func (s *stats) failLocked(o *opStats, err error) {
	o.errors++
	s.errors++
	msg := err.Error()
	if len(o.samples) < maxErrorSamples && !slices.Contains(o.samples, msg) {
		o.samples = append(o.samples, msg)
	}
}

// outcome counts a business outcome, e.g. "Checkout PAID".
func (s *stats) outcome(name string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.outcomes[name]++
	s.mu.Unlock()
}

// percentile is the nearest-rank p-th percentile (0 < p <= 1) of sorted
// durations: the smallest one that at least p of them do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// progress is the state of the run so far, for the line printed every second.
type progress struct {
	Elapsed  time.Duration
	Requests int
	Errors   int
	P50, P99 time.Duration
}

func (s *stats) progress(now time.Time) progress {
	s.mu.Lock()
	all := slices.Clone(s.all)
	p := progress{Elapsed: now.Sub(s.start), Requests: len(all), Errors: s.errors}
	s.mu.Unlock()
	slices.Sort(all)
	p.P50, p.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return p
}

// line is the progress line; rate is the requests per second since the last one.
func (p progress) line(rate float64) string {
	return fmt.Sprintf("%5.0fs  %7.1f req/s  %7d requests  %5d errors (%s)  p50 %s  p99 %s",
		p.Elapsed.Seconds(), rate, p.Requests, p.Errors, pct(p.Errors, p.Requests), ms(p.P50), ms(p.P99))
}

// row is one operation's line of the summary.
type row struct {
	Operation string  `json:"operation"`
	Count     int     `json:"count"`
	Errors    int     `json:"errors"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

func newRow(name string, lat []time.Duration, errors int) row {
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	r := row{Operation: name, Count: len(sorted), Errors: errors}
	if len(sorted) > 0 {
		r.P50, r.P95, r.P99 = msf(percentile(sorted, .50)), msf(percentile(sorted, .95)), msf(percentile(sorted, .99))
		r.Max = msf(sorted[len(sorted)-1])
	}
	return r
}

// summary is the result of a run, printed as a table or as JSON.
type summary struct {
	Mode         string              `json:"mode"`
	DurationS    float64             `json:"duration_s"`
	Scenarios    int                 `json:"scenarios"`
	Requests     int                 `json:"requests"`
	Errors       int                 `json:"errors"`
	ErrorRate    float64             `json:"error_rate"`
	RPS          float64             `json:"requests_per_second"`
	Operations   []row               `json:"operations"`
	Total        row                 `json:"total"`
	Outcomes     map[string]int      `json:"outcomes"`
	ErrorSamples map[string][]string `json:"error_samples,omitempty"`
}

func (s *stats) summary(now time.Time, mode string, scenarios int) summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := now.Sub(s.start)
	sum := summary{
		Mode: mode, DurationS: round3(elapsed.Seconds()), Scenarios: scenarios,
		Requests: len(s.all), Errors: s.errors,
		Outcomes: maps.Clone(s.outcomes), ErrorSamples: map[string][]string{},
	}
	if sum.Requests > 0 {
		sum.ErrorRate = round3(float64(s.errors) / float64(sum.Requests))
	}
	if elapsed > 0 {
		sum.RPS = round3(float64(sum.Requests) / elapsed.Seconds())
	}
	names := make([]string, 0, len(s.ops))
	for name := range s.ops {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		o := s.ops[name]
		sum.Operations = append(sum.Operations, newRow(name, o.latencies, o.errors))
		if len(o.samples) > 0 {
			sum.ErrorSamples[name] = slices.Clone(o.samples)
		}
	}
	sum.Total = newRow("total", s.all, s.errors)
	return sum
}

// writeTable prints the summary for a person: one row per operation, the
// total, the outcomes and a few error messages.
func (sum summary) writeTable(w io.Writer) {
	width := len("operation")
	for _, r := range sum.Operations {
		width = max(width, len(r.Operation))
	}
	format := fmt.Sprintf("%%-%ds %%8s %%7s %%10s %%10s %%10s %%10s\n", width)
	fmt.Fprintf(w, format, "operation", "count", "errors", "p50", "p95", "p99", "max")
	line := func(r row) {
		fmt.Fprintf(w, format, r.Operation, fmt.Sprint(r.Count), fmt.Sprint(r.Errors),
			msOf(r.P50), msOf(r.P95), msOf(r.P99), msOf(r.Max))
	}
	for _, r := range sum.Operations {
		line(r)
	}
	fmt.Fprintln(w, strings.Repeat("-", width+61))
	line(sum.Total)
	fmt.Fprintf(w, "\n%d scenarios, %d requests in %.1fs (%.1f req/s, %s model), %d errors (%s)\n",
		sum.Scenarios, sum.Requests, sum.DurationS, sum.RPS, sum.Mode, sum.Errors, pct(sum.Errors, sum.Requests))
	if len(sum.Outcomes) > 0 {
		keys := make([]string, 0, len(sum.Outcomes))
		for k := range sum.Outcomes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, sum.Outcomes[k])
		}
		fmt.Fprintf(w, "outcomes: %s\n", strings.Join(parts, ", "))
	}
	if len(sum.ErrorSamples) > 0 {
		fmt.Fprintln(w, "errors:")
		keys := make([]string, 0, len(sum.ErrorSamples))
		for k := range sum.ErrorSamples {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, m := range sum.ErrorSamples[k] {
				fmt.Fprintf(w, "  %s: %s\n", k, m)
			}
		}
	}
}

func msf(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// ms formats a duration in milliseconds for the progress line and table.
func ms(d time.Duration) string { return msOf(msf(d)) }

func msOf(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0fms", v)
	}
	return fmt.Sprintf("%.1fms", v)
}

func pct(part, whole int) string {
	if whole == 0 {
		return "0.0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}
