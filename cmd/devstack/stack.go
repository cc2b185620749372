package main

// process is one service of the local stack.
type process struct {
	name   string
	binary string   // in the --bin directory
	port   int      // the service port (mutual TLS, but the router's public one)
	admin  int      // the admin port: /readyz polled on it, /metrics scraped
	env    []string // added to the inherited environment
	// databases are created on the local PostgreSQL if missing.
	databases []string
	// urls are printed once the stack is ready (relative to the port).
	urls []string
	// public: the service port is plain HTTP for browsers (the router's).
	public bool
	// noTLS: no certificate of the store's CA (the storefront calls only
	// the router's public port).
	noTLS bool
	// optional: started when its binary is there (make build makes it;
	// tools that run the store from a bin directory of their own may not).
	optional bool
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
		admin:  4101,
		env: []string{
			"USER_DATA_DIR=.data/user",
			"USER_BOOTSTRAP_ADMIN_EMAIL=" + DevAdminEmail,
			"USER_BOOTSTRAP_ADMIN_PASSWORD=" + DevAdminPassword,
			// Every local shopper (make load, the smoke journey) registers
			// from 127.0.0.1: production's 20 an hour would stop them.
			"USER_REGISTER_MAX_PER_IP=100000",
			// A soft memory limit, as Kubernetes sets from the container:
			// half of it bounds the concurrent password hashes (one 64 MiB
			// hash at a time here), so a sign-up rush peaks near 240 MB.
			"GOMEMLIMIT=192MiB",
		},
		urls: []string{"/graphql (router only)", "/.well-known/jwks.json (router only)"},
	},
	{
		name:      "product",
		binary:    "product",
		port:      4002,
		admin:     4102,
		env:       []string{"PRODUCT_SEED=true"},
		databases: []string{"virtual_store_product"},
		urls:      []string{"/graphql (router only)", "/internal/v1 (order only)"},
	},
	{
		name:      "paymentgw",
		binary:    "paymentgw",
		port:      4010,
		admin:     4110,
		databases: []string{"virtual_store_paymentgw"},
		urls:      []string{"/v1 (order only)"},
	},
	{
		name:      "order",
		binary:    "order",
		port:      4003,
		admin:     4103,
		databases: []string{"virtual_store_order"},
		urls:      []string{"/graphql (router only)"},
	},
	{
		// Last: it composes the supergraph from the subgraphs above.
		name:   "router",
		binary: "router",
		port:   4000,
		admin:  4100,
		urls:   []string{"/ (GraphiQL playground)", "/graphql"},
		public: true,
	},
	{
		// After the router: the web store in front of it (cmd/storefront),
		// /graphql proxied to the router, the sign-in cookie kept here.
		name:     "storefront",
		binary:   "storefront",
		port:     3000,
		admin:    3100,
		env:      []string{"STOREFRONT_ROUTER_URL=http://localhost:4000/graphql"},
		urls:     []string{"/ (the web store: browse, sign in, buy, watch the order)"},
		public:   true,
		noTLS:    true,
		optional: true,
	},
}
