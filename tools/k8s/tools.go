//go:build tools

// Package k8s pins the Kubernetes binaries built from the Go module proxy (no
// registry or binary download is needed): kube-apiserver for `make
// verify-k8s`, and the rest of a single-node cluster for `make cluster-up`.
// It is its own module so the product's go.mod never carries Kubernetes.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
