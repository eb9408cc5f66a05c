//go:build tools

// Package kube pins the Kubernetes commands the local control plane is built from.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
