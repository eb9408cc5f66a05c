//go:build tools

// Package argoexec pins Argo's executor, which runs workflows' pods on the node. Its version is
// the plane's Argo version (hack/controlplane/argo/go.mod); hack/node/build.sh refuses to build
// another.
package argoexec

import (
	_ "github.com/argoproj/argo-workflows/v3/cmd/argoexec"
)
