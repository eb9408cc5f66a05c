//go:build tools

// Package kube pins the Kubernetes commands the local control plane is built from: the API
// server and kubectl, and for a real node (hack/node) the controller manager, the scheduler,
// the kubelet and kube-proxy.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
