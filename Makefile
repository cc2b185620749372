# virtual-store — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

GO        ?= go
# go.mod's toolchain line names Go 1.26.10: earlier 1.26 releases have
# standard-library vulnerabilities the code can reach (make vulncheck). auto
# makes the go command use it, fetched from the module proxy when the
# machine's is older (once, ~76 MB), even where the environment says
# GOTOOLCHAIN=local (which still builds, with the machine's Go).
export GOTOOLCHAIN := auto
BIN       := bin
BINARIES  := router product order paymentgw devstack routerbench benchsubgraphs loadgen storefront
# sqlc is pinned in tools/go.mod and built by the go command (cached in the Go
# build cache, outside the repository); never a downloaded binary.
SQLC      := cd tools && $(GO) tool sqlc -f ../sqlc.yaml
GQLGEN    := $(GO) tool gqlgen
SUBGRAPHS := user product order
# The public gateway benchmark's subgraphs (cmd/benchsubgraphs, make bench-gateway).
BENCH_SUBGRAPHS := accounts inventory products reviews
# Directories that hold only generated code (checked for drift by make test).
GENERATED := graph/internal/graphtest subgraphs/product/generated subgraphs/product/model subgraphs/product/store \
             subgraphs/user/generated subgraphs/user/model paymentgw/store \
             subgraphs/order/generated subgraphs/order/model subgraphs/order/store \
             $(addsuffix /generated,$(addprefix bench/subgraphs/,$(BENCH_SUBGRAPHS))) \
             dashboards kustomize/components/monitoring/dashboards \
             web/schema.graphql web/src/gql config/trusted-documents.json

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: run
run: build ## build and start the whole store locally (Ctrl-C stops it)
	$(BIN)/devstack --bin $(BIN)

VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/virtual-store/virtual-store/internal/service.Version=$(VERSION)

.PHONY: build
build: web ## build every binary into bin/ (the storefront with the web build embedded)
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))
	# The local user binary embeds a MongoDB-compatible server (FerretDB) for
	# when USER_MONGO_URI is unset; the production image builds without the tag.
	$(GO) build -ldflags "$(LDFLAGS)" -tags embedmongo -o $(BIN)/user ./cmd/user

.PHONY: test
test: chromium web check-generated vet lint-workflows promtool dashboards-schema vulncheck ## run every test against the real databases (and the storefront in Chromium)
	$(GO) test -count=1 -race ./...

.PHONY: chromium
chromium: ## make sure the browser tests have a Chromium (installs Debian's chromium if missing)
	scripts/chromium.sh

.PHONY: promtool
promtool: ## check and unit-test the Prometheus rules and configs (installs Debian's prometheus if missing)
	scripts/promtool-test.sh

.PHONY: vulncheck
vulncheck: ## govulncheck: fail on a known vulnerability the code can reach (offline database from golang.org/x/vulndb, pinned in tools/vuln)
	scripts/vulncheck.sh

.PHONY: lint-workflows
lint-workflows: ## lint the GitHub Actions workflows (actionlint, pinned in tools/go.mod)
	cd tools && $(GO) tool actionlint ../.github/workflows/*.yml

.PHONY: images
images: ## build every image with podman: virtual-store/<name>:$(IMAGE_TAG) (default dev)
	scripts/images.sh

.PHONY: verify-observability
verify-observability: ## the store under load scraped by a real Prometheus: every dashboard query and rule selector has series (fails without the prometheus binary)
	OBSERVABILITY_PROOF=1 $(GO) test -count=1 -run TestObservabilityProof -v ./e2e

.PHONY: test-images
test-images: ## run each image (read-only, non-root) and the e2e journey against the containers
	. scripts/podman-env.sh && E2E_IMAGES=$${IMAGE_TAG:-dev} $(GO) test -count=1 ./e2e -run 'TestImages|TestStorefrontJourneyThroughTheRouter|TestPaymentGatewayAnswersOnlyTheOrderService' -v

.PHONY: k8s-dev-certs
k8s-dev-certs: build ## issue the dev overlay's certificates (kustomize/overlays/dev/pki, never committed)
	$(BIN)/router pki init --dir kustomize/overlays/dev/pki --namespace virtual-store

.PHONY: verify-k8s
verify-k8s: build ## validate both Kustomize overlays with a real kube-apiserver (built once from the Go module proxy)
	scripts/verify-k8s.sh

.PHONY: cluster-up
cluster-up: ## start a real single-node Kubernetes cluster on this machine (root; after make images; binaries built once from the Go module proxy)
	scripts/cluster.sh up

.PHONY: verify-cluster
verify-cluster: build ## apply the dev overlay to the cluster of make cluster-up and check the store through it (journey, Prometheus, pods deleted under load, NetworkPolicy)
	scripts/verify-cluster.sh

.PHONY: cluster-down
cluster-down: ## stop the cluster of make cluster-up and remove its state
	scripts/cluster.sh down

.PHONY: test-short
test-short: chromium web ## the tests without the race detector (faster)
	$(GO) test -count=1 ./...

.PHONY: vet
vet: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

.PHONY: generate
generate: ## regenerate all generated code (sqlc, gqlgen, dashboards)
	$(SQLC) generate
	$(GQLGEN) generate --config gqlgen.yml
	@for s in $(SUBGRAPHS); do (cd subgraphs/$$s && $(GQLGEN) generate) || exit 1; done
	@for s in $(BENCH_SUBGRAPHS); do (cd bench/subgraphs/$$s && $(GQLGEN) generate) || exit 1; done
	$(MAKE) --no-print-directory web-generate
	$(MAKE) --no-print-directory dashboards # last: it reads the executors gqlgen just wrote

# The web storefront (web/, see web/README.md): Node and npm only build it;
# cmd/storefront embeds web/dist/site. npm ci runs when the lockfile changes.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/site/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

.PHONY: web
web: web/dist/site/index.html ## build the web storefront into web/dist/site (npm ci if needed, tsc, Vite)

.PHONY: web-generate
web-generate: ## type the storefront's operations against the router's API schema and write the trusted documents (fails on an operation the schema breaks)
	$(GO) run ./cmd/storefront schema > web/schema.graphql.tmp && mv web/schema.graphql.tmp web/schema.graphql
	@[ -d web/node_modules ] || (cd web && npm ci --no-audit --no-fund)
	cd web && npm run --silent codegen

.PHONY: dashboards
dashboards: ## regenerate the Grafana dashboards from Go code and the composed supergraph (dashboards/, and the copy Kustomize ships)
	$(GO) run ./cmd/dashboards -out dashboards
	$(GO) run ./cmd/dashboards -compact -out kustomize/components/monitoring/dashboards

.PHONY: dashboards-schema
dashboards-schema: ## type-check dashboards/*.json against Grafana's published schema (@grafana/schema, tsc; npm packages cached outside the repo)
	scripts/dashboards-schema.sh

.PHONY: dashboards-preview
dashboards-preview: ## render every dashboard to PNG from the local Prometheus (after make run and make load): docs/previews/; DASHPREVIEW_FLAGS="-range 5m"
	$(GO) run ./cmd/dashpreview -prometheus http://localhost:9090 -out docs/previews $(DASHPREVIEW_FLAGS)

.PHONY: load
load: ## simulated shoppers against a running store (make run); LOADGEN_FLAGS="-users 20 -duration 1m"
	$(BIN)/loadgen $(LOADGEN_FLAGS)

.PHONY: check-generated
check-generated: ## fail if committed generated code differs from `make generate`
	scripts/check-generated.sh

.PHONY: print-generated
print-generated:
	@echo $(GENERATED)

.PHONY: audit
audit: build ## run the federation gateway audit against the router (needs AUDIT_DIR, see README)
	scripts/audit.sh

.PHONY: bench
bench: build ## every performance figure in one run and one table with the goals: gateway benchmark vs Hive Gateway, router overhead, checkout capacity vs pgbench (BENCH_CURVES=1 adds the curves)
	scripts/bench.sh

.PHONY: bench-go
bench-go: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-checkout
bench-checkout: build ## the store's capacity through the router: PAID checkouts/s and browse req/s against pgbench on the same server, memory per process (stop make run first)
	scripts/bench-checkout.sh

.PHONY: bench-gateway
bench-gateway: build ## the public gateway benchmark's query through the router at 50 clients (figures printed)
	scripts/bench-gateway.sh

.PHONY: bench-curves
bench-curves: build ## curves of how cost grows: req/s and p99 against clients (router, Hive Gateway), router latency against answer size and representations per fetch; TSVs and PNGs in docs/bench/
	scripts/bench-curves.sh

.PHONY: clean
clean: ## remove build output and local data (the development CA and certificates too)
	rm -rf $(BIN) .data kustomize/overlays/dev/pki
