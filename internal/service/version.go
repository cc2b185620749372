package service

// Version is the build's version, stamped by the Dockerfile and `make build`
// (-ldflags "-X github.com/virtual-store/virtual-store/internal/service.Version=…",
// from `git describe`); "dev" when built without.
var Version = "dev"
