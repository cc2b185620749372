// Package inventory is the inventory subgraph of the gateway benchmark (see package subgraphs).
package inventory

// Resolver serves the benchmark data.
type Resolver struct{}
