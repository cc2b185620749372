package compose

import (
	"fmt"
	"strings"
)

// ParseList reads "name=url,name=url" (ROUTER_SUBGRAPHS).
func ParseList(s string) ([]Subgraph, error) {
	var out []Subgraph
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, url, ok := strings.Cut(part, "=")
		if !ok || name == "" || url == "" {
			return nil, fmt.Errorf("subgraph %q: want name=url", part)
		}
		out = append(out, Subgraph{Name: name, URL: url})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no subgraphs configured")
	}
	return out, nil
}
