// Package reviews is the reviews subgraph of the gateway benchmark (see package subgraphs).
package reviews

// Resolver serves the benchmark data.
type Resolver struct{}
