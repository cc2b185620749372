package main

// process is one service of the local stack.
type process struct {
	name   string
	binary string   // in the --bin directory
	port   int      // checked free before start; /readyz polled on it
	env    []string // added to the inherited environment
	// databases are created on the local PostgreSQL if missing.
	databases []string
	// urls are printed once the stack is ready (relative to the port).
	urls []string
}

// The administrator `make run` creates on a fresh data directory (printed in
// the banner and the README; local use only).
const (
	DevAdminEmail    = "admin@virtual-store.local"
	DevAdminPassword = "admin-password-dev"
)

// stack is the whole store as `make run` starts it, in start order. Each
// service's issue adds its entry here.
var stack = []process{
	{
		name:   "user",
		binary: "user",
		port:   4001,
		env: []string{
			"USER_DATA_DIR=.data/user",
			"USER_BOOTSTRAP_ADMIN_EMAIL=" + DevAdminEmail,
			"USER_BOOTSTRAP_ADMIN_PASSWORD=" + DevAdminPassword,
		},
		urls: []string{"/graphql", "/.well-known/jwks.json"},
	},
	{
		name:      "product",
		binary:    "product",
		port:      4002,
		env:       []string{"PRODUCT_SEED=true"},
		databases: []string{"virtual_store_product"},
		urls:      []string{"/graphql", "/metrics"},
	},
	{
		name:      "paymentgw",
		binary:    "paymentgw",
		port:      4010,
		databases: []string{"virtual_store_paymentgw"},
		urls:      []string{"/v1/totals"},
	},
	{
		name:      "order",
		binary:    "order",
		port:      4003,
		databases: []string{"virtual_store_order"},
		urls:      []string{"/graphql"},
	},
	{
		// Last: it composes the supergraph from the subgraphs above.
		name:   "router",
		binary: "router",
		port:   4000,
		urls:   []string{"/ (GraphiQL playground)", "/graphql", "/metrics"},
	},
}
