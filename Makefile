# virtual-store — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := bin
BINARIES  := router product order paymentgw devstack routerbench benchsubgraphs
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
             $(addsuffix /generated,$(addprefix bench/subgraphs/,$(BENCH_SUBGRAPHS)))

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: run
run: build ## build and start the whole store locally (Ctrl-C stops it)
	$(BIN)/devstack --bin $(BIN)

.PHONY: build
build: ## build every binary into bin/
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))
	# The local user binary embeds a MongoDB-compatible server (FerretDB) for
	# when USER_MONGO_URI is unset; the production image builds without the tag.
	$(GO) build -tags embedmongo -o $(BIN)/user ./cmd/user

.PHONY: test
test: check-generated vet ## run every test against the real databases
	$(GO) test -count=1 -race ./...

.PHONY: test-short
test-short: ## the tests without the race detector (faster)
	$(GO) test -count=1 ./...

.PHONY: vet
vet: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

.PHONY: generate
generate: ## regenerate all generated code (sqlc, gqlgen)
	$(SQLC) generate
	$(GQLGEN) generate --config gqlgen.yml
	@for s in $(SUBGRAPHS); do (cd subgraphs/$$s && $(GQLGEN) generate) || exit 1; done
	@for s in $(BENCH_SUBGRAPHS); do (cd bench/subgraphs/$$s && $(GQLGEN) generate) || exit 1; done

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
bench: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-gateway
bench-gateway: build ## the public gateway benchmark's query through the router at 50 clients (figures printed)
	scripts/bench-gateway.sh

.PHONY: clean
clean: ## remove build output and local data
	rm -rf $(BIN) .data
