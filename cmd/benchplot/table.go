package main

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// A table is one TSV file of scripts/bench-curves.sh: comment lines (#)
// first, then a header naming the columns, then one row per measured
// point; the peer column says which line a row belongs to.
type table struct {
	note string         // the comment lines: date, machine, durations
	cols map[string]int // column name → index
	rows [][]string
}

func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := &table{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			t.note = strings.TrimSpace(strings.TrimSpace(t.note) + " " + strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case t.cols == nil:
			t.cols = map[string]int{}
			for i, name := range strings.Split(line, "\t") {
				t.cols[strings.TrimSpace(name)] = i
			}
		default:
			fields := strings.Split(line, "\t")
			if len(fields) != len(t.cols) {
				return nil, fmt.Errorf("%s:%d: %d fields, the header names %d", path, n, len(fields), len(t.cols))
			}
			t.rows = append(t.rows, fields)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.cols == nil {
		return nil, fmt.Errorf("%s: no header", path)
	}
	return t, nil
}

// point is one measurement: x against y.
type point struct{ x, y float64 }

// line is the points of one peer and one measured column, ordered by x.
type line struct {
	peer, col string
	points    []point
}

// lines is the table's x column against each of the y columns, one line
// per peer (in the order the table first names them) and column. A "-"
// is no value (the router's CPU time where the router is not asked), and
// the x axis is logarithmic: points at x ≤ 0 are left out, and at y ≤ 0
// too when logY says the y axis is.
func (t *table) lines(x string, ys []string, logY bool) ([]line, error) {
	peer, ok := t.cols["peer"]
	if !ok {
		return nil, fmt.Errorf("no peer column")
	}
	xi, ok := t.cols[x]
	if !ok {
		return nil, fmt.Errorf("no %s column", x)
	}
	var out []line
	for _, y := range ys {
		yi, ok := t.cols[y]
		if !ok {
			return nil, fmt.Errorf("no %s column", y)
		}
		for _, r := range t.rows {
			i := slices.IndexFunc(out, func(l line) bool { return l.peer == r[peer] && l.col == y })
			if i < 0 {
				out = append(out, line{peer: r[peer], col: y})
				i = len(out) - 1
			}
			if r[yi] == "-" {
				continue
			}
			xv, err := strconv.ParseFloat(r[xi], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", x, err)
			}
			yv, err := strconv.ParseFloat(r[yi], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", y, err)
			}
			if xv <= 0 || logY && yv <= 0 {
				continue
			}
			out[i].points = append(out[i].points, point{xv, yv})
		}
	}
	for _, l := range out {
		slices.SortStableFunc(l.points, func(a, b point) int { return cmp.Compare(a.x, b.x) })
	}
	// Peers first, then columns: a peer's lines side by side in the legend.
	peers := []string{}
	for _, l := range out {
		if !slices.Contains(peers, l.peer) {
			peers = append(peers, l.peer)
		}
	}
	slices.SortStableFunc(out, func(a, b line) int {
		return slices.Index(peers, a.peer) - slices.Index(peers, b.peer)
	})
	return out, nil
}
