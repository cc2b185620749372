// Package accounts is the accounts subgraph of the gateway benchmark (see package subgraphs).
package accounts

// Resolver serves the benchmark data.
type Resolver struct{}
