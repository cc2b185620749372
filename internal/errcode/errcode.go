// Package errcode names the `extensions.code` of every error the store
// answers with, in one place: clients branch on these strings, so each is
// spelled once and changed never. The router and the subgraphs refuse the
// same things with the same strings, but for one convention each keeps: a
// guarded field asked without credentials is Unauthorized at the router (as
// Apollo's router answers it) and Unauthenticated in a subgraph. (The codes inside mutation payloads,
// userErrors, are a GraphQL enum: graph.UserErrorCode.)
package errcode

// Requests refused at the HTTP edge (router/server), before any GraphQL is read.
const (
	// BadRequest is a request that is not a GraphQL request over HTTP (no
	// query, not JSON, a mutation over GET, a malformed persisted query).
	BadRequest = "BAD_REQUEST"
	// RequestTooLarge is a body over limits.max_body_bytes (HTTP 413).
	RequestTooLarge = "REQUEST_TOO_LARGE"
	// ServiceUnavailable is a router with no supergraph yet (HTTP 503).
	ServiceUnavailable = "SERVICE_UNAVAILABLE"
	// Internal is a failure of the router's own (the details go to its log).
	Internal = "INTERNAL_SERVER_ERROR"
	// Unauthenticated is a credential that does not verify (HTTP 401).
	Unauthenticated = "UNAUTHENTICATED"
	// RateLimited is a request over a rate limit bucket (HTTP 429).
	RateLimited = "RATE_LIMITED"
	// IPNotAllowed is a caller outside an allow-list (ip_allow).
	IPNotAllowed = "IP_NOT_ALLOWED"
)

// Persisted queries (router/persisted). PersistedQueryNotFound is what APQ
// clients (Apollo Client, urql, graphql-request) react to by resending the
// document.
const (
	PersistedQueryNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	PersistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
	PersistedQueryHashMismatch = "PERSISTED_QUERY_HASH_MISMATCH"
	PersistedQueryNotInList    = "PERSISTED_QUERY_NOT_IN_LIST"
)

// Hostile operations refused before planning (router/limits).
const (
	DocumentTooLarge  = "DOCUMENT_TOO_LARGE"
	TooManyTokens     = "MAX_TOKENS_EXCEEDED"
	TooDeep           = "MAX_DEPTH_EXCEEDED"
	TooManyAliases    = "MAX_ALIASES_EXCEEDED"
	TooManyRootFields = "MAX_ROOT_FIELDS_EXCEEDED"
	TooCostly         = "COST_LIMIT_EXCEEDED"
)

// Operations the query pipeline cannot run (router/engine).
const (
	ParseFailed = "GRAPHQL_PARSE_FAILED"
	// ValidationFailed is also router/limits' code for what the validator
	// would refuse anyway, but only after costly work (fragment cycles).
	ValidationFailed      = "GRAPHQL_VALIDATION_FAILED"
	BadUserInput          = "BAD_USER_INPUT"
	IntrospectionDisabled = "INTROSPECTION_DISABLED"
	// QueryPlanningFailed is an operation the supergraph cannot answer (a
	// field no subgraph can reach from where it is asked).
	QueryPlanningFailed = "QUERY_PLANNING_FAILED"
)

// Fields answered null with an error at their path (router/authz, router/execute).
const (
	// Unauthorized is a guarded field asked without (valid) credentials.
	Unauthorized = "UNAUTHORIZED"
	// Forbidden is a guarded field asked with credentials that lack its scopes.
	Forbidden = "FORBIDDEN"
	// SubrequestHTTPError is a subgraph that did not answer GraphQL.
	SubrequestHTTPError = "SUBREQUEST_HTTP_ERROR"
)

// Errors of the subgraphs' resolvers and internal APIs (graph, and the
// services' REST endpoints); Unauthenticated, Forbidden, BadUserInput and
// Internal above serve them too.
const (
	// NotFound is a thing asked for by id that does not exist.
	NotFound = "NOT_FOUND"
	// CallerNotAllowed is a service calling an endpoint that is not for it
	// (each internal endpoint answers only the identities it names).
	CallerNotAllowed = "CALLER_NOT_ALLOWED"
)
