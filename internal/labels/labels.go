// Package labels bounds metric label values that come from callers, such as
// GraphQL operation names: every distinct value is a new time series, so a
// client sending random names could otherwise grow a service's memory and
// the monitoring system's without limit.
package labels

import (
	"regexp"
	"sync"
)

// Names turns caller-chosen names into label values: sanitised to
// [A-Za-z0-9_], at most 64 characters, "anonymous" when empty, and the
// first Max distinct ones kept, any further one counted as "other".
type Names struct {
	Max int

	mu   sync.Mutex
	seen map[string]bool
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_]`)

// Value is the label value for name.
func (n *Names) Value(name string) string {
	if name == "" {
		return "anonymous"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	name = unsafe.ReplaceAllString(name, "_")
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[name] {
		return name
	}
	if len(n.seen) >= n.Max {
		return "other"
	}
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	n.seen[name] = true
	return name
}
