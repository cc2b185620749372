package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/virtual-store/virtual-store/router/plan"
)

// activeLabels decides this request's progressive override labels: the
// configured ones, and each "percent(N)" label with probability N/100. The
// result (labels joined by commas) keys the plan cache and the planner.
func (e *Engine) activeLabels() string {
	if len(e.labels) == 0 {
		return ""
	}
	var on []string
	for _, l := range e.labels {
		if e.labelsOn[l] {
			on = append(on, l)
			continue
		}
		var pct float64
		if _, err := fmt.Sscanf(l, "percent(%g)", &pct); err == nil && rand.Float64()*100 < pct {
			on = append(on, l)
		}
	}
	return strings.Join(on, ",")
}

// plannerFor returns the planner of a set of active labels.
func (e *Engine) plannerFor(labels string) *plan.Planner {
	if len(e.labels) == 0 {
		return e.planner
	}
	if p, ok := e.labelPlanner.Load(labels); ok {
		return p.(*plan.Planner)
	}
	active := map[string]bool{}
	for _, l := range strings.Split(labels, ",") {
		if l != "" {
			active[l] = true
		}
	}
	p, _ := e.labelPlanner.LoadOrStore(labels, plan.New(e.Supergraph.WithLabels(active), e.API.Schema))
	return p.(*plan.Planner)
}

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}
