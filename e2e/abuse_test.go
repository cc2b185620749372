package e2e

import (
	"strconv"
	"testing"
	"time"
)

// The abuse suite: hostile requests against the real router binary over
// HTTP. Each must be refused with its stable code and a fitting status,
// quickly and within bounded CPU and memory, and nothing it carries may
// reach a subgraph or be written. Two routers serve the same subgraphs: the
// store's (default configuration) and a second line with the byte and token
// limits lifted and introspection off, to prove the checks behind them hold
// on their own.

const (
	// hostileDeadline bounds the answer to one hostile request; each is
	// refused in milliseconds, so this is generous on a loaded 2-core machine.
	hostileDeadline = 5 * time.Second
	// hostileCPU bounds the router CPU one hostile request may cost: parsing
	// the largest documents takes tens of milliseconds; expanding a fragment
	// bomb or validating it would take minutes.
	hostileCPU = 2 * time.Second
	// maxRouterRSS bounds each router's peak resident memory over the suite
	// (it idles at ~50 MB, see README).
	maxRouterRSS = 300 << 20
	// readHeaderTimeout and readTimeout are the services' http.Server
	// timeouts (internal/service): for the headers, and for the whole request.
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
)

func TestAbuse(t *testing.T) {
	if imageTag != "" {
		t.Skip("measures the router process, which is a container under E2E_IMAGES")
	}
	keys := t.TempDir() // the user service's development signing key lands here
	s := newStorefrontWith(t, extraEnv{user: []string{"USER_DATA_DIR=" + keys}})
	lifted := start(t, "router",
		"ROUTER_SUBGRAPHS=user="+s.user.url()+"/graphql,product="+s.product.url()+"/graphql,order="+s.order.url()+"/graphql",
		"ROUTER_JWKS_URL="+s.user.url()+"/.well-known/jwks.json", "ROUTER_JWT_ISSUERS="+e2eIssuer,
		"ROUTER_MAX_TOKENS=0", "ROUTER_MAX_DOCUMENT_BYTES=0", "ROUTER_MAX_BODY_BYTES="+strconv.Itoa(32<<20),
		"ROUTER_INTROSPECTION=false", "ROUTER_PLAYGROUND=false")
	routers := []*proc{s.router, lifted}
	for _, r := range routers {
		// Warm up: a supergraph, a plan and a subgraph connection each.
		(caller{router: r, addr: "198.51.100.2"}).ok(t, `{ categories { name } }`, nil)
	}
	baseline := map[*proc]usage{s.router: s.router.usage(t), lifted: lifted.usage(t)}
	calm := s.world(t, routers...)

	t.Run("documents", func(t *testing.T) { abuseDocuments(t, s, lifted) })
	t.Run("validation cost", func(t *testing.T) { abuseValidationCost(t, s, lifted) })
	t.Run("bodies", func(t *testing.T) { abuseBodies(t, s, lifted) })
	t.Run("introspection off", func(t *testing.T) { abuseIntrospectionOff(t, s, lifted) })

	if diff := calm.same(s.world(t, routers...)); diff != "" {
		t.Errorf("hostile requests changed the store: %s", diff)
	}

	t.Run("tokens", func(t *testing.T) { abuseTokens(t, s, keys) })

	t.Run("slow clients", func(t *testing.T) { abuseSlowClients(t, s) })
	t.Run("injection", func(t *testing.T) { abuseInjection(t, s) })

	for _, r := range routers {
		end := r.usage(t)
		name := "store router"
		if r == lifted {
			name = "lifted router"
		}
		t.Logf("%s: peak RSS %.1f MB (now %.1f MB), CPU %.2f s during the suite", name, float64(end.peak)/(1<<20), float64(end.rss)/(1<<20), (end.cpu - baseline[r].cpu).Seconds())
		if end.peak > maxRouterRSS {
			t.Errorf("%s: peak RSS %.1f MB, want under %d MB", name, float64(end.peak)/(1<<20), maxRouterRSS>>20)
		}
	}
}
