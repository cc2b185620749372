package main

import (
	"math"
	"slices"
	"testing"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		unit string
		v    float64
		want string
	}{
		{"s", 0.00153, "1.53 ms"},
		{"s", 0.25, "250 ms"},
		{"s", 300, "5 min"},
		{"s", 1.5, "1.50 s"},
		{"s", 0, "0 s"},
		{"s", 120, "2 min"},
		{"s", 5e-7, "500 ns"},
		{"s", 4.25e-5, "42.5 µs"},
		{"ms", 250, "250 ms"},
		{"ms", 1500, "1.50 s"},
		{"bytes", 50 << 20, "50 MiB"},
		{"bytes", 50.5 * (1 << 20), "50.5 MiB"},
		{"bytes", 1536, "1.50 KiB"},
		{"bytes", 512, "512 B"},
		{"bytes", 3 << 30, "3 GiB"},
		{"percentunit", 0.0123, "1.23%"},
		{"percentunit", 1, "100%"},
		{"percentunit", 0.5, "50%"},
		{"percentunit", 0.255, "25.5%"},
		{"percent", 99.5, "99.5%"},
		{"reqps", 12.345, "12.3 req/s"},
		{"reqps", 1234, "1.23K req/s"},
		{"ops", 0.5, "0.50 ops/s"},
		{"short", 42, "42"},
		{"short", 1, "1"},
		{"short", 1.5e6, "1.50 Mil"},
		{"", 7.5, "7.50"},
		{"widgets", 3, "3 widgets"},
		{"s", -0.0025, "-2.50 ms"},
		{"s", math.NaN(), "NaN"},
		{"s", math.Inf(1), "+Inf"},
	} {
		if got := formatValue(tc.unit, tc.v); got != tc.want {
			t.Errorf("formatValue(%q, %g) = %q, want %q", tc.unit, tc.v, got, tc.want)
		}
	}
}

func TestNiceAxis(t *testing.T) {
	zero, one := 0.0, 1.0
	for _, tc := range []struct {
		name     string
		unit     string
		lo, hi   float64
		min, max *float64
		n        int
		labels   []string
		top      float64
	}{
		{"latency in ms", "s", 0.0004, 0.0023, &zero, nil, 4, []string{"0 ms", "1 ms", "2 ms", "3 ms"}, 0.003},
		{"sub-ms latency", "s", 0, 0.00042, &zero, nil, 4, []string{"0 µs", "200 µs", "400 µs", "600 µs"}, 0.0006},
		{"ratio fixed to 100%", "percentunit", 0, 0.3, &zero, &one, 4, []string{"0%", "25%", "50%", "75%", "100%"}, 1},
		{"memory", "bytes", 30 << 20, 41 << 20, nil, nil, 3, []string{"30 MiB", "35 MiB", "40 MiB", "45 MiB"}, 45 << 20},
		{"rate with decimals", "reqps", 0, 0.9, &zero, nil, 4, []string{"0 req/s", "0.25 req/s", "0.50 req/s", "0.75 req/s", "1.00 req/s"}, 1},
		{"flat zero", "short", 0, 0, &zero, nil, 4, []string{"0", "0.25", "0.50", "0.75", "1.00"}, 1},
	} {
		a := niceAxis(tc.unit, tc.lo, tc.hi, tc.min, tc.max, tc.n)
		if !slices.Equal(a.Labels, tc.labels) || math.Abs(a.Max-tc.top) > 1e-9*math.Abs(tc.top) {
			t.Errorf("%s: labels %q, max %g; want %q, %g", tc.name, a.Labels, a.Max, tc.labels, tc.top)
		}
	}
	// A right axis over the left one's intervals.
	a := alignedAxis("ops", 0, 7.3, &zero, 3)
	if want := []string{"0 ops/s", "2.5 ops/s", "5.0 ops/s", "7.5 ops/s"}; !slices.Equal(a.Labels, want) || a.Max != 7.5 {
		t.Errorf("alignedAxis: %q up to %g, want %q up to 7.5", a.Labels, a.Max, want)
	}
}
