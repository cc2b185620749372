# syntax=docker/dockerfile:1
# One image per binary, all from this file:
#   docker build --target router -t virtual-store/router .   (or: make images)
# Targets: router, user, product, order, paymentgw. Each image is the static
# binary on `scratch` with CA certificates and a numeric non-root user: no
# shell, no package manager, nothing to exec into. The user image is built
# without the embedded MongoDB-compatible server (that is `make build`'s
# -tags embedmongo, for laptops only).

ARG GO_IMAGE=golang:1.26

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
# GOPROXY may name a file:// proxy over the host's module cache (make images
# does), falling back to the network one.
ARG GOPROXY=https://proxy.golang.org,direct
# GOTOOLCHAIN=auto: an older golang:1.26 image fetches the Go that go.mod's
# toolchain line names (1.26.10: the standard library fixes) and builds with it.
ENV CGO_ENABLED=0 GOFLAGS=-trimpath GOPROXY=${GOPROXY} GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH:-$(go env GOARCH)} go build \
      -ldflags "-s -w -X github.com/virtual-store/virtual-store/internal/service.Version=${VERSION}" \
      -o /out/ ./cmd/router ./cmd/user ./cmd/product ./cmd/order ./cmd/paymentgw
# The runtime root: CA certificates and the one user the images run as.
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'nonroot:x:65532:' > /rootfs/etc/group \
 && chmod 1777 /rootfs/tmp

FROM scratch AS runtime
ARG VERSION=dev
COPY --from=build /rootfs/ /
USER 65532:65532
LABEL org.opencontainers.image.source="https://github.com/virtual-store/virtual-store" \
      org.opencontainers.image.vendor="virtual-store" \
      org.opencontainers.image.version="${VERSION}"

FROM runtime AS router
COPY --from=build /out/router /usr/local/bin/router
LABEL org.opencontainers.image.title="virtual-store router" \
      org.opencontainers.image.description="The federation gateway: one GraphQL API over the subgraphs"
# 4000 public GraphQL (plain HTTP; TLS at the ingress), 4100 admin (health, metrics)
EXPOSE 4000 4100
ENTRYPOINT ["/usr/local/bin/router"]

FROM runtime AS user
COPY --from=build /out/user /usr/local/bin/user
LABEL org.opencontainers.image.title="virtual-store user" \
      org.opencontainers.image.description="The user subgraph: accounts, sign-in, JWTs and the JWKS (MongoDB)"
# 4001 GraphQL and JWKS (mutual TLS, router only), 4101 admin
EXPOSE 4001 4101
ENTRYPOINT ["/usr/local/bin/user"]

FROM runtime AS product
COPY --from=build /out/product /usr/local/bin/product
LABEL org.opencontainers.image.title="virtual-store product" \
      org.opencontainers.image.description="The product subgraph: catalog, prices, stock and reservations (PostgreSQL)"
# 4002 GraphQL (router) and reservations (order), mutual TLS; 4102 admin
EXPOSE 4002 4102
ENTRYPOINT ["/usr/local/bin/product"]

FROM runtime AS order
COPY --from=build /out/order /usr/local/bin/order
LABEL org.opencontainers.image.title="virtual-store order" \
      org.opencontainers.image.description="The order subgraph: cart, checkout saga, orders (PostgreSQL)"
# 4003 GraphQL (mutual TLS, router only), 4103 admin
EXPOSE 4003 4103
ENTRYPOINT ["/usr/local/bin/order"]

FROM runtime AS paymentgw
COPY --from=build /out/paymentgw /usr/local/bin/paymentgw
LABEL org.opencontainers.image.title="virtual-store payment gateway (mock)" \
      org.opencontainers.image.description="A Stripe-like mock card processor with idempotency keys and chaos (PostgreSQL)"
# 4010 API (mutual TLS, order only), 4110 admin
EXPOSE 4010 4110
ENTRYPOINT ["/usr/local/bin/paymentgw"]
