package main

import (
	"math"
	"strconv"
	"strings"
)

// Grafana units (the panel's unit id) as this preview prints them: a value
// is divided by a scale's factor and followed by its suffix, the scale
// chosen by the value's magnitude (for an axis, by the largest tick).

// scale is one step of a unit: 1.5e-3 s is 1.5 ms (factor 1e-3, " ms").
type scale struct {
	factor float64
	suffix string
}

// scales are a unit's scales, smallest first. A value uses the largest
// scale whose factor is at most its magnitude (the first one below all).
var scales = map[string][]scale{
	"s":           {{1e-9, " ns"}, {1e-6, " µs"}, {1e-3, " ms"}, {1, " s"}, {60, " min"}, {3600, " hour"}, {86400, " day"}},
	"bytes":       {{1, " B"}, {1 << 10, " KiB"}, {1 << 20, " MiB"}, {1 << 30, " GiB"}, {1 << 40, " TiB"}},
	"decbytes":    {{1, " B"}, {1e3, " kB"}, {1e6, " MB"}, {1e9, " GB"}, {1e12, " TB"}},
	"percentunit": {{0.01, "%"}},
	"percent":     {{1, "%"}},
	"short":       {{1, ""}, {1e3, " K"}, {1e6, " Mil"}, {1e9, " Bil"}, {1e12, " Tri"}},
	"none":        {{1, ""}},
}

// rateUnits are Grafana's "per second" count units: short's scales, then
// the unit's own suffix (1.2K req/s).
var rateUnits = map[string]string{"reqps": "req/s", "ops": "ops/s", "rps": "rd/s", "wps": "wr/s", "cps": "c/s", "iops": "io/s"}

// unitScales are the scales of a Grafana unit id. Units in other time
// bases (ms, µs, ns) are seconds scaled first; an unknown unit is a plain
// number followed by the unit itself, as Grafana shows a custom suffix.
func unitScales(unit string) (base float64, sc []scale) {
	switch unit {
	case "ms":
		return 1e-3, scales["s"]
	case "µs", "us":
		return 1e-6, scales["s"]
	case "ns":
		return 1e-9, scales["s"]
	case "", "short":
		return 1, scales["short"]
	}
	if sc, ok := scales[unit]; ok {
		return 1, sc
	}
	if suffix, ok := rateUnits[unit]; ok {
		out := make([]scale, len(scales["short"]))
		for i, s := range scales["short"] {
			out[i] = scale{s.factor, strings.TrimSpace(s.suffix) + " " + suffix}
		}
		out[0].suffix = " " + suffix
		return 1, out
	}
	return 1, []scale{{1, " " + unit}}
}

// pickScale is the scale for values of magnitude m in unit (m in the
// panel's own unit, e.g. seconds for "s").
func pickScale(unit string, m float64) scale {
	base, sc := unitScales(unit)
	m = math.Abs(m) * base
	pick := sc[0]
	for _, s := range sc {
		// Zero is shown on the unit's own scale (0 s, not 0 ns).
		if (m == 0 && s.factor == base) || (m > 0 && m >= s.factor*(1-1e-9)) {
			pick = s
		}
	}
	pick.factor /= base
	return pick
}

// formatValue is v in unit with about three significant digits (none
// after the point for a whole number), as a stat panel shows it: 0.00153 s
// is "1.53 ms", 0.255 percentunit "25.5%", 1234 reqps "1.23K req/s", 1
// short "1".
func formatValue(unit string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	sc := pickScale(unit, v)
	x := v / sc.factor
	decimals := 2
	switch a := math.Abs(x); {
	case a == math.Round(a): // whole: 1 instance, 0 req/s, 100%
		decimals = 0
	case a >= 99.95:
		decimals = 0
	case a >= 9.995:
		decimals = 1
	}
	return strconv.FormatFloat(x, 'f', decimals, 64) + sc.suffix
}

// formatTick is an axis label: v on scale sc with the decimals the tick
// step needs (0.5 ms steps: one decimal).
func formatTick(sc scale, v float64, decimals int) string {
	x := v / sc.factor
	if math.Abs(x) < 1e-12 {
		x, decimals = 0, 0
	}
	return strconv.FormatFloat(x, 'f', decimals, 64) + sc.suffix
}

// axis is a value axis: its range, its ticks and their labels.
type axis struct {
	Min, Max float64
	Ticks    []float64
	Labels   []string
}

// niceAxis lays out an axis for data from lo to hi in unit, with about n
// intervals: the range is widened to whole ticks of a nice step (1, 2,
// 2.5 or 5 times a power of ten, on the unit's scale), except where the
// panel fixes min or max.
func niceAxis(unit string, lo, hi float64, fixMin, fixMax *float64, n int) axis {
	if fixMin != nil {
		lo = *fixMin
	}
	if fixMax != nil {
		hi = *fixMax
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || hi < lo {
		lo, hi = 0, 1
	}
	if hi == lo {
		if fixMax == nil {
			hi = lo + max(math.Abs(lo), 1)
		} else {
			lo = hi - max(math.Abs(hi), 1)
		}
	}
	sc := pickScale(unit, max(math.Abs(lo), math.Abs(hi)))
	slo, shi := lo/sc.factor, hi/sc.factor
	step := niceStep((shi - slo) / float64(max(n, 1)))
	a := axis{Min: lo, Max: hi}
	first := math.Floor(slo/step+1e-9) * step
	last := math.Ceil(shi/step-1e-9) * step
	if fixMin == nil {
		a.Min = first * sc.factor
	} else if first < slo-1e-9*step {
		first += step
	}
	if fixMax == nil {
		a.Max = last * sc.factor
	} else if last > shi+1e-9*step {
		last -= step
	}
	for t := first; t <= last+step*1e-6; t += step {
		a.Ticks = append(a.Ticks, t*sc.factor)
	}
	a.label(unit, step*sc.factor)
	return a
}

// niceStep is the nice step at or above rough: 1, 2, 2.5 or 5 x 10^k.
func niceStep(rough float64) float64 {
	if rough <= 0 || math.IsNaN(rough) || math.IsInf(rough, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(rough)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if rough <= m*mag*(1+1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// decimals is how many decimals multiples of step need (0.25: 2).
func decimals(step float64) int {
	for d := 0; d < 9; d++ {
		x := step * math.Pow(10, float64(d))
		if math.Abs(x-math.Round(x)) < 1e-6*max(1, x) {
			return d
		}
	}
	return 9
}

// label writes an axis' tick labels on the scale of its largest end (the
// ticks were laid out on the data's, which can be the one below: 0 to
// 1000 ms reads 0 to 1 s).
func (a *axis) label(unit string, step float64) {
	sc := pickScale(unit, max(math.Abs(a.Min), math.Abs(a.Max)))
	d := decimals(step / sc.factor)
	a.Labels = a.Labels[:0]
	for _, t := range a.Ticks {
		a.Labels = append(a.Labels, formatTick(sc, t, d))
	}
}

// alignedAxis lays out a second axis over the same n intervals as the
// first, so that its ticks fall on the first one's grid lines: from lo (or
// the panel's min) up by a nice step.
func alignedAxis(unit string, lo, hi float64, fixMin *float64, n int) axis {
	if fixMin != nil {
		lo = *fixMin
	}
	n = max(n, 1)
	if math.IsNaN(lo) || math.IsNaN(hi) || hi <= lo {
		hi = lo + 1
	}
	sc := pickScale(unit, max(math.Abs(lo), math.Abs(hi)))
	slo, shi := lo/sc.factor, hi/sc.factor
	step := niceStep((shi - slo) / float64(n))
	first := slo
	for fixMin == nil {
		first = math.Floor(slo/step+1e-9) * step
		if first+step*float64(n) >= shi*(1-1e-9) {
			break
		}
		// Flooring the start left the top short of hi: a larger step.
		step = niceStep(step * 1.0001)
	}
	a := axis{Min: first * sc.factor, Max: (first + step*float64(n)) * sc.factor}
	for k := 0; k <= n; k++ {
		a.Ticks = append(a.Ticks, (first+step*float64(k))*sc.factor)
	}
	a.label(unit, step*sc.factor)
	return a
}
