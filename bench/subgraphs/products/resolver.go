// Package products is the products subgraph of the gateway benchmark (see package subgraphs).
package products

// Resolver serves the benchmark data.
type Resolver struct{}
