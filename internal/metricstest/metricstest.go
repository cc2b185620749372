// Package metricstest reads Prometheus metrics in tests: from an admin
// port's /metrics (what Prometheus scrapes) or from a registry, as samples
// to look up by name and labels.
package metricstest

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Sample is one line of the exposition: a series and its value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples is a scrape.
type Samples []Sample

// Scrape GETs url (an admin port's /metrics) and parses the text exposition.
func Scrape(tb testing.TB, url string) Samples {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("scrape %s: %d %v\n%s", url, resp.StatusCode, err, b)
	}
	s, err := Parse(string(b))
	if err != nil {
		tb.Fatalf("scrape %s: %v", url, err)
	}
	return s
}

// Parse reads the Prometheus text format (label values without escapes).
func Parse(text string) (Samples, error) {
	var out Samples
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := Sample{Labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				return nil, fmt.Errorf("bad line %q", line)
			}
			s.Name, rest = line[:i], line[j+1:]
			for pair := range strings.SplitSeq(line[i+1:j], ",") {
				if pair == "" {
					continue
				}
				k, v, ok := strings.Cut(pair, "=")
				if !ok {
					return nil, fmt.Errorf("bad label %q in %q", pair, line)
				}
				s.Labels[k] = strings.Trim(v, `"`)
			}
		} else {
			var ok bool
			if s.Name, rest, ok = strings.Cut(line, " "); !ok {
				return nil, fmt.Errorf("bad line %q", line)
			}
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("no value in %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", line, err)
		}
		s.Value = v
		out = append(out, s)
	}
	return out, nil
}

// Gather reads a registry: counters and gauges by name, histograms as
// name_count and name_sum.
func Gather(tb testing.TB, g prometheus.Gatherer) Samples {
	tb.Helper()
	families, err := g.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	var out Samples
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.GetHistogram() != nil:
				out = append(out,
					Sample{Name: f.GetName() + "_count", Labels: labels, Value: float64(m.GetHistogram().GetSampleCount())},
					Sample{Name: f.GetName() + "_sum", Labels: labels, Value: m.GetHistogram().GetSampleSum()})
			case m.GetCounter() != nil:
				out = append(out, Sample{Name: f.GetName(), Labels: labels, Value: m.GetCounter().GetValue()})
			case m.GetGauge() != nil:
				out = append(out, Sample{Name: f.GetName(), Labels: labels, Value: m.GetGauge().GetValue()})
			case m.GetUntyped() != nil:
				out = append(out, Sample{Name: f.GetName(), Labels: labels, Value: m.GetUntyped().GetValue()})
			}
		}
	}
	return out
}

// Find returns the samples of name whose labels include labels (name,
// value pairs).
func (s Samples) Find(name string, labels ...string) Samples {
	var out Samples
	for _, x := range s {
		if x.Name == name && x.has(labels) {
			out = append(out, x)
		}
	}
	return out
}

// Sum adds up the samples Find returns (0 when there are none).
func (s Samples) Sum(name string, labels ...string) float64 {
	var sum float64
	for _, x := range s.Find(name, labels...) {
		sum += x.Value
	}
	return sum
}

// Has reports whether a sample of name with labels exists.
func (s Samples) Has(name string, labels ...string) bool { return len(s.Find(name, labels...)) > 0 }

// LabelValues lists the values label takes in the samples of name, sorted.
func (s Samples) LabelValues(name, label string) []string {
	seen := map[string]bool{}
	for _, x := range s.Find(name) {
		if v, ok := x.Labels[label]; ok {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func (x Sample) has(labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		if v, ok := x.Labels[labels[i]]; !ok || v != labels[i+1] {
			return false
		}
	}
	return true
}
