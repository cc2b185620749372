//go:build tools

// Package k8s pins the Kubernetes binaries `make verify-k8s` builds from the
// Go module proxy (kube-apiserver; no registry or binary download is needed).
// It is its own module so the product's go.mod never carries Kubernetes.
package k8s

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
