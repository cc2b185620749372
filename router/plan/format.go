package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Format prints p the way Apollo prints query plans: fetches grouped in
// Sequence and Parallel blocks, entity fetches in a Flatten at their path
// with the representations they send. Fetches are grouped in waves (each
// wave depends only on earlier ones); the executor is finer-grained and
// starts every fetch as soon as its own dependencies are done.
func Format(p *Plan) string {
	var all []*Fetch
	var walk func(f *Fetch)
	walk = func(f *Fetch) {
		all = append(all, f)
		for _, c := range f.Children {
			walk(c)
		}
	}
	for _, r := range p.Roots {
		walk(r)
	}
	deps := map[int][]int{}
	for _, f := range all {
		deps[f.ID] = append(deps[f.ID], f.After...)
		for _, c := range f.Children {
			deps[c.ID] = append(deps[c.ID], f.ID)
		}
	}
	if p.Sequential {
		// Mutation roots run one after the other, each after the whole
		// tree of the previous one.
		var previous []int
		for _, r := range p.Roots {
			deps[r.ID] = append(deps[r.ID], previous...)
			previous = previous[:0]
			var ids func(f *Fetch)
			ids = func(f *Fetch) {
				previous = append(previous, f.ID)
				for _, c := range f.Children {
					ids(c)
				}
			}
			ids(r)
			previous = slices.Clone(previous)
		}
	}
	wave := map[int]int{}
	var level func(id int) int
	level = func(id int) int {
		if w, ok := wave[id]; ok {
			return w
		}
		wave[id] = 0 // a cycle would be refused by the planner; guard anyway
		w := 0
		for _, d := range deps[id] {
			w = max(w, level(d)+1)
		}
		wave[id] = w
		return w
	}
	var waves [][]*Fetch
	for _, f := range all {
		w := level(f.ID)
		for len(waves) <= w {
			waves = append(waves, nil)
		}
		waves[w] = append(waves[w], f)
	}

	var b strings.Builder
	b.WriteString("QueryPlan {\n")
	indent := "  "
	if len(waves) > 1 {
		b.WriteString(indent + "Sequence {\n")
		indent += "  "
	}
	for i, fs := range waves {
		if len(fs) == 1 {
			writeFetch(&b, fs[0], indent)
		} else {
			b.WriteString(indent + "Parallel {\n")
			for j, f := range fs {
				writeFetch(&b, f, indent+"  ")
				if j < len(fs)-1 {
					b.WriteString(",")
				}
				b.WriteString("\n")
			}
			b.WriteString(indent + "}")
		}
		if i < len(waves)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	if len(waves) > 1 {
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func writeFetch(b *strings.Builder, f *Fetch, indent string) {
	in := indent
	if f.Entity {
		paths := []string{strconv.Quote(strings.Join(f.Path, "."))}
		for _, p := range f.MorePaths {
			paths = append(paths, strconv.Quote(strings.Join(p, ".")))
		}
		b.WriteString(in + "Flatten(path: " + strings.Join(paths, ", ") + ") {\n")
		in += "  "
	}
	b.WriteString(in + "Fetch(service: " + strconv.Quote(f.Graph) + ") {\n")
	if f.Entity {
		var reps strings.Builder
		writeSelections(&reps, []*Selection{{TypeCond: strings.Join(f.Types, "|"), Children: f.Representation}}, map[string]bool{})
		fmt.Fprintf(b, "%s  %s =>\n", in, reps.String())
	}
	b.WriteString(in + "  " + f.Operation + "\n")
	b.WriteString(in + "}")
	if f.Entity {
		b.WriteString("\n" + indent + "}")
	}
}
